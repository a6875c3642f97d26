import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gqlData } from "../support/gql.ts";
import { type MlflowJson, type MlflowServer, startMlflowServer } from "./support.ts";

/** One store behind both faces: what one logs, the other reads, on the same server. */
let server: MlflowServer;
const token = "both-faces";
const headers = { authorization: `Bearer ${token}` };
beforeAll(async () => {
  server = await startMlflowServer({ token });
});
afterAll(async () => {
  await server?.close();
});

const runQuery = `query ($id: ID!) {
  run(id: $id) {
    name status startTime endTime experimentId artifactUri parentRunId
    params { key value }
    tags { key value }
    metrics { key count last lastStep history { steps values timestamps } }
    artifacts { path isDir size }
  }
}`;

describe("the MLflow REST face and the GraphQL API", () => {
  it("shows a run logged through MLflow's REST API in GraphQL", async () => {
    const experimentId = (await server.call("POST", "/experiments/create", { name: "from-rest" }))
      .json.experiment_id as string;
    const created = await server.call("POST", "/runs/create", {
      experiment_id: experimentId,
      run_name: "rest-run",
      start_time: 1000,
    });
    const runId = created.json.run.info.run_id as string;
    await server.call("POST", "/runs/log-batch", {
      run_id: runId,
      metrics: [
        { key: "loss", value: 0.5, timestamp: 10, step: 0 },
        { key: "loss", value: 0.25, timestamp: 11, step: 1 },
      ],
      params: [{ key: "lr", value: "0.01" }],
      tags: [{ key: "team", value: "ml" }],
    });
    const upload = await fetch(
      `${server.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/notes.txt`,
      { method: "PUT", headers, body: "hello" },
    );
    expect(upload.status).toBe(200);
    await server.call("POST", "/runs/update", {
      run_id: runId,
      status: "FINISHED",
      end_time: 2000,
    });

    const { run } = await gqlData<{ run: MlflowJson }>(
      server.url,
      runQuery,
      { id: runId },
      { headers },
    );
    expect(run).toMatchObject({
      name: "rest-run",
      status: "FINISHED",
      startTime: 1000,
      endTime: 2000,
      experimentId,
      params: [{ key: "lr", value: "0.01" }],
      metrics: [
        {
          key: "loss",
          count: 2,
          last: 0.25,
          lastStep: 1,
          history: { steps: [0, 1], values: [0.5, 0.25], timestamps: [10, 11] },
        },
      ],
      artifacts: [{ path: "notes.txt", isDir: false, size: 5 }],
    });
    expect(run.tags).toContainEqual({ key: "team", value: "ml" });
    expect(run.artifactUri).toBe(`${server.artifactRoot}/${experimentId}/${runId}/artifacts`);
  });

  it("shows a run logged through GraphQL to MLflow clients", async () => {
    const { createExperiment } = await gqlData<{
      createExperiment: { experiment: { id: string } };
    }>(
      server.url,
      `mutation { createExperiment(input: { name: "from-graphql" }) { experiment { id } } }`,
      {},
      { headers },
    );
    const experimentId = createExperiment.experiment.id;
    const { createRun } = await gqlData<{ createRun: { run: { id: string } } }>(
      server.url,
      `mutation ($e: ID!) { createRun(input: { experimentId: $e, name: "gql-run", startTime: 500 }) { run { id } } }`,
      { e: experimentId },
      { headers },
    );
    const runId = createRun.run.id;
    await gqlData(
      server.url,
      `mutation ($input: LogBatchInput!) { logBatch(input: $input) { points } }`,
      {
        input: {
          runId,
          params: [{ key: "optimizer", value: "adam" }],
          metrics: [{ key: "acc", values: [0.5, 0.75], steps: [0, 1], timestamps: [20, 21] }],
        },
      },
      { headers },
    );

    const { json } = await server.call("GET", "/runs/get", { run_id: runId });
    expect(json.run).toMatchObject({
      info: {
        run_id: runId,
        run_name: "gql-run",
        experiment_id: experimentId,
        status: "RUNNING",
        start_time: 500,
        artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
      },
      data: {
        metrics: [{ key: "acc", value: 0.75, timestamp: 21, step: 1 }],
        params: [{ key: "optimizer", value: "adam" }],
      },
    });
    const history = await server.call("GET", "/metrics/get-history", {
      run_id: runId,
      metric_key: "acc",
    });
    expect(history.json.metrics.map((m: MlflowJson) => m.value)).toEqual([0.5, 0.75]);
    const search = await server.call("POST", "/runs/search", {
      experiment_ids: [experimentId],
      filter: "params.optimizer = 'adam' and metrics.acc > 0.7",
    });
    expect(search.json.runs.map((r: MlflowJson) => r.info.run_id)).toEqual([runId]);
  });

  it("registers through one face and reads the version through the other", async () => {
    const experimentId = (
      await server.call("POST", "/experiments/create", { name: "registry-faces" })
    ).json.experiment_id as string;
    const runId = (await server.call("POST", "/runs/create", { experiment_id: experimentId })).json
      .run.info.run_id as string;
    await fetch(
      `${server.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/model/MLmodel`,
      { method: "PUT", headers, body: "flavors: {}\n" },
    );
    await gqlData(
      server.url,
      `mutation ($s: String!) { createModelVersion(input: { name: "faces", source: $s }) { modelVersion { version } } }`,
      { s: `runs:/${runId}/model` },
      { headers },
    );
    const { json } = await server.call("GET", "/model-versions/get", {
      name: "faces",
      version: "1",
    });
    expect(json.model_version).toMatchObject({ source: `runs:/${runId}/model`, run_id: runId });
    const uri = await server.call("GET", "/model-versions/get-download-uri", {
      name: "faces",
      version: "1",
    });
    expect(uri.json.artifact_uri).toBe(
      `mlflow-artifacts:/${experimentId}/${runId}/artifacts/model`,
    );
  });
});
