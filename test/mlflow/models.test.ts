import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectGarbage } from "../../api/garbage-collection.ts";
import { ArtifactStores } from "../../artifact-store/index.ts";
import { type MlflowJson, type MlflowServer, startMlflowServer } from "./support.ts";

/**
 * MLflow 3's `mlflow.<flavor>.log_model(..., registered_model_name=...)` as its client sends
 * it, then loading the model by alias; and every logged-model and registry endpoint with good
 * input and bad.
 */
let server: MlflowServer;
beforeAll(async () => {
  server = await startMlflowServer();
});
afterAll(async () => {
  await server?.close();
});

const proxy = (path: string) => `${server.url}/api/2.0/mlflow-artifacts/artifacts/${path}`;
const put = (path: string, body: string) =>
  fetch(proxy(path), { method: "PUT", headers: { "content-type": "text/plain" }, body });
const listing = async (path: string) =>
  (
    await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(path)}`)
  ).json();

async function experimentAndRun(name: string) {
  const experimentId = (await server.call("POST", "/experiments/create", { name })).json
    .experiment_id as string;
  const run = await server.call("POST", "/runs/create", {
    experiment_id: experimentId,
    start_time: 1,
  });
  return { experimentId, runId: run.json.run.info.run_id as string };
}

describe("MLflow REST: logging a model and loading it by alias (MLflow 3)", () => {
  it("creates the logged model, uploads its files, registers it and resolves the alias", async () => {
    const { experimentId, runId } = await experimentAndRun("log-model");
    await server.call("POST", "/runs/log-metric", {
      run_id: runId,
      key: "acc",
      value: 0.9,
      timestamp: 5,
      step: 0,
    });

    const created = await server.call("POST", "/logged-models", {
      experiment_id: experimentId,
      name: "model",
      source_run_id: runId,
      params: [{ key: "alpha", value: "0.5" }],
      tags: [{ key: "mlflow.source.type", value: "LOCAL" }],
    });
    expect(created.status).toBe(200);
    const model = created.json.model.info;
    expect(model).toMatchObject({
      experiment_id: experimentId,
      name: "model",
      source_run_id: runId,
      status: "LOGGED_MODEL_PENDING",
      artifact_uri: `mlflow-artifacts:/${experimentId}/models/${model.model_id}/artifacts`,
    });
    expect(model.model_id).toMatch(/^m-[0-9a-f]{32}$/);

    // log_model: the run's outputs, then the step's metrics again with the model's id.
    await server.call("POST", "/runs/outputs", {
      run_id: runId,
      models: [{ model_id: model.model_id, step: 0 }],
    });
    await server.call("POST", "/runs/log-batch", {
      run_id: runId,
      metrics: [
        { key: "acc", value: 0.9, timestamp: 5, step: 0, run_id: runId, model_id: model.model_id },
      ],
    });
    const history = await server.call("GET", "/metrics/get-history", {
      run_id: runId,
      metric_key: "acc",
    });
    expect(history.json.metrics).toHaveLength(1);
    const run = (await server.call("GET", "/runs/get", { run_id: runId })).json.run;
    expect(run.outputs).toEqual({ model_outputs: [{ model_id: model.model_id, step: 0 }] });

    const base = `${experimentId}/models/${model.model_id}/artifacts`;
    expect((await put(`${base}/MLmodel`, "flavors: {}\n")).status).toBe(200);
    expect((await put(`${base}/data/model.pkl`, "weights")).status).toBe(200);
    const finalized = await server.call("PATCH", `/logged-models/${model.model_id}`, {
      model_id: model.model_id,
      status: "LOGGED_MODEL_READY",
    });
    expect(finalized.json.model.info.status).toBe("LOGGED_MODEL_READY");

    // _register_model: create the registered model, then a version of models:/<id>.
    await server.call("POST", "/registered-models/create", { name: "clf" });
    const version = await server.call("POST", "/model-versions/create", {
      name: "clf",
      source: `models:/${model.model_id}`,
      model_id: model.model_id,
    });
    expect(version.json.model_version).toMatchObject({
      name: "clf",
      version: "1",
      source: `models:/${model.model_id}`,
      run_id: runId,
      model_id: model.model_id,
      status: "READY",
      current_stage: "None",
    });
    await server.call("PATCH", `/logged-models/${model.model_id}/tags`, {
      tags: [{ key: "mlflow.modelVersions", value: '[{"name": "clf", "version": "1"}]' }],
    });
    await server.call("POST", "/registered-models/alias", {
      name: "clf",
      alias: "champion",
      version: "1",
    });

    // load_model("models:/clf@champion")
    const byAlias = await server.call("GET", "/registered-models/alias", {
      name: "clf",
      alias: "champion",
    });
    expect(byAlias.json.model_version).toMatchObject({ version: "1", aliases: ["champion"] });
    const uri = await server.call("GET", "/model-versions/get-download-uri", {
      name: "clf",
      version: "1",
    });
    expect(uri.json.artifact_uri).toBe(`mlflow-artifacts:/${base}`);
    expect(await listing(base)).toEqual({
      files: [
        { path: "MLmodel", is_dir: false, file_size: 12 },
        { path: "data", is_dir: true },
      ],
    });
    expect(await (await fetch(proxy(`${base}/data/model.pkl`))).text()).toBe("weights");

    const got = await server.call("GET", `/logged-models/${model.model_id}`);
    expect(got.json.model).toMatchObject({
      info: {
        tags: expect.arrayContaining([{ key: "mlflow.modelVersions", value: expect.any(String) }]),
      },
      data: {
        params: [{ key: "alpha", value: "0.5" }],
        metrics: [
          {
            key: "acc",
            value: 0.9,
            step: 0,
            timestamp: 5,
            run_id: runId,
            model_id: model.model_id,
          },
        ],
      },
    });
    const directories = await server.call(
      "GET",
      `/logged-models/${model.model_id}/artifacts/directories`,
    );
    expect(directories.json).toMatchObject({
      root_uri: `mlflow-artifacts:/${base}`,
      files: expect.any(Array),
    });
  });
});

describe("MLflow REST: logged models", () => {
  it("searches, tags, logs params and deletes logged models", async () => {
    const { experimentId } = await experimentAndRun("logged-models");
    const ids: string[] = [];
    for (const name of ["alpha", "beta"]) {
      const { json } = await server.call("POST", "/logged-models", {
        experiment_id: experimentId,
        name,
        model_type: "classifier",
      });
      ids.push(json.model.info.model_id);
    }
    await server.call("POST", `/logged-models/${ids[0]}/params`, {
      params: [{ key: "depth", value: "3" }],
    });
    const byName = await server.call("POST", "/logged-models/search", {
      experiment_ids: [experimentId],
      filter: "name = 'beta'",
    });
    expect(byName.json.models.map((m: MlflowJson) => m.info.model_id)).toEqual([ids[1]]);
    const byParam = await server.call("POST", "/logged-models/search", {
      experiment_ids: [experimentId],
      filter: "params.depth = '3'",
    });
    expect(byParam.json.models.map((m: MlflowJson) => m.info.name)).toEqual(["alpha"]);
    const ordered = await server.call("POST", "/logged-models/search", {
      experiment_ids: [experimentId],
      order_by: [{ field_name: "name", ascending: false }],
      max_results: 1,
    });
    expect(ordered.json.models.map((m: MlflowJson) => m.info.name)).toEqual(["beta"]);
    expect(ordered.json.next_page_token).toEqual(expect.any(String));

    await server.call("PATCH", `/logged-models/${ids[0]}/tags`, {
      tags: [{ key: "k", value: "v" }],
    });
    await server.call("DELETE", `/logged-models/${ids[0]}/tags/k`);
    expect(
      (await server.call("GET", `/logged-models/${ids[0]}`)).json.model.info.tags,
    ).toBeUndefined();
    await server.call("DELETE", `/logged-models/${ids[1]}`);
    expect(await server.call("GET", `/logged-models/${ids[1]}`)).toMatchObject({
      status: 404,
      json: { error_code: "RESOURCE_DOES_NOT_EXIST" },
    });
  });

  it("refuses bad logged-model input with MLflow's codes", async () => {
    const { experimentId } = await experimentAndRun("logged-models-bad");
    const cases: [string, string, Record<string, unknown> | undefined, number, string][] = [
      ["POST", "/logged-models", {}, 400, "INVALID_PARAMETER_VALUE"],
      ["POST", "/logged-models", { experiment_id: "9999" }, 404, "RESOURCE_DOES_NOT_EXIST"],
      [
        "POST",
        "/logged-models",
        { experiment_id: experimentId, name: "a/b" },
        400,
        "INVALID_PARAMETER_VALUE",
      ],
      [
        "POST",
        "/logged-models",
        { experiment_id: experimentId, source_run_id: "0".repeat(32) },
        404,
        "RESOURCE_DOES_NOT_EXIST",
      ],
      ["GET", `/logged-models/m-${"0".repeat(32)}`, undefined, 404, "RESOURCE_DOES_NOT_EXIST"],
      [
        "POST",
        "/logged-models/search",
        { experiment_ids: [experimentId], filter: "size > 1" },
        400,
        "INVALID_PARAMETER_VALUE",
      ],
      [
        "POST",
        "/logged-models/search",
        { experiment_ids: [experimentId], filter: "name = " },
        400,
        "INVALID_PARAMETER_VALUE",
      ],
    ];
    for (const [method, path, body, status, code] of cases)
      expect(await server.call(method, path, body), `${method} ${path}`).toMatchObject({
        status,
        json: { error_code: code },
      });
    const { json } = await server.call("POST", "/logged-models", { experiment_id: experimentId });
    const id = json.model.info.model_id;
    expect(await server.call("PATCH", `/logged-models/${id}`, { status: "DONE" })).toMatchObject({
      status: 400,
      json: { error_code: "INVALID_PARAMETER_VALUE" },
    });
    await server.call("POST", `/logged-models/${id}/params`, {
      params: [{ key: "p", value: "1" }],
    });
    expect(
      await server.call("POST", `/logged-models/${id}/params`, {
        params: [{ key: "p", value: "2" }],
      }),
    ).toMatchObject({ status: 400, json: { error_code: "INVALID_PARAMETER_VALUE" } });
  });
});

describe("MLflow REST: logged models and garbage collection", () => {
  it("removes a deleted experiment's logged models with their files", async () => {
    const { experimentId, runId } = await experimentAndRun("collected");
    const { json } = await server.call("POST", "/logged-models", {
      experiment_id: experimentId,
      source_run_id: runId,
    });
    const modelId = json.model.info.model_id as string;
    expect((await put(`${experimentId}/models/${modelId}/artifacts/MLmodel`, "x")).status).toBe(
      200,
    );
    const folder = fileURLToPath(`${server.artifactRoot}/${experimentId}/models/${modelId}`);
    expect(existsSync(folder)).toBe(true);

    await server.call("POST", "/experiments/delete", { experiment_id: experimentId });
    const result = await collectGarbage(server.db, new ArtifactStores());
    expect(result.experiments.map((e) => e.id)).toContain(experimentId);
    expect(await server.call("GET", `/logged-models/${modelId}`)).toMatchObject({ status: 404 });
    expect(existsSync(folder)).toBe(false);
    expect(existsSync(fileURLToPath(`${server.artifactRoot}/${experimentId}`))).toBe(false);
  });
});

describe("MLflow REST: the artifact proxy", () => {
  it("streams files of runs, lists folders, and refuses what it cannot serve", async () => {
    const { experimentId, runId } = await experimentAndRun("proxy");
    const base = `${experimentId}/${runId}/artifacts`;
    expect((await put(`${base}/a.txt`, "A")).status).toBe(200);
    expect((await put(`${base}/dir/b.txt`, "BB")).status).toBe(200);
    expect(await listing(base)).toEqual({
      files: [
        { path: "a.txt", is_dir: false, file_size: 1 },
        { path: "dir", is_dir: true },
      ],
    });
    expect(await listing(`${base}/dir`)).toEqual({
      files: [{ path: "b.txt", is_dir: false, file_size: 2 }],
    });
    expect(await listing(`${base}/a.txt`)).toEqual({});
    const listed = await server.call("GET", "/artifacts/list", { run_id: runId, path: "dir" });
    expect(listed.json).toEqual({
      root_uri: `mlflow-artifacts:/${base}`,
      files: [{ path: "dir/b.txt", is_dir: false, file_size: 2 }],
    });

    const missing = await fetch(proxy(`${base}/nope.txt`));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error_code: "RESOURCE_DOES_NOT_EXIST" });
    const outside = await fetch(proxy("somewhere/else.txt"), { method: "PUT", body: "x" });
    expect(outside.status).toBe(404);
    const wrongExperiment = await put(`99/${runId}/artifacts/a.txt`, "x");
    expect(wrongExperiment.status).toBe(404);
    const clash = await put(`${base}/a.txt/inner.txt`, "x");
    expect(clash.status).toBe(400);
    expect(await clash.json()).toMatchObject({ error_code: "INVALID_PARAMETER_VALUE" });
    const badPath = await put(`${base}/..%2Fescape.txt`, "x");
    expect(badPath.status).toBe(400);
    await server.call("POST", "/runs/delete", { run_id: runId });
    expect((await put(`${base}/late.txt`, "x")).status).toBe(400);
  });
});

describe("MLflow REST: the model registry", () => {
  it("creates, updates, renames, tags, searches and deletes registered models and versions", async () => {
    const { experimentId, runId } = await experimentAndRun("registry");
    await put(`${experimentId}/${runId}/artifacts/model/MLmodel`, "flavors: {}\n");
    const source = `mlflow-artifacts:/${experimentId}/${runId}/artifacts/model`;
    await server.call("POST", "/registered-models/create", {
      name: "reg",
      tags: [{ key: "a", value: "1" }],
    });
    for (let i = 0; i < 2; i++)
      expect(
        (
          await server.call("POST", "/model-versions/create", {
            name: "reg",
            source,
            run_id: runId,
          })
        ).status,
      ).toBe(200);

    await server.call("PATCH", "/registered-models/update", { name: "reg", description: "about" });
    await server.call("POST", "/registered-models/set-tag", { name: "reg", key: "b", value: "2" });
    await server.call("DELETE", "/registered-models/delete-tag", { name: "reg", key: "a" });
    await server.call("PATCH", "/model-versions/update", {
      name: "reg",
      version: "1",
      description: "first",
    });
    await server.call("POST", "/model-versions/set-tag", {
      name: "reg",
      version: "1",
      key: "q",
      value: "ok",
    });
    const v1 = await server.call("GET", "/model-versions/get", { name: "reg", version: "1" });
    expect(v1.json.model_version).toMatchObject({
      description: "first",
      tags: [{ key: "q", value: "ok" }],
      source,
    });
    await server.call("DELETE", "/model-versions/delete-tag", {
      name: "reg",
      version: "1",
      key: "q",
    });

    const renamed = await server.call("POST", "/registered-models/rename", {
      name: "reg",
      new_name: "reg2",
    });
    expect(renamed.json.registered_model).toMatchObject({
      name: "reg2",
      description: "about",
      tags: [{ key: "b", value: "2" }],
      latest_versions: [{ version: "2" }],
    });
    const latest = await server.call("POST", "/registered-models/get-latest-versions", {
      name: "reg2",
    });
    expect(latest.json.model_versions.map((v: MlflowJson) => v.version)).toEqual(["2"]);
    const staged = await server.call("POST", "/registered-models/get-latest-versions", {
      name: "reg2",
      stages: ["Production"],
    });
    expect(staged.json).toEqual({});
    const versions = await server.call("GET", "/model-versions/search", {
      filter: "name = 'reg2'",
    });
    expect(versions.json.model_versions.map((v: MlflowJson) => v.version)).toEqual(["2", "1"]);
    const search = await server.call("GET", "/registered-models/search", {
      filter: "tags.`mlflow.prompt.is_prompt` != 'true' and name LIKE 'reg%'",
    });
    expect(search.json.registered_models.map((m: MlflowJson) => m.name)).toEqual(["reg2"]);

    await server.call("POST", "/registered-models/alias", {
      name: "reg2",
      alias: "prod",
      version: "1",
    });
    await server.call("DELETE", "/registered-models/alias", { name: "reg2", alias: "prod" });
    expect(
      await server.call("GET", "/registered-models/alias", { name: "reg2", alias: "prod" }),
    ).toMatchObject({
      status: 404,
      json: { error_code: "RESOURCE_DOES_NOT_EXIST" },
    });
    await server.call("DELETE", "/model-versions/delete", { name: "reg2", version: "2" });
    expect(
      await server.call("GET", "/model-versions/get", { name: "reg2", version: "2" }),
    ).toMatchObject({
      status: 404,
    });
    await server.call("DELETE", "/registered-models/delete", { name: "reg2" });
    expect(await server.call("GET", "/registered-models/get", { name: "reg2" })).toMatchObject({
      status: 404,
      json: { error_code: "RESOURCE_DOES_NOT_EXIST" },
    });
  });

  it("refuses bad registry input with MLflow's codes", async () => {
    const { runId } = await experimentAndRun("registry-bad");
    await server.call("POST", "/registered-models/create", { name: "bad" });
    const cases: [string, string, Record<string, unknown>, number, string][] = [
      ["POST", "/registered-models/create", { name: "bad" }, 400, "RESOURCE_ALREADY_EXISTS"],
      ["POST", "/registered-models/create", { name: "a/b" }, 400, "INVALID_PARAMETER_VALUE"],
      ["GET", "/registered-models/get", { name: "none" }, 404, "RESOURCE_DOES_NOT_EXIST"],
      [
        "POST",
        "/model-versions/create",
        { name: "bad", source: "s3://bucket/model" },
        400,
        "INVALID_PARAMETER_VALUE",
      ],
      [
        "POST",
        "/model-versions/create",
        { name: "bad", source: `models:/m-${"1".repeat(32)}` },
        404,
        "RESOURCE_DOES_NOT_EXIST",
      ],
      [
        "POST",
        "/model-versions/create",
        { name: "bad", source: `runs:/${runId}/model` },
        400,
        "INVALID_PARAMETER_VALUE",
      ],
      ["GET", "/model-versions/get", { name: "bad", version: "x" }, 400, "INVALID_PARAMETER_VALUE"],
      ["GET", "/model-versions/get", { name: "bad", version: "7" }, 404, "RESOURCE_DOES_NOT_EXIST"],
      [
        "POST",
        "/registered-models/alias",
        { name: "bad", alias: "latest", version: "1" },
        400,
        "INVALID_PARAMETER_VALUE",
      ],
      ["POST", "/registered-models/rename", { name: "bad" }, 400, "INVALID_PARAMETER_VALUE"],
      [
        "GET",
        "/registered-models/search",
        { order_by: "created DESC" },
        400,
        "INVALID_PARAMETER_VALUE",
      ],
      ["GET", "/model-versions/search", { filter: "run_id = 'x'" }, 400, "INVALID_PARAMETER_VALUE"],
    ];
    for (const [method, path, body, status, code] of cases)
      expect(
        await server.call(method, path, body),
        `${method} ${path} ${JSON.stringify(body)}`,
      ).toMatchObject({
        status,
        json: { error_code: code },
      });
  });
});
