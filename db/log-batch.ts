import { createHash } from "node:crypto";
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { conflict, invalid } from "./errors.ts";
import type { KeyValue } from "./experiments.ts";
import { mergeSummary, type NewPoint } from "./metric-summary.ts";
import { encodeMetricValue } from "./metric-value.ts";
import type { Db, WriteTx } from "./open-db.ts";
import { requireRun } from "./runs.ts";
import {
  loggedBatchTable,
  type MetricSeriesRow,
  metricPointTable,
  metricSeriesTable,
  paramTable,
  runTagTable,
} from "./schema/index.ts";
import { nowMs } from "./time.ts";
import {
  limits,
  validateInteger,
  validateKey,
  validateText,
  validateTimestamp,
} from "./validation.ts";

/** One metric key with its points as parallel lists; steps default to 0, timestamps to now. */
export interface MetricColumns {
  key: string;
  values: readonly number[];
  steps?: readonly number[] | null | undefined;
  timestamps?: readonly number[] | null | undefined;
}

export interface LogBatchInput {
  runId: string;
  /** A client-chosen id: a batch re-sent with the same id is applied once. */
  batchId?: string | null | undefined;
  params?: readonly KeyValue[] | null | undefined;
  tags?: readonly KeyValue[] | null | undefined;
  metrics?: readonly MetricColumns[] | null | undefined;
}

export interface BatchLimits {
  metricPoints: number;
  params: number;
  tags: number;
}

export const defaultBatchLimits: BatchLimits = { metricPoints: 50_000, params: 100, tags: 100 };

export interface LogBatchResult {
  /** False when the batch id had been applied before and this call only acknowledged it. */
  applied: boolean;
  points: number;
}

interface ValidBatch {
  params: KeyValue[];
  tags: KeyValue[];
  metrics: Map<string, NewPoint[]>;
  points: number;
}

function validateBatch(input: LogBatchInput, batchLimits: BatchLimits, now: number): ValidBatch {
  const params = (input.params ?? []).map((param, i) => ({
    key: validateKey(`params[${i}].key`, param.key),
    value: validateText(`params[${i}].value`, param.value, limits.paramValueLength),
  }));
  if (params.length > batchLimits.params)
    throw invalid(
      "params",
      `at most ${batchLimits.params} params per batch (got ${params.length}); split the batch`,
    );
  const seenParams = new Map<string, string>();
  params.forEach((param, i) => {
    const earlier = seenParams.get(param.key);
    if (earlier !== undefined && earlier !== param.value)
      throw invalid(`params[${i}].key`, `'${param.key}' appears twice with different values`);
    seenParams.set(param.key, param.value);
  });

  const tags = (input.tags ?? []).map((tag, i) => ({
    key: validateKey(`tags[${i}].key`, tag.key),
    value: validateText(`tags[${i}].value`, tag.value, limits.tagValueLength),
  }));
  if (tags.length > batchLimits.tags)
    throw invalid(
      "tags",
      `at most ${batchLimits.tags} tags per batch (got ${tags.length}); split the batch`,
    );

  const metrics = new Map<string, NewPoint[]>();
  let points = 0;
  (input.metrics ?? []).forEach((metric, i) => {
    const field = `metrics[${i}]`;
    const key = validateKey(`${field}.key`, metric.key);
    const { values, steps, timestamps } = metric;
    if (!Array.isArray(values) || values.length === 0)
      throw invalid(`${field}.values`, "must hold at least one value");
    points += values.length;
    if (points > batchLimits.metricPoints)
      throw invalid(
        "metrics",
        `at most ${batchLimits.metricPoints} points per batch; split the batch`,
      );
    if (steps && steps.length !== values.length)
      throw invalid(
        `${field}.steps`,
        `must have one entry per value (${values.length}), got ${steps.length}`,
      );
    if (timestamps && timestamps.length !== values.length)
      throw invalid(
        `${field}.timestamps`,
        `must have one entry per value (${values.length}), got ${timestamps.length}`,
      );
    const series = metrics.get(key) ?? [];
    for (let j = 0; j < values.length; j++) {
      const value = values[j];
      if (typeof value !== "number")
        throw invalid(`${field}.values[${j}]`, "must be a number, NaN or ±Infinity");
      const step = steps ? validateInteger(`${field}.steps[${j}]`, steps[j]) : 0;
      const timestamp = timestamps
        ? validateTimestamp(`${field}.timestamps[${j}]`, timestamps[j])
        : now;
      series.push({ value, step, timestamp });
    }
    metrics.set(key, series);
  });
  return { params, tags, metrics, points };
}

/** A stable fingerprint of what the client sent, to tell a retry from a reused batch id. */
function payloadHash(input: LogBatchInput): string {
  const hash = createHash("sha256");
  hash.update(input.runId);
  hash.update(JSON.stringify([input.params ?? [], input.tags ?? []]));
  for (const metric of input.metrics ?? []) {
    // Non-finite values do not survive JSON.stringify; String() keeps them apart.
    hash.update(`\u0000${metric.key}\u0000${metric.values.map(String).join(",")}`);
    hash.update(
      `\u0000${metric.steps?.join(",") ?? "-"}\u0000${metric.timestamps?.join(",") ?? "-"}`,
    );
  }
  return hash.digest("hex");
}

