import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MlflowJson, type MlflowServer, startMlflowServer } from "./support.ts";

/** Experiments, runs, logging, search and history through real HTTP, good input and bad. */
let server: MlflowServer;
const token = "mlflow-token";
beforeAll(async () => {
  server = await startMlflowServer({ token });
});
afterAll(async () => {
  await server?.close();
});

async function newExperiment(name: string): Promise<string> {
  const { status, json } = await server.call("POST", "/experiments/create", { name });
  expect(status).toBe(200);
  return json.experiment_id as string;
}

async function newRun(experimentId: string, extra: Record<string, unknown> = {}) {
  const { status, json } = await server.call("POST", "/runs/create", {
    experiment_id: experimentId,
    start_time: 1000,
    ...extra,
  });
  expect(status, JSON.stringify(json)).toBe(200);
  return json.run.info.run_id as string;
}

const getRun = async (runId: string) =>
  (await server.call("GET", "/runs/get", { run_id: runId })).json.run;

describe("MLflow REST: auth, health and version", () => {
  it("refuses a request without the token with MLflow's error JSON", async () => {
    const response = await fetch(`${server.url}/api/2.0/mlflow/experiments/search`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error_code: "UNAUTHENTICATED" });
    const ajax = await fetch(`${server.url}/ajax-api/2.0/mlflow/experiments/search`);
    expect(ajax.status).toBe(401);
  });

  it("answers /health and /version without the token", async () => {
    expect(await (await fetch(`${server.url}/health`)).text()).toBe("OK");
    const version = await fetch(`${server.url}/version`);
    expect(version.status).toBe(200);
    expect(await version.text()).toMatch(/^3\.\d+\.\d+$/);
  });

  it("serves the same routes under /ajax-api/2.0 (MLflow's UI)", async () => {
    const response = await fetch(
      `${server.url}/ajax-api/2.0/mlflow/experiments/get?experiment_id=0`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ experiment: { name: "Default" } });
  });

  it("answers an unknown endpoint, a wrong method and bad JSON with MLflow's codes", async () => {
    expect(await server.call("GET", "/nothing/here")).toMatchObject({
      status: 404,
      json: { error_code: "ENDPOINT_NOT_FOUND" },
    });
    expect(await server.call("GET", "/runs/create")).toMatchObject({
      status: 405,
      json: { error_code: "ENDPOINT_NOT_FOUND" },
    });
    const response = await fetch(`${server.url}/api/2.0/mlflow/runs/create`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error_code: "MALFORMED_REQUEST" });
  });
});

describe("MLflow REST: experiments", () => {
  it("creates, gets, renames, tags, deletes and restores an experiment", async () => {
    const { json: created } = await server.call("POST", "/experiments/create", {
      name: "exp-life",
      tags: [{ key: "team", value: "vision" }],
    });
    const id = created.experiment_id as string;
    const { json: got } = await server.call("GET", "/experiments/get", { experiment_id: id });
    expect(got.experiment).toMatchObject({
      experiment_id: id,
      name: "exp-life",
      artifact_location: `mlflow-artifacts:/${id}`,
      lifecycle_stage: "active",
      tags: [{ key: "team", value: "vision" }],
    });

    await server.call("POST", "/experiments/update", {
      experiment_id: id,
      new_name: "exp-renamed",
    });
    const byName = await server.call("GET", "/experiments/get-by-name", {
      experiment_name: "exp-renamed",
    });
    expect(byName.json.experiment.experiment_id).toBe(id);

    await server.call("POST", "/experiments/set-experiment-tag", {
      experiment_id: id,
      key: "stage",
      value: "dev",
    });
    await server.call("POST", "/experiments/delete-experiment-tag", {
      experiment_id: id,
      key: "team",
    });
    const tagged = await server.call("GET", "/experiments/get", { experiment_id: id });
    expect(tagged.json.experiment.tags).toEqual([{ key: "stage", value: "dev" }]);

    await server.call("POST", "/experiments/delete", { experiment_id: id });
    const deleted = await server.call("GET", "/experiments/get", { experiment_id: id });
    expect(deleted.json.experiment.lifecycle_stage).toBe("deleted");
    const active = await server.call("POST", "/experiments/search", {
      filter: "name = 'exp-renamed'",
    });
    expect(active.json).toEqual({});
    const all = await server.call("POST", "/experiments/search", {
      filter: "name = 'exp-renamed'",
      view_type: "ALL",
    });
    expect(all.json.experiments).toHaveLength(1);
    await server.call("POST", "/experiments/restore", { experiment_id: id });
    const restored = await server.call("GET", "/experiments/get", { experiment_id: id });
    expect(restored.json.experiment.lifecycle_stage).toBe("active");
  });

  it("pages experiment searches with tokens", async () => {
    for (const name of ["page-a", "page-b", "page-c"]) await newExperiment(name);
    const first = await server.call("GET", "/experiments/search", {
      filter: "name LIKE 'page-%'",
      max_results: 2,
    });
    expect(first.json.experiments).toHaveLength(2);
    const second = await server.call("GET", "/experiments/search", {
      filter: "name LIKE 'page-%'",
      max_results: 2,
      page_token: first.json.next_page_token,
    });
    expect(second.json.experiments).toHaveLength(1);
    expect(second.json.next_page_token).toBeUndefined();
    const names = [...first.json.experiments, ...second.json.experiments].map((e) => e.name);
    expect(names.sort()).toEqual(["page-a", "page-b", "page-c"]);
  });

  it("refuses bad experiment input with MLflow's codes", async () => {
    expect(await server.call("POST", "/experiments/create", {})).toMatchObject({
      status: 400,
      json: { error_code: "INVALID_PARAMETER_VALUE" },
    });
    expect(await server.call("POST", "/experiments/create", { name: "   " })).toMatchObject({
      status: 400,
      json: { error_code: "INVALID_PARAMETER_VALUE" },
    });
    expect(await server.call("GET", "/experiments/get", { experiment_id: "999" })).toMatchObject({
      status: 404,
      json: { error_code: "RESOURCE_DOES_NOT_EXIST" },
    });
    expect(await server.call("POST", "/experiments/delete", { experiment_id: "0" })).toMatchObject({
      status: 400,
      json: { error_code: "INVALID_PARAMETER_VALUE" },
    });
    expect(await server.call("POST", "/experiments/search", { max_results: 0 })).toMatchObject({
      status: 400,
      json: { error_code: "INVALID_PARAMETER_VALUE" },
    });
    expect(
      await server.call("POST", "/experiments/search", { page_token: "garbage" }),
    ).toMatchObject({ status: 400, json: { error_code: "INVALID_PARAMETER_VALUE" } });
    expect(await server.call("POST", "/experiments/search", { view_type: "SOME" })).toMatchObject({
      status: 400,
      json: { error_code: "INVALID_PARAMETER_VALUE" },
    });
  });
});

