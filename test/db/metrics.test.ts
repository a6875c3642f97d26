import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createRun,
  type Db,
  logBatch,
  type MetricColumns,
  type MetricSummary,
  metricHistory,
  metricSummariesByRunIds,
  type Run,
} from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";

const { NaN: nan, POSITIVE_INFINITY: inf, NEGATIVE_INFINITY: negInf, MAX_SAFE_INTEGER } = Number;

describe.each(dbTargets)("store on $name", (target) => {
  let db: Db;
  let run: Run;
  beforeEach(async () => {
    db = await target.open();
    run = await createRun(db, {});
  });
  afterEach(async () => {
    await db.close();
  });

  const log = (...metrics: MetricColumns[]) => logBatch(db, { runId: run.id, metrics });

  async function summaryOf(key: string, runId = run.id): Promise<MetricSummary> {
    const summary = (await metricSummariesByRunIds(db, [runId]))
      .get(runId)
      ?.find((s) => s.key === key);
    if (!summary) throw new Error(`run ${runId} has no metric '${key}'`);
    return summary;
  }

  async function historyOf(key: string) {
    return metricHistory(db, (await summaryOf(key)).seriesId);
  }

  /** Compares lists of numbers with Object.is, so NaN, Infinity and -Infinity must match exactly. */
  function expectSameNumbers(actual: readonly number[], expected: readonly number[]): void {
    expect(actual.map(String)).toEqual(expected.map(String));
    expected.forEach((value, i) => {
      expect(Object.is(actual[i], value), `index ${i}: ${actual[i]} vs ${value}`).toBe(true);
    });
  }

  describe("metrics", () => {
    it("summarizes a series with the point of the highest step as the last", async () => {
      await log({ key: "loss", values: [1, 2, 3], steps: [0, 5, 3], timestamps: [10, 10, 99] });
      expect(await summaryOf("loss")).toMatchObject({
        runId: run.id,
        key: "loss",
        count: 3,
        last: 2,
        lastStep: 5,
        lastTimestamp: 10,
      });
    });

    it("breaks a tie in step by the newest timestamp", async () => {
      await log({ key: "loss", values: [1, 2, 3], steps: [5, 5, 5], timestamps: [300, 100, 200] });
      expect(await summaryOf("loss")).toMatchObject({ last: 1, lastStep: 5, lastTimestamp: 300 });
    });

    it("breaks a tie in step and timestamp by the point logged later", async () => {
      await log({ key: "loss", values: [1, 2], steps: [5, 5], timestamps: [100, 100] });
      expect((await summaryOf("loss")).last).toBe(2);
      await log({ key: "loss", values: [7], steps: [5], timestamps: [100] });
      expect((await summaryOf("loss")).last).toBe(7);
      await log({ key: "loss", values: [8], steps: [5], timestamps: [99] });
      expect(await summaryOf("loss")).toMatchObject({ last: 7, lastTimestamp: 100, count: 4 });
    });

    it("ignores NaN for min and max but counts Infinity and -Infinity", async () => {
      await log({ key: "m", values: [1, nan, negInf, 5, inf], steps: [0, 1, 2, 3, 4] });
      const summary = await summaryOf("m");
      expect(summary).toMatchObject({ count: 5, minStep: 2, maxStep: 4, lastStep: 4 });
      expect(Object.is(summary.min, negInf)).toBe(true);
      expect(Object.is(summary.max, inf)).toBe(true);
      expect(Object.is(summary.last, inf)).toBe(true);
    });

    it("keeps NaN as the last value while min and max skip it", async () => {
      await log({ key: "m", values: [3, nan], steps: [0, 1] });
      const summary = await summaryOf("m");
      expect(Number.isNaN(summary.last)).toBe(true);
      expect(summary).toMatchObject({ min: 3, minStep: 0, max: 3, maxStep: 0, count: 2 });
    });

    it("records the steps at which the min and the max were reached", async () => {
      await log({ key: "acc", values: [3, 1, 7, 2], steps: [10, 11, 12, 13] });
      expect(await summaryOf("acc")).toMatchObject({
        count: 4,
        min: 1,
        minStep: 11,
        max: 7,
        maxStep: 12,
        last: 2,
        lastStep: 13,
      });
    });

    it("gives null min and max for a series of only NaN", async () => {
      await log({ key: "broken", values: [nan, nan], steps: [0, 1] });
      const summary = await summaryOf("broken");
      expect(summary).toMatchObject({
        count: 2,
        min: null,
        minStep: null,
        max: null,
        maxStep: null,
      });
      expect(Number.isNaN(summary.last)).toBe(true);
      await log({ key: "broken", values: [4], steps: [0] });
      expect(await summaryOf("broken")).toMatchObject({ count: 3, min: 4, max: 4, minStep: 0 });
    });

    it("round-trips NaN, Infinity, -Infinity and finite doubles through the history exactly", async () => {
      const values = [nan, inf, negInf, 0, 1.5, 0.1 + 0.2, 1e-300, -Number.MAX_VALUE, 42];
      await log({ key: "odd", values, steps: values.map((_, i) => i) });
      const history = await historyOf("odd");
      expectSameNumbers(history.values, values);
      expect(history.steps).toEqual(values.map((_, i) => i));
    });

    it("keeps the summary correct across several batches", async () => {
      await log({ key: "loss", values: [5, 3], steps: [0, 1] });
      await log({ key: "loss", values: [nan], steps: [2] });
      await log({ key: "loss", values: [2, 8], steps: [1, 0] });
      const merged = await summaryOf("loss");
      expect(merged).toMatchObject({ count: 5, min: 2, minStep: 1, max: 8, maxStep: 0 });
      expect(merged.lastStep).toBe(2);
      expect(Number.isNaN(merged.last)).toBe(true);

      await log({ key: "loss", values: [negInf, 4], steps: [1, 3] });
      const after = await summaryOf("loss");
      expect(after).toMatchObject({ count: 7, last: 4, lastStep: 3, max: 8, minStep: 1 });
      expect(Object.is(after.min, negInf)).toBe(true);
      expect((await historyOf("loss")).steps).toEqual([0, 0, 1, 1, 1, 2, 3]);
    });

    it("merges entries with the same key in one batch into one series", async () => {
      await log(
        { key: "loss", values: [1], steps: [0] },
        { key: "loss", values: [0.5], steps: [1] },
      );
      const summaries = (await metricSummariesByRunIds(db, [run.id])).get(run.id) ?? [];
      expect(summaries.map((s) => s.key)).toEqual(["loss"]);
      expect(summaries[0]).toMatchObject({ count: 2, last: 0.5, lastStep: 1 });
    });

    it("keeps one series per key and per run", async () => {
      const other = await createRun(db, {});
      await log({ key: "loss", values: [1] }, { key: "acc", values: [0.5] });
      await logBatch(db, { runId: other.id, metrics: [{ key: "loss", values: [9] }] });
      const summaries = await metricSummariesByRunIds(db, [run.id, other.id]);
      expect(summaries.get(run.id)?.map((s) => [s.key, s.last])).toEqual([
        ["acc", 0.5],
        ["loss", 1],
      ]);
      expect(summaries.get(other.id)?.map((s) => [s.key, s.last])).toEqual([["loss", 9]]);
      expect((await metricSummariesByRunIds(db, [])).size).toBe(0);
    });

    it("returns the history in step order, then time, then logging order", async () => {
      await log({ key: "m", values: [1, 2, 3], steps: [1, 0, 1], timestamps: [5, 9, 3] });
      await log({ key: "m", values: [4], steps: [1], timestamps: [5] });
      expect(await historyOf("m")).toEqual({
        steps: [0, 1, 1, 1],
        values: [2, 3, 1, 4],
        timestamps: [9, 3, 5, 5],
      });
    });

    it("round-trips steps and timestamps up to 2^53 - 1 exactly", async () => {
      await log({
        key: "big",
        values: [1, 2, 3],
        steps: [MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, MAX_SAFE_INTEGER - 1],
        timestamps: [MAX_SAFE_INTEGER, 0, MAX_SAFE_INTEGER - 1],
      });
      expect(await historyOf("big")).toEqual({
        steps: [-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER - 1, MAX_SAFE_INTEGER],
        values: [2, 3, 1],
        timestamps: [0, MAX_SAFE_INTEGER - 1, MAX_SAFE_INTEGER],
      });
      expect(await summaryOf("big")).toMatchObject({
        last: 1,
        lastStep: MAX_SAFE_INTEGER,
        lastTimestamp: MAX_SAFE_INTEGER,
        min: 1,
        minStep: MAX_SAFE_INTEGER,
        max: 3,
        maxStep: MAX_SAFE_INTEGER - 1,
      });
    });

    it("defaults steps to 0 and timestamps to now", async () => {
      const before = Date.now();
      await log({ key: "m", values: [1, 2] });
      const after = Date.now();
      const history = await historyOf("m");
      expect(history.steps).toEqual([0, 0]);
      for (const timestamp of history.timestamps) {
        expect(timestamp).toBeGreaterThanOrEqual(before);
        expect(timestamp).toBeLessThanOrEqual(after);
      }
      expect((await summaryOf("m")).last).toBe(2);
    });

    it("accepts null steps and timestamps as the defaults", async () => {
      await log({ key: "m", values: [3], steps: null, timestamps: null });
      expect(await summaryOf("m")).toMatchObject({ last: 3, lastStep: 0, count: 1 });
    });
  });
});
