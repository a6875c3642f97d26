import { decodeMetricValue, encodeMetricValue } from "./metric-value.ts";
import type { MetricSeriesRow } from "./schema/index.ts";

export interface NewPoint {
  value: number;
  step: number;
  timestamp: number;
}

type Summary = Omit<MetricSeriesRow, "id">;

/**
 * Folds new points into a series summary. Last is the point with the highest step, then the
 * newest timestamp, then the one logged later; min and max ignore NaN (±Infinity count).
 */
export function mergeSummary(
  runId: string,
  key: string,
  previous: MetricSeriesRow | undefined,
  points: readonly NewPoint[],
): Summary {
  let count = previous?.count ?? 0;
  let last = previous
    ? {
        value: decodeMetricValue(previous.lastValue, previous.lastSpecial),
        step: previous.lastStep,
        timestamp: previous.lastTimestamp,
      }
    : undefined;
  let min =
    previous && previous.minStep !== null
      ? { value: decodeMetricValue(previous.minValue, previous.minSpecial), step: previous.minStep }
      : undefined;
  let max =
    previous && previous.maxStep !== null
      ? { value: decodeMetricValue(previous.maxValue, previous.maxSpecial), step: previous.maxStep }
      : undefined;
  for (const point of points) {
    count++;
    if (
      !last ||
      point.step > last.step ||
      (point.step === last.step && point.timestamp >= last.timestamp)
    )
      last = point;
    if (Number.isNaN(point.value)) continue;
    if (!min || point.value < min.value) min = point;
    if (!max || point.value > max.value) max = point;
  }
  if (!last) throw new Error(`metric '${key}' has no points to summarize`);
  const lastStored = encodeMetricValue(last.value);
  const minStored = min ? encodeMetricValue(min.value) : { value: null, special: null };
  const maxStored = max ? encodeMetricValue(max.value) : { value: null, special: null };
  return {
    runId,
    key,
    count,
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
