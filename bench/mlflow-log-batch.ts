import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchDir, format, graphql, startServer, time } from "./support.ts";

const metricsPerRequest = 1000;
const keys = 10;
const requestsPerRound = 40;
const rounds = 5;

/** One request's points: 10 keys × 100 steps, starting at `firstStep`. */
function points(
  firstStep: number,
): { key: string; value: number; step: number; timestamp: number }[] {
  const out = [];
  for (let i = 0; i < metricsPerRequest; i++) {
    const step = firstStep + Math.floor(i / keys);
    out.push({
      key: `m${i % keys}`,
      value: Math.sin(step + i),
      step,
      timestamp: 1_700_000_000_000 + step,
    });
  }
  return out;
}

/** The same points as GraphQL's columns: one entry per key. */
function columns(batch: ReturnType<typeof points>) {
  const byKey = new Map<
    string,
    { key: string; values: number[]; steps: number[]; timestamps: number[] }
  >();
  for (const point of batch) {
    const entry = byKey.get(point.key) ?? { key: point.key, values: [], steps: [], timestamps: [] };
    entry.values.push(point.value);
    entry.steps.push(point.step);
    entry.timestamps.push(point.timestamp);
    byKey.set(point.key, entry);
  }
  return [...byKey.values()];
}

async function post(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

const logBatchMutation = `mutation ($input: LogBatchInput!) { logBatch(input: $input) { points } }`;

/**
 * MLflow's `runs/log-batch` with 1000 metrics per request (MLflow's own limit) against GraphQL
 * `logBatch` with the same points as columns, on one real `labbook server`, to two runs,
 * rounds alternating so both see the same machine. Both write through the same store
 * function; the difference is the wire format and its parsing.
 */
export async function benchMlflowLogBatch(): Promise<string[]> {
  const { dir, cleanup } = benchDir();
  const server = await startServer(join(dir, "labbook.db"), join(dir, "artifacts"));
  try {
    const experiment = await graphql<{ createExperiment: { experiment: { id: string } } }>(
      server.url,
      `mutation { createExperiment(input: { name: "mlflow-log-batch" }) { experiment { id } } }`,
    );
    const experimentId = experiment.createExperiment.experiment.id;
    const newRun = async () => {
      const response = await fetch(`${server.url}/api/2.0/mlflow/runs/create`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ experiment_id: experimentId }),
      });
      return ((await response.json()) as { run: { info: { run_id: string } } }).run.info.run_id;
    };
    const restRun = await newRun();
    const graphqlRun = await newRun();
    let restStep = 0;
    let graphqlStep = 0;
    const rest: number[] = [];
    const viaGraphql: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const restBatches = Array.from({ length: requestsPerRound }, () => {
        restStep += metricsPerRequest / keys;
        return { run_id: restRun, metrics: points(restStep) };
      });
      const graphqlBatches = Array.from({ length: requestsPerRound }, () => {
        graphqlStep += metricsPerRequest / keys;
        return { input: { runId: graphqlRun, metrics: columns(points(graphqlStep)) } };
      });
      rest.push(
        (
          await time(async () => {
            for (const batch of restBatches)
              await post(`${server.url}/api/2.0/mlflow/runs/log-batch`, batch);
          })
        ).ms,
      );
      viaGraphql.push(
        (
          await time(async () => {
            for (const variables of graphqlBatches)
              await post(`${server.url}/graphql`, { query: logBatchMutation, variables });
          })
        ).ms,
      );
    }
    const best = (values: number[]) => Math.min(...values);
    const pointsPerRound = requestsPerRound * metricsPerRequest;
    const restRate = pointsPerRound / (best(rest) / 1000);
    const graphqlRate = pointsPerRound / (best(viaGraphql) / 1000);
    return [
      `mlflow log-batch: REST runs/log-batch ${format(restRate)} points/s (${format(best(rest) / requestsPerRound, 1)} ms per 1000-metric request)`,
      `mlflow log-batch: GraphQL logBatch    ${format(graphqlRate)} points/s (${format(best(viaGraphql) / requestsPerRound, 1)} ms per request, same points as columns)`,
      `mlflow log-batch: REST / GraphQL throughput ratio ${format(restRate / graphqlRate, 2)} (best of ${rounds} alternating rounds of ${requestsPerRound} sequential requests)`,
    ];
  } finally {
    await server.stop();
    cleanup();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  for (const line of await benchMlflowLogBatch()) console.log(line);
