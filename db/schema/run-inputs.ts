import { index, integer, primaryKey, sqliteTable, text, unique } from "drizzle-orm/sqlite-core";
import { experimentTable } from "./experiments.ts";
import { runTable } from "./runs.ts";

/**
 * Datasets runs used (MLflow's `log_input`): one row per (experiment, name, digest), as MLflow
 * keeps them, with the source and schema the client described.
 */
export const datasetTable = sqliteTable(
  "datasets",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    experimentId: integer("experiment_id")
      .notNull()
      .references(() => experimentTable.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    digest: text("digest").notNull(),
    sourceType: text("source_type").notNull(),
    source: text("source").notNull(),
    schema: text("schema"),
    profile: text("profile"),
  },
  (table) => [
    unique("datasets_experiment_name_digest").on(table.experimentId, table.name, table.digest),
  ],
);

/** A dataset a run used, with the input's tags (e.g. `mlflow.data.context` = `training`). */
export const runDatasetInputTable = sqliteTable(
  "run_dataset_inputs",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runTable.id, { onDelete: "cascade" }),
    datasetId: integer("dataset_id")
      .notNull()
      .references(() => datasetTable.id, { onDelete: "cascade" }),
    /** The input's tags, a JSON array of `{ key, value }`. */
    tags: text("tags").notNull().default("[]"),
  },
  (table) => [
    primaryKey({ columns: [table.runId, table.datasetId] }),
    index("run_dataset_inputs_dataset_idx").on(table.datasetId),
  ],
);

export const runModelDirections = ["input", "output"] as const;
export type RunModelDirection = (typeof runModelDirections)[number];

/**
 * Logged models a run used (`inputs.model_inputs`) or produced (`outputs.model_outputs`, with
 * the step it was logged at). The model id is text (no reference): a link may name a model
 * of another experiment or one deleted since.
 */
export const runModelLinkTable = sqliteTable(
  "run_model_links",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runTable.id, { onDelete: "cascade" }),
    modelId: text("model_id").notNull(),
    direction: text("direction", { enum: runModelDirections }).notNull(),
    step: integer("step").notNull().default(0),
  },
  (table) => [
    primaryKey({ columns: [table.runId, table.modelId, table.direction] }),
    index("run_model_links_model_idx").on(table.modelId),
  ],
);

export type DatasetRow = typeof datasetTable.$inferSelect;
