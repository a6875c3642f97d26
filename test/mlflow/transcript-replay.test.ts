import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MlflowJson, type MlflowServer, startMlflowServer } from "./support.ts";
import { type Exchange, parseTranscript } from "./transcript.ts";

/**
 * Replays what a real MLflow 3.6 client sent to a real MLflow server, in order, against
 * labbook, and compares each answer with the one MLflow gave: status, error code, and every
 * value but the ids and times the server made (ids are learned from earlier answers and
 * substituted in later requests). After each write, reads what it wrote back.
 */
const transcriptFile = fileURLToPath(
  new URL("./fixtures/mlflow-rest-transcript.txt", import.meta.url),
);
const exchanges = parseTranscript(transcriptFile);

/** Fields whose values the server makes up, learned and substituted. */
const idFields = new Set(["run_id", "run_uuid", "experiment_id", "model_id", "run_name"]);
/** Times the server stamps: compared as numbers only. */
const serverTimes = new Set([
  "creation_time",
  "last_update_time",
  "creation_timestamp",
  "last_updated_timestamp",
]);

const recordedToActual = new Map<string, string>();

function substitute(text: string): string {
  let out = text;
  for (const [recorded, actual] of recordedToActual) out = out.replaceAll(recorded, actual);
  return out;
}

function learnIds(expected: unknown, actual: unknown): void {
  if (Array.isArray(expected) && Array.isArray(actual))
    for (const [i, item] of expected.entries()) learnIds(item, actual[i]);
  else if (expected && actual && typeof expected === "object" && typeof actual === "object")
    for (const [key, value] of Object.entries(expected)) {
      const other = (actual as Record<string, unknown>)[key];
      if (idFields.has(key) && typeof value === "string" && typeof other === "string") {
        if (value !== other && !recordedToActual.has(value)) recordedToActual.set(value, other);
      } else learnIds(value, other);
    }
}

/** Server times replaced by their type; lists of keyed items sorted by key (MLflow keeps logging order, labbook sorts). */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalize);
    const keyed = items.every((item) => item && typeof item === "object" && "key" in item);
    return keyed
      ? [...items].sort((a, b) =>
          String((a as { key: string }).key).localeCompare(String((b as { key: string }).key)),
        )
      : items;
  }
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        serverTimes.has(key) ? typeof item : normalize(item),
      ]),
    );
  return value;
}

let server: MlflowServer;
beforeAll(async () => {
  server = await startMlflowServer();
});
afterAll(async () => {
  await server?.close();
});

async function send(exchange: Exchange): Promise<Response> {
  const headers: Record<string, string> = {};
  const contentType = exchange.headers["Content-Type"];
  if (contentType) headers["content-type"] = contentType;
  return fetch(`${server.url}${substitute(exchange.path)}`, {
    method: exchange.method,
    headers,
    body: exchange.body === undefined ? undefined : substitute(exchange.body),
  });
}

const apiPath = (exchange: Exchange) => new URL(exchange.path, "http://x").pathname;

