import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { experimentTable, lifecycleStages } from "./experiments.ts";
import { specialValues } from "./metrics.ts";

/**
 * MLflow 3's logged models: a model a run (or no run) logged, with its own id (`m-<32 hex>`),
 * files under `<experiment artifact location>/models/<id>/artifacts`, params, tags and the
 * metrics linked to it. `mlflow.<flavor>.log_model` creates one, uploads its files, then marks
 * it ready; a registered model version may point at it (`models:/<id>`).
 */
export const loggedModelStatuses = [
  "LOGGED_MODEL_PENDING",
  "LOGGED_MODEL_READY",
  "LOGGED_MODEL_UPLOAD_FAILED",
] as const;
export type LoggedModelStatus = (typeof loggedModelStatuses)[number];

export const loggedModelTable = sqliteTable(
  "logged_models",
  {
    /** `m-` and 32 hex characters, as MLflow makes them. */
    id: text("id").primaryKey(),
    experimentId: integer("experiment_id")
      .notNull()
      .references(() => experimentTable.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    modelType: text("model_type"),
    /** The run that logged the model; text (no reference) so the model outlives the run. */
    sourceRunId: text("source_run_id"),
    status: text("status", { enum: loggedModelStatuses }).notNull(),
    statusMessage: text("status_message"),
    /** Where its files are: `<experiment artifact location>/models/<id>/artifacts`. */
    artifactLocation: text("artifact_location").notNull(),
    lifecycleStage: text("lifecycle_stage", { enum: lifecycleStages }).notNull().default("active"),
    creationTime: integer("creation_time").notNull(),
    lastUpdateTime: integer("last_update_time").notNull(),
  },
  (table) => [
    index("logged_models_experiment_idx").on(table.experimentId, table.creationTime),
    index("logged_models_source_run_idx").on(table.sourceRunId),
  ],
);

export const loggedModelTagTable = sqliteTable(
  "logged_model_tags",
  {
    modelId: text("model_id")
      .notNull()
      .references(() => loggedModelTable.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: text("value").notNull(),
  },
  (table) => [primaryKey({ columns: [table.modelId, table.key] })],
);

/** Params are immutable once logged, as a run's. */
export const loggedModelParamTable = sqliteTable(
  "logged_model_params",
  {
    modelId: text("model_id")
      .notNull()
      .references(() => loggedModelTable.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: text("value").notNull(),
  },
  (table) => [primaryKey({ columns: [table.modelId, table.key] })],
);

/**
 * Metric points linked to a model (a run's metric logged with the model's id). The run's own
 * history keeps its points; these say which of them describe the model.
 */
export const loggedModelMetricTable = sqliteTable(
  "logged_model_metrics",
  {
    modelId: text("model_id")
      .notNull()
      .references(() => loggedModelTable.id, { onDelete: "cascade" }),
    runId: text("run_id"),
    key: text("key").notNull(),
    value: real("value"),
    special: text("special", { enum: specialValues }),
    step: integer("step").notNull(),
    timestamp: integer("timestamp").notNull(),
    datasetName: text("dataset_name"),
    datasetDigest: text("dataset_digest"),
  },
  (table) => [index("logged_model_metrics_model_idx").on(table.modelId, table.key)],
);

/** The index of a logged model's files, as `artifacts` is for a run's. */
export const loggedModelArtifactTable = sqliteTable(
  "logged_model_artifacts",
  {
    modelId: text("model_id")
      .notNull()
      .references(() => loggedModelTable.id, { onDelete: "cascade" }),
    path: text("path").notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    /** As a run's artifact's: null for files indexed before labbook recorded it. */
    crc32: integer("crc32"),
    contentType: text("content_type").notNull(),
    lastModified: integer("last_modified").notNull(),
  },
  (table) => [primaryKey({ columns: [table.modelId, table.path] })],
);

export type LoggedModelRow = typeof loggedModelTable.$inferSelect;
export type LoggedModelMetricRow = typeof loggedModelMetricTable.$inferSelect;
export type LoggedModelArtifactRow = typeof loggedModelArtifactTable.$inferSelect;
