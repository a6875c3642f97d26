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
 * 200k points over HTTP through logBatch (four concurrent clients, 1000 points a batch) into
 * a real `labbook server`, against raw inserts of the same rows into the same table.
 */
export async function benchIngestion(): Promise<string[]> {
  const { dir, cleanup } = benchDir();
  try {
    const dbFile = join(dir, "labbook.db");
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
            input: {
              runId: run.id,
              batchId: `${run.id}-${b}`,
              metrics: [{ key: "loss", ...batch }],
            },
          },
        }),
      ),
    );
    const ours = await time(() =>
      Promise.all(
        payloads.map(async (bodies) => {
          for (const body of bodies) {
            const response = await fetch(`${server.url}/graphql`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body,
            });
            const answer = (await response.json()) as { errors?: unknown };
            if (answer.errors) throw new Error(JSON.stringify(answer.errors));
          }
        }),
      ),
    );
    const check = await graphql<{ runs: { nodes: { metrics: { count: number }[] }[] } }>(
      server.url,
      "{ runs(first: 10) { nodes { metrics { count } } } }",
    );
    const stored = check.runs.nodes.reduce((sum, run) => sum + (run.metrics[0]?.count ?? 0), 0);
    await server.stop();
    if (stored !== totalPoints) throw new Error(`stored ${stored} points, expected ${totalPoints}`);

    // The baseline writes into a fresh database with the same tables.
    const baselineFile = join(dir, "baseline.db");
    const baselineDb = await openDb({ url: `file:${baselineFile}` });
    const run = await createRun(baselineDb, {});
    const seriesRow = await baselineDb.client.execute({
      sql: "INSERT INTO metric_series (run_id, key, count, last_step, last_timestamp) VALUES (?, 'loss', 0, 0, 0) RETURNING id",
      args: [run.id],
    });
    await baselineDb.close();
    const rawMs = rawInsertPoints(
      baselineFile,
      Number(seriesRow.rows[0]?.id),
      makeBatches(0, totalPoints / batchSize),
    );

    const oursRate = totalPoints / (ours.ms / 1000);
    const rawRate = totalPoints / (rawMs / 1000);
    return [
      `ingestion: labbook logBatch over HTTP, ${clients} clients: ${format(oursRate)} points/s (${format(ours.ms)} ms for ${format(totalPoints)})`,
      `ingestion: raw libsql multi-VALUES inserts, same rows:  ${format(rawRate)} points/s (${format(rawMs)} ms)`,
      `ingestion: ratio labbook/raw = ${format(oursRate / rawRate, 2)}x (target >= 0.5x); MLflow 3.6 log-batch ~2,700-3,700 points/s => ${format(oursRate / 3700, 0)}x faster`,
    ];
  } finally {
    cleanup();
  }
}