async function writeParams(tx: WriteTx, runId: string, params: KeyValue[]): Promise<void> {
  if (params.length === 0) return;
  const existing = await tx
    .select({ key: paramTable.key, value: paramTable.value })
    .from(paramTable)
    .where(
      and(
        eq(paramTable.runId, runId),
        inArray(
          paramTable.key,
          params.map((p) => p.key),
        ),
      ),
    );
  const logged = new Map(existing.map((row) => [row.key, row.value]));
  params.forEach((param, i) => {
    const value = logged.get(param.key);
    if (value !== undefined && value !== param.value)
      throw conflict(
        `param '${param.key}' was already logged as '${value}' and params cannot change; log '${param.value}' under another key or in a new run`,
        `params[${i}].value`,
      );
  });
  const fresh = params.filter((param) => !logged.has(param.key));
  if (fresh.length > 0)
    await tx
      .insert(paramTable)
      .values(fresh.map((param) => ({ runId, ...param })))
      .onConflictDoNothing();
}

async function writeTags(tx: WriteTx, runId: string, tags: KeyValue[]): Promise<void> {
  if (tags.length === 0) return;
  // The last value of a key repeated in one batch wins, as if the tags were set one by one.
  const latest = new Map(tags.map((tag) => [tag.key, tag.value]));
  await tx
    .insert(runTagTable)
    .values([...latest].map(([key, value]) => ({ runId, key, value })))
    .onConflictDoUpdate({
      target: [runTagTable.runId, runTagTable.key],
      set: { value: sql`excluded.value` },
    });
}

/** Rows per INSERT: large statements amortize parsing; 5 columns keep it far under SQLite's variable limit. */
const pointsPerStatement = 2000;

async function writeMetrics(
  tx: WriteTx,
  runId: string,
  metrics: Map<string, NewPoint[]>,
): Promise<void> {
  if (metrics.size === 0) return;
  const keys = [...metrics.keys()];
  const existing = await tx
    .select()
    .from(metricSeriesTable)
    .where(and(eq(metricSeriesTable.runId, runId), inArray(metricSeriesTable.key, keys)));
  const byKey = new Map<string, MetricSeriesRow>(existing.map((row) => [row.key, row]));
  const summaries = keys.map((key) =>
    mergeSummary(runId, key, byKey.get(key), metrics.get(key) ?? []),
  );
  const saved = await tx
    .insert(metricSeriesTable)
    .values(summaries)
    .onConflictDoUpdate({
      target: [metricSeriesTable.runId, metricSeriesTable.key],
      set: {
        count: sql`excluded.count`,
        lastValue: sql`excluded.last_value`,
        lastSpecial: sql`excluded.last_special`,
        lastStep: sql`excluded.last_step`,
        lastTimestamp: sql`excluded.last_timestamp`,
        minValue: sql`excluded.min_value`,
        minSpecial: sql`excluded.min_special`,
        minStep: sql`excluded.min_step`,
        maxValue: sql`excluded.max_value`,
        maxSpecial: sql`excluded.max_special`,
        maxStep: sql`excluded.max_step`,
      },
    })
    .returning({ id: metricSeriesTable.id, key: metricSeriesTable.key });
  const seriesIdByKey = new Map(saved.map((row) => [row.key, row.id]));

  let rows: SQL[] = [];
  const flush = async () => {
    if (rows.length === 0) return;
    await tx.run(
      sql`INSERT INTO ${metricPointTable} (series_id, step, timestamp, value, special) VALUES ${sql.join(rows, sql`, `)}`,
    );
    rows = [];
  };
  for (const [key, points] of metrics) {
    const seriesId = seriesIdByKey.get(key);
    if (seriesId === undefined) throw new Error(`metric series '${key}' was not saved`);
    for (const point of points) {
      const { value, special } = encodeMetricValue(point.value);
      rows.push(sql`(${seriesId}, ${point.step}, ${point.timestamp}, ${value}, ${special})`);
      if (rows.length >= pointsPerStatement) await flush();
    }
  }
  await flush();
}

/**
 * Logs params, tags and metric points to a run in one transaction: all of it or none of it.
 * With a `batchId`, a batch that was applied before is acknowledged again and not re-applied.
 *
 * @example
 * await logBatch(db, { runId, batchId: "b-1", metrics: [{ key: "loss", values: [0.9, 0.7], steps: [0, 1] }] });
 */
export async function logBatch(
  db: Db,
  input: LogBatchInput,
  batchLimits: BatchLimits = defaultBatchLimits,
): Promise<LogBatchResult> {
  const batch = validateBatch(input, batchLimits, nowMs());
  const batchId = input.batchId ?? undefined;
  if (batchId !== undefined) validateText("batchId", batchId, 200);
  const hash = batchId === undefined ? "" : payloadHash(input);
  return db.write(async (tx) => {
    if (batchId !== undefined) {
      const [earlier] = await tx
        .select()
        .from(loggedBatchTable)
        .where(eq(loggedBatchTable.batchId, batchId));
      if (earlier) {
        if (earlier.payloadHash !== hash || earlier.runId !== input.runId)
          throw conflict(
            `batchId '${batchId}' was already used for a different batch; give every batch its own id`,
            "batchId",
          );
        return { applied: false, points: batch.points };
      }
    }
    await requireRun(tx, input.runId, { active: true });
    await writeParams(tx, input.runId, batch.params);
    await writeTags(tx, input.runId, batch.tags);
    await writeMetrics(tx, input.runId, batch.metrics);
    if (batchId !== undefined)
      await tx
        .insert(loggedBatchTable)
        .values({ batchId, runId: input.runId, payloadHash: hash, loggedAt: nowMs() });
    return { applied: true, points: batch.points };
  });
}
