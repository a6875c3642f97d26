import { describe, expect, it } from "vitest";
import { type LabbookError, startRun } from "../../client/index.ts";
import { gqlData } from "../support/gql.ts";
import { asApiValue, asRecord, readHistory, readRun, server, until } from "./support.ts";

const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

describe("startRun and a run's logging, against a real server", () => {
  it("logs params, tags and metrics (NaN and ±Infinity too) and reads them back exactly", async () => {
    const { info } = await server();
    const errors: LabbookError[] = [];
    const run = await startRun({
      trackingUri: info.url,
      experiment: "sdk-logging",
      name: "exact",
      tags: { team: "vision", seed: 42 },
      batchSize: 1000,
      onError: (error) => errors.push(error),
    });
    expect(run.id).toMatch(/^[0-9a-f]{32}$/);
    expect(run.owned).toBe(true);

    run.logParam("lr", 0.001);
    run.logParams({ epochs: 10, optimizer: "adam", nesterov: true });
    run.setTag("backend", "wasm");
    run.setTags({ phase: "train" });

    // 4,321 points of `loss` across several batches and flushes, one `special` per step.
    const loss: number[] = [];
    const special: number[] = [];
    const t0 = 1_700_000_000_000;
    for (let step = 0; step < 4321; step++) {
      const value = step % 97 === 0 ? (specials[step % 3] as number) : 1 / (step + 1);
      loss.push(value);
      run.logMetric("loss", value, { step, timestamp: t0 + step });
      if (step % 1500 === 0) await run.flush();
    }
    for (const [step, value] of specials.entries()) {
      special.push(value, -(step + 1));
      run.logMetrics({ special: value }, { step: 2 * step, timestamp: t0 });
      run.logMetrics({ special: -(step + 1) }, { step: 2 * step + 1, timestamp: t0 });
    }
    run.setTag("phase", "done"); // a later value wins
    await run.flush();
    expect(run.stats()).toMatchObject({ buffered: 0, queued: 0, sent: 4321 + 6, dropped: 0 });
    await run.end();
    expect(errors).toEqual([]);

    const stored = await readRun(info.url, run.id);
    expect(stored.status).toBe("FINISHED");
    expect(stored.endTime).toBeGreaterThan(0);
    expect(asRecord(stored.params)).toEqual({
      lr: "0.001",
      epochs: "10",
      optimizer: "adam",
      nesterov: "true",
    });
    expect(asRecord(stored.tags)).toMatchObject({
      team: "vision",
      seed: "42",
      backend: "wasm",
      phase: "done",
    });
    const lossHistory = await readHistory(info.url, run.id, "loss");
    expect(lossHistory.count).toBe(4321);
    expect(lossHistory.history.steps).toEqual(loss.map((_, step) => step));
    expect(lossHistory.history.values).toEqual(loss.map(asApiValue));
    expect(lossHistory.history.timestamps).toEqual(loss.map((_, step) => t0 + step));
    const specialHistory = await readHistory(info.url, run.id, "special");
    expect(specialHistory.history.values).toEqual(special.map(asApiValue));

    const { experiment } = await gqlData<{ experiment: { id: string } }>(
      info.url,
      'query { experiment(name: "sdk-logging") { id } }',
    );
    expect(run.experimentId).toBe(experiment.id);
  });

  it("reuses an existing experiment, and creates it once when two runs start at once", async () => {
    const { info } = await server();
    const first = await startRun({ trackingUri: info.url, experiment: "first" });
    const listeners = () =>
      ["SIGINT", "SIGTERM", "uncaughtException", "beforeExit", "exit"].map((event) =>
        process.listenerCount(event),
      );
    const installed = listeners();
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => startRun({ trackingUri: info.url, experiment: "shared" })),
    );
    // The process handlers went in with the first run, once.
    expect(listeners()).toEqual(installed);
    await first.end();
    expect(new Set(runs.map((run) => run.experimentId)).size).toBe(1);
    const later = await startRun({ trackingUri: info.url, experiment: "shared" });
    expect(later.experimentId).toBe(runs[0]?.experimentId);
    await Promise.all([...runs, later].map((run) => run.end()));
  });

  it("takes its configuration from LABBOOK_* variables, and options win over them", async () => {
    const { info } = await server();
    const saved = { ...process.env };
    try {
      process.env.LABBOOK_TRACKING_URI = `${info.url}/graphql`;
      process.env.LABBOOK_EXPERIMENT = "from-env";
      const fromEnv = await startRun();
      const overridden = await startRun({ experiment: "from-options" });
      await Promise.all([fromEnv.end(), overridden.end()]);
      const names = await gqlData<{ a: { id: string }; b: { id: string } }>(
        info.url,
        'query { a: experiment(name: "from-env") { id } b: experiment(name: "from-options") { id } }',
      );
      expect(fromEnv.experimentId).toBe(names.a.id);
      expect(overridden.experimentId).toBe(names.b.id);
      expect(fromEnv.trackingUri).toBe(info.url);
    } finally {
      process.env = saved;
    }
  });

  it("sends the token, and a run started under a parent is its child", async () => {
    const token = "t0ken-for-sdk";
    const { info } = await server({ args: ["--token", token] });
    await expect(startRun({ trackingUri: info.url })).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    const parent = await startRun({ trackingUri: info.url, token });
    const child = await startRun({ trackingUri: info.url, token, parentRunId: parent.id });
    child.logMetric("x", 1);
    await child.end();
    await parent.end("KILLED");
    const { run } = await gqlData<{ run: { status: string; parent: { id: string } } }>(
      info.url,
      "query ($id: ID!) { run(id: $id) { status parent { id } } }",
      { id: child.id },
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(run).toEqual({ status: "FINISHED", parent: { id: parent.id } });
  });

  it("reports what the API would refuse, once, and keeps everything else", async () => {
    const { info } = await server();
    const errors: LabbookError[] = [];
    const run = await startRun({ trackingUri: info.url, onError: (error) => errors.push(error) });
    // Logged by someone else first: the server refuses the SDK's other value (a CONFLICT),
    // which arrives in the same batch as good points.
    await gqlData(
      info.url,
      "mutation ($input: LogBatchInput!) { logBatch(input: $input) { applied } }",
      { input: { runId: run.id, params: [{ key: "seed", value: "1" }] } },
    );
    run.logParam("seed", 2);
    run.logParam("lr", 0.1);
    run.logParam("lr", 0.1); // the same value again is fine
    run.logParam("lr", 0.2); // another value is not
    for (let step = 0; step < 10; step++) {
      run.logMetric("acc", step / 10, { step });
      run.logMetric("bad//key", step, { step });
      run.logMetric("acc", step, { step: 0.5 });
    }
    run.setTag("", "empty key");
    await run.end();
    await run.end(); // once is enough; again is harmless
    run.logMetric("acc", 1); // after the end: ignored, reported once
    run.logMetric("acc", 2);

    expect(errors.map((error) => error.code)).toEqual([
      "CONFLICT", // lr 0.2, refused here
      "BAD_USER_INPUT", // bad//key, once
      "BAD_USER_INPUT", // step 0.5, once
      "BAD_USER_INPUT", // empty tag key
      "CONFLICT", // seed, refused by the server
      "RUN_ENDED",
    ]);
    expect(errors[4]?.message).toContain("seed");
    const stored = await readRun(info.url, run.id);
    expect(asRecord(stored.params)).toEqual({ seed: "1", lr: "0.1" });
    expect((await readHistory(info.url, run.id, "acc")).history.values).toEqual(
      Array.from({ length: 10 }, (_, step) => step / 10),
    );
    expect(stored.metrics.map((metric) => metric.key)).toEqual(["acc"]);
  });

  it("sends a slow trickle of points within the flush interval, without flush()", async () => {
    const { info } = await server();
    const run = await startRun({ trackingUri: info.url, flushIntervalMs: 50 });
    run.logMetric("trickle", 1, { step: 1 });
    run.logParam("p", "v");
    // Polls the server: the interval, not a flush, brings the point there.
    await until("the interval sent the point and the param", async () => {
      const stored = await readRun(info.url, run.id);
      return stored.metrics.length > 0 && stored.params.length > 0;
    });
    await run.end();
  });

  it("rejects startRun for an unknown LABBOOK_RUN_ID and for a server that is not there", async () => {
    const { info } = await server();
    await expect(
      startRun({ trackingUri: info.url, runId: "0123456789abcdef0123456789abcdef" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    const gone = await server();
    await gone.stop("SIGKILL");
    await expect(
      startRun({ trackingUri: gone.info.url, connectTimeoutMs: 300 }),
    ).rejects.toMatchObject({
      code: "UNREACHABLE",
    });
  });
});
