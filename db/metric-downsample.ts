import { type BlockSummary, blockSize, foldPoints, rollupLevels } from "./metric-rollups.ts";
import type { NewPoint } from "./metric-summary.ts";

/** A run of the series covered by one summary: a rollup block, or a single raw point. */
export interface Segment {
  startStep: number;
  summary: BlockSummary;
}

/** Which rollup blocks (or raw steps, level 0) exactly cover steps lo..hi, coarse in the middle and finer at the edges. */
export interface CoverPart {
  level: number;
  /** Blocks (for level 0: steps) from..to, inclusive. */
  from: number;
  to: number;
}

export function coverRange(lo: number, hi: number, level: number): CoverPart[] {
  if (lo > hi) return [];
  if (level === 0) return [{ level: 0, from: lo, to: hi }];
  const size = blockSize(level);
  const firstFull = Math.ceil(lo / size);
  const lastFull = Math.floor((hi + 1) / size) - 1;
  if (firstFull > lastFull) return coverRange(lo, hi, level - 1);
  return [
    ...coverRange(lo, firstFull * size - 1, level - 1),
    { level, from: firstFull, to: lastFull },
    ...coverRange((lastFull + 1) * size, hi, level - 1),
  ];
}

/** The finest rollup level whose blocks over `span` steps number at most `maxBlocks`; 0 means raw points. */
export function chooseLevel(span: number, maxBlocks: number): number {
  if (span <= maxBlocks) return 0;
  for (let level = 1; level <= rollupLevels; level++)
    if (span / blockSize(level) <= maxBlocks) return level;
  return rollupLevels;
}

const samePoint = (a: NewPoint, b: NewPoint) =>
  a.step === b.step && a.timestamp === b.timestamp && Object.is(a.value, b.value);

/**
 * M4 downsampling over summarized segments: the steps lo..hi are cut into `buckets` equal
 * widths, and each bucket contributes its first, last, minimum and maximum point. The first
 * and last point of the range and its minimum and maximum are always kept.
 */
export function m4(
  segments: readonly Segment[],
  lo: number,
  hi: number,
  buckets: number,
): NewPoint[] {
  const width = (hi - lo + 1) / buckets;
  const merged = new Map<number, BlockSummary>();
  segments.forEach((segment, i) => {
    // Equal steps cannot be told apart by step: fall back to their order.
    const position =
      hi > lo
        ? Math.min(buckets - 1, Math.floor((segment.startStep - lo) / width))
        : Math.floor((i * buckets) / segments.length);
    const bucket = merged.get(position);
    if (!bucket) {
      merged.set(position, { ...segment.summary });
      return;
    }
    bucket.count += segment.summary.count;
    bucket.last = segment.summary.last;
    const { min, max } = segment.summary;
    if (min && (!bucket.min || min.value < bucket.min.value)) bucket.min = min;
    if (max && (!bucket.max || max.value > bucket.max.value)) bucket.max = max;
  });
  const points: NewPoint[] = [];
  for (const position of [...merged.keys()].sort((a, b) => a - b)) {
    const bucket = merged.get(position);
    if (!bucket) continue;
    const candidates = [bucket.first, bucket.min, bucket.max, bucket.last].filter(
      (p): p is NewPoint => p !== undefined,
    );
    candidates.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
    for (const point of candidates)
      if (!points.some((p, j) => j >= points.length - 4 && samePoint(p, point))) points.push(point);
  }
  return points;
}

/**
 * Downsamples to between maxPoints/2 and maxPoints points (when there are more than that),
 * adjusting the bucket count to how many points each bucket really yields.
 */
export function downsample(
  segments: readonly Segment[],
  lo: number,
  hi: number,
  maxPoints: number,
): NewPoint[] {
  let buckets = Math.max(1, Math.floor(maxPoints / 4));
  let best = m4(segments, lo, hi, buckets);
  for (let attempt = 0; attempt < 8; attempt++) {
    if (best.length >= maxPoints / 2 && best.length <= maxPoints) break;
    const scaled = Math.floor((buckets * (maxPoints * 0.9)) / Math.max(1, best.length));
    const next =
      best.length > maxPoints ? Math.min(buckets - 1, scaled) : Math.max(buckets + 1, scaled);
    if (next < 1 || next === buckets) break;
    buckets = next;
    const candidate = m4(segments, lo, hi, buckets);
    if (candidate.length <= maxPoints) best = candidate;
    else if (best.length > maxPoints) best = candidate;
  }
  return best;
}

/** Raw points as one-point segments. */
export const pointSegments = (points: readonly NewPoint[]): Segment[] =>
  points.map((point) => ({ startStep: point.step, summary: foldPoints(undefined, [point]) }));
