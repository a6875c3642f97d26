import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  artifactsByRunIds,
  collectableExperiments,
  collectableRuns,
  createExperiment,
  createRun,
  type Db,
  deleteExperiment,
  deleteRun,
  findArtifactEntry,
  getArtifactRecord,
  getExperimentByName,
  getRun,
  isPurging,
  listArtifactEntries,
  logBatch,
  purgeExperiment,
  purgeRunRows,
  recordArtifact,
  restoreExperiment,
  restoreRun,
  runFootprint,
  runForUpload,
  startPurge,
} from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";
import { dumpTables, expectStoreError } from "./store-assertions.ts";

const file = (path: string, size = 10) => ({
  path,
  size,
  sha256: "ab".repeat(32),
  contentType: "application/octet-stream",
});

/** A run with params, tags, metrics (two keys, `points` points each) and logged batch ids. */
async function busyRun(db: Db, experimentId: string, points: number) {
  const run = await createRun(db, { experimentId, tags: [{ key: "team", value: "vision" }] });
  const steps = Array.from({ length: points }, (_, i) => i);
  for (let start = 0; start < points; start += 20_000) {
    const slice = steps.slice(start, start + 20_000);
    await logBatch(db, {
      runId: run.id,
      batchId: `${run.id}-${start}`,
      params: start === 0 ? [{ key: "lr", value: "0.1" }] : [],
      metrics: [
        { key: "loss", values: slice.map((s) => 1 / (s + 1)), steps: slice },
        { key: "acc", values: slice.map((s) => s / points), steps: slice },
      ],
    });
  }
  await recordArtifact(db, { runId: run.id, ...file("model/weights.bin", 100) });
  await recordArtifact(db, { runId: run.id, ...file("notes.txt", 5) });
  return run;
}

