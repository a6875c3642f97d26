import { type BlockSummary, mergeBlocks } from "./metric-rollups.ts";
import { decodeMetricValue, encodeMetricValue } from "./metric-value.ts";
import type { MetricSeriesRow } from "./schema/index.ts";

export interface NewPoint {
  value: number;
  step: number;
  timestamp: number;
}

type Summary = Omit<MetricSeriesRow, "id">;

/**
 * A series summary with a batch's points folded in (`batch`: their summary, as a rollup block
 * keeps it). Last is the point with the highest step, then the newest timestamp, then the one
 * logged later; min and max ignore NaN (±Infinity count).
 */
export function mergeSummary(
  runId: string,
  key: string,
  previous: MetricSeriesRow | undefined,
  batch: BlockSummary,
): Summary {
  const merged = previous ? mergeBlocks(summaryAsBlock(previous), batch) : batch;
  const { last, min, max } = merged;
  const lastStored = encodeMetricValue(last.value);
  const minStored = min ? encodeMetricValue(min.value) : { value: null, special: null };
  const maxStored = max ? encodeMetricValue(max.value) : { value: null, special: null };
  return {
    runId,
    key,
    count: merged.count,
    lastValue: lastStored.value,
    lastSpecial: lastStored.special,
    lastStep: last.step,
    lastTimestamp: last.timestamp,
    minValue: minStored.value,
    minSpecial: minStored.special,
    minStep: min?.step ?? null,
    maxValue: maxStored.value,
    maxSpecial: maxStored.special,
    maxStep: max?.step ?? null,
  };
}

/**
 * A stored series summary in the shape of a block summary. The series keeps no first point
 * and no timestamps of its extremes, which the merge never reads for a series (first is not
 * stored, and min and max compare values only).
 */
function summaryAsBlock(row: MetricSeriesRow): BlockSummary {
  const last = {
    value: decodeMetricValue(row.lastValue, row.lastSpecial),
    step: row.lastStep,
    timestamp: row.lastTimestamp,
  };
  const extreme = (value: number | null, special: string | null, step: number | null) =>
    step === null ? undefined : { value: decodeMetricValue(value, special), step, timestamp: 0 };
  return {
    count: row.count,
    first: last,
    last,
    min: extreme(row.minValue, row.minSpecial, row.minStep),
    max: extreme(row.maxValue, row.maxSpecial, row.maxStep),
  };
}
