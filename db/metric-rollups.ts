import type { InValue } from "@libsql/client";
import type { PointColumns } from "./batch-job.ts";
import type { NewPoint } from "./metric-summary.ts";
import { decodeMetricValue, encodeMetricValue } from "./metric-value.ts";
import type { MetricRollupRow } from "./schema/index.ts";
import {
  intOf,
  intOrNull,
  realOrNull,
  type SqlRow,
  specialOrNull,
  valuesPlaceholders,
} from "./sql-text.ts";
import type { SqlTx } from "./sync-connection.ts";

/**
 * Blocks of level L span 64^L steps; four levels reach blocks of 16.7M steps. A wider fanout
 * writes fewer blocks per batch (a 1000-step batch touches ~19); downsampling still reads at
 * most ~4 × maxPoints blocks.
 */
export const rollupFanout = 64;
export const rollupLevels = 4;
export const blockSize = (level: number): number => rollupFanout ** level;

/** The summary of a block of points, decoded: what downsampling reads. */
export interface BlockSummary {
  count: number;
  first: NewPoint;
  last: NewPoint;
  /** Undefined while every point is NaN. */
  min: NewPoint | undefined;
  max: NewPoint | undefined;
}

// Points are ordered by step, then timestamp; among equals the later-logged comes later.
const before = (a: NewPoint, b: NewPoint) =>
  a.step < b.step || (a.step === b.step && a.timestamp < b.timestamp);

/** Folds points (in logging order) into a block summary. */
export function foldPoints(
  summary: BlockSummary | undefined,
  points: readonly NewPoint[],
): BlockSummary {
  let result = summary;
  for (const point of points) {
    if (!result) {
      const extreme = Number.isNaN(point.value) ? undefined : point;
      result = { count: 1, first: point, last: point, min: extreme, max: extreme };
      continue;
    }
    result.count++;
    if (before(point, result.first)) result.first = point;
    if (!before(point, result.last)) result.last = point;
    if (Number.isNaN(point.value)) continue;
    if (!result.min || point.value < result.min.value) result.min = point;
    if (!result.max || point.value > result.max.value) result.max = point;
  }
  if (!result) throw new Error("a block summary needs at least one point");
  return result;
}

/**
 * The summary of points logged earlier (`earlier`) and later (`later`): what folding all of
 * them in logging order gives — ties go to the earlier point for first, min and max, and to
 * the later one for last.
 */
export function mergeBlocks(earlier: BlockSummary, later: BlockSummary): BlockSummary {
  const { min, max } = later;
  return {
    count: earlier.count + later.count,
    first: before(later.first, earlier.first) ? later.first : earlier.first,
    last: before(later.last, earlier.last) ? earlier.last : later.last,
    min: min && (!earlier.min || min.value < earlier.min.value) ? min : earlier.min,
    max: max && (!earlier.max || max.value > earlier.max.value) ? max : earlier.max,
  };
}

/**
 * Folds points `from` to `to` (exclusive) of the columns, in logging order, as `foldPoints`
 * does, but comparing in the columns and making point objects only for the four it keeps: it
 * runs for every block of every level of every batch.
 */
export function foldColumns(columns: PointColumns, from: number, to: number): BlockSummary {
  if (to <= from) throw new Error("a block summary needs at least one point");
  const { steps, timestamps, values } = columns;
  // The current first, last, min and max are kept in locals, not re-read from the arrays:
  // this loop runs over every point five times per batch (four levels and the series).
  let first = from;
  let firstStep = steps[from] as number;
  let firstTime = timestamps[from] as number;
  let last = from;
  let lastStep = firstStep;
  let lastTime = firstTime;
  let min = -1;
  let minValue = Number.POSITIVE_INFINITY;
  let max = -1;
  let maxValue = Number.NEGATIVE_INFINITY;
  for (let i = from; i < to; i++) {
    const step = steps[i] as number;
    const time = timestamps[i] as number;
    if (step < firstStep || (step === firstStep && time < firstTime)) {
      first = i;
      firstStep = step;
      firstTime = time;
    }
    if (step > lastStep || (step === lastStep && time >= lastTime)) {
      last = i;
      lastStep = step;
      lastTime = time;
    }
    const value = values[i] as number;
    // NaN fails every comparison, so it is never an extreme; ±Infinity is.
    if (value < minValue || (min < 0 && value === minValue)) {
      min = i;
      minValue = value;
    }
    if (value > maxValue || (max < 0 && value === maxValue)) {
      max = i;
      maxValue = value;
    }
  }
  const point = (i: number): NewPoint => ({
    step: steps[i] as number,
    timestamp: timestamps[i] as number,
    value: values[i] as number,
  });
  return {
    count: to - from,
    first: point(first),
    last: point(last),
    min: min < 0 ? undefined : point(min),
    max: max < 0 ? undefined : point(max),
  };
}

