import { join } from "node:path";
import { createApp } from "../api/app.ts";
import { createRun, logBatch, openDb } from "../db/index.ts";
import { benchDir, bestOf, format } from "./support.ts";

const totalPoints = 1_000_000;
const batchSize = 5000;
const maxPoints = 1000;
const key = "loss";
const t0 = 1_700_000_000_000;

/** A few spikes far outside the wave: the global maximum and minimum of the series. */
const spikes = new Map<number, number>([
  [123_457, 50],
  [400_001, 12],
  [654_321, -40],
  [871_234, -9],
]);
const globalMax = { step: 123_457, value: 50 };
const globalMin = { step: 654_321, value: -40 };

/** A slow decay with two waves on it (always within ±2), plus the spikes. */
const valueAt = (step: number): number =>
  spikes.get(step) ??
  Math.exp(-step / 400_000) + 0.5 * Math.sin(step / 25_000) + 0.2 * Math.sin(step / 97);

interface History {
  steps: number[];
  values: (number | string)[];
  timestamps: number[];
}

const historyDocument = (selection: string) =>
  `query ($id: ID!, $key: String!) { run(id: $id) { metric(key: $key) { ${selection} { steps values timestamps } } } }`;

/**
 * One 1,000,000-point series, read through the GraphQL app in-process: `history(maxPoints:
 * 1000)` (M4 over rollup blocks) against the full `history` of the same series.
 */
export async function benchHistory(): Promise<string[]> {
  const { dir, cleanup } = benchDir();
  try {
    const db = await openDb({ url: `file:${join(dir, "labbook.db")}` });
    try {
      const run = await createRun(db, { name: "long-series" });
      const logStart = performance.now();
      for (let offset = 0; offset < totalPoints; offset += batchSize) {
        const steps = Array.from({ length: batchSize }, (_, i) => offset + i);
        await logBatch(db, {
          runId: run.id,
          metrics: [
            {
              key,
              steps,
              values: steps.map(valueAt),
              timestamps: steps.map((s) => t0 + s * 10),
            },
          ],
        });
        const done = offset + batchSize;
        if (done % 100_000 === 0)
          console.error(
            `  history: logged ${format(done)} / ${format(totalPoints)} points (${format((performance.now() - logStart) / 1000, 1)} s)`,
          );
      }
      const logMs = performance.now() - logStart;

      const app = createApp({ db });
      const query = async (selection: string) => {
        const response = await app.fetch(
          new Request("http://labbook/graphql", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              query: historyDocument(selection),
              variables: { id: run.id, key },
            }),
          }),
        );
        const text = await response.text();
        const body = JSON.parse(text) as {
          data?: { run: { metric: { history: History } | null } | null };
          errors?: { message: string }[];
        };
        if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join("; "));
        const history = body.data?.run?.metric?.history;
        if (!history) throw new Error("no history in the response");
        return { bytes: Buffer.byteLength(text), history };
      };

      const down = await bestOf(5, () => query(`history(maxPoints: ${maxPoints})`));
      const full = await bestOf(3, () => query("history"));

      const fullHistory = full.result.history;
      if (fullHistory.steps.length !== totalPoints)
        throw new Error(`full history has ${fullHistory.steps.length} points, not ${totalPoints}`);
      const d = down.result.history;
      const has = (step: number, value: number) =>
        d.steps.some((s, i) => s === step && d.values[i] === value);
      const keepsMax = has(globalMax.step, globalMax.value);
      const keepsMin = has(globalMin.step, globalMin.value);
      const keepsFirst = d.steps[0] === 0;
      const keepsLast = d.steps.at(-1) === totalPoints - 1;
      const ascending = d.steps.every((s, i) => i === 0 || s > (d.steps[i - 1] ?? s));
      const yes = (ok: boolean) => (ok ? "yes" : "NO");
      const per100k = (full.ms * 100_000) / totalPoints;

      return [
        `history: setup: ${format(totalPoints)} points of one metric logged in-process with logBatch (${batchSize}/batch) in ${format(logMs / 1000, 1)} s (${format(totalPoints / (logMs / 1000))} points/s)`,
        `history: history(maxPoints: ${maxPoints}) via GraphQL: ${format(down.ms, 1)} ms (best of 5), ${format(d.steps.length)} points, ${format(down.result.bytes)} bytes (target < 100 KB: ${down.result.bytes < 100 * 1024 ? "yes" : "NO"})`,
        `history: full history via GraphQL:          ${format(full.ms, 1)} ms (best of 3), ${format(fullHistory.steps.length)} points, ${format(full.result.bytes)} bytes`,
        `history: ratio downsampled/full = ${format(down.ms / full.ms, 4)}x (target <= 0.05x); ${format(full.ms / down.ms, 0)}x faster, ${format(full.result.bytes / down.result.bytes, 0)}x smaller`,
        `history: downsampled keeps global max (step ${globalMax.step}, ${globalMax.value}): ${yes(keepsMax)}; global min (step ${globalMin.step}, ${globalMin.value}): ${yes(keepsMin)}; first step 0: ${yes(keepsFirst)}; last step ${totalPoints - 1}: ${yes(keepsLast)}; steps ascending: ${yes(ascending)}`,
        `history: for scale: full read = ${format(per100k, 0)} ms per 100k points; MLflow 3.6 returns a 100k-point history in 9,500-13,000 ms => ~${format(9500 / per100k, 0)}x faster (full), ~${format(9500 / down.ms, 0)}x for the downsampled 1M-point series`,
      ];
    } finally {
      await db.close();
    }
  } finally {
    cleanup();
  }
}