/** What each kind of write left behind, read through the API. */
async function readBack(exchange: Exchange, answer: MlflowJson): Promise<void> {
  const path = apiPath(exchange).replace(/^\/api\/2\.0\/mlflow/, "");
  const isJson = exchange.headers["Content-Type"] === "application/json";
  const body = exchange.body && isJson ? (JSON.parse(substitute(exchange.body)) as MlflowJson) : {};
  const runOf = async (runId: string) =>
    (await server.call("GET", "/runs/get", { run_id: runId })).json.run;
  switch (path) {
    case "/experiments/create": {
      const id = (answer as { experiment_id: string }).experiment_id;
      const { json } = await server.call("GET", "/experiments/get", { experiment_id: id });
      expect(json.experiment.name).toBe(body.name);
      return;
    }
    case "/runs/create": {
      const run = answer.run;
      expect((await runOf(run.info.run_id)).info).toEqual(run.info);
      return;
    }
    case "/runs/log-parameter": {
      const run = await runOf(body.run_id);
      expect(run.data.params).toContainEqual({ key: body.key, value: body.value });
      return;
    }
    case "/runs/log-metric": {
      const { json } = await server.call("GET", "/metrics/get-history", {
        run_id: body.run_id,
        metric_key: body.key,
      });
      expect(json.metrics).toContainEqual({
        key: body.key,
        value: body.value,
        timestamp: body.timestamp,
        step: body.step,
      });
      return;
    }
    case "/runs/log-batch": {
      const run = await runOf(body.run_id);
      for (const param of body.params ?? []) expect(run.data.params).toContainEqual(param);
      for (const tag of body.tags ?? []) expect(run.data.tags).toContainEqual(tag);
      for (const metric of body.metrics ?? []) {
        const { json } = await server.call("GET", "/metrics/get-history", {
          run_id: body.run_id,
          metric_key: metric.key,
        });
        expect(json.metrics).toContainEqual({
          key: metric.key,
          value: metric.value,
          timestamp: metric.timestamp,
          step: metric.step,
        });
      }
      return;
    }
    case "/runs/set-tag":
      expect((await runOf(body.run_id)).data.tags).toContainEqual({
        key: body.key,
        value: body.value,
      });
      return;
    case "/runs/update": {
      const run = await runOf(body.run_id);
      expect(run.info.status).toBe(body.status);
      expect(run.info.end_time).toBe(body.end_time);
      return;
    }
    case "/registered-models/create": {
      const { json } = await server.call("GET", "/registered-models/get", { name: body.name });
      expect(json.registered_model.description).toBe(body.description);
      return;
    }
    case "/model-versions/create": {
      const version = answer.model_version;
      const { json } = await server.call("GET", "/model-versions/get", {
        name: body.name,
        version: version.version,
      });
      expect(json.model_version.source).toBe(body.source);
      return;
    }
    case "/registered-models/alias": {
      const { json } = await server.call("GET", "/registered-models/alias", {
        name: body.name,
        alias: body.alias,
      });
      expect(json.model_version.version).toBe(body.version);
      return;
    }
    default:
      if (apiPath(exchange).startsWith("/api/2.0/mlflow-artifacts/artifacts/")) {
        const response = await fetch(`${server.url}${substitute(exchange.path)}`);
        expect(await response.text()).toBe(exchange.body);
      } else throw new Error(`no read-back for ${exchange.method} ${path}`);
  }
}

/** After a refused write, what it would have changed is unchanged. */
async function readBackRefusal(exchange: Exchange): Promise<void> {
  const path = apiPath(exchange).replace(/^\/api\/2\.0\/mlflow/, "");
  const body = exchange.body ? (JSON.parse(substitute(exchange.body)) as MlflowJson) : {};
  if (path === "/runs/log-parameter") {
    const { json } = await server.call("GET", "/runs/get", { run_id: body.run_id });
    const param = json.run.data.params.find((p: MlflowJson) => p.key === body.key);
    expect(param.value).not.toBe(body.value);
  }
  if (path === "/experiments/create") {
    const { json } = await server.call("POST", "/experiments/search", {
      filter: `name = '${body.name}'`,
    });
    expect(json.experiments).toHaveLength(1);
  }
  if (path === "/registered-models/create") {
    const { json } = await server.call("GET", "/registered-models/get", { name: body.name });
    expect(json.registered_model.description).toBe("desc");
  }
}

describe("the MLflow 3.6 client transcript, replayed against labbook", () => {
  it("has the recorded exchanges", () => {
    expect(exchanges.length).toBeGreaterThan(40);
  });

  for (const exchange of exchanges)
    it(`#${exchange.number} ${exchange.method} ${apiPath(exchange)} (${exchange.call})`, async () => {
      const response = await send(exchange);
      expect(response.status, await response.clone().text()).toBe(exchange.status);
      if (exchange.contentType !== "application/json") {
        expect(response.headers.get("content-type")).toContain(exchange.contentType);
        expect(await response.text()).toBe(exchange.response);
        return;
      }
      const actual = (await response.json()) as Record<string, unknown>;
      const expected = exchange.response as Record<string, unknown>;
      if (exchange.status >= 400) {
        expect(actual.error_code).toBe(expected.error_code);
        expect(typeof actual.message).toBe("string");
        await readBackRefusal(exchange);
        return;
      }
      learnIds(expected, actual);
      expect(normalize(actual)).toEqual(
        normalize(JSON.parse(substitute(JSON.stringify(expected)))),
      );
      // Searches are POSTs that write nothing.
      const isWrite = exchange.method !== "GET" && !apiPath(exchange).endsWith("/search");
      if (isWrite) await readBack(exchange, actual);
    });
});
