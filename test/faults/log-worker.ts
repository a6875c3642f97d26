/**
 * One training process for test/faults/concurrent-processes.test.ts, run as
 * `node log-worker.ts '<config JSON>'`: it creates a run over HTTP, prints `ready`, waits for a
 * line on stdin (so that every worker starts logging at once), logs a fixed number of batches
 * with batch ids, and prints a JSON summary as its last line. It exits 1 if any request failed.
 */
import { createInterface } from "node:readline";

export interface WorkerConfig {
  url: string;
  experimentId: string;
  worker: number;
  batches: number;
  /** Points each batch logs per metric key. */
  pointsPerKey: Record<string, number>;
  /** Batch b sets the tag `t<b mod tagKeys>`, so later batches overwrite earlier values. */
  tagKeys: number;
}

export interface WorkerSummary {
  worker: number;
  pid: number;
  runId: string;
  requests: number;
  applied: number;
  failures: { batch: number; error: string }[];
  points: Record<string, number>;
}

async function post<T>(config: WorkerConfig, query: string, variables: unknown): Promise<T> {
  const response = await fetch(`${config.url}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (response.status !== 200 || body.errors || !body.data)
    throw new Error(`HTTP ${response.status}: ${JSON.stringify(body.errors ?? body)}`);
  return body.data;
}

function workerBatch(config: WorkerConfig, runId: string, batch: number) {
  const { worker } = config;
  return {
    runId,
    batchId: `w${worker}-b${batch}`,
    params: [{ key: `p${batch}`, value: `w${worker}-${batch}` }],
    tags: [{ key: `t${batch % config.tagKeys}`, value: `w${worker}-${batch}` }],
    metrics: Object.entries(config.pointsPerKey).map(([key, count]) => {
      const steps = Array.from({ length: count }, (_, j) => batch * count + j);
      return { key, steps, values: steps.map((step) => worker + 1 / (step + 1)) };
    }),
  };
}

async function main(config: WorkerConfig): Promise<WorkerSummary> {
  const created = await post<{ createRun: { run: { id: string } } }>(
    config,
    "mutation ($e: ID!, $n: String) { createRun(input: { experimentId: $e, name: $n }) { run { id } } }",
    { e: config.experimentId, n: `worker-${config.worker}` },
  );
  const runId = created.createRun.run.id;
  console.log("ready");
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once("line", () => resolve()));
  lines.close();

  const summary: WorkerSummary = {
    worker: config.worker,
    pid: process.pid,
    runId,
    requests: 0,
    applied: 0,
    failures: [],
    points: Object.fromEntries(Object.keys(config.pointsPerKey).map((key) => [key, 0])),
  };
  for (let batch = 0; batch < config.batches; batch++) {
    const input = workerBatch(config, runId, batch);
    summary.requests++;
    try {
      const data = await post<{ logBatch: { applied: boolean } }>(
        config,
        "mutation ($input: LogBatchInput!) { logBatch(input: $input) { applied } }",
        { input },
      );
      if (data.logBatch.applied) summary.applied++;
      for (const metric of input.metrics)
        summary.points[metric.key] = (summary.points[metric.key] ?? 0) + metric.values.length;
    } catch (error) {
      summary.failures.push({ batch, error: String(error) });
    }
  }
  return summary;
}

const summary = await main(JSON.parse(process.argv[2] ?? "{}") as WorkerConfig);
console.log(JSON.stringify(summary));
process.exitCode = summary.failures.length === 0 ? 0 : 1;
