import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  collectableRuns,
  createModelVersion,
  createRun,
  type Db,
  deleteRun,
  recordArtifact,
} from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";
import { expectStoreError } from "./store-assertions.ts";

describe.each(dbTargets)("garbage collection and registered models on $name", (target) => {
  let db: Db;
  beforeEach(async () => {
    db = await target.open();
  });
  afterEach(() => db.close());

  it("keeps a deleted run whose files back a registered model version", async () => {
    const withModel = await createRun(db, {});
    await recordArtifact(db, {
      runId: withModel.id,
      path: "model/MLmodel",
      size: 100,
      sha256: "ab".repeat(32),
      contentType: "text/yaml",
    });
    await createModelVersion(db, { name: "classifier", source: `runs:/${withModel.id}/model` });
    const plain = await createRun(db, {});
    await deleteRun(db, withModel.id);
    await deleteRun(db, plain.id);

    const chosen = (await collectableRuns(db)).map((run) => run.runId);
    expect(chosen).toEqual([plain.id]);
    await expectStoreError(collectableRuns(db, { runIds: [withModel.id] }), {
      kind: "invalid",
      field: "runIds[0]",
      message: "registered model version",
    });
  });
});
