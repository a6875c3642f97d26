import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createExperiment,
  createRun,
  type Db,
  deleteExperiment,
  deleteExperimentTag,
  deleteRun,
  experimentTagsByIds,
  getExperiment,
  getExperimentByName,
  getRun,
  listExperiments,
  renameExperiment,
  restoreExperiment,
  setExperimentTag,
} from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";
import { dumpTables, expectStoreError } from "./store-assertions.ts";

describe.each(dbTargets)("store on $name", (target) => {
  let db: Db;
  beforeEach(async () => {
    db = await target.open();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await db.close();
  });

  describe("experiments", () => {
    it("has the Default experiment with id 0 from the start", async () => {
      const experiment = await getExperiment(db, "0");
      expect(experiment).toMatchObject({ id: "0", name: "Default", lifecycleStage: "active" });
      expect(experiment?.artifactLocation).toBe(`${db.artifactRoot}/0`);
      const listed = await listExperiments(db, { limit: 10, offset: 0 });
      expect(listed.totalCount).toBe(1);
      expect(listed.experiments.map((e) => e.name)).toEqual(["Default"]);
    });

    it("creates an experiment with an id made of digits", async () => {
      const experiment = await createExperiment(db, { name: "mnist" });
      expect(experiment.id).toMatch(/^\d+$/);
      expect(experiment.id).not.toBe("0");
      expect(experiment).toMatchObject({
        name: "mnist",
        lifecycleStage: "active",
        artifactLocation: `${db.artifactRoot}/${experiment.id}`,
        deletedTime: null,
      });
      expect(await getExperimentByName(db, "mnist")).toEqual(experiment);
      expect(await getExperiment(db, experiment.id)).toEqual(experiment);
    });

    it("creates an experiment with its own artifact location and tags", async () => {
      const experiment = await createExperiment(db, {
        name: "cifar",
        artifactLocation: "s3://bucket/cifar",
        tags: [
          { key: "team", value: "vision" },
          { key: "owner", value: "ada" },
        ],
      });
      expect(experiment.artifactLocation).toBe("s3://bucket/cifar");
      expect((await experimentTagsByIds(db, [experiment.id])).get(experiment.id)).toEqual([
        { key: "owner", value: "ada" },
        { key: "team", value: "vision" },
      ]);
    });

    it("gives each new experiment its own id", async () => {
      const first = await createExperiment(db, { name: "a" });
      const second = await createExperiment(db, { name: "b" });
      expect(second.id).not.toBe(first.id);
      const listed = await listExperiments(db, { limit: 10, offset: 0 });
      expect(listed.totalCount).toBe(3);
    });

    it("rejects a name that an active experiment already has", async () => {
      const existing = await createExperiment(db, { name: "mnist" });
      await expectStoreError(createExperiment(db, { name: "mnist" }), {
        kind: "already_exists",
        field: "name",
        message: /experiment 'mnist' already exists/,
      });
      const listed = await listExperiments(db, { view: "all", limit: 10, offset: 0 });
      expect(listed.experiments.filter((e) => e.name === "mnist")).toEqual([existing]);
    });

    it("rejects a name that a deleted experiment has and says to restore it", async () => {
      const existing = await createExperiment(db, { name: "mnist" });
      await deleteExperiment(db, existing.id);
      const error = await expectStoreError(createExperiment(db, { name: "mnist" }), {
        kind: "already_exists",
        field: "name",
      });
      expect(error.message).toContain("deleted");
      expect(error.message).toContain(`id ${existing.id}`);
      expect(error.message).toMatch(/restore it/);
    });

    it("rejects an empty experiment name", async () => {
      const before = await dumpTables(db);
      await expectStoreError(createExperiment(db, { name: "  " }), {
        kind: "invalid",
        field: "name",
        message: /must not be empty/,
      });
      expect(await dumpTables(db)).toEqual(before);
    });

    it("rejects an experiment whose tag key is invalid, creating nothing", async () => {
      const before = await dumpTables(db);
      await expectStoreError(
        createExperiment(db, { name: "mnist", tags: [{ key: "a!b", value: "x" }] }),
        { kind: "invalid", field: "tags[0].key" },
      );
      expect(await dumpTables(db)).toEqual(before);
    });

    it("renames an experiment and frees its old name", async () => {
      const experiment = await createExperiment(db, { name: "old" });
      const renamed = await renameExperiment(db, experiment.id, "new");
      expect(renamed).toMatchObject({ id: experiment.id, name: "new" });
      expect((await getExperimentByName(db, "new"))?.id).toBe(experiment.id);
      expect(await getExperimentByName(db, "old")).toBeUndefined();
      const reused = await createExperiment(db, { name: "old" });
      expect(reused.id).not.toBe(experiment.id);
    });

    it("accepts renaming an experiment to the name it already has", async () => {
      const experiment = await createExperiment(db, { name: "same" });
      expect((await renameExperiment(db, experiment.id, "same")).name).toBe("same");
    });

    it("rejects renaming onto a name another experiment has", async () => {
      const first = await createExperiment(db, { name: "first" });
      const second = await createExperiment(db, { name: "second" });
      await expectStoreError(renameExperiment(db, second.id, "first"), {
        kind: "already_exists",
        field: "name",
      });
      expect((await getExperiment(db, first.id))?.name).toBe("first");
      expect((await getExperiment(db, second.id))?.name).toBe("second");
    });

    it("rejects renaming an experiment that does not exist", async () => {
      await expectStoreError(renameExperiment(db, "4242", "x"), {
        kind: "not_found",
        field: "experimentId",
      });
    });

    it("deletes an experiment with its active runs and restores exactly those runs", async () => {
      const experiment = await createExperiment(db, { name: "mnist" });
      const [kept1, kept2, deletedAlone] = [
        await createRun(db, { experimentId: experiment.id }),
        await createRun(db, { experimentId: experiment.id }),
        await createRun(db, { experimentId: experiment.id }),
      ];
      const elsewhere = await createRun(db, { experimentId: "0" });
      await deleteRun(db, deletedAlone.id);

      const deleted = await deleteExperiment(db, experiment.id);
      expect(deleted.lifecycleStage).toBe("deleted");
      expect(deleted.deletedTime).toEqual(expect.any(Number));
      for (const run of [kept1, kept2, deletedAlone])
        expect((await getRun(db, run.id))?.lifecycleStage).toBe("deleted");
      expect((await getRun(db, elsewhere.id))?.lifecycleStage).toBe("active");
      const listed = await listExperiments(db, { view: "deleted", limit: 10, offset: 0 });
      expect(listed.experiments.map((e) => e.id)).toEqual([experiment.id]);

      const restored = await restoreExperiment(db, experiment.id);
      expect(restored).toMatchObject({ lifecycleStage: "active", deletedTime: null });
      expect((await getRun(db, kept1.id))?.lifecycleStage).toBe("active");
      expect((await getRun(db, kept2.id))?.lifecycleStage).toBe("active");
      expect(await getRun(db, deletedAlone.id)).toMatchObject({
        lifecycleStage: "deleted",
        deletedTime: expect.any(Number),
      });
    });

    it("restores only the runs deleted with the experiment even when the clock does not move", async () => {
      // A run deleted on its own in the same millisecond as its experiment must stay deleted.
      vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-01-02T03:04:05Z") });
      const experiment = await createExperiment(db, { name: "same-ms" });
      const kept = await createRun(db, { experimentId: experiment.id });
      const deletedAlone = await createRun(db, { experimentId: experiment.id });
      await deleteRun(db, deletedAlone.id);
      await deleteExperiment(db, experiment.id);
      await restoreExperiment(db, experiment.id);
      expect((await getRun(db, kept.id))?.lifecycleStage).toBe("active");
      expect((await getRun(db, deletedAlone.id))?.lifecycleStage).toBe("deleted");
    });

    it("deletes an experiment a second time without changing it", async () => {
      const experiment = await createExperiment(db, { name: "twice" });
      const first = await deleteExperiment(db, experiment.id);
      const second = await deleteExperiment(db, experiment.id);
      expect(second).toEqual(first);
    });

    it("refuses to delete the Default experiment", async () => {
      await expectStoreError(deleteExperiment(db, "0"), {
        kind: "invalid",
        field: "experimentId",
        message: /Default experiment .* cannot be deleted/,
      });
      expect((await getExperiment(db, "0"))?.lifecycleStage).toBe("active");
    });

    it("refuses to delete the Default experiment when its id is written with a leading zero", async () => {
      await expectStoreError(deleteExperiment(db, "00"), {
        kind: "invalid",
        field: "experimentId",
      });
      expect((await getExperiment(db, "0"))?.lifecycleStage).toBe("active");
    });

    it("rejects deleting an experiment that does not exist", async () => {
      await expectStoreError(deleteExperiment(db, "4242"), {
        kind: "not_found",
        field: "experimentId",
      });
      await expectStoreError(deleteExperiment(db, "not-a-number"), {
        kind: "invalid",
        field: "experimentId",
      });
    });

    it("returns undefined for an experiment id that is not a string of digits", async () => {
      expect(await getExperiment(db, "abc")).toBeUndefined();
      expect(await getExperiment(db, "4242")).toBeUndefined();
    });

    it("lists active, deleted or all experiments with a total count", async () => {
      const active = await createExperiment(db, { name: "active" });
      const gone = await createExperiment(db, { name: "gone" });
      await deleteExperiment(db, gone.id);
      const ids = async (view: "active" | "deleted" | "all") => {
        const listed = await listExperiments(db, { view, limit: 10, offset: 0 });
        return { ids: listed.experiments.map((e) => e.id).sort(), total: listed.totalCount };
      };
      expect(await ids("active")).toEqual({ ids: ["0", active.id].sort(), total: 2 });
      expect(await ids("deleted")).toEqual({ ids: [gone.id], total: 1 });
      expect(await ids("all")).toEqual({ ids: ["0", active.id, gone.id].sort(), total: 3 });
      const page = await listExperiments(db, { view: "all", limit: 1, offset: 1 });
      expect(page.experiments).toHaveLength(1);
      expect(page.totalCount).toBe(3);
    });

    it("sets, overwrites and deletes experiment tags", async () => {
      const experiment = await createExperiment(db, { name: "tagged" });
      const tags = async () => (await experimentTagsByIds(db, [experiment.id])).get(experiment.id);

      await setExperimentTag(db, experiment.id, { key: "team", value: "vision" });
      await setExperimentTag(db, experiment.id, { key: "stage", value: "dev" });
      expect(await tags()).toEqual([
        { key: "stage", value: "dev" },
        { key: "team", value: "vision" },
      ]);

      await setExperimentTag(db, experiment.id, { key: "stage", value: "prod" });
      expect(await tags()).toEqual([
        { key: "stage", value: "prod" },
        { key: "team", value: "vision" },
      ]);

      await deleteExperimentTag(db, experiment.id, "team");
      expect(await tags()).toEqual([{ key: "stage", value: "prod" }]);
    });

    it("rejects deleting a tag the experiment does not have", async () => {
      const experiment = await createExperiment(db, { name: "untagged" });
      await expectStoreError(deleteExperimentTag(db, experiment.id, "missing"), {
        kind: "not_found",
        field: "key",
        message: /has no tag 'missing'/,
      });
    });

    it("refuses to tag a deleted experiment", async () => {
      const experiment = await createExperiment(db, { name: "gone" });
      await deleteExperiment(db, experiment.id);
      await expectStoreError(setExperimentTag(db, experiment.id, { key: "k", value: "v" }), {
        kind: "invalid",
        field: "experimentId",
        message: /restore it/,
      });
      expect((await experimentTagsByIds(db, [experiment.id])).get(experiment.id)).toBeUndefined();
    });

    it("rejects an experiment tag with an invalid key", async () => {
      const experiment = await createExperiment(db, { name: "bad-tag" });
      await expectStoreError(setExperimentTag(db, experiment.id, { key: "a/../b", value: "v" }), {
        kind: "invalid",
        field: "tag[0].key",
        message: /normalized path/,
      });
    });
  });
});
