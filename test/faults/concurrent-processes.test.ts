import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { operations } from "../api/operations.ts";
import { gqlData } from "../support/gql.ts";
import { type ServerProcess, startServer } from "../support/server-process.ts";
import { type SqldServer, startSqld } from "../support/sqld.ts";
import type { WorkerConfig, WorkerSummary } from "./log-worker.ts";

const workerScript = fileURLToPath(new URL("./log-worker.ts", import.meta.url));

const workers = 4;
const batches = 60;
/** 500 points a batch, over three keys. */
const pointsPerKey = { loss: 250, acc: 150, "eval/lr": 100 };
const tagKeys = 5;

const servers: ServerProcess[] = [];
const sqlds: SqldServer[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await Promise.all(servers.splice(0).map((s) => s.stop("SIGKILL")));
  await Promise.all(sqlds.splice(0).map((s) => s.stop()));
});

interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the worker has created its run and waits for the start signal. */
  ready: Promise<void>;
  /** Resolves once it has exited and its output is drained. */
  closed: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function spawnWorker(config: WorkerConfig): WorkerProcess {
  const child = spawn(process.execPath, [workerScript, JSON.stringify(config)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk) => {
      stdout += chunk;
      if (stdout.startsWith("ready\n")) resolve();
    });
    child.once("exit", (code) =>
      reject(new Error(`worker ${config.worker} exited (${code}) before it was ready: ${stderr}`)),
    );
  });
  const closed = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, ready, closed };
}

interface RunCounts {
  runs: {
    totalCount: number;
    nodes: {
      id: string;
      name: string;
      params: { key: string; value: string }[];
      tags: { key: string; value: string }[];
      metrics: { key: string; count: number }[];
    }[];
  };
}

const runCountsDoc = `
query ($ids: [ID!]) {
  runs(experimentIds: $ids, first: 100) {
    totalCount
    nodes { id name params { key value } tags { key value } metrics { key count } }
  }
}`;

describe.each([
  ["a libSQL file", async () => startServer()],
  [
    "a sqld libSQL server",
    async () => {
      const sqld = await startSqld();
      sqlds.push(sqld);
      return startServer({ db: sqld.url });
    },
  ],
])("four processes logging to one server on %s", (_name, start) => {
  it(`all get every request through, and every point is stored (${workers} × ${batches} batches of 500 points)`, async () => {
    const server = await start();
    servers.push(server);
    const url = server.info.url;
    const experimentId = await operations(url).createExperiment("concurrent");

    const running = Array.from({ length: workers }, (_, worker) =>
      spawnWorker({ url, experimentId, worker, batches, pointsPerKey, tagKeys }),
    );
    // Every worker has its run; let them all go at once.
    await Promise.all(running.map((w) => w.ready));
    for (const w of running) w.child.stdin?.end("go\n");
    const exits = await Promise.all(running.map((w) => w.closed));

    const summaries = exits.map((exit, worker) => {
      expect(exit.stderr, `worker ${worker} stderr`).toBe("");
      expect(exit.code, `worker ${worker} exit code`).toBe(0);
      const lines = exit.stdout.trim().split("\n");
      return JSON.parse(lines[lines.length - 1] ?? "") as WorkerSummary;
    });
    for (const [worker, summary] of summaries.entries()) {
      expect(summary).toMatchObject({ worker, requests: batches, applied: batches, failures: [] });
      expect(summary.points).toEqual(
        Object.fromEntries(Object.entries(pointsPerKey).map(([key, n]) => [key, n * batches])),
      );
    }
    // Four processes, not one: each ran in its own pid.
    expect(new Set(summaries.map((s) => s.pid)).size).toBe(workers);

    const { runs } = await gqlData<RunCounts>(url, runCountsDoc, { ids: [experimentId] });
    expect(runs.totalCount).toBe(workers);
    expect(runs.nodes.map((run) => run.id).sort()).toEqual(summaries.map((s) => s.runId).sort());
    for (const summary of summaries) {
      const run = runs.nodes.find((node) => node.id === summary.runId);
      const { worker } = summary;
      expect(run?.name).toBe(`worker-${worker}`);
      const counts = Object.fromEntries((run?.metrics ?? []).map((m) => [m.key, m.count]));
      expect(counts).toEqual(
        Object.fromEntries(Object.entries(pointsPerKey).map(([key, n]) => [key, n * batches])),
      );
      const params = Object.fromEntries((run?.params ?? []).map((p) => [p.key, p.value]));
      expect(params).toEqual(
        Object.fromEntries(Array.from({ length: batches }, (_, b) => [`p${b}`, `w${worker}-${b}`])),
      );
      // Tag t<k> holds the value of the last batch that set it.
      const tags = Object.fromEntries((run?.tags ?? []).map((t) => [t.key, t.value]));
      expect(tags).toEqual(
        Object.fromEntries(
          Array.from({ length: tagKeys }, (_, k) => {
            const last = k + tagKeys * Math.floor((batches - 1 - k) / tagKeys);
            return [`t${k}`, `w${worker}-${last}`];
          }),
        ),
      );
    }
    // Room for a loaded machine: this waits on events, not on time.
  }, 300_000);
});
