import { Agent, request as httpRequest } from "node:http";
import { join } from "node:path";
import { createRun, openDb } from "../db/index.ts";
import { rawInsertPoints } from "./baseline-ingestion.ts";
import { benchDir, format, graphql, startServer, time } from "./support.ts";

const totalPoints = 200_000;
const batchSize = 1000;
const clients = 4;

const logBatchDocument =
  "mutation ($input: LogBatchInput!) { logBatch(input: $input) { applied } }";

function makeBatches(offset: number, count: number) {
  return Array.from({ length: count }, (_, b) => {
    const steps = Array.from({ length: batchSize }, (_, i) => (offset + b) * batchSize + i);
    return {
      steps,
      values: steps.map((s) => Math.sin(s / 1000)),
      timestamps: steps.map((s) => 1_700_000_000_000 + s),
    };
  });
}

/**
 * POSTs a JSON body with Node's HTTP client on kept-alive connections: the clients share this
 * machine's two cores with the server, and `fetch` spends about twice the CPU per request.
 */
function post(url: string, body: string, agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

/** Rounds of each side, alternated; medians are printed, the machine being shared and noisy. */
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** One round of labbook: a fresh database and server, four clients, every point checked. */
async function oursOnce(dir: string, round: number): Promise<number> {
  const dbFile = join(dir, `labbook-${round}.db`);
  const setup = await openDb({ url: `file:${dbFile}` });
  const runs = await Promise.all(Array.from({ length: clients }, () => createRun(setup, {})));
  await setup.close();

  const server = await startServer(dbFile, join(dir, "artifacts"));
  const perClient = totalPoints / batchSize / clients;
  const payloads = runs.map((run, c) =>
    makeBatches(c * perClient, perClient).map((batch, b) =>
      JSON.stringify({
        query: logBatchDocument,
        variables: {
          input: { runId: run.id, batchId: `${run.id}-${b}`, metrics: [{ key: "loss", ...batch }] },
        },
      }),
    ),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const ours = await time(() =>
    Promise.all(
      payloads.map(async (bodies) => {
        for (const body of bodies) {
          const answer = JSON.parse(await post(`${server.url}/graphql`, body, agent)) as {
            errors?: unknown;
          };
          if (answer.errors) throw new Error(JSON.stringify(answer.errors));
        }
      }),
    ),
  );
  agent.destroy();
  const check = await graphql<{ runs: { nodes: { metrics: { count: number }[] }[] } }>(
    server.url,
    "{ runs(first: 10) { nodes { metrics { count } } } }",
  );
  const stored = check.runs.nodes.reduce((sum, run) => sum + (run.metrics[0]?.count ?? 0), 0);
  await server.stop();
  if (stored !== totalPoints) throw new Error(`stored ${stored} points, expected ${totalPoints}`);
  return ours.ms;
}

/**
 * One round of the baseline, into a fresh database with the same tables: the same rows as
 * labbook's round — four series, the batches in the order four clients send them.
 */
async function rawOnce(dir: string, round: number, seriesCount: number): Promise<number> {
  const baselineFile = join(dir, `baseline-${round}-${seriesCount}.db`);
  const baselineDb = await openDb({ url: `file:${baselineFile}` });
  const seriesIds: number[] = [];
  for (let c = 0; c < seriesCount; c++) {
    const run = await createRun(baselineDb, {});
    const seriesRow = await baselineDb.client.execute({
      sql: "INSERT INTO metric_series (run_id, key, count, last_step, last_timestamp) VALUES (?, 'loss', 0, 0, 0) RETURNING id",
      args: [run.id],
    });
    seriesIds.push(Number(seriesRow.rows[0]?.id));
  }
  await baselineDb.close();
  const perClient = totalPoints / batchSize / clients;
  const byClient = Array.from({ length: clients }, (_, c) => makeBatches(c * perClient, perClient));
  const batches = [];
  for (let b = 0; b < perClient; b++)
    for (let c = 0; c < clients; c++)
      batches.push({ seriesId: seriesIds[c % seriesCount] ?? 0, ...(byClient[c]?.[b] as Batch) });
  return rawInsertPoints(baselineFile, batches);
}

type Batch = ReturnType<typeof makeBatches>[number];

/**
 * 200k points over HTTP through logBatch (four concurrent clients, 1000 points a batch) into
 * a real `labbook server`, against raw inserts of the same rows into the same table.
 */
export async function benchIngestion(): Promise<string[]> {
  const { dir, cleanup } = benchDir();
  try {
    const ours: number[] = [];
    const raw: number[] = [];
    const rawOneSeries: number[] = [];
    for (let round = 0; round < rounds; round++) {
      ours.push(await oursOnce(dir, round));
      raw.push(await rawOnce(dir, round, clients));
      rawOneSeries.push(await rawOnce(dir, round, 1));
    }
    const rate = (ms: number) => totalPoints / (ms / 1000);
    const oursRate = rate(median(ours));
    const rawRate = rate(median(raw));
    const oneSeriesRate = rate(median(rawOneSeries));
    const ratios = ours.map((ms, i) => format((raw[i] ?? 0) / ms, 2)).join(", ");
    return [
      `ingestion: labbook logBatch over HTTP, ${clients} clients: ${format(oursRate)} points/s (median of ${rounds}: ${format(median(ours))} ms for ${format(totalPoints)})`,
      `ingestion: raw libsql multi-VALUES inserts, same rows (${clients} series):  ${format(rawRate)} points/s (${format(median(raw))} ms)`,
      `ingestion: ratio labbook/raw = ${format(oursRate / rawRate, 2)}x (target >= 0.5x; per round ${ratios}); MLflow 3.6 log-batch ~2,700-3,700 points/s => ${format(oursRate / 3700, 0)}x faster`,
      `ingestion: (for reference, raw into a single series, the old baseline: ${format(oneSeriesRate)} points/s; labbook/that = ${format(oursRate / oneSeriesRate, 2)}x)`,
    ];
  } finally {
    cleanup();
  }
}
