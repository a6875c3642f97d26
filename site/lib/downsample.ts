/**
 * Thins a series to about `max` points keeping, in each bucket, the first and last point and
 * the lowest and highest (as the API's M4 does): a page's budget of points is spread over
 * many runs without losing a spike.
 */
export function thinSeries<
  T extends { steps: readonly number[]; values: readonly unknown[]; timestamps: readonly number[] },
>(series: T, max: number, numberOf: (value: unknown) => number): T {
  const n = series.steps.length;
  if (n <= max || max < 4) return series;
  const buckets = Math.max(1, Math.floor(max / 4));
  const keep = new Set<number>([0, n - 1]);
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    if (end <= start) continue;
    let low = start;
    let high = start;
    for (let i = start; i < end; i++) {
      const value = numberOf(series.values[i]);
      if (value < numberOf(series.values[low])) low = i;
      if (value > numberOf(series.values[high])) high = i;
    }
    for (const i of [start, low, high, end - 1]) keep.add(i);
  }
  const indexes = [...keep].sort((a, b) => a - b);
  return {
    ...series,
    steps: indexes.map((i) => series.steps[i] as number),
    values: indexes.map((i) => series.values[i]),
    timestamps: indexes.map((i) => series.timestamps[i] as number),
  };
}
