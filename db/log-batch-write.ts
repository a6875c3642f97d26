import type { InValue } from "@libsql/client";
import type { PointColumns } from "./batch-job.ts";
import { conflict, invalid, notFound } from "./errors.ts";
import type { KeyValue } from "./experiments.ts";
import { foldColumns, updateRollups } from "./metric-rollups.ts";
import { seriesFromRow } from "./metric-series-row.ts";
import { mergeSummary } from "./metric-summary.ts";
import { encodeMetricValue } from "./metric-value.ts";
import type { MetricSeriesRow } from "./schema/index.ts";
import { intOf, listPlaceholders, textOf, valuesPlaceholders } from "./sql-text.ts";
import type { SqlTx } from "./sync-connection.ts";
import { isRunId } from "./validation.ts";

/**
 * The write half of logBatch, in hand-written SQL: it runs for every batch a training script
 * sends, and building statements through the query builder cost more than executing them.
 */

/** The earlier batch with this id, if one was applied. */
export async function findLoggedBatch(
  tx: SqlTx,
  batchId: string,
): Promise<{ runId: string; payloadHash: string } | undefined> {
  const result = await tx.execute({
    sql: "SELECT run_id, payload_hash FROM logged_batches WHERE batch_id = ?",
    args: [batchId],
  });
  const row = result.rows[0];
  return row && { runId: textOf(row, "run_id"), payloadHash: textOf(row, "payload_hash") };
}

export async function recordLoggedBatch(
  tx: SqlTx,
  batch: { batchId: string; runId: string; payloadHash: string; loggedAt: number },
): Promise<void> {
  await tx.execute({
    sql: "INSERT INTO logged_batches (batch_id, run_id, payload_hash, logged_at) VALUES (?, ?, ?, ?)",
    args: [batch.batchId, batch.runId, batch.payloadHash, batch.loggedAt],
  });
}

export async function requireActiveRun(tx: SqlTx, runId: string): Promise<void> {
  const result = isRunId(runId)
    ? await tx.execute({ sql: "SELECT lifecycle_stage FROM runs WHERE id = ?", args: [runId] })
    : undefined;
  const row = result?.rows[0];
  if (!row) throw notFound(`no run with id '${runId}'`, "runId");
  if (textOf(row, "lifecycle_stage") !== "active")
    throw invalid("runId", `run '${runId}' is deleted; restore it before changing it`);
}

export async function writeParams(tx: SqlTx, runId: string, params: KeyValue[]): Promise<void> {
  if (params.length === 0) return;
  const existing = await tx.execute({
    sql: `SELECT key, value FROM params WHERE run_id = ? AND key IN (${listPlaceholders(params.length)})`,
    args: [runId, ...params.map((p) => p.key)],
  });
  const logged = new Map(existing.rows.map((row) => [textOf(row, "key"), textOf(row, "value")]));
  params.forEach((param, i) => {
    const value = logged.get(param.key);
    if (value !== undefined && value !== param.value)
      throw conflict(
        `param '${param.key}' was already logged as '${value}' and params cannot change; log '${param.value}' under another key or in a new run`,
        `params[${i}].value`,
      );
  });
  const fresh = params.filter((param) => !logged.has(param.key));
  if (fresh.length === 0) return;
  await tx.execute({
    sql: `INSERT INTO params (run_id, key, value) VALUES ${valuesPlaceholders(fresh.length, 3)} ON CONFLICT DO NOTHING`,
    args: fresh.flatMap((param) => [runId, param.key, param.value]),
  });
}

export async function writeTags(tx: SqlTx, runId: string, tags: KeyValue[]): Promise<void> {
  if (tags.length === 0) return;
  // The last value of a key repeated in one batch wins, as if the tags were set one by one.
  const latest = [...new Map(tags.map((tag) => [tag.key, tag.value]))];
  await tx.execute({
    sql: `INSERT INTO run_tags (run_id, key, value) VALUES ${valuesPlaceholders(latest.length, 3)}
      ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value`,
    args: latest.flatMap(([key, value]) => [runId, key, value]),
  });
}

const seriesColumns = [
  "run_id",
  "key",
  "count",
  "last_value",
  "last_special",
  "last_step",
  "last_timestamp",
  "min_value",
  "min_special",
  "min_step",
  "max_value",
  "max_special",
  "max_step",
] as const;
const seriesUpdate = seriesColumns
  .slice(2)
  .map((column) => `${column} = excluded.${column}`)
  .join(", ");

/** A saved series: its id, and the highest step it had before this batch (null: none). */
type SavedSeries = { id: number; stepsUpTo: number | null };

