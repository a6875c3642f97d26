import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  childRunsByParentIds,
  countRunsByExperimentIds,
  createExperiment,
  createRun,
  type Db,
  deleteExperiment,
  deleteRun,
  deleteRunTag,
  getRun,
  getRunsByIds,
  logBatch,
  type RunStatus,
  restoreRun,
  setRunTag,
  tagsByRunIds,
  updateRun,
} from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";
import { dumpTables, type ExpectedStoreError, expectStoreError } from "./store-assertions.ts";

/** A well-formed run id that no run has. */
const unknownRunId = "0123456789abcdef0123456789abcdef";

describe.each(dbTargets)("store on $name", (target) => {
  let db: Db;
  beforeEach(async () => {
    db = await target.open();
  });
  afterEach(async () => {
    await db.close();
  });

  describe("runs", () => {
    it("gives a new run an id of 32 hex characters", async () => {
      const run = await createRun(db, {});
      expect(run.id).toMatch(/^[0-9a-f]{32}$/);
      expect((await createRun(db, {})).id).not.toBe(run.id);
    });

    it("generates a readable name when none is given", async () => {
      const unnamed = await createRun(db, {});
      const emptyName = await createRun(db, { name: "" });
      for (const run of [unnamed, emptyName]) expect(run.name).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
    });

    it("keeps the name it is given", async () => {
      const run = await createRun(db, { name: "baseline" });
      expect(run.name).toBe("baseline");
      expect((await getRun(db, run.id))?.name).toBe("baseline");
    });

    it("starts a run as RUNNING without an end time, in the Default experiment", async () => {
      const before = Date.now();
      const run = await createRun(db, {});
      const after = Date.now();
      expect(run).toMatchObject({
        status: "RUNNING",
        endTime: null,
        experimentId: "0",
        lifecycleStage: "active",
        parentRunId: null,
        artifactUri: `${db.artifactRoot}/0/${run.id}/artifacts`,
      });
      expect(run.startTime).toBeGreaterThanOrEqual(before);
      expect(run.startTime).toBeLessThanOrEqual(after);
      expect(await getRun(db, run.id)).toEqual(run);
    });

    it("creates a run in the given experiment with its start time and tags", async () => {
      const experiment = await createExperiment(db, { name: "mnist" });
      const run = await createRun(db, {
        experimentId: experiment.id,
        startTime: 1_700_000_000_000,
        tags: [{ key: "mlflow.user", value: "ada" }],
      });
      expect(run).toMatchObject({ experimentId: experiment.id, startTime: 1_700_000_000_000 });
      expect(run.artifactUri).toBe(`${experiment.artifactLocation}/${run.id}/artifacts`);
      expect((await tagsByRunIds(db, [run.id])).get(run.id)).toEqual([
        { key: "mlflow.user", value: "ada" },
      ]);
      expect((await countRunsByExperimentIds(db, [experiment.id, "0"])).get(experiment.id)).toBe(1);
    });

    it("creates a run that is already finished with its end time at its start", async () => {
      const run = await createRun(db, { status: "FINISHED", startTime: 1_000 });
      expect(run).toMatchObject({ status: "FINISHED", startTime: 1_000, endTime: 1_000 });
    });

    it.each<RunStatus>(["FINISHED", "FAILED", "KILLED"])(
      "sets the end time when a run becomes %s",
      async (status) => {
        const run = await createRun(db, {});
        const before = Date.now();
        const updated = await updateRun(db, { runId: run.id, status });
        const after = Date.now();
        expect(updated.status).toBe(status);
        expect(updated.endTime).toBeGreaterThanOrEqual(before);
        expect(updated.endTime).toBeLessThanOrEqual(after);
        expect(await getRun(db, run.id)).toEqual(updated);
      },
    );

    it("uses the end time it is given with a terminal status", async () => {
      const run = await createRun(db, { startTime: 1_000 });
      const updated = await updateRun(db, { runId: run.id, status: "FINISHED", endTime: 5_000 });
      expect(updated).toMatchObject({ status: "FINISHED", endTime: 5_000 });
    });

    it("clears the end time when a run goes back to RUNNING", async () => {
      const run = await createRun(db, {});
      await updateRun(db, { runId: run.id, status: "FAILED" });
      const resumed = await updateRun(db, { runId: run.id, status: "RUNNING" });
      expect(resumed).toMatchObject({ status: "RUNNING", endTime: null });
      expect((await getRun(db, run.id))?.endTime).toBeNull();
    });

    it("renames a run without touching its status", async () => {
      const run = await createRun(db, { name: "first" });
      const renamed = await updateRun(db, { runId: run.id, name: "second" });
      expect(renamed).toMatchObject({ name: "second", status: "RUNNING", endTime: null });
    });

    it("rejects a status that does not exist", async () => {
      const run = await createRun(db, {});
      await expectStoreError(
        // @ts-expect-error: a status a client could send that the type does not allow
        updateRun(db, { runId: run.id, status: "DONE" }),
        { kind: "invalid", field: "status", message: /'DONE' is not one of RUNNING/ },
      );
      expect((await getRun(db, run.id))?.status).toBe("RUNNING");
    });

    it("reports an unknown run as not found", async () => {
      expect(await getRun(db, unknownRunId)).toBeUndefined();
      expect(await getRun(db, "not-a-run-id")).toBeUndefined();
      await expectStoreError(updateRun(db, { runId: unknownRunId, status: "FINISHED" }), {
        kind: "not_found",
        field: "runId",
        message: `no run with id '${unknownRunId}'`,
      });
      await expectStoreError(updateRun(db, { runId: "not-a-run-id", name: "x" }), {
        kind: "not_found",
        field: "runId",
      });
      await expectStoreError(deleteRun(db, unknownRunId), { kind: "not_found", field: "runId" });
      await expectStoreError(logBatch(db, { runId: unknownRunId, params: [] }), {
        kind: "not_found",
        field: "runId",
      });
    });

    it("fetches several runs by id at once, skipping unknown ones", async () => {
      const a = await createRun(db, {});
      const b = await createRun(db, {});
      const found = await getRunsByIds(db, [a.id, b.id, unknownRunId, "junk"]);
      expect([...found.keys()].sort()).toEqual([a.id, b.id].sort());
      expect(found.get(a.id)).toEqual(a);
    });

    it("deletes and restores a run", async () => {
      const run = await createRun(db, {});
      const deleted = await deleteRun(db, run.id);
      expect(deleted.lifecycleStage).toBe("deleted");
      expect(deleted.deletedTime).toEqual(expect.any(Number));
      expect((await getRun(db, run.id))?.lifecycleStage).toBe("deleted");
      expect((await countRunsByExperimentIds(db, ["0"])).get("0")).toBeUndefined();
      expect((await countRunsByExperimentIds(db, ["0"], "deleted")).get("0")).toBe(1);

      const restored = await restoreRun(db, run.id);
      expect(restored).toMatchObject({ lifecycleStage: "active", deletedTime: null });
      expect(await getRun(db, run.id)).toEqual(run);
    });

    it("nests runs under a parent, oldest child first", async () => {
      const parent = await createRun(db, { name: "sweep" });
      const later = await createRun(db, { parentRunId: parent.id, startTime: 2_000 });
      const earlier = await createRun(db, { parentRunId: parent.id, startTime: 1_000 });
      const other = await createRun(db, {});
      const grandchild = await createRun(db, { parentRunId: later.id });
      expect(later.parentRunId).toBe(parent.id);

      const children = await childRunsByParentIds(db, [parent.id, later.id, other.id]);
      expect(children.get(parent.id)?.map((run) => run.id)).toEqual([earlier.id, later.id]);
      expect(children.get(later.id)?.map((run) => run.id)).toEqual([grandchild.id]);
      expect(children.has(other.id)).toBe(false);
      expect((await childRunsByParentIds(db, [])).size).toBe(0);
    });

    it("leaves deleted children out of a parent's children", async () => {
      const parent = await createRun(db, {});
      const kept = await createRun(db, { parentRunId: parent.id });
      const gone = await createRun(db, { parentRunId: parent.id });
      await deleteRun(db, gone.id);
      const children = await childRunsByParentIds(db, [parent.id]);
      expect(children.get(parent.id)?.map((run) => run.id)).toEqual([kept.id]);
    });

    it("rejects a parent run that does not exist", async () => {
      const before = await dumpTables(db);
      await expectStoreError(createRun(db, { parentRunId: unknownRunId }), {
        kind: "not_found",
        field: "parentRunId",
      });
      expect(await dumpTables(db)).toEqual(before);
    });

    it("refuses to create a run in a deleted experiment", async () => {
      const experiment = await createExperiment(db, { name: "gone" });
      await deleteExperiment(db, experiment.id);
      const before = await dumpTables(db);
      await expectStoreError(createRun(db, { experimentId: experiment.id }), {
        kind: "invalid",
        field: "experimentId",
        message: /is deleted; restore it/,
      });
      expect(await dumpTables(db)).toEqual(before);
    });

    it("refuses to create a run in an experiment that does not exist", async () => {
      await expectStoreError(createRun(db, { experimentId: "4242" }), {
        kind: "not_found",
        field: "experimentId",
      });
      await expectStoreError(createRun(db, { experimentId: "mnist" }), {
        kind: "invalid",
        field: "experimentId",
      });
    });

    it("refuses to log to, tag or update a deleted run", async () => {
      const run = await createRun(db, {});
      await deleteRun(db, run.id);
      const before = await dumpTables(db);
      const deletedRun: ExpectedStoreError = {
        kind: "invalid",
        field: "runId",
        message: /is deleted; restore it/,
      };
      await expectStoreError(
        logBatch(db, {
          runId: run.id,
          params: [{ key: "lr", value: "0.1" }],
          metrics: [{ key: "loss", values: [1] }],
        }),
        deletedRun,
      );
      await expectStoreError(setRunTag(db, run.id, { key: "k", value: "v" }), deletedRun);
      await expectStoreError(updateRun(db, { runId: run.id, status: "FINISHED" }), deletedRun);
      expect(await dumpTables(db)).toEqual(before);
    });

    it("sets, overwrites and deletes run tags", async () => {
      const run = await createRun(db, {});
      const tags = async () => (await tagsByRunIds(db, [run.id])).get(run.id);
      await setRunTag(db, run.id, { key: "team", value: "vision" });
      await setRunTag(db, run.id, { key: "team", value: "speech" });
      await setRunTag(db, run.id, { key: "note", value: "" });
      expect(await tags()).toEqual([
        { key: "note", value: "" },
        { key: "team", value: "speech" },
      ]);
      await deleteRunTag(db, run.id, "note");
      expect(await tags()).toEqual([{ key: "team", value: "speech" }]);
    });

    it("rejects deleting a run tag that is not set", async () => {
      const run = await createRun(db, {});
      await expectStoreError(deleteRunTag(db, run.id, "missing"), {
        kind: "not_found",
        field: "key",
        message: /has no tag 'missing'/,
      });
    });
  });
});
