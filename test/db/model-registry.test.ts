import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import {
  createModelVersion,
  createRegisteredModel,
  createRun,
  type Db,
  deleteModelVersion,
  deleteRegisteredModel,
  deleteRegisteredModelAlias,
  deleteRegisteredModelTag,
  getModelVersion,
  getRegisteredModel,
  listModelVersions,
  recordArtifact,
  renameRegisteredModel,
  searchRegisteredModels,
  setModelVersionTag,
  setRegisteredModelAlias,
  setRegisteredModelTag,
  updateModelVersion,
  updateRegisteredModel,
} from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";
import { firstError, gql, gqlData } from "../support/gql.ts";
import { expectStoreError } from "./store-assertions.ts";

/** A run that logged a model at `path` (its MLmodel file is in the run's artifact index). */
async function runWithModel(db: Db, path = "model"): Promise<string> {
  const run = await createRun(db, {});
  await recordArtifact(db, {
    runId: run.id,
    path: `${path}/MLmodel`,
    size: 100,
    sha256: "ab".repeat(32),
    contentType: "text/yaml",
  });
  return run.id;
}

describe.each(dbTargets)("the model registry on $name", (target) => {
  let db: Db;
  beforeAll(async () => {
    db = await target.open();
  });
  afterAll(async () => {
    await db.close();
  });

  it("creates, describes, tags, renames, searches and deletes registered models", async () => {
    const model = await createRegisteredModel(db, {
      name: "reg-a",
      description: "first",
      tags: [{ key: "team", value: "vision" }],
    });
    expect(model).toMatchObject({ name: "reg-a", description: "first" });
    await expectStoreError(createRegisteredModel(db, { name: "reg-a" }), {
      kind: "already_exists",
      field: "name",
    });
    await expectStoreError(createRegisteredModel(db, { name: "a/b" }), {
      kind: "invalid",
      field: "name",
      message: /'\/' or '@'/,
    });
    await createRegisteredModel(db, { name: "reg-b", tags: [{ key: "team", value: "nlp" }] });
    await setRegisteredModelTag(db, "reg-b", { key: "stage", value: "beta" });
    expect((await updateRegisteredModel(db, "reg-b", { description: "second" })).description).toBe(
      "second",
    );

    const names = async (filter?: string) =>
      (await searchRegisteredModels(db, { filter, limit: 100, offset: 0 })).models
        .map((m) => m.name)
        .filter((n) => n.startsWith("reg-") || n.startsWith("renamed-"));
    expect(await names()).toEqual(["reg-a", "reg-b"]);
    expect(await names("tags.team = 'vision'")).toEqual(["reg-a"]);
    expect(await names("name LIKE 'reg-%' and tags.stage = 'beta'")).toEqual(["reg-b"]);
    expect(await names("name ILIKE 'REG-A'")).toEqual(["reg-a"]);
    expect(await names("creation_time > 0")).toEqual(["reg-a", "reg-b"]);
    await expectStoreError(
      searchRegisteredModels(db, { filter: "metrics.x > 1", limit: 1, offset: 0 }),
      {
        kind: "invalid",
        field: "filter",
      },
    );

    await renameRegisteredModel(db, "reg-a", "renamed-a");
    expect(await getRegisteredModel(db, "reg-a")).toBeUndefined();
    expect(await names("tags.team = 'vision'")).toEqual(["renamed-a"]);
    await expectStoreError(renameRegisteredModel(db, "renamed-a", "reg-b"), {
      kind: "already_exists",
    });
    await deleteRegisteredModelTag(db, "reg-b", "stage");
    await expectStoreError(deleteRegisteredModelTag(db, "reg-b", "stage"), { kind: "not_found" });
    await deleteRegisteredModel(db, "renamed-a");
    await deleteRegisteredModel(db, "reg-b");
    expect(await names()).toEqual([]);
    await expectStoreError(deleteRegisteredModel(db, "reg-b"), { kind: "not_found" });
  });

  it("numbers versions 1, 2, 3, moves aliases, keeps `latest` for the highest", async () => {
    const runId = await runWithModel(db);
    const v1 = await createModelVersion(db, {
      name: "versions",
      source: `runs:/${runId}/model`,
      description: "one",
      tags: [{ key: "k", value: "v" }],
    });
    expect(v1).toMatchObject({
      name: "versions",
      version: 1,
      runId,
      source: `runs:/${runId}/model`,
      status: "READY",
      description: "one",
    });
    const v2 = await createModelVersion(db, { name: "versions", source: `runs:/${runId}/model/` });
    expect(v2.version).toBe(2);
    expect(v2.source).toBe(`runs:/${runId}/model`);

    await setRegisteredModelAlias(db, "versions", "champion", 1);
    await setRegisteredModelAlias(db, "versions", "staging", 2);
    expect((await getModelVersion(db, "versions", { alias: "champion" }))?.version).toBe(1);
    await setRegisteredModelAlias(db, "versions", "champion", 2);
    expect((await getModelVersion(db, "versions", { alias: "champion" }))?.version).toBe(2);
    expect((await getModelVersion(db, "versions", { alias: "latest" }))?.version).toBe(2);
    await expectStoreError(setRegisteredModelAlias(db, "versions", "latest", 1), {
      kind: "invalid",
      field: "alias",
      message: /reserved/,
    });
    await expectStoreError(setRegisteredModelAlias(db, "versions", "Latest", 1), {
      kind: "invalid",
    });
    await expectStoreError(setRegisteredModelAlias(db, "versions", "champion", 9), {
      kind: "not_found",
      field: "version",
    });

    // A deleted version takes its aliases along, and its number is not given again.
    await deleteModelVersion(db, "versions", 2);
    expect(await getModelVersion(db, "versions", { alias: "champion" })).toBeUndefined();
    expect((await getModelVersion(db, "versions", { alias: "latest" }))?.version).toBe(1);
    const v3 = await createModelVersion(db, { name: "versions", source: `runs:/${runId}/model` });
    expect(v3.version).toBe(3);
    await deleteRegisteredModelAlias(db, "versions", "staging").catch(() => undefined);
    await expectStoreError(deleteRegisteredModelAlias(db, "versions", "staging"), {
      kind: "not_found",
    });

    await setModelVersionTag(db, "versions", 3, { key: "quality", value: "good" });
    await updateModelVersion(db, "versions", 3, { description: "three" });
    const listed = await listModelVersions(db, "versions", { limit: 10, offset: 0 });
    expect(listed.versions.map((v) => [v.version, v.description])).toEqual([
      [3, "three"],
      [1, "one"],
    ]);
    expect(listed.totalCount).toBe(2);
  });

  it("registers only a run's logged model", async () => {
    const runId = await runWithModel(db, "nested/model");
    await expectStoreError(createModelVersion(db, { name: "m", source: "s3://bucket/model" }), {
      kind: "invalid",
      field: "source",
    });
    await expectStoreError(
      createModelVersion(db, { name: "m", source: `runs:/${"0".repeat(32)}/model` }),
      { kind: "not_found", field: "source" },
    );
    await expectStoreError(createModelVersion(db, { name: "m", source: `runs:/${runId}/model` }), {
      kind: "invalid",
      field: "source",
      message: /no model at 'model'/,
    });
    await expectStoreError(
      createModelVersion(db, {
        name: "m",
        source: `runs:/${runId}/nested/model`,
        runId: "f".repeat(32),
      }),
      { kind: "invalid", field: "runId" },
    );
    expect(await getRegisteredModel(db, "m")).toBeUndefined();
    const v = await createModelVersion(db, { name: "m", source: `runs:/${runId}/nested/model` });
    expect(v.version).toBe(1);
  });

  it("gives concurrent registrations distinct numbers", async () => {
    const runId = await runWithModel(db);
    const versions = await Promise.all(
      Array.from({ length: 20 }, () =>
        createModelVersion(db, { name: "concurrent", source: `runs:/${runId}/model` }),
      ),
    );
    expect(versions.map((v) => v.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it("answers the registry through GraphQL", async () => {
    const app = createApp({ db });
    const runId = await runWithModel(db);
    const created = await gqlData<{
      createModelVersion: { modelVersion: { version: number; uri: string; run: { id: string } } };
    }>(
      app,
      `mutation ($input: CreateModelVersionInput!) { createModelVersion(input: $input) {
        modelVersion { version uri run { id } } } }`,
      { input: { name: "gql-model", source: `runs:/${runId}/model` } },
    );
    expect(created.createModelVersion.modelVersion).toEqual({
      version: 1,
      uri: "models:/gql-model/1",
      run: { id: runId },
    });
    await gqlData(
      app,
      `mutation { createModelVersion(input: { name: "gql-model", source: "runs:/${runId}/model" }) { modelVersion { version } } }`,
    );
    await gqlData(
      app,
      `mutation { setRegisteredModelAlias(input: { name: "gql-model", alias: "champion", version: 1 }) { modelVersion { aliases } }
        setRegisteredModelTag(input: { name: "gql-model", key: "team", value: "vision" }) { registeredModel { name } }
        updateRegisteredModel(input: { name: "gql-model", description: "digits" }) { registeredModel { name } } }`,
    );
    const data = await gqlData<{
      registeredModels: {
        totalCount: number;
        nodes: {
          name: string;
          description: string;
          tags: { key: string; value: string }[];
          aliases: { alias: string; version: number }[];
          latestVersion: { version: number };
          champion: { version: number; aliases: string[] };
          versions: { nodes: { version: number }[] };
        }[];
      };
      modelVersion: { version: number };
    }>(
      app,
      `{ registeredModels(filter: "tags.team = 'vision'") { totalCount nodes {
          name description tags { key value } aliases { alias version } latestVersion { version }
          champion: version(alias: "champion") { version aliases }
          versions { nodes { version } } } }
        modelVersion(name: "gql-model", alias: "latest") { version } }`,
    );
    expect(data.registeredModels.nodes).toEqual([
      {
        name: "gql-model",
        description: "digits",
        tags: [{ key: "team", value: "vision" }],
        aliases: [{ alias: "champion", version: 1 }],
        latestVersion: { version: 2 },
        champion: { version: 1, aliases: ["champion"] },
        versions: { nodes: [{ version: 2 }, { version: 1 }] },
      },
    ]);
    expect(data.modelVersion.version).toBe(2);

    const reserved = await gql(
      app,
      `mutation { setRegisteredModelAlias(input: { name: "gql-model", alias: "latest", version: 1 }) { modelVersion { version } } }`,
    );
    expect(firstError(reserved)).toMatchObject({
      message: expect.stringContaining("reserved"),
      extensions: { code: "BAD_USER_INPUT" },
    });
    const missing = await gql(
      app,
      `mutation { renameRegisteredModel(input: { name: "nope", newName: "x" }) { registeredModel { name } } }`,
    );
    expect(firstError(missing).extensions?.code).toBe("NOT_FOUND");
    await gqlData(
      app,
      `mutation { renameRegisteredModel(input: { name: "gql-model", newName: "gql-renamed" }) { registeredModel { name } } }`,
    );
    const renamed = await gqlData<{ modelVersion: { uri: string } }>(
      app,
      `{ modelVersion(name: "gql-renamed", alias: "champion") { uri } }`,
    );
    expect(renamed.modelVersion.uri).toBe("models:/gql-renamed/1");
    await gqlData(
      app,
      `mutation { deleteRegisteredModel(input: { name: "gql-renamed" }) { registeredModel { name } } }`,
    );
    const gone = await gqlData<{ registeredModel: null }>(
      app,
      `{ registeredModel(name: "gql-renamed") { name } }`,
    );
    expect(gone.registeredModel).toBeNull();
  });
});
