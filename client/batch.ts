import { randomUUID } from "node:crypto";
import type { MetricColumn } from "./metric-buffer.ts";

/**
 * A batch as it waits to be sent. The id is chosen when the batch is cut and kept across
 * retries, spills and restarts, so the server applies it once however many times it
 * arrives. The content is encoded to JSON once, by `batchInput`, when the batch is first
 * sent or spilled: not while the training loop is inside `logMetric`.
 *
 * @example
 * const batch: Batch = cutBatch(1, runId, content); // { seq: 1, batchId: "…", points, content }
 */
export interface Batch {
  /** Position in the run's order of cuts: batches are acknowledged in this order. */
  seq: number;
  batchId: string;
  /** Metric points it holds. */
  points: number;
  /** The `LogBatchInput` as JSON, once encoded. */
  input?: string;
  /** What it holds, until encoded. */
  content?: { runId: string } & BatchContent;
}

/**
 * A key and a text value: a param or a tag.
 *
 * @example
 * const param: KeyValue = { key: "lr", value: "0.001" };
 */
export interface KeyValue {
  key: string;
  value: string;
}

/**
 * What goes into one batch.
 *
 * @example
 * const content: BatchContent = { params: [], tags: [], metrics: buffer.take() };
 */
export interface BatchContent {
  params: KeyValue[];
  tags: KeyValue[];
  metrics: MetricColumn[];
}

/**
 * Cuts a batch: a fresh id and the content as it is, without encoding it (the caller is the
 * training loop).
 *
 * @example
 * const batch = cutBatch(1, runId, { params: [], tags: [], metrics: buffer.take() });
 */
export function cutBatch(seq: number, runId: string, content: BatchContent): Batch {
  let points = 0;
  for (const column of content.metrics) points += column.values.length;
  return { seq, batchId: randomUUID(), points, content: { runId, ...content } };
}

/**
 * JSON has no NaN or ±Infinity; the API's MetricValue takes them as strings. Most columns
 * hold none, so they are checked first and only copied when needed.
 */
function encodeValues(values: number[]): string {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]))
      return JSON.stringify(values.map((v) => (Number.isFinite(v) ? v : String(v))));
  }
  return JSON.stringify(values);
}

/**
 * Timestamps come in runs of the same millisecond (a loop logs many points per ms), and
 * formatting a 13-digit number is most of their cost: each distinct one is formatted once.
 */
function encodeTimestamps(timestamps: number[]): string {
  let text = "[";
  let previous = Number.NaN;
  let formatted = "";
  for (let i = 0; i < timestamps.length; i++) {
    const time = timestamps[i] as number;
    if (time !== previous) {
      previous = time;
      formatted = String(time);
    }
    text += i === 0 ? formatted : `,${formatted}`;
  }
  return `${text}]`;
}

/**
 * The batch's `LogBatchInput` as JSON, encoded on first use and kept: every retry sends the
 * same bytes (the server tells a retry from a reused id by content).
 *
 * @example
 * await client.post(logBatchBody(batchInput(batch)));
 */
export function batchInput(batch: Batch): string {
  if (batch.input !== undefined) return batch.input;
  const content = batch.content;
  if (!content) throw new Error(`batch ${batch.batchId} has neither input nor content`);
  // Timestamps are always sent: "now" on the server would differ between a batch and its
  // retry, and would be the time of sending rather than of logging.
  let text = `{"runId":${JSON.stringify(content.runId)},"batchId":${JSON.stringify(batch.batchId)}`;
  if (content.params.length > 0) text += `,"params":${JSON.stringify(content.params)}`;
  if (content.tags.length > 0) text += `,"tags":${JSON.stringify(content.tags)}`;
  if (content.metrics.length > 0)
    text += `,"metrics":[${content.metrics
      .map(
        (column) =>
          `{"key":${JSON.stringify(column.key)},"values":${encodeValues(column.values)},"steps":${JSON.stringify(column.steps)},"timestamps":${encodeTimestamps(column.timestamps)}}`,
      )
      .join(",")}]`;
  batch.input = `${text}}`;
  batch.content = undefined;
  return batch.input;
}

interface DecodedInput {
  runId: string;
  batchId: string;
  params?: KeyValue[];
  tags?: KeyValue[];
  metrics?: { key: string; values: unknown[] }[];
}

/**
 * Splits a batch the server refused into smaller batches under ids derived from the
 * original: first into its params, its tags and its metrics, and a part refused again into
 * one batch per param, tag or metric key. A refused batch was applied not at all, so the
 * parts the server accepts are saved and only the bad one is lost. Returns [] for a batch
 * of a single item, which cannot be split.
 *
 * @example
 * const parts = splitBatch(batch); // e.g. [params, metrics] batches
 */
export function splitBatch(batch: Batch): Batch[] {
  const decoded = JSON.parse(batchInput(batch)) as DecodedInput;
  const { runId, batchId } = decoded;
  const params = decoded.params ?? [];
  const tags = decoded.tags ?? [];
  const metrics = decoded.metrics ?? [];
  const part = (suffix: string, body: Partial<DecodedInput>): Batch => {
    const id = `${batchId}/${suffix}`;
    const points = (body.metrics ?? []).reduce((sum, metric) => sum + metric.values.length, 0);
    return {
      seq: batch.seq,
      batchId: id,
      points,
      input: JSON.stringify({ runId, batchId: id, ...body }),
    };
  };
  const kinds = [params, tags, metrics].filter((items) => items.length > 0).length;
  if (kinds > 1)
    return [
      ...(params.length > 0 ? [part("p", { params })] : []),
      ...(tags.length > 0 ? [part("t", { tags })] : []),
      ...(metrics.length > 0 ? [part("m", { metrics })] : []),
    ];
  if (params.length > 1) return params.map((param, i) => part(`p${i}`, { params: [param] }));
  if (tags.length > 1) return tags.map((tag, i) => part(`t${i}`, { tags: [tag] }));
  if (metrics.length > 1) return metrics.map((metric, i) => part(`m${i}`, { metrics: [metric] }));
  return [];
}