const pointOf = (
  step: number,
  timestamp: number,
  value: number | null,
  special: string | null,
): NewPoint => ({
  step,
  timestamp,
  value: decodeMetricValue(value, special),
});

export function decodeRollup(row: MetricRollupRow): BlockSummary {
  const optional = (
    step: number | null,
    timestamp: number | null,
    value: number | null,
    special: string | null,
  ) => (step === null || timestamp === null ? undefined : pointOf(step, timestamp, value, special));
  return {
    count: row.count,
    first: pointOf(row.firstStep, row.firstTimestamp, row.firstValue, row.firstSpecial),
    last: pointOf(row.lastStep, row.lastTimestamp, row.lastValue, row.lastSpecial),
    min: optional(row.minStep, row.minTimestamp, row.minValue, row.minSpecial),
    max: optional(row.maxStep, row.maxTimestamp, row.maxValue, row.maxSpecial),
  };
}

function encodeRollup(
  seriesId: number,
  level: number,
  block: number,
  summary: BlockSummary,
): MetricRollupRow {
  const first = encodeMetricValue(summary.first.value);
  const last = encodeMetricValue(summary.last.value);
  const min = summary.min ? encodeMetricValue(summary.min.value) : { value: null, special: null };
  const max = summary.max ? encodeMetricValue(summary.max.value) : { value: null, special: null };
  return {
    seriesId,
    level,
    block,
    count: summary.count,
    firstStep: summary.first.step,
    firstTimestamp: summary.first.timestamp,
    firstValue: first.value,
    firstSpecial: first.special,
    lastStep: summary.last.step,
    lastTimestamp: summary.last.timestamp,
    lastValue: last.value,
    lastSpecial: last.special,
    minStep: summary.min?.step ?? null,
    minTimestamp: summary.min?.timestamp ?? null,
    minValue: min.value,
    minSpecial: min.special,
    maxStep: summary.max?.step ?? null,
    maxTimestamp: summary.max?.timestamp ?? null,
    maxValue: max.value,
    maxSpecial: max.special,
  };
}

const rollupColumns = [
  "series_id",
  "level",
  "block",
  "count",
  "first_step",
  "first_timestamp",
  "first_value",
  "first_special",
  "last_step",
  "last_timestamp",
  "last_value",
  "last_special",
  "min_step",
  "min_timestamp",
  "min_value",
  "min_special",
  "max_step",
  "max_timestamp",
  "max_value",
  "max_special",
] as const;

const rollupUpdate = rollupColumns
  .slice(3)
  .map((column) => `${column} = excluded.${column}`)
  .join(", ");

/** Rows per upsert statement: 20 columns each keeps it under SQLite's variable limit. */
const rollupsPerStatement = 500;

export function rollupFromRow(row: SqlRow): MetricRollupRow {
  return {
    seriesId: intOf(row, "series_id"),
    level: intOf(row, "level"),
    block: intOf(row, "block"),
    count: intOf(row, "count"),
    firstStep: intOf(row, "first_step"),
    firstTimestamp: intOf(row, "first_timestamp"),
    firstValue: realOrNull(row, "first_value"),
    firstSpecial: specialOrNull(row, "first_special"),
    lastStep: intOf(row, "last_step"),
    lastTimestamp: intOf(row, "last_timestamp"),
    lastValue: realOrNull(row, "last_value"),
    lastSpecial: specialOrNull(row, "last_special"),
    minStep: intOrNull(row, "min_step"),
    minTimestamp: intOrNull(row, "min_timestamp"),
    minValue: realOrNull(row, "min_value"),
    minSpecial: specialOrNull(row, "min_special"),
    maxStep: intOrNull(row, "max_step"),
    maxTimestamp: intOrNull(row, "max_timestamp"),
    maxValue: realOrNull(row, "max_value"),
    maxSpecial: specialOrNull(row, "max_special"),
  };
}