async function upsertSeries(
  tx: SqlTx,
  runId: string,
  metrics: Map<string, PointColumns>,
): Promise<Map<string, SavedSeries>> {
  const keys = [...metrics.keys()];
  const existing = await tx.execute({
    sql: `SELECT * FROM metric_series WHERE run_id = ? AND key IN (${listPlaceholders(keys.length)})`,
    args: [runId, ...keys],
  });
  const byKey = new Map<string, MetricSeriesRow>();
  for (const row of existing.rows) byKey.set(textOf(row, "key"), seriesFromRow(row));
  const args: InValue[] = [];
  for (const key of keys) {
    const columns = metrics.get(key);
    if (!columns) continue;
    const s = mergeSummary(
      runId,
      key,
      byKey.get(key),
      foldColumns(columns, 0, columns.values.length),
    );
    args.push(s.runId, s.key, s.count, s.lastValue, s.lastSpecial, s.lastStep, s.lastTimestamp);
    args.push(s.minValue, s.minSpecial, s.minStep, s.maxValue, s.maxSpecial, s.maxStep);
  }
  const saved = await tx.execute({
    sql: `INSERT INTO metric_series (${seriesColumns.join(", ")}) VALUES ${valuesPlaceholders(keys.length, seriesColumns.length)}
      ON CONFLICT (run_id, key) DO UPDATE SET ${seriesUpdate} RETURNING id, key`,
    args,
  });
  return new Map(
    saved.rows.map((row) => {
      const key = textOf(row, "key");
      // A series' last point is the one with the highest step.
      return [key, { id: intOf(row, "id"), stepsUpTo: byKey.get(key)?.lastStep ?? null }];
    }),
  );
}

/** Rows per INSERT: large statements amortize their cost; 5 columns stay far under SQLite's variable limit. */
const pointsPerStatement = 1000;

/**
 * `(?1, ?2, ?3, ?4, NULL), (?1, ?5, ?6, ?7, NULL)…`: points of one series with finite values,
 * the usual case. The series id is bound once and `special` is a literal, so a 1000-point
 * batch binds 3,001 values instead of 5,000 (each costs a call into the driver).
 */
const finitePointsSql = new Map<number, string>();
function finitePointsInsert(rows: number): string {
  let text = finitePointsSql.get(rows);
  if (text === undefined) {
    const tuples = Array.from({ length: rows }, (_, i) => {
      const n = 2 + i * 3;
      return `(?1, ?${n}, ?${n + 1}, ?${n + 2}, NULL)`;
    });
    text = `INSERT INTO metric_points (series_id, step, timestamp, value, special) VALUES ${tuples.join(", ")}`;
    if (finitePointsSql.size < 64) finitePointsSql.set(rows, text);
  }
  return text;
}

function allFinite(values: Float64Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

async function insertPoints(
  tx: SqlTx,
  seriesId: number,
  { steps, timestamps, values }: PointColumns,
): Promise<void> {
  for (let start = 0; start < values.length; start += pointsPerStatement) {
    const end = Math.min(values.length, start + pointsPerStatement);
    if (allFinite(values, start, end)) {
      const args: InValue[] = new Array(1 + (end - start) * 3);
      args[0] = seriesId;
      let a = 1;
      for (let i = start; i < end; i++) {
        args[a++] = steps[i] ?? 0;
        args[a++] = timestamps[i] ?? 0;
        args[a++] = values[i] ?? 0;
      }
      await tx.execute({ sql: finitePointsInsert(end - start), args });
      continue;
    }
    const args: InValue[] = new Array((end - start) * 5);
    let a = 0;
    for (let i = start; i < end; i++) {
      const stored = encodeMetricValue(values[i] ?? Number.NaN);
      args[a++] = seriesId;
      args[a++] = steps[i] ?? 0;
      args[a++] = timestamps[i] ?? 0;
      args[a++] = stored.value;
      args[a++] = stored.special;
    }
    await tx.execute({
      sql: `INSERT INTO metric_points (series_id, step, timestamp, value, special) VALUES ${valuesPlaceholders(end - start, 5)}`,
      args,
    });
  }
}

/** Updates each series' summary and rollups and appends its points. */
export async function writeMetrics(
  tx: SqlTx,
  runId: string,
  metrics: Map<string, PointColumns>,
): Promise<void> {
  if (metrics.size === 0) return;
  const seriesByKey = await upsertSeries(tx, runId, metrics);
  for (const [key, points] of metrics) {
    const series = seriesByKey.get(key);
    if (series === undefined) throw new Error(`metric series '${key}' was not saved`);
    await updateRollups(tx, series.id, points, series.stepsUpTo);
    await insertPoints(tx, series.id, points);
  }
}
