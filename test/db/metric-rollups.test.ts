import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRun, type Db, logBatch, metricSummariesByRunIds } from "../../db/index.ts";
import {
  blockSize,
  decodeRollup,
  foldPoints,
  rollupFromRow,
  rollupLevels,
} from "../../db/metric-rollups.ts";
import type { NewPoint } from "../../db/metric-summary.ts";
import { dbTargets } from "../support/db-targets.ts";

/** Batches in an awkward order: appended, prepended, overlapping, repeated, negative steps. */
const batches: number[][] = [
  range(0, 700),
  range(700, 1500),
  range(-300, -10),
  range(5000, 5100),
  range(1400, 1450), // steps logged again
  range(64 * 64 - 5, 64 * 64 + 5), // across a level-2 boundary
  range(3000, 3001),
  range(10_000, 12_000),
  range(4000, 4500),
];

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

// NaN, and ±Infinity repeated: extremes that tie, where the earlier-logged point must stay.
const pointValue = (step: number, batch: number) =>
  step % 97 === 0
    ? Number.NaN
    : step % 89 === 0
      ? Number.POSITIVE_INFINITY
      : step % 83 === 0
        ? Number.NEGATIVE_INFINITY
        : Math.cos(step / 50) * (batch + 1);

describe.each(dbTargets)("metric rollups on $name", (target) => {
  let db: Db;
  const logged: NewPoint[] = [];
  let seriesId = 0;

  beforeAll(async () => {
    db = await target.open();
    const run = await createRun(db, {});
    for (const [b, steps] of batches.entries()) {
      const values = steps.map((step) => pointValue(step, b));
      const timestamps = steps.map((step) => 1_000_000 + b * 100_000 + step);
      await logBatch(db, { runId: run.id, metrics: [{ key: "m", values, steps, timestamps }] });
      steps.forEach((step, i) => {
        logged.push({ step, value: values[i] ?? 0, timestamp: timestamps[i] ?? 0 });
      });
    }
    const summary = (await metricSummariesByRunIds(db, [run.id])).get(run.id)?.[0];
    seriesId = summary?.seriesId ?? 0;
  });
  afterAll(() => db.close());

  it("keeps every block of every level equal to a fold of all its points", async () => {
    const rows = await db.query("SELECT * FROM metric_rollups WHERE series_id = ?", [seriesId]);
    const stored = new Map(
      rows.map((row) => {
        const rollup = rollupFromRow(row);
        return [`${rollup.level}:${rollup.block}`, decodeRollup(rollup)];
      }),
    );
    const expected = new Map<string, NewPoint[]>();
    for (let level = 1; level <= rollupLevels; level++)
      for (const point of logged) {
        const id = `${level}:${Math.floor(point.step / blockSize(level))}`;
        expected.set(id, [...(expected.get(id) ?? []), point]);
      }
    expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, points] of expected)
      expect(stored.get(id), `block ${id}`).toEqual(foldPoints(undefined, points));
  });

  it("breaks ties as logging order does: first, min and max stay, last moves on", async () => {
    const run = await createRun(db, {});
    // Equal steps and timestamps within a batch and across two; values and one timestamp tell
    // the points apart. The max (9 at steps 5 and 6) and the min (2 in both batches) are ties
    // that must keep the earlier point; the last point at step 6 is a tie the later one wins.
    const t = 5_000_000;
    const first = { steps: [5, 5, 5, 6], timestamps: [t, t, t, t], values: [2, 9, 3, 9] };
    const second = { steps: [5, 6], timestamps: [t + 1, t], values: [2, 4] };
    for (const batch of [first, second])
      await logBatch(db, { runId: run.id, metrics: [{ key: "tie", ...batch }] });
    const summary = (await metricSummariesByRunIds(db, [run.id])).get(run.id)?.[0];
    expect(summary).toMatchObject({
      count: 6,
      last: 4,
      lastStep: 6,
      min: 2,
      minStep: 5,
      max: 9,
      maxStep: 5,
    });
    const rows = await db.query("SELECT * FROM metric_rollups WHERE series_id = ? AND level = 1", [
      summary?.seriesId ?? 0,
    ]);
    const block = decodeRollup(rollupFromRow(rows[0] ?? {}));
    const logged = [first, second].flatMap((batch) =>
      batch.values.map((value, i) => ({
        step: batch.steps[i] ?? 0,
        timestamp: batch.timestamps[i] ?? 0,
        value,
      })),
    );
    expect(block).toEqual(foldPoints(undefined, logged));
    expect(block).toMatchObject({
      first: { step: 5, timestamp: t, value: 2 },
      last: { step: 6, value: 4 },
      min: { step: 5, timestamp: t, value: 2 },
      max: { step: 5, value: 9 },
    });
  });
});