describe("MLflow REST: runs", () => {
  it("names a run from its tag, generates a name, and records the user", async () => {
    const experiment = await newExperiment("runs-names");
    const tagged = await getRun(
      await newRun(experiment, {
        user_id: "ada",
        tags: [{ key: "mlflow.runName", value: "tagged" }],
      }),
    );
    expect(tagged.info).toMatchObject({ run_name: "tagged", user_id: "ada", status: "RUNNING" });
    const generated = await getRun(await newRun(experiment));
    expect(generated.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect(generated.data.tags).toContainEqual({
      key: "mlflow.runName",
      value: generated.info.run_name,
    });
    expect(
      await server.call("POST", "/runs/create", {
        experiment_id: experiment,
        run_name: "a",
        tags: [{ key: "mlflow.runName", value: "b" }],
      }),
    ).toMatchObject({ status: 400, json: { error_code: "INVALID_PARAMETER_VALUE" } });
  });

  it("updates, renames, deletes and restores a run", async () => {
    const runId = await newRun(await newExperiment("runs-life"));
    const { json } = await server.call("POST", "/runs/update", {
      run_id: runId,
      status: "KILLED",
      end_time: 5000,
      run_name: "renamed",
    });
    expect(json.run_info).toMatchObject({ status: "KILLED", end_time: 5000, run_name: "renamed" });
    expect((await getRun(runId)).data.tags).toContainEqual({
      key: "mlflow.runName",
      value: "renamed",
    });
    await server.call("POST", "/runs/set-tag", {
      run_id: runId,
      key: "mlflow.runName",
      value: "again",
    });
    expect((await getRun(runId)).info.run_name).toBe("again");

    await server.call("POST", "/runs/delete", { run_id: runId });
    expect((await getRun(runId)).info.lifecycle_stage).toBe("deleted");
    expect(
      await server.call("POST", "/runs/log-parameter", { run_id: runId, key: "k", value: "v" }),
    ).toMatchObject({ status: 400, json: { error_code: "INVALID_PARAMETER_VALUE" } });
    await server.call("POST", "/runs/restore", { run_id: runId });
    expect((await getRun(runId)).info.lifecycle_stage).toBe("active");
  });

  it("refuses bad run input with MLflow's codes", async () => {
    const experiment = await newExperiment("runs-bad");
    expect(await server.call("POST", "/runs/create", { experiment_id: "424242" })).toMatchObject({
      status: 404,
      json: { error_code: "RESOURCE_DOES_NOT_EXIST" },
    });
    expect(
      await server.call("POST", "/runs/create", { experiment_id: experiment, start_time: "soon" }),
    ).toMatchObject({ status: 400, json: { error_code: "INVALID_PARAMETER_VALUE" } });
    const runId = await newRun(experiment);
    expect(
      await server.call("POST", "/runs/update", { run_id: runId, status: "DONE" }),
    ).toMatchObject({ status: 400, json: { error_code: "INVALID_PARAMETER_VALUE" } });
    expect(await server.call("GET", "/runs/get", {})).toMatchObject({
      status: 400,
      json: { error_code: "INVALID_PARAMETER_VALUE" },
    });
    expect(await server.call("POST", "/runs/delete", { run_id: "f".repeat(32) })).toMatchObject({
      status: 404,
      json: { error_code: "RESOURCE_DOES_NOT_EXIST" },
    });
  });
});

describe("MLflow REST: logging and history", () => {
  it("logs metrics with steps (NaN and infinities included), params and tags", async () => {
    const runId = await newRun(await newExperiment("logging"));
    for (const [step, value] of [
      [0, 1.5],
      [1, "NaN"],
      [2, "Infinity"],
      [3, 0.25],
    ] as const)
      expect(
        (
          await server.call("POST", "/runs/log-metric", {
            run_id: runId,
            key: "loss",
            value,
            timestamp: 100 + step,
            step,
          })
        ).status,
      ).toBe(200);
    await server.call("POST", "/runs/log-batch", {
      run_id: runId,
      metrics: [{ key: "acc", value: 0.5, timestamp: 7, step: 1 }],
      params: [{ key: "lr", value: "0.1" }],
      tags: [{ key: "team", value: "a" }],
    });
    await server.call("POST", "/runs/log-parameter", { run_id: runId, key: "bs", value: "32" });
    await server.call("POST", "/runs/set-tag", { run_id: runId, key: "gone", value: "soon" });
    await server.call("POST", "/runs/delete-tag", { run_id: runId, key: "gone" });

    const run = await getRun(runId);
    expect(run.data.metrics).toEqual([
      { key: "acc", value: 0.5, timestamp: 7, step: 1 },
      { key: "loss", value: 0.25, timestamp: 103, step: 3 },
    ]);
    expect(run.data.params).toEqual([
      { key: "bs", value: "32" },
      { key: "lr", value: "0.1" },
    ]);
    expect(run.data.tags.map((t: MlflowJson) => t.key)).not.toContain("gone");

    const all = await server.call("GET", "/metrics/get-history", {
      run_id: runId,
      metric_key: "loss",
    });
    expect(all.json.metrics.map((m: MlflowJson) => m.value)).toEqual([
      1.5,
      "NaN",
      "Infinity",
      0.25,
    ]);
    const page1 = await server.call("GET", "/metrics/get-history", {
      run_id: runId,
      metric_key: "loss",
      max_results: 3,
    });
    expect(page1.json.metrics.map((m: MlflowJson) => m.step)).toEqual([0, 1, 2]);
    const page2 = await server.call("GET", "/metrics/get-history", {
      run_id: runId,
      metric_key: "loss",
      max_results: 3,
      page_token: page1.json.next_page_token,
    });
    expect(page2.json).toEqual({
      metrics: [{ key: "loss", value: 0.25, timestamp: 103, step: 3 }],
    });
    const none = await server.call("GET", "/metrics/get-history", {
      run_id: runId,
      metric_key: "nope",
    });
    expect(none).toMatchObject({ status: 200, json: {} });

    const bulk = await server.call("GET", "/metrics/get-history-bulk-interval", {
      run_ids: [runId],
      metric_key: "loss",
      start_step: 1,
      end_step: 2,
      max_results: 10,
    });
    expect(bulk.json.metrics.map((m: MlflowJson) => [m.step, m.run_id])).toEqual([
      [1, runId],
      [2, runId],
    ]);
  });

  it("refuses bad logging input with MLflow's codes, and changes nothing", async () => {
    const runId = await newRun(await newExperiment("logging-bad"));
    const refused = [
      { run_id: runId, key: "x", value: "high", timestamp: 1 },
      { run_id: runId, key: "x", value: 1 },
      { run_id: runId, key: "bad key!", value: 1, timestamp: 1 },
      { run_id: runId, key: "x", value: 1, timestamp: 1, step: 1.5 },
    ];
    for (const body of refused)
      expect(await server.call("POST", "/runs/log-metric", body)).toMatchObject({
        status: 400,
        json: { error_code: "INVALID_PARAMETER_VALUE" },
      });
    expect(
      await server.call("POST", "/runs/log-batch", {
        run_id: runId,
        metrics: [{ key: "ok", value: 1, timestamp: 1 }],
        params: [
          { key: "p", value: "1" },
          { key: "p", value: "2" },
        ],
      }),
    ).toMatchObject({ status: 400, json: { error_code: "INVALID_PARAMETER_VALUE" } });
    expect((await getRun(runId)).data).toEqual({ tags: expect.any(Array) });
    expect(
      await server.call("POST", "/runs/log-batch", {
        run_id: "0".repeat(32),
        params: [{ key: "p", value: "1" }],
      }),
    ).toMatchObject({ status: 404, json: { error_code: "RESOURCE_DOES_NOT_EXIST" } });
    expect(
      await server.call("POST", "/runs/delete-tag", { run_id: runId, key: "never" }),
    ).toMatchObject({ status: 404, json: { error_code: "RESOURCE_DOES_NOT_EXIST" } });
    expect(await server.call("GET", "/metrics/get-history", { run_id: runId })).toMatchObject({
      status: 400,
      json: { error_code: "INVALID_PARAMETER_VALUE" },
    });
  });

  it("logs dataset inputs and model outputs, and shows them on the run", async () => {
    const runId = await newRun(await newExperiment("inputs"));
    const dataset = {
      name: "mnist",
      digest: "abc123",
      source_type: "local",
      source: "/data/mnist",
    };
    const logged = await server.call("POST", "/runs/log-inputs", {
      run_id: runId,
      datasets: [{ tags: [{ key: "mlflow.data.context", value: "training" }], dataset }],
    });
    expect(logged.status).toBe(200);
    expect((await getRun(runId)).inputs).toEqual({
      dataset_inputs: [{ tags: [{ key: "mlflow.data.context", value: "training" }], dataset }],
    });
    expect(
      await server.call("POST", "/runs/log-inputs", {
        run_id: runId,
        datasets: [{ dataset: { name: "x" } }],
      }),
    ).toMatchObject({ status: 400, json: { error_code: "INVALID_PARAMETER_VALUE" } });
  });
});

describe("MLflow REST: MLflow 2's log-model record", () => {
  it("appends each model's MLmodel to the run's model history tag", async () => {
    const runId = await newRun(await newExperiment("log-model-record"));
    const model = (path: string) =>
      JSON.stringify({ artifact_path: path, flavors: {}, utc_time_created: "now", run_id: runId });
    for (const path of ["a", "b"])
      expect(
        (await server.call("POST", "/runs/log-model", { run_id: runId, model_json: model(path) }))
          .status,
      ).toBe(200);
    const tag = (await getRun(runId)).data.tags.find(
      (t: MlflowJson) => t.key === "mlflow.log-model.history",
    );
    expect(JSON.parse(tag.value).map((m: MlflowJson) => m.artifact_path)).toEqual(["a", "b"]);
    expect(
      await server.call("POST", "/runs/log-model", {
        run_id: runId,
        model_json: '{"flavors": {}}',
      }),
    ).toMatchObject({ status: 400, json: { error_code: "INVALID_PARAMETER_VALUE" } });
  });
});

describe("MLflow REST: search", () => {
  it("filters, orders and pages runs with MLflow's grammar", async () => {
    const experiment = await newExperiment("search");
    for (const [i, lr] of ["0.1", "0.01", "0.001"].entries()) {
      const runId = await newRun(experiment, { start_time: 1000 + i });
      await server.call("POST", "/runs/log-batch", {
        run_id: runId,
        metrics: [{ key: "acc", value: 0.5 + i / 10, timestamp: 1, step: 0 }],
        params: [{ key: "lr", value: lr }],
      });
    }
    const { json } = await server.call("POST", "/runs/search", {
      experiment_ids: [experiment],
      filter: "metrics.acc > 0.55 and params.lr != '0.1'",
      order_by: ["metrics.acc DESC"],
    });
    expect(json.runs.map((r: MlflowJson) => r.data.params[0].value)).toEqual(["0.001", "0.01"]);

    const first = await server.call("POST", "/runs/search", {
      experiment_ids: [experiment],
      max_results: 2,
      order_by: ["start_time ASC"],
    });
    expect(first.json.runs).toHaveLength(2);
    const rest = await server.call("POST", "/runs/search", {
      experiment_ids: [experiment],
      max_results: 2,
      order_by: ["start_time ASC"],
      page_token: first.json.next_page_token,
    });
    expect(rest.json.runs.map((r: MlflowJson) => r.info.start_time)).toEqual([1002]);
    expect(rest.json.next_page_token).toBeUndefined();

    expect(
      await server.call("POST", "/runs/search", {
        experiment_ids: [experiment],
        order_by: ["size DESC"],
      }),
    ).toMatchObject({ status: 400, json: { error_code: "INVALID_PARAMETER_VALUE" } });
    expect(
      await server.call("POST", "/runs/search", {
        experiment_ids: [experiment],
        max_results: 50_001,
      }),
    ).toMatchObject({ status: 400, json: { error_code: "INVALID_PARAMETER_VALUE" } });
  });
});
