import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type BatchLimits,
  createRun,
  type Db,
  defaultBatchLimits,
  type LogBatchInput,
  logBatch,
  metricHistory,
  metricSummariesByRunIds,
  paramsByRunIds,
  type Run,
  tagsByRunIds,
} from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";
import { dumpTables, expectStoreError } from "./store-assertions.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

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

  /** What the run holds: params, tags and each metric's count, read back through the store. */
  async function contents(runId = run.id) {
    const [params, tags, summaries] = await Promise.all([
      paramsByRunIds(db, [runId]),
      tagsByRunIds(db, [runId]),
      metricSummariesByRunIds(db, [runId]),
    ]);
    return {
      params: params.get(runId) ?? [],
      tags: tags.get(runId) ?? [],
      metrics: (summaries.get(runId) ?? []).map((s) => ({ key: s.key, count: s.count })),
    };
  }

  describe("logBatch", () => {
    it("logs params, tags and metrics together", async () => {
      const result = await logBatch(db, {
        runId: run.id,
        params: [{ key: "lr", value: "0.1" }],
        tags: [{ key: "team", value: "vision" }],
        metrics: [{ key: "loss", values: [1, 0.5], steps: [0, 1] }],
      });
      expect(result).toEqual({ applied: true, points: 2 });
      expect(await contents()).toEqual({
        params: [{ key: "lr", value: "0.1" }],
        tags: [{ key: "team", value: "vision" }],
        metrics: [{ key: "loss", count: 2 }],
      });
    });

    it("lets the last value of a tag repeated in one batch win", async () => {
      await logBatch(db, {
        runId: run.id,
        tags: [
          { key: "stage", value: "a" },
          { key: "stage", value: "b" },
        ],
      });
      expect((await contents()).tags).toEqual([{ key: "stage", value: "b" }]);
    });

    it("writes nothing of a batch whose param conflicts with a logged one", async () => {
      await logBatch(db, { runId: run.id, params: [{ key: "lr", value: "0.1" }] });
      const before = await dumpTables(db);
      await expectStoreError(
        logBatch(db, {
          runId: run.id,
          batchId: "conflicting",
          tags: [{ key: "team", value: "vision" }],
          metrics: [{ key: "loss", values: [1, 2, 3] }],
          params: [
            { key: "epochs", value: "3" },
            { key: "lr", value: "0.2" },
          ],
        }),
        { kind: "conflict", field: "params[1].value" },
      );
      expect(await contents()).toEqual({
        params: [{ key: "lr", value: "0.1" }],
        tags: [],
        metrics: [],
      });
      expect(await dumpTables(db)).toEqual(before);
    });

    it("writes nothing of a batch whose last metric key is invalid", async () => {
      await logBatch(db, { runId: run.id, metrics: [{ key: "loss", values: [1] }] });
      const before = await dumpTables(db);
      await expectStoreError(
        logBatch(db, {
          runId: run.id,
          params: [{ key: "lr", value: "0.1" }],
          tags: [{ key: "team", value: "vision" }],
          metrics: [
            { key: "loss", values: [0.5], steps: [1] },
            { key: "acc", values: [0.9] },
            { key: "bad key!", values: [1] },
          ],
        }),
        { kind: "invalid", field: "metrics[2].key" },
      );
      expect(await contents()).toEqual({
        params: [],
        tags: [],
        metrics: [{ key: "loss", count: 1 }],
      });
      expect(await dumpTables(db)).toEqual(before);
    });

    it("does not use up the batch id of a batch that failed", async () => {
      await logBatch(db, { runId: run.id, params: [{ key: "lr", value: "0.1" }] });
      const batch: LogBatchInput = {
        runId: run.id,
        batchId: "retry-me",
        params: [{ key: "lr", value: "0.2" }],
      };
      await expectStoreError(logBatch(db, batch), { kind: "conflict" });
      const fixed = await logBatch(db, {
        ...batch,
        params: [{ key: "lr", value: "0.1" }],
        metrics: [{ key: "loss", values: [1] }],
      });
      expect(fixed.applied).toBe(true);
      expect((await contents()).metrics).toEqual([{ key: "loss", count: 1 }]);
    });

    it("applies a batch sent twice with the same batch id only once", async () => {
      const batch: LogBatchInput = {
        runId: run.id,
        batchId: "batch-1",
        params: [{ key: "lr", value: "0.1" }],
        tags: [{ key: "team", value: "vision" }],
        metrics: [
          { key: "loss", values: [1, NaN, Number.POSITIVE_INFINITY], steps: [0, 1, 2] },
          { key: "acc", values: [0.5], timestamps: [1_000] },
        ],
      };
      expect(await logBatch(db, batch)).toEqual({ applied: true, points: 4 });
      const afterFirst = await dumpTables(db);
      expect(await logBatch(db, { ...batch })).toEqual({ applied: false, points: 4 });
      expect(await dumpTables(db)).toEqual(afterFirst);
      expect((await contents()).metrics).toEqual([
        { key: "acc", count: 1 },
        { key: "loss", count: 3 },
      ]);
      const [, loss] = (await metricSummariesByRunIds(db, [run.id])).get(run.id) ?? [];
      expect((await metricHistory(db, loss?.seriesId ?? -1)).steps).toEqual([0, 1, 2]);
    });

    it("applies batches with different batch ids each once", async () => {
      const batch = { runId: run.id, metrics: [{ key: "loss", values: [1] }] };
      expect((await logBatch(db, { ...batch, batchId: "a" })).applied).toBe(true);
      expect((await logBatch(db, { ...batch, batchId: "b" })).applied).toBe(true);
      expect((await logBatch(db, { ...batch, batchId: "a" })).applied).toBe(false);
      expect((await contents()).metrics).toEqual([{ key: "loss", count: 2 }]);
    });

    it("rejects a batch id reused for a different payload", async () => {
      const otherRun = await createRun(db, {});
      await logBatch(db, {
        runId: run.id,
        batchId: "batch-1",
        metrics: [{ key: "loss", values: [1] }],
      });
      const before = await dumpTables(db);
      const reused: LogBatchInput[] = [
        { runId: run.id, batchId: "batch-1", metrics: [{ key: "loss", values: [2] }] },
        { runId: run.id, batchId: "batch-1", metrics: [{ key: "loss", values: [NaN] }] },
        { runId: run.id, batchId: "batch-1", metrics: [{ key: "loss", values: [1], steps: [1] }] },
        { runId: run.id, batchId: "batch-1", params: [{ key: "lr", value: "0.1" }] },
        { runId: otherRun.id, batchId: "batch-1", metrics: [{ key: "loss", values: [1] }] },
      ];
      for (const batch of reused)
        await expectStoreError(logBatch(db, batch), {
          kind: "conflict",
          field: "batchId",
          message: /already used for a different batch/,
        });
      expect(await dumpTables(db)).toEqual(before);
    });

    it.each<{ over: keyof BatchLimits; batch: Omit<LogBatchInput, "runId"> }>([
      {
        over: "metricPoints",
        batch: {
          metrics: [
            { key: "a", values: [1, 2] },
            { key: "b", values: [3, 4] },
          ],
        },
      },
      { over: "params", batch: { params: range(4).map((i) => ({ key: `p${i}`, value: "v" })) } },
      { over: "tags", batch: { tags: range(4).map((i) => ({ key: `t${i}`, value: "v" })) } },
    ])("rejects a batch over its $over limit, naming the field", async ({ over, batch }) => {
      const limits: BatchLimits = { metricPoints: 3, params: 3, tags: 3 };
      const field = over === "metricPoints" ? "metrics" : over;
      const before = await dumpTables(db);
      await expectStoreError(logBatch(db, { runId: run.id, ...batch }, limits), {
        kind: "invalid",
        field,
        message: /at most 3 .* per batch.*split the batch/,
      });
      expect(await dumpTables(db)).toEqual(before);
    });

    it("accepts a batch exactly at its custom limits", async () => {
      const limits: BatchLimits = { metricPoints: 3, params: 3, tags: 3 };
      const result = await logBatch(
        db,
        {
          runId: run.id,
          params: range(3).map((i) => ({ key: `p${i}`, value: "v" })),
          tags: range(3).map((i) => ({ key: `t${i}`, value: "v" })),
          metrics: [
            { key: "a", values: [1, 2] },
            { key: "b", values: [3] },
          ],
        },
        limits,
      );
      expect(result).toEqual({ applied: true, points: 3 });
    });

    it("accepts 10,000 points, 100 params and 100 tags in one batch by default", async () => {
      expect(defaultBatchLimits.metricPoints).toBeGreaterThanOrEqual(10_000);
      const result = await logBatch(db, {
        runId: run.id,
        params: range(100).map((i) => ({ key: `param/${i}`, value: String(i) })),
        tags: range(100).map((i) => ({ key: `tag/${i}`, value: String(i) })),
        metrics: [
          { key: "loss", values: range(6_000).map((i) => 1 / (i + 1)), steps: range(6_000) },
          { key: "acc", values: range(4_000).map((i) => i / 4_000), steps: range(4_000) },
        ],
      });
      expect(result).toEqual({ applied: true, points: 10_000 });
      const stored = await contents();
      expect(stored.params).toHaveLength(100);
      expect(stored.tags).toHaveLength(100);
      expect(stored.metrics).toEqual([
        { key: "acc", count: 4_000 },
        { key: "loss", count: 6_000 },
      ]);
      const [, loss] = (await metricSummariesByRunIds(db, [run.id])).get(run.id) ?? [];
      const history = await metricHistory(db, loss?.seriesId ?? -1);
      expect(history.steps).toEqual(range(6_000));
      expect(history.values[5_999]).toBe(1 / 6_000);
    });
  });
});
