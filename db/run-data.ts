import { asc, inArray } from "drizzle-orm";
import type { KeyValue } from "./experiments.ts";
import { groupBy } from "./group-by.ts";
import { decodeMetricValue } from "./metric-value.ts";
import type { Db } from "./open-db.ts";
import {
  type MetricSeriesRow,
  metricSeriesTable,
  paramTable,
  runTagTable,
} from "./schema/index.ts";

/**
 * Per-run lists for a whole page of runs at once, one statement each, so a page costs the
 * same number of statements whatever its size (the API's DataLoaders call these).
 */
export async function paramsByRunIds(
  db: Db,
  runIds: readonly string[],
): Promise<Map<string, KeyValue[]>> {
  if (runIds.length === 0) return new Map();
  const rows = await db.orm
    .select()
    .from(paramTable)
    .where(inArray(paramTable.runId, [...runIds]))
    .orderBy(asc(paramTable.key));
  return groupBy(
    rows,
    (row) => row.runId,
    (row) => ({ key: row.key, value: row.value }),
  );
}

export async function tagsByRunIds(
  db: Db,
  runIds: readonly string[],
): Promise<Map<string, KeyValue[]>> {
  if (runIds.length === 0) return new Map();
  const rows = await db.orm
    .select()
    .from(runTagTable)
    .where(inArray(runTagTable.runId, [...runIds]))
    .orderBy(asc(runTagTable.key));
  return groupBy(
    rows,
    (row) => row.runId,
    (row) => ({ key: row.key, value: row.value }),
  );
}

/** The summary of one metric of one run, kept current on write. */
export interface MetricSummary {
  runId: string;
  key: string;
  seriesId: number;
  count: number;
  last: number;
  lastStep: number;
  lastTimestamp: number;
  /** Null while every point is NaN. */
  min: number | null;
  minStep: number | null;
  max: number | null;
  maxStep: number | null;
}

export function toMetricSummary(row: MetricSeriesRow): MetricSummary {
  return {
    runId: row.runId,
    key: row.key,
    seriesId: row.id,
    count: row.count,
    last: decodeMetricValue(row.lastValue, row.lastSpecial),
    lastStep: row.lastStep,
    lastTimestamp: row.lastTimestamp,
    min: row.minStep === null ? null : decodeMetricValue(row.minValue, row.minSpecial),
    minStep: row.minStep,
    max: row.maxStep === null ? null : decodeMetricValue(row.maxValue, row.maxSpecial),
    maxStep: row.maxStep,
  };
}

export async function metricSummariesByRunIds(
  db: Db,
  runIds: readonly string[],
): Promise<Map<string, MetricSummary[]>> {
  if (runIds.length === 0) return new Map();
  const rows = await db.orm
    .select()
    .from(metricSeriesTable)
    .where(inArray(metricSeriesTable.runId, [...runIds]))
    .orderBy(asc(metricSeriesTable.key));
  return groupBy(rows, (row) => row.runId, toMetricSummary);
}