const rollupArgs = (row: MetricRollupRow): InValue[] => [
  row.seriesId,
  row.level,
  row.block,
  row.count,
  row.firstStep,
  row.firstTimestamp,
  row.firstValue,
  row.firstSpecial,
  row.lastStep,
  row.lastTimestamp,
  row.lastValue,
  row.lastSpecial,
  row.minStep,
  row.minTimestamp,
  row.minValue,
  row.minSpecial,
  row.maxStep,
  row.maxTimestamp,
  row.maxValue,
  row.maxSpecial,
];

/**
 * The summaries of a batch's points per rollup block, level by level (keys `level:block`).
 * Points usually arrive in step order, so consecutive points share a block: each run of them
 * is folded at once, and merged with an earlier run of the same block if there was one.
 */
function batchBlocks(
  columns: PointColumns,
): Map<string, { level: number; block: number; summary: BlockSummary }> {
  const blocks = new Map<string, { level: number; block: number; summary: BlockSummary }>();
  const { steps } = columns;
  const n = steps.length;
  for (let level = 1; level <= rollupLevels; level++) {
    const size = blockSize(level);
    let start = 0;
    while (start < n) {
      const block = Math.floor((steps[start] ?? 0) / size);
      let end = start + 1;
      while (end < n && Math.floor((steps[end] ?? 0) / size) === block) end++;
      const id = `${level}:${block}`;
      const folded = foldColumns(columns, start, end);
      const earlier = blocks.get(id);
      blocks.set(id, {
        level,
        block,
        summary: earlier ? mergeBlocks(earlier.summary, folded) : folded,
      });
      start = end;
    }
  }
  return blocks;
}

/**
 * Folds new points of one series into its rollup blocks at every level, in the caller's
 * write transaction: one read and one upsert for all levels (a 1000-step batch touches ~19
 * blocks). Hand-written SQL: this runs on every logged batch.
 *
 * `stepsUpTo` is the highest step the series had before these points (null: it had none;
 * undefined: unknown). A block that starts after it cannot exist yet, so a batch appended to
 * its series — the usual case — reads at most one block per level, and a new series none.
 */
export async function updateRollups(
  tx: SqlTx,
  seriesId: number,
  columns: PointColumns,
  stepsUpTo?: number | null,
): Promise<void> {
  if (columns.values.length === 0) return;
  const blocks = batchBlocks(columns);
  // Blocks that may exist already, looked up by primary key: (level, block) pairs, so the
  // read does not scan every block of a long series.
  const candidates: InValue[] = [];
  if (stepsUpTo !== null)
    for (const { level, block } of blocks.values()) {
      const lastExisting =
        stepsUpTo === undefined
          ? Number.POSITIVE_INFINITY
          : Math.floor(stepsUpTo / blockSize(level));
      if (block <= lastExisting) candidates.push(level, block);
    }
  const existing = new Map<string, BlockSummary>();
  for (let i = 0; i < candidates.length; i += 2 * rollupsPerStatement) {
    const pairs = candidates.slice(i, i + 2 * rollupsPerStatement);
    const result = await tx.execute({
      sql: `SELECT * FROM metric_rollups WHERE series_id = ? AND (level, block) IN (VALUES ${valuesPlaceholders(pairs.length / 2, 2)})`,
      args: [seriesId, ...pairs],
    });
    for (const row of result.rows) {
      const rollup = rollupFromRow(row);
      existing.set(`${rollup.level}:${rollup.block}`, decodeRollup(rollup));
    }
  }
  const rows = [...blocks].map(([id, { level, block, summary }]) => {
    const stored = existing.get(id);
    return encodeRollup(seriesId, level, block, stored ? mergeBlocks(stored, summary) : summary);
  });
  for (let i = 0; i < rows.length; i += rollupsPerStatement) {
    const chunk = rows.slice(i, i + rollupsPerStatement);
    await tx.execute({
      sql: `INSERT INTO metric_rollups (${rollupColumns.join(", ")}) VALUES ${valuesPlaceholders(chunk.length, rollupColumns.length)}
        ON CONFLICT (series_id, level, block) DO UPDATE SET ${rollupUpdate}`,
      args: chunk.flatMap(rollupArgs),
    });
  }
}
