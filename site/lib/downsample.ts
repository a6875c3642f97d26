/**
 * The indexes of `count` values to keep so about `max` remain: in each bucket, the first and
 * last point and the lowest and highest (as the API's M4 does), so a budget of points is spread
 * over many runs without losing a spike. All of them when there are `max` or fewer.
 */
export function thinIndexes(count: number, max: number, valueAt: (i: number) => number): number[] {
  if (count <= max || max < 4) return Array.from({ length: count }, (_, i) => i);
  const buckets = Math.max(1, Math.floor(max / 4));
  const keep = new Set<number>([0, count - 1]);
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * count) / buckets);
    const end = Math.floor(((b + 1) * count) / buckets);
    if (end <= start) continue;
    let low = start;
    let high = start;
    let lowValue = valueAt(start);
    let highValue = lowValue;
    for (let i = start + 1; i < end; i++) {
      const value = valueAt(i);
      if (value < lowValue) [low, lowValue] = [i, value];
      if (value > highValue) [high, highValue] = [i, value];
    }
    for (const i of [start, low, high, end - 1]) keep.add(i);
  }
  return [...keep].sort((a, b) => a - b);
}

/** A series thinned to about `max` points with `thinIndexes`. */
export function thinSeries<
  T extends { steps: readonly number[]; values: readonly unknown[]; timestamps: readonly number[] },
>(series: T, max: number, numberOf: (value: unknown) => number): T {
  const n = series.steps.length;
  if (n <= max || max < 4) return series;
  const indexes = thinIndexes(n, max, (i) => numberOf(series.values[i]));
  return {
    ...series,
    steps: indexes.map((i) => series.steps[i] as number),
    values: indexes.map((i) => series.values[i]),
    timestamps: indexes.map((i) => series.timestamps[i] as number),
  };
}
