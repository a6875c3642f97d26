import { foreignKey, index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The model registry: named models, their numbered versions (each a run's logged model),
 * tags on both, and aliases that point a name (`champion`) at one version.
 */
export const registeredModelTable = sqliteTable(
  "registered_models",
  {
    // Versions refer to the id, so a rename touches one row.
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull().unique(),
    description: text("description").notNull().default(""),
    /** The number the newest version got (0 before the first): numbers are never reused. */
    lastVersion: integer("last_version").notNull().default(0),
    creationTime: integer("creation_time").notNull(),
    lastUpdateTime: integer("last_update_time").notNull(),
  },
  (table) => [index("registered_models_creation_idx").on(table.creationTime)],
);

export const registeredModelTagTable = sqliteTable(
  "registered_model_tags",
  {
    modelId: integer("model_id")
      .notNull()
      .references(() => registeredModelTable.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: text("value").notNull(),
  },
  (table) => [primaryKey({ columns: [table.modelId, table.key] })],
);

/** Where a version is in its life; versions are created READY (their files are already stored). */
export const modelVersionStatuses = [
  "PENDING_REGISTRATION",
  "FAILED_REGISTRATION",
  "READY",
] as const;
export type ModelVersionStatus = (typeof modelVersionStatuses)[number];

export const modelVersionTable = sqliteTable(
  "model_versions",
  {
    modelId: integer("model_id")
      .notNull()
      .references(() => registeredModelTable.id, { onDelete: "cascade" }),
    /** 1, 2, 3… per model (from `registered_models.last_version`), never reused while the model lives. */
    version: integer("version").notNull(),
    /** `runs:/<run id>/<path>`. */
    source: text("source").notNull(),
    /** The run that logged the model; kept as text (no reference) so the version outlives it. */
    runId: text("run_id"),
    status: text("status", { enum: modelVersionStatuses }).notNull().default("READY"),
    description: text("description").notNull().default(""),
    creationTime: integer("creation_time").notNull(),
    lastUpdateTime: integer("last_update_time").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.modelId, table.version] }),
    index("model_versions_run_idx").on(table.runId),
  ],
);

export const modelVersionTagTable = sqliteTable(
  "model_version_tags",
  {
    modelId: integer("model_id").notNull(),
    version: integer("version").notNull(),
    key: text("key").notNull(),
    value: text("value").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.modelId, table.version, table.key] }),
    foreignKey({
      columns: [table.modelId, table.version],
      foreignColumns: [modelVersionTable.modelId, modelVersionTable.version],
    }).onDelete("cascade"),
  ],
);

export const registeredModelAliasTable = sqliteTable(
  "registered_model_aliases",
  {
    modelId: integer("model_id").notNull(),
    alias: text("alias").notNull(),
    version: integer("version").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.modelId, table.alias] }),
    foreignKey({
      columns: [table.modelId, table.version],
      foreignColumns: [modelVersionTable.modelId, modelVersionTable.version],
    }).onDelete("cascade"),
  ],
);

export type RegisteredModelRow = typeof registeredModelTable.$inferSelect;
export type ModelVersionRow = typeof modelVersionTable.$inferSelect;
