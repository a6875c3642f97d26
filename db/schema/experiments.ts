import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Lifecycle shared by experiments and runs: deleted rows stay restorable until collected. */
export const lifecycleStages = ["active", "deleted"] as const;
export type LifecycleStage = (typeof lifecycleStages)[number];

export const experimentTable = sqliteTable(
  "experiments",
  {
    // Integer in the database, a string of digits everywhere else (MLflow clients expect "0").
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull().unique(),
    artifactLocation: text("artifact_location").notNull(),
    lifecycleStage: text("lifecycle_stage", { enum: lifecycleStages }).notNull().default("active"),
    creationTime: integer("creation_time").notNull(),
    lastUpdateTime: integer("last_update_time").notNull(),
    deletedTime: integer("deleted_time"),
  },
  (table) => [index("experiments_lifecycle_idx").on(table.lifecycleStage, table.creationTime)],
);

export const experimentTagTable = sqliteTable(
  "experiment_tags",
  {
    experimentId: integer("experiment_id")
      .notNull()
      .references(() => experimentTable.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: text("value").notNull(),
  },
  (table) => [primaryKey({ columns: [table.experimentId, table.key] })],
);

export type ExperimentRow = typeof experimentTable.$inferSelect;
export type NewExperimentRow = typeof experimentTable.$inferInsert;
export type ExperimentTagRow = typeof experimentTagTable.$inferSelect;
