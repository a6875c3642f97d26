/** The smoothing weights a page offers; each is precomputed, since Vega-Lite cannot run an EMA. */
export const smoothingWeights = [0, 0.6, 0.8, 0.9, 0.95, 0.99] as const;

/** The data field that holds a series smoothed with `weight`: `smoothed_60` for 0.6. */
export const smoothedField = (weight: number): string => `smoothed_${Math.round(weight * 100)}`;

/**
 * TensorBoard's smoothing: an exponential moving average, debiased so the start of the series
 * is not pulled towards zero. Non-finite values pass through and do not disturb the average.
 *
 * @example
 * smooth([1, 2, 3], 0.6); // [1, 1.625, 2.2...]
 */
export function smooth(values: readonly number[], weight: number): number[] {
  if (weight <= 0) return [...values];
  let last = 0;
  let count = 0;
  return values.map((value) => {
    if (!Number.isFinite(value)) return value;
    last = last * weight + (1 - weight) * value;
    count += 1;
    return weight === 1 ? last : last / (1 - weight ** count);
  });
}
