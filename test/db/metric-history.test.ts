import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createRun,
  type Db,
  logBatch,
  type MetricHistory,
  metricHistory,
  metricHistoryWindow,
  metricSummariesByRunIds,
  type Run,
  StoreError,
} from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";

const length = 60_000;
const spikeStep = 41_234;
const dipStep = 17_777;
const valueAt = (step: number) =>
  step === spikeStep ? 100 : step === dipStep ? -50 : Math.sin(step / 500);

async function seriesId(db: Db, runId: string, key: string): Promise<number> {
  const summary = (await metricSummariesByRunIds(db, [runId]))
    .get(runId)
    ?.find((m) => m.key === key);
  if (!summary) throw new Error(`no metric ${key}`);
  return summary.seriesId;
}

function expectOrdered(history: MetricHistory) {
  for (let i = 1; i < history.steps.length; i++)
    expect((history.steps[i] ?? 0) >= (history.steps[i - 1] ?? 0)).toBe(true);
  expect(history.values).toHaveLength(history.steps.length);
  expect(history.timestamps).toHaveLength(history.steps.length);
}

describe.each(dbTargets)("metric history on $name", (target) => {
  let db: Db;
  let run: Run;
  let id: number;

  beforeAll(async () => {
    db = await target.open();
    run = await createRun(db, {});
    // Batches arrive out of order: rollups must merge late points into existing blocks.
    const order = [...Array(length / 1000).keys()].reverse();
    for (const batch of order) {
      const steps = Array.from({ length: 1000 }, (_, i) => batch * 1000 + i);
      await logBatch(db, {
        runId: run.id,
        metrics: [
          {
            key: "wave",
            values: steps.map(valueAt),
            steps,
            timestamps: steps.map((s) => 1_000_000 + s),
          },
        ],
      });
    }
    id = await seriesId(db, run.id, "wave");
  });
  afterAll(() => db.close());

  it("returns every point without maxPoints", async () => {
    const history = await metricHistoryWindow(db, id, {});
    expect(history.steps).toHaveLength(length);
    expect(history.steps[spikeStep]).toBe(spikeStep);
    expect(history.values[spikeStep]).toBe(100);
  });

  it.each([1000, 400, 37])(
    "downsamples to between maxPoints/2 and maxPoints (%i), keeping first, last, min and max",
    async (maxPoints) => {
      const history = await metricHistoryWindow(db, id, { maxPoints });
      expect(history.steps.length).toBeGreaterThanOrEqual(maxPoints / 2);
      expect(history.steps.length).toBeLessThanOrEqual(maxPoints);
      expectOrdered(history);
      expect(history.steps[0]).toBe(0);
      expect(history.steps.at(-1)).toBe(length - 1);
      expect(history.values[history.steps.indexOf(spikeStep)]).toBe(100);
      expect(history.values[history.steps.indexOf(dipStep)]).toBe(-50);
      // Every point returned is a real point of the series.
      for (let i = 0; i < history.steps.length; i++) {
        const step = history.steps[i] ?? -1;
        expect(history.values[i]).toBe(valueAt(step));
        expect(history.timestamps[i]).toBe(1_000_000 + step);
      }
    },
  );

  it("zooms into a step window, keeping its exact first and last points", async () => {
    const history = await metricHistoryWindow(db, id, {
      minStep: 12_345,
      maxStep: 45_678,
      maxPoints: 300,
    });
    expect(history.steps.length).toBeGreaterThanOrEqual(150);
    expect(history.steps.length).toBeLessThanOrEqual(300);
    expect(history.steps[0]).toBe(12_345);
    expect(history.steps.at(-1)).toBe(45_678);
    expect(history.values).toContain(100);
    expect(history.values).toContain(-50);
    expect(Math.min(...history.steps)).toBeGreaterThanOrEqual(12_345);
  });

  it("returns a small window whole", async () => {
    const history = await metricHistoryWindow(db, id, {
      minStep: 100,
      maxStep: 149,
      maxPoints: 1000,
    });
    expect(history.steps).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i));
  });

  it("rejects a maxPoints below 2 and an inverted window", async () => {
    await expect(metricHistoryWindow(db, id, { maxPoints: 1 })).rejects.toBeInstanceOf(StoreError);
    await expect(metricHistoryWindow(db, id, { minStep: 10, maxStep: 5 })).rejects.toMatchObject({
      kind: "invalid",
    });
  });

  it("reads rollups, not every point, when downsampling", async () => {
    // Remove the raw points around the spike and dip: a downsampled history that still
    // shows them came from the rollups.
    const copy = await createRun(db, {});
    const steps = Array.from({ length: 30_000 }, (_, i) => i);
    for (let start = 0; start < steps.length; start += 5000) {
      const part = steps.slice(start, start + 5000);
      await logBatch(db, {
        runId: copy.id,
        metrics: [{ key: "wave", values: part.map(valueAt), steps: part }],
      });
    }
    const copyId = await seriesId(db, copy.id, "wave");
    await db.client.execute({
      sql: "DELETE FROM metric_points WHERE series_id = ? AND step BETWEEN 4096 AND 24575",
      args: [copyId],
    });
    const history = await metricHistoryWindow(db, copyId, { maxPoints: 200 });
    expect(history.values).toContain(-50);
    expect(history.steps).toContain(dipStep);
    expect((await metricHistory(db, copyId)).steps).not.toContain(dipStep);
  });

  it("keeps NaN and infinities through downsampling, NaN out of min and max", async () => {
    const odd = await createRun(db, {});
    const steps = Array.from({ length: 5000 }, (_, i) => i);
    const values = steps.map((s) =>
      s === 2500
        ? Number.POSITIVE_INFINITY
        : s === 2600
          ? Number.NEGATIVE_INFINITY
          : s % 7 === 0
            ? Number.NaN
            : s / 5000,
    );
    await logBatch(db, { runId: odd.id, metrics: [{ key: "odd", values, steps }] });
    const oddId = await seriesId(db, odd.id, "odd");
    const history = await metricHistoryWindow(db, oddId, { maxPoints: 100 });
    expect(history.values).toContain(Number.POSITIVE_INFINITY);
    expect(history.values).toContain(Number.NEGATIVE_INFINITY);
    expect(history.steps[0]).toBe(0);
    expect(Number.isNaN(history.values[0])).toBe(true);
    expect(history.steps.at(-1)).toBe(4999);
  });
});
