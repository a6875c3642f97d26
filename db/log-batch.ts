import { createHash } from "node:crypto";
import {
  type BatchJob,
  concatColumns,
  type LogBatchResult,
  newColumns,
  type PointColumns,
} from "./batch-job.ts";
import { invalid } from "./errors.ts";
import type { KeyValue } from "./experiments.ts";
import { groupedBatchWrite } from "./group-commit.ts";
import type { Db } from "./open-db.ts";
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
  values: ArrayLike<number>;
  steps?: ArrayLike<number> | null | undefined;
  timestamps?: ArrayLike<number> | null | undefined;
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

export type { LogBatchResult };

const isSafeInteger = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value);

const isListLike = (value: unknown): value is ArrayLike<unknown> =>
  Array.isArray(value) || value instanceof Float64Array;

/** What validation makes of a request: the job without its ids. */
type ValidBatch = Pick<BatchJob, "params" | "tags" | "metrics" | "points">;

export const defaultBatchLimits: BatchLimits = { metricPoints: 50_000, params: 100, tags: 100 };

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

  const metrics = new Map<string, PointColumns>();
  let points = 0;
  (input.metrics ?? []).forEach((metric, i) => {
    const field = `metrics[${i}]`;
    const key = validateKey(`${field}.key`, metric.key);
    const { values, steps, timestamps } = metric;
    if (!isListLike(values) || values.length === 0)
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
    // Straight into typed columns: they cross to the writer thread without a copy.
    const columns = newColumns(values.length);
    // Checked inline, and a field name is only built for an error: this loop runs for every
    // point of every batch.
    for (let j = 0; j < values.length; j++) {
      const value = values[j];
      if (typeof value !== "number")
        throw invalid(`${field}.values[${j}]`, "must be a number, NaN or ±Infinity");
      columns.values[j] = value;
      const step = steps ? steps[j] : 0;
      columns.steps[j] = isSafeInteger(step) ? step : validateInteger(`${field}.steps[${j}]`, step);
      const time = timestamps ? timestamps[j] : now;
      columns.timestamps[j] =
        isSafeInteger(time) && time >= 0
          ? time
          : validateTimestamp(`${field}.timestamps[${j}]`, time);
    }
    const earlier = metrics.get(key);
    metrics.set(key, earlier ? concatColumns(earlier, columns) : columns);
  });
  return { params, tags, metrics, points };
}

/** A stable fingerprint of what the client sent, to tell a retry from a reused batch id. */
function hashPayload(input: LogBatchInput): string {
  const hash = createHash("sha256");
  hash.update(input.runId);
  const pairs = (items: readonly KeyValue[] | null | undefined) =>
    (items ?? []).map((item) => [item.key, item.value]);
  hash.update(JSON.stringify([pairs(input.params), pairs(input.tags)]));
  // Numbers are hashed as their 8 bytes (NaN and ±Infinity included): exact and fast.
  // The API's lists arrive as Float64Arrays already: their bytes are hashed where they lie.
  const bytes = (numbers: ArrayLike<number> | null | undefined) =>
    numbers instanceof Float64Array
      ? new Uint8Array(numbers.buffer, numbers.byteOffset, numbers.byteLength)
      : numbers
        ? new Uint8Array(Float64Array.from(numbers).buffer)
        : new Uint8Array(0);
  for (const metric of input.metrics ?? []) {
    hash.update(
      `\u0000${metric.key}\u0000${metric.values.length}:${metric.steps ? "s" : "-"}${metric.timestamps ? "t" : "-"}`,
    );
    hash.update(bytes(metric.values));
    hash.update(bytes(metric.steps));
    hash.update(bytes(metric.timestamps));
  }
  return hash.digest("hex");
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
  const payloadHash = batchId === undefined ? "" : hashPayload(input);
  return groupedBatchWrite(db, { runId: input.runId, batchId, payloadHash, ...batch });
}
