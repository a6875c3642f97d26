import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type App, createApp } from "../../api/app.ts";
import type { Db } from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";
import { firstError, type GqlResponse, gql, gqlData } from "../support/gql.ts";
import {
  createExperimentDoc,
  type LogBatchInput,
  logBatchDoc,
  operations,
  updateRunDoc,
} from "./operations.ts";

/** Everything the API can show of a database, to prove a failed mutation changed nothing. */
const everythingDoc = `{
  experiments(view: ALL, first: 1000) {
    totalCount nodes { id name lifecycleStage lastUpdateTime tags { key value } } }
  runs(view: ALL, first: 1000) {
    totalCount nodes { id name status endTime lifecycleStage experimentId
      params { key value } tags { key value }
      metrics { key count last min max history { steps values timestamps } } } } }`;

const unknownRunId = "0123456789abcdef0123456789abcdef";

interface LoggedError {
  message: string;
  error: unknown;
}

describe.each(dbTargets)("API errors against a $name database", (target) => {
  let db: Db;
  let app: App;
  let logged: LoggedError[];
  let ops: ReturnType<typeof operations>;

  beforeEach(async () => {
    db = await target.open();
    logged = [];
    app = createApp({ db, logger: { error: (message, error) => logged.push({ message, error }) } });
    ops = operations(app);
  });

  afterEach(async () => {
    await db.close();
  });

  const snapshot = () => gqlData(app, everythingDoc);

  /** Runs a request that must fail, and checks the database reads the same before and after. */
  async function expectNoChange<T>(request: () => Promise<GqlResponse<T>>) {
    const before = await snapshot();
    const response = await request();
    expect(await snapshot()).toEqual(before);
    return response;
  }

  /** A run with a param, a tag and a metric, so a failed batch has something to disturb. */
  async function seededRun(): Promise<string> {
    const experimentId = await ops.createExperiment("seeded");
    const run = await ops.createRun(experimentId, "seeded-run");
    await ops.logBatch({
      runId: run.id,
      params: [{ key: "lr", value: "0.1" }],
      tags: [{ key: "team", value: "vision" }],
      metrics: [{ key: "loss", values: [1, 0.5], steps: [0, 1] }],
    });
    return run.id;
  }

  const logBatch = (input: LogBatchInput) => gql(app, logBatchDoc, { input });

  it("answers a second experiment with a taken name with CONFLICT, deleted ones included", async () => {
    const id = await ops.createExperiment("mnist");
    const taken = await expectNoChange(() => gql(app, createExperimentDoc, { name: "mnist" }));
    expect(taken.status).toBe(200);
    const error = firstError(taken);
    expect(error.extensions?.code).toBe("CONFLICT");
    expect(error.message).toContain("mnist");
    expect(error.path).toEqual(["createExperiment"]);
    expect(taken.body.data).toBeNull();

    await gqlData(
      app,
      "mutation ($id: ID!) { deleteExperiment(input: { experimentId: $id }) { experiment { id } } }",
      { id },
    );
    const deletedTaken = await expectNoChange(() =>
      gql(app, createExperimentDoc, { name: "mnist" }),
    );
    expect(firstError(deletedTaken).extensions?.code).toBe("CONFLICT");
    expect(firstError(deletedTaken).message).toContain("deleted");
  });

  it("answers a param logged again with another value with CONFLICT and applies none of the batch", async () => {
    const runId = await seededRun();
    const changed = await expectNoChange(() =>
      logBatch({
        runId,
        params: [
          { key: "epochs", value: "10" },
          { key: "lr", value: "0.2" },
        ],
        tags: [{ key: "team", value: "audio" }],
        metrics: [{ key: "loss", values: [0.1], steps: [2] }],
      }),
    );
    const error = firstError(changed);
    expect(error.extensions?.code).toBe("CONFLICT");
    expect(error.extensions?.field).toBe("params[1].value");
    expect(error.message).toContain("lr");

    // The same value again is no change, and is accepted.
    await ops.logBatch({ runId, params: [{ key: "lr", value: "0.1" }] });
    const metric = await ops.metric(runId, "loss");
    expect(metric?.count).toBe(2);
  });

  it("answers logBatch and updateRun on an unknown run with NOT_FOUND", async () => {
    await seededRun();
    for (const runId of [unknownRunId, "not-a-run-id"]) {
      const batch = await expectNoChange(() =>
        logBatch({ runId, metrics: [{ key: "loss", values: [1] }] }),
      );
      expect(firstError(batch).extensions?.code).toBe("NOT_FOUND");
      expect(firstError(batch).message).toContain(runId);

      const updated = await expectNoChange(() =>
        gql(app, updateRunDoc, { runId, status: "FINISHED" }),
      );
      expect(firstError(updated).extensions?.code).toBe("NOT_FOUND");
      expect(firstError(updated).path).toEqual(["updateRun"]);
    }
  });

  it("answers a bad metric key with BAD_USER_INPUT naming the field metrics[0].key", async () => {
    const runId = await seededRun();
    for (const key of ["bad key!", "../escape", ""]) {
      const response = await expectNoChange(() =>
        logBatch({
          runId,
          params: [{ key: "fresh", value: "1" }],
          metrics: [{ key, values: [1] }],
        }),
      );
      const error = firstError(response);
      expect(error.extensions?.code).toBe("BAD_USER_INPUT");
      expect(error.extensions?.field).toBe("metrics[0].key");
      expect(error.message).toContain("metrics[0].key");
    }
  });

  it('answers a MetricValue that is not a number, "NaN" or ±"Infinity" with BAD_USER_INPUT', async () => {
    const runId = await seededRun();
    for (const value of ["x", "nan", true]) {
      const response = await expectNoChange(() =>
        gql(app, logBatchDoc, { input: { runId, metrics: [{ key: "loss", values: [1, value] }] } }),
      );
      const error = firstError(response);
      expect(error.extensions?.code).toBe("BAD_USER_INPUT");
      expect(error.message).toContain("MetricValue");
      // The list is one scalar (fast to coerce): the path names it, the message the index.
      expect(error.message).toContain("metrics[0].values");
      expect(error.message).toContain("at index 1");
    }
    // Written inline in the document rather than as a variable, too.
    const inline = await expectNoChange(() =>
      gql(
        app,
        `mutation { logBatch(input: { runId: "${runId}", metrics: [{ key: "loss", values: ["x"] }] }) { run { id } } }`,
      ),
    );
    expect(firstError(inline).extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("answers a Long that is not an integer up to 2^53 - 1 with BAD_USER_INPUT", async () => {
    const runId = await seededRun();
    for (const step of [2 ** 53, -(2 ** 53), 1.5, "12a", "9007199254740993"]) {
      const response = await expectNoChange(() =>
        gql(app, logBatchDoc, {
          input: { runId, metrics: [{ key: "loss", values: [1], steps: [step] }] },
        }),
      );
      const error = firstError(response);
      expect(error.extensions?.code).toBe("BAD_USER_INPUT");
      expect(error.message).toContain("Long");
    }
  });

  it("answers steps and values of different lengths with BAD_USER_INPUT naming the field", async () => {
    const runId = await seededRun();
    const response = await expectNoChange(() =>
      logBatch({ runId, metrics: [{ key: "loss", values: [1, 2], steps: [0] }] }),
    );
    expect(firstError(response).extensions).toEqual({
      code: "BAD_USER_INPUT",
      field: "metrics[0].steps",
    });
  });

  it("answers a document with a syntax error with GRAPHQL_PARSE_FAILED and where it is", async () => {
    const response = await expectNoChange(() =>
      gql(app, "mutation { createExperiment(input: { name: ", undefined),
    );
    expect(response.status).toBe(400);
    const error = firstError(response);
    expect(error.extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
    expect(error.message).toMatch(/^Syntax Error: /);
    expect(response.body).toHaveProperty(["errors", 0, "locations", 0, "line"], 1);
    expect(response.body.data).toBeUndefined();
  });

  it("answers a field that does not exist with GRAPHQL_VALIDATION_FAILED", async () => {
    const response = await gql(app, "{ runs { edges { node { accuracy } } } }");
    expect(response.status).toBe(400);
    expect(firstError(response).extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(firstError(response).message).toContain("accuracy");
  });

  it("rejects a query nested deeper than the depth limit, and runs one at the limit", async () => {
    const shallowApp = createApp({ db, maxDepth: 4 });
    // runs > edges > node > experiment > id: depth 5.
    const tooDeep = await gql(shallowApp, "{ runs { edges { node { experiment { id } } } } }");
    expect(tooDeep.status).toBe(400);
    expect(firstError(tooDeep).extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(firstError(tooDeep).message).toContain("depth limit of 4");
    expect(tooDeep.body.data).toBeUndefined();

    const atLimit = await gql(shallowApp, "{ runs { edges { node { id } } } }");
    expect(atLimit.status).toBe(200);
    expect(atLimit.body.errors).toBeUndefined();

    // The default limit (12) stops a run > parent > parent > … chain 13 fields deep.
    const chain = `{ run(id: "${unknownRunId}") { ${"parent { ".repeat(11)}id${" }".repeat(11)} } }`;
    const deepByDefault = await gql(app, chain);
    expect(firstError(deepByDefault).extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(firstError(deepByDefault).message).toContain("depth limit of 12");
  });

  it("rejects a document with more tokens than the limit", async () => {
    const smallApp = createApp({ db, maxTokens: 20 });
    const aliases = Array.from({ length: 10 }, (_, i) => `r${i}: runs { totalCount }`).join(" ");
    const response = await gql(smallApp, `{ ${aliases} }`);
    expect(response.status).toBe(400);
    expect(firstError(response).extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
    expect(firstError(response).message).toContain("Token limit of 20");
  });

  it("masks an unexpected internal error: a generic message with INTERNAL_SERVER_ERROR, the cause only in the log", async () => {
    const closed = await target.open();
    const closedApp = createApp({
      db: closed,
      logger: { error: (message, error) => logged.push({ message, error }) },
    });
    await closed.close();

    const response = await gql(closedApp, "{ experiments { totalCount nodes { name } } }");
    expect(response.status).toBe(200);
    const error = firstError(response);
    expect(error.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    expect(error.message).toBe("Unexpected error.");
    const text = JSON.stringify(response.body);
    for (const leak of ["select", 'experiments\\"', "closed", "libsql", "SQL", "at "])
      expect(text).not.toContain(leak);
    expect(response.body.data).toBeNull();

    expect(logged).toHaveLength(1);
    expect(logged[0]?.message).toContain("unexpected error");
    expect(String(logged[0]?.error)).toMatch(/select/i);
  });
});
