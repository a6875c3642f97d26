import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { experimentTable, lifecycleStages } from "./experiments.ts";

export const runStatuses = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"] as const;
export type RunStatus = (typeof runStatuses)[number];
/** Statuses after which a run does not change state again; reaching one sets the end time. */
export const terminalRunStatuses: readonly RunStatus[] = ["FINISHED", "FAILED", "KILLED"];

export const runTable = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    experimentId: integer("experiment_id")
      .notNull()
      .references(() => experimentTable.id),
    name: text("name").notNull(),
    status: text("status", { enum: runStatuses }).notNull(),
    startTime: integer("start_time").notNull(),
    endTime: integer("end_time"),
    lifecycleStage: text("lifecycle_stage", { enum: lifecycleStages }).notNull().default("active"),
    deletedTime: integer("deleted_time"),
    parentRunId: text("parent_run_id"),
    artifactUri: text("artifact_uri").notNull(),
    /** Who started the run, as MLflow clients send it (`user_id`); empty when not given. */
    userId: text("user_id").notNull().default(""),
  },
  (table) => [
    index("runs_experiment_start_idx").on(table.experimentId, table.startTime),
    index("runs_parent_idx").on(table.parentRunId),
    index("runs_lifecycle_start_idx").on(table.lifecycleStage, table.startTime),
  ],
);

export const runTagTable = sqliteTable(
  "run_tags",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runTable.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: text("value").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.runId, table.key] }),
    // Filters and orderings name a key and compare its value across runs.
    index("run_tags_key_value_idx").on(table.key, table.value),
  ],
);

/** Params are immutable once logged: the same value again is accepted, another is a conflict. */
export const paramTable = sqliteTable(
  "params",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runTable.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: text("value").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.runId, table.key] }),
    index("params_key_value_idx").on(table.key, table.value),
  ],
);

export type RunRow = typeof runTable.$inferSelect;
export type NewRunRow = typeof runTable.$inferInsert;
export type RunTagRow = typeof runTagTable.$inferSelect;
export type ParamRow = typeof paramTable.$inferSelect;
