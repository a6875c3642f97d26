import type { KeyValue } from "./experiments.ts";
import { groupBy } from "./group-by.ts";
import { seriesFromRow } from "./metric-series-row.ts";
import { decodeMetricValue } from "./metric-value.ts";
import type { Db } from "./open-db.ts";
import type { MetricSeriesRow } from "./schema/index.ts";
import { listPlaceholders, type SqlRow, textOf } from "./sql-text.ts";

/**
 * Per-run lists for a whole page of runs at once, one statement each, so a page costs the
 * same number of statements whatever its size (the API's DataLoaders call these). Hand-written
 * SQL on the fast read connection: a page of 1000 runs reads 20,000 rows here.
 */

/** Ids per statement, far under SQLite's limit of bound variables. */
const idsPerStatement = 10_000;

async function rowsForRunIds(
  db: Db,
  runIds: readonly string[],
  select: (placeholders: string) => string,
): Promise<SqlRow[]> {
  const rows: SqlRow[] = [];
  for (let start = 0; start < runIds.length; start += idsPerStatement) {
    const ids = runIds.slice(start, start + idsPerStatement);
    rows.push(...(await db.query(select(listPlaceholders(ids.length)), [...ids])));
  }
  return rows;
}

const keyValueOf = (row: SqlRow): KeyValue => ({
  key: textOf(row, "key"),
  value: textOf(row, "value"),
});

export async function paramsByRunIds(
  db: Db,
  runIds: readonly string[],
): Promise<Map<string, KeyValue[]>> {
  const rows = await rowsForRunIds(
    db,
    runIds,
    (ids) => `SELECT run_id, key, value FROM params WHERE run_id IN (${ids}) ORDER BY key`,
  );
  return groupBy(rows, (row) => textOf(row, "run_id"), keyValueOf);
}

export async function tagsByRunIds(
  db: Db,
  runIds: readonly string[],
): Promise<Map<string, KeyValue[]>> {
  const rows = await rowsForRunIds(
    db,
    runIds,
    (ids) => `SELECT run_id, key, value FROM run_tags WHERE run_id IN (${ids}) ORDER BY key`,
  );
  return groupBy(rows, (row) => textOf(row, "run_id"), keyValueOf);
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
  const rows = await rowsForRunIds(
    db,
    runIds,
    (ids) => `SELECT * FROM metric_series WHERE run_id IN (${ids}) ORDER BY key`,
  );
  return groupBy(
    rows,
    (row) => textOf(row, "run_id"),
    (row) => toMetricSummary(seriesFromRow(row)),
  );
}