describe.each(dbTargets)("artifact index and garbage collection on $name", (target) => {
  let db: Db;
  beforeEach(async () => {
    db = await target.open();
  });
  afterEach(async () => {
    await db.close();
  });

  describe("the artifact index", () => {
    it("records files, replaces them, and lists folders with their totals", async () => {
      const run = await createRun(db, {});
      await recordArtifact(db, { runId: run.id, ...file("model/weights.bin", 100) });
      await recordArtifact(db, { runId: run.id, ...file("model/config/a.json", 7) });
      await recordArtifact(db, { runId: run.id, ...file("notes.txt", 3) });
      const replaced = await recordArtifact(db, {
        runId: run.id,
        ...file("notes.txt", 4),
        sha256: "cd".repeat(32),
      });
      expect(replaced.size).toBe(4);
      const records = (await artifactsByRunIds(db, [run.id])).get(run.id) ?? [];
      expect(records.map((r) => r.path)).toEqual([
        "model/config/a.json",
        "model/weights.bin",
        "notes.txt",
      ]);
      expect(await getArtifactRecord(db, run.id, "notes.txt")).toMatchObject({
        size: 4,
        sha256: "cd".repeat(32),
      });
      const top = listArtifactEntries(records, "");
      expect(top.map(({ path, isDir, size }) => ({ path, isDir, size }))).toEqual([
        { path: "model", isDir: true, size: 107 },
        { path: "notes.txt", isDir: false, size: 4 },
      ]);
      expect(top[0]?.sha256).toBeNull();
      expect(listArtifactEntries(records, "model").map((e) => e.path)).toEqual([
        "model/config",
        "model/weights.bin",
      ]);
      expect(listArtifactEntries(records, "model", true).map((e) => e.path)).toEqual([
        "model/config/a.json",
        "model/weights.bin",
      ]);
      expect(listArtifactEntries(records, "notes.txt")).toEqual([]);
      expect(listArtifactEntries(records, "mod")).toEqual([]);
      expect(findArtifactEntry(records, "model")).toMatchObject({ isDir: true, size: 107 });
      expect(findArtifactEntry(records, "model/weights.bin")).toMatchObject({ isDir: false });
      expect(findArtifactEntry(records, "missing")).toBeUndefined();
      expect(findArtifactEntry(records, "")).toMatchObject({ isDir: true, size: 111 });
    });

    it("refuses a file under a file, and a file where a folder is", async () => {
      const run = await createRun(db, {});
      await recordArtifact(db, { runId: run.id, ...file("model") });
      await recordArtifact(db, { runId: run.id, ...file("plots/a.png") });
      await expectStoreError(runForUpload(db, run.id, "model/weights.bin"), {
        kind: "conflict",
        message: "'model' is a file, not a folder",
      });
      await expectStoreError(recordArtifact(db, { runId: run.id, ...file("plots") }), {
        kind: "conflict",
        message: "it is a folder of artifacts (it holds 'plots/a.png')",
      });
      // Names that only share a beginning are not folders of each other.
      await recordArtifact(db, { runId: run.id, ...file("model.bak") });
      await recordArtifact(db, { runId: run.id, ...file("plots2/b.png") });
    });

    it("takes uploads only for active runs", async () => {
      const run = await createRun(db, {});
      expect((await runForUpload(db, run.id, "a.txt")).id).toBe(run.id);
      await expectStoreError(runForUpload(db, "0".repeat(32), "a.txt"), { kind: "not_found" });
      await deleteRun(db, run.id);
      await expectStoreError(runForUpload(db, run.id, "a.txt"), {
        kind: "invalid",
        message: "is deleted",
      });
      await expectStoreError(recordArtifact(db, { runId: run.id, ...file("a.txt") }), {
        kind: "invalid",
      });
    });
  });

  describe("garbage collection", () => {
    it("chooses deleted runs by the time they were deleted, and named ones", async () => {
      const kept = await createRun(db, {});
      const old = await createRun(db, {});
      const recent = await createRun(db, {});
      await deleteRun(db, old.id);
      const oldDeleted = (await getRun(db, old.id))?.deletedTime ?? 0;
      await deleteRun(db, recent.id);
      const recentDeleted = (await getRun(db, recent.id))?.deletedTime ?? 0;
      const ids = async (selection: Parameters<typeof collectableRuns>[1]) =>
        (await collectableRuns(db, selection)).map((r) => r.runId);
      expect(await ids({})).toEqual([old.id, recent.id]);
      expect(await ids({ olderThanMs: 1000, now: recentDeleted + 999 })).toEqual(
        oldDeleted + 1000 <= recentDeleted + 999 ? [old.id] : [],
      );
      expect(await ids({ olderThanMs: 0, now: oldDeleted - 1 })).toEqual([]);
      expect(await ids({ runIds: [recent.id] })).toEqual([recent.id]);
      await expectStoreError(collectableRuns(db, { runIds: [kept.id] }), {
        kind: "invalid",
        field: "runIds[0]",
        message: "is not deleted; delete it first",
      });
      await expectStoreError(collectableRuns(db, { runIds: ["f".repeat(32)] }), {
        kind: "not_found",
      });
    });

    it("removes every row of a run, only once tombstoned, and nothing of the others", async () => {
      const experiment = await createExperiment(db, { name: "gc" });
      const survivor = await busyRun(db, experiment.id, 100);
      const before = await dumpTables(db);
      // Over 50,000 points per series: the points go in several transactions.
      const doomed = await busyRun(db, experiment.id, 60_000);
      await deleteRun(db, doomed.id);
      expect(await runFootprint(db, doomed.id)).toEqual({
        metricPoints: 120_000,
        metricSeries: 2,
        params: 1,
        tags: 1,
        artifacts: 2,
      });
      await expectStoreError(purgeRunRows(db, doomed.id), {
        kind: "invalid",
        message: "tombstone",
      });

      expect(await startPurge(db, [doomed.id, survivor.id])).toEqual([doomed.id]);
      expect(await isPurging(db, doomed.id)).toBe(true);
      expect(await isPurging(db, survivor.id)).toBe(false);
      // Tombstoned: it cannot come back, and a new collection resumes it.
      await expectStoreError(restoreRun(db, doomed.id), {
        kind: "invalid",
        message: "is being deleted for good",
      });
      expect(await collectableRuns(db, { runIds: [] })).toMatchObject([
        { runId: doomed.id, resumed: true },
      ]);

      const freed = await purgeRunRows(db, doomed.id);
      expect(freed.metricPoints).toBe(120_000);
      expect(await getRun(db, doomed.id)).toBeUndefined();
      expect(await isPurging(db, doomed.id)).toBe(false);
      expect(await dumpTables(db)).toEqual(before);
      expect(JSON.stringify(await dumpTables(db))).not.toContain(doomed.id);
    });

    it("leaves alone a run restored after it was chosen", async () => {
      const run = await createRun(db, {});
      await deleteRun(db, run.id);
      const [chosen] = await collectableRuns(db, {});
      await restoreRun(db, run.id);
      expect(await startPurge(db, [chosen?.runId ?? ""])).toEqual([]);
      expect((await getRun(db, run.id))?.lifecycleStage).toBe("active");
    });

    it("does not restore, with its experiment, a run being collected", async () => {
      const experiment = await createExperiment(db, { name: "comeback" });
      const collected = await createRun(db, { experimentId: experiment.id });
      const other = await createRun(db, { experimentId: experiment.id });
      await deleteExperiment(db, experiment.id);
      await startPurge(db, [collected.id]);
      await restoreExperiment(db, experiment.id);
      expect((await getRun(db, other.id))?.lifecycleStage).toBe("active");
      expect((await getRun(db, collected.id))?.lifecycleStage).toBe("deleted");
    });

    it("removes deleted experiments once they have no run left, and frees their names", async () => {
      const experiment = await createExperiment(db, { name: "old-project" });
      const run = await createRun(db, { experimentId: experiment.id });
      await deleteExperiment(db, experiment.id);
      expect(await collectableExperiments(db, {})).toEqual([]);
      await startPurge(db, [run.id]);
      await purgeRunRows(db, run.id);
      const [collectable] = await collectableExperiments(db, {});
      expect(collectable).toMatchObject({ id: experiment.id, name: "old-project" });
      expect(await purgeExperiment(db, experiment.id)).toBe(true);
      expect(await getExperimentByName(db, "old-project")).toBeUndefined();
      await createExperiment(db, { name: "old-project" });
      // The Default experiment cannot be deleted, so it is never collected.
      expect(await purgeExperiment(db, "0")).toBe(false);
    });
  });
});
