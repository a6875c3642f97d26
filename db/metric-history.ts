import { invalid } from "./errors.ts";
import {
  chooseLevel,
  coverRange,
  downsample,
  pointSegments,
  type Segment,
} from "./metric-downsample.ts";
import { decodeRollup, rollupFromRow } from "./metric-rollups.ts";
import type { NewPoint } from "./metric-summary.ts";
import { decodeMetricValue } from "./metric-value.ts";
import type { Db } from "./open-db.ts";
import type { SqlRow } from "./sql-text.ts";

/** A metric's points as parallel lists: compact on the wire and cheap to chart. */
export interface MetricHistory {
  steps: number[];
  values: number[];
  timestamps: number[];
}

export interface HistoryWindow {
  /** First step to include. */
  minStep?: number | undefined;
  /** Last step to include. */
  maxStep?: number | undefined;
  /** Downsample to at most this many points (between half of it and it), keeping first, last, min and max. */
  maxPoints?: number | undefined;
}

const toHistory = (points: readonly NewPoint[]): MetricHistory => ({
  steps: points.map((p) => p.step),
  values: points.map((p) => p.value),
  timestamps: points.map((p) => p.timestamp),
});

async function rawPoints(db: Db, seriesId: number, lo?: number, hi?: number): Promise<NewPoint[]> {
  // Hand-written SQL on the fast read connection: a full history can be millions of rows.
  const rows = await db.query(
    `SELECT step, timestamp, value, special FROM metric_points
      WHERE series_id = ? AND step >= ? AND step <= ? ORDER BY step, timestamp, rowid`,
    [seriesId, lo ?? -Number.MAX_SAFE_INTEGER, hi ?? Number.MAX_SAFE_INTEGER],
  );
  const points: NewPoint[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as SqlRow;
    const special = row.special as string | null;
    points[i] = {
      step: row.step as number,
      timestamp: row.timestamp as number,
      value: special === null ? (row.value as number) : decodeMetricValue(null, special),
    };
  }
  return points;
}

/** Every point of one series in step order (then time, then logging order). */
export async function metricHistory(db: Db, seriesId: number): Promise<MetricHistory> {
  return toHistory(await rawPoints(db, seriesId));
}

/**
 * A window of a series, downsampled when `maxPoints` is given and there are more points than
 * that. Reads rollup blocks, never every point: about 4 × maxPoints rows whatever the length.
 */
export async function metricHistoryWindow(
  db: Db,
  seriesId: number,
  window: HistoryWindow,
): Promise<MetricHistory> {
  const { maxPoints } = window;
  if (maxPoints !== undefined && (!Number.isInteger(maxPoints) || maxPoints < 2))
    throw invalid("maxPoints", `must be an integer of at least 2 (got ${maxPoints})`);
  if (
    window.minStep !== undefined &&
    window.maxStep !== undefined &&
    window.minStep > window.maxStep
  )
    throw invalid(
      "minStep",
      `must not be greater than maxStep (${window.minStep} > ${window.maxStep})`,
    );
  if (maxPoints === undefined)
    return toHistory(await rawPoints(db, seriesId, window.minStep, window.maxStep));

  const [bounds] = await db.query(
    `SELECT (SELECT min(step) FROM metric_points WHERE series_id = ?1 AND step >= ?2) AS lo,
            (SELECT max(step) FROM metric_points WHERE series_id = ?1 AND step <= ?3) AS hi`,
    [
      seriesId,
      window.minStep ?? -Number.MAX_SAFE_INTEGER,
      window.maxStep ?? Number.MAX_SAFE_INTEGER,
    ],
  );
  const lo = bounds?.lo;
  const hi = bounds?.hi;
  if (typeof lo !== "number" || typeof hi !== "number" || lo > hi) return toHistory([]);

  const level = chooseLevel(hi - lo + 1, 4 * maxPoints);
  const segments: Segment[] = [];
  for (const part of coverRange(lo, hi, level)) {
    if (part.level === 0) {
      segments.push(...pointSegments(await rawPoints(db, seriesId, part.from, part.to)));
      continue;
    }
    const rows = await db.query(
      "SELECT * FROM metric_rollups WHERE series_id = ? AND level = ? AND block BETWEEN ? AND ? ORDER BY block",
      [seriesId, part.level, part.from, part.to],
    );
    for (const row of rows) {
      const rollup = rollupFromRow(row);
      segments.push({ startStep: rollup.firstStep, summary: decodeRollup(rollup) });
    }
  }
  const total = segments.reduce((sum, segment) => sum + segment.summary.count, 0);
  if (total <= maxPoints)
    return toHistory(
      level === 0 ? segments.map((s) => s.summary.first) : await rawPoints(db, seriesId, lo, hi),
    );
  return toHistory(downsample(segments, lo, hi, maxPoints));
}
