import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createRun,
  type Db,
  logBatch,
  metricSummariesByRunIds,
  paramsByRunIds,
  tagsByRunIds,
} from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";

describe.each(dbTargets)("concurrent batches on $name", (target) => {
  let db: Db;
  beforeEach(async () => {
    db = await target.open();
  });
  afterEach(() => db.close());

  it("applies concurrent batches each whole, and rolls back only the one that fails", async () => {
    const run = await createRun(db, {});
    await logBatch(db, { runId: run.id, params: [{ key: "lr", value: "0.1" }] });
    const steps = (b: number) => Array.from({ length: 100 }, (_, i) => b * 100 + i);
    // Submitted together, these share transactions; batch 3 conflicts on its param.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, b) =>
        logBatch(db, {
          runId: run.id,
          batchId: `b${b}`,
          params: b === 3 ? [{ key: "lr", value: "0.2" }] : [{ key: `p${b}`, value: String(b) }],
          tags: [{ key: `t${b}`, value: String(b) }],
          metrics: [{ key: "m", values: steps(b).map((s) => s / 10), steps: steps(b) }],
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "fulfilled",
    ]);
    const [metric] = (await metricSummariesByRunIds(db, [run.id])).get(run.id) ?? [];
    expect(metric?.count).toBe(700);
    const tags = (await tagsByRunIds(db, [run.id])).get(run.id)?.map((t) => t.key);
    expect(tags).not.toContain("t3");
    expect(tags).toHaveLength(7);
    const params = (await paramsByRunIds(db, [run.id])).get(run.id);
    expect(params).toContainEqual({ key: "lr", value: "0.1" });
    expect(params).toHaveLength(8);
    // The failed batch did not use up its id: sent again, corrected, it is applied.
    const retry = await logBatch(db, {
      runId: run.id,
      batchId: "b3",
      tags: [{ key: "t3", value: "3" }],
    });
    expect(retry.applied).toBe(true);
  });

  it("acknowledges a batch sent twice at once exactly once", async () => {
    const run = await createRun(db, {});
    const batch = {
      runId: run.id,
      batchId: "same",
      metrics: [{ key: "m", values: [1, 2, 3], steps: [0, 1, 2] }],
    };
    const results = await Promise.all([logBatch(db, batch), logBatch(db, batch)]);
    expect(results.map((r) => r.applied).sort()).toEqual([false, true]);
    const [metric] = (await metricSummariesByRunIds(db, [run.id])).get(run.id) ?? [];
    expect(metric?.count).toBe(3);
  });
});
