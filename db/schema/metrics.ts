import {
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  unique,
} from "drizzle-orm/sqlite-core";
import { runTable } from "./runs.ts";

/**
 * libSQL drivers refuse NaN and ±Infinity as parameters, so a value column holds finite
 * numbers only and `*_special` names the non-finite value when there is one.
 */
export const specialValues = ["NaN", "Infinity", "-Infinity"] as const;
export type SpecialValue = (typeof specialValues)[number];

/**
 * One row per (run, key): the summary that run lists sort and filter on, kept current on
 * every write so they never scan history. Points reference the series by its integer id,
 * which keeps the point table narrow.
 */
export const metricSeriesTable = sqliteTable(
  "metric_series",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: text("run_id")
      .notNull()
      .references(() => runTable.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    count: integer("count").notNull(),
    lastValue: real("last_value"),
    lastSpecial: text("last_special", { enum: specialValues }),
    lastStep: integer("last_step").notNull(),
    lastTimestamp: integer("last_timestamp").notNull(),
    // Min and max ignore NaN; they are null while every point is NaN.
    minValue: real("min_value"),
    minSpecial: text("min_special", { enum: specialValues }),
    minStep: integer("min_step"),
    maxValue: real("max_value"),
    maxSpecial: text("max_special", { enum: specialValues }),
    maxStep: integer("max_step"),
  },
  (table) => [
    unique("metric_series_run_key_unique").on(table.runId, table.key),
    index("metric_series_key_idx").on(table.key),
  ],
);

/** Every logged point, clustered for history scans by (series, step). */
export const metricPointTable = sqliteTable(
  "metric_points",
  {
    seriesId: integer("series_id")
      .notNull()
      .references(() => metricSeriesTable.id, { onDelete: "cascade" }),
    step: integer("step").notNull(),
    timestamp: integer("timestamp").notNull(),
    value: real("value"),
    special: text("special", { enum: specialValues }),
  },
  (table) => [index("metric_points_series_step_idx").on(table.seriesId, table.step)],
);

export type MetricSeriesRow = typeof metricSeriesTable.$inferSelect;
export type MetricPointRow = typeof metricPointTable.$inferSelect;

/**
 * Per-block summaries of a series at several zoom levels, kept current on write, so a long
 * history is downsampled by reading a few thousand rows instead of every point. Level L
 * groups steps into blocks of 16^L (block = floor(step / 16^L)); each block keeps its first,
 * last, minimum and maximum point (NaN ignored for min/max) and a count.
 */
export const metricRollupTable = sqliteTable(
  "metric_rollups",
  {
    seriesId: integer("series_id")
      .notNull()
      .references(() => metricSeriesTable.id, { onDelete: "cascade" }),
    level: integer("level").notNull(),
    block: integer("block").notNull(),
    count: integer("count").notNull(),
    firstStep: integer("first_step").notNull(),
    firstTimestamp: integer("first_timestamp").notNull(),
    firstValue: real("first_value"),
    firstSpecial: text("first_special", { enum: specialValues }),
    lastStep: integer("last_step").notNull(),
    lastTimestamp: integer("last_timestamp").notNull(),
    lastValue: real("last_value"),
    lastSpecial: text("last_special", { enum: specialValues }),
    minStep: integer("min_step"),
    minTimestamp: integer("min_timestamp"),
    minValue: real("min_value"),
    minSpecial: text("min_special", { enum: specialValues }),
    maxStep: integer("max_step"),
    maxTimestamp: integer("max_timestamp"),
    maxValue: real("max_value"),
    maxSpecial: text("max_special", { enum: specialValues }),
  },
  (table) => [primaryKey({ columns: [table.seriesId, table.level, table.block] })],
);

export type MetricRollupRow = typeof metricRollupTable.$inferSelect;
