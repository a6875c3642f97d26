import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createExperiment, createRun, logBatch, openDb, updateRun } from "../../db/index.ts";
import { historyPointsFor } from "../../site/compare/sections.ts";
import type { Snapshot } from "../../site/snapshot/types.ts";
import { runCli } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";

const runs = 200;
const steps = 1000;
const metrics = ["loss", "val_loss", "val_acc"];
const rates = ["1e-4", "1e-3", "1e-2", "1e-1"];

/** A sweep of 200 runs, three metrics of 1000 steps each; and an empty experiment. */
async function makeSweepDb(): Promise<string> {
  const path = join(tempDir("labbook-sweep-"), "labbook.db");
  const db = await openDb({ url: `file:${path}` });
  try {
    const sweep = await createExperiment(db, { name: "sweep200" });
    await createExperiment(db, { name: "other" });
    const t0 = Date.UTC(2024, 5, 1);
    const stepList = Array.from({ length: steps }, (_, i) => i);
    for (let r = 0; r < runs; r++) {
      const run = await createRun(db, {
        experimentId: sweep.id,
        name: `run-${r}-lr-${rates[r % 4]}`,
        startTime: t0 + r * 1000,
      });
      await logBatch(db, {
        runId: run.id,
        params: [
          { key: "lr", value: rates[r % 4]! },
          { key: "seed", value: String(r % 5) },
          { key: "batch_size", value: String([32, 64, 128][r % 3]) },
          { key: "epochs", value: "10" },
        ],
        metrics: metrics.map((key, k) => ({
          key,
          steps: stepList,
          timestamps: stepList.map((i) => t0 + r * 1000 + i * 517),
          values: stepList.map(
            (i) => (k === 2 ? 1 - 1 / (1 + i / 100) : 2 / (1 + i / 100)) + 0.01 * Math.sin(i * r),
          ),
        })),
      });
      await updateRun(db, { runId: run.id, status: "FINISHED", endTime: t0 + r * 1000 + 600_000 });
    }
  } finally {
    await db.close();
  }
  return path;
}

describe("a comparison of 200 runs", () => {
  it("stays well under 1 MB, its curves read downsampled by the API", async () => {
    const db = await makeSweepDb();
    const reports = tempDir("labbook-sweep-reports-");
    writeFileSync(
      join(reports, "sweep.yaml"),
      `title: 200 runs
runs:
  experiments: [sweep200]
params: [lr, seed, batch_size]
sections:
  - table: runs
  - table: params-diff
${metrics.map((metric) => `  - chart: curves\n    metric: ${metric}\n`).join("")}  - chart: bands
    metric: val_loss
    groupBy: [params.lr]
  - chart: parallel
    metric: val_acc
  - chart: scatter
    param: lr
    metric: val_acc
  - chart: best
    metric: val_acc
`,
    );
    const out = join(tempDir(), "report");
    // Only the empty experiment's pages: the comparison reads its runs on its own.
    const result = await runCli([
      "report",
      "--db",
      db,
      "--experiment",
      "other",
      "--reports",
      reports,
      "--out",
      out,
      "--json",
    ]);
    expect(result.stderr).not.toMatch(/unexpected|warning/);
    expect(result.code).toBe(0);

    const snapshot = JSON.parse(readFileSync(join(out, "snapshot.json"), "utf8")) as Snapshot;
    const comparison = snapshot.comparisons?.[0];
    expect(comparison?.runs).toHaveLength(runs);
    expect(comparison?.maxPoints).toBe(historyPointsFor(runs, metrics.length, 1000));
    for (const run of comparison?.runs ?? [])
      for (const metric of run.metrics) {
        expect(metric.count).toBe(steps);
        expect(metric.history?.steps.length).toBeLessThanOrEqual(comparison?.maxPoints ?? 0);
      }
    // The bands aggregate all 1000 steps of the 50 runs of each rate, in 300 buckets at most.
    const groups = comparison?.bands[0]?.groups ?? [];
    expect(groups.map((group) => group.runCount)).toEqual([50, 50, 50, 50]);
    expect(groups[0]?.points.length).toBeLessThanOrEqual(300);

    const bytes = statSync(join(out, "compare", "sweep", "index.html")).size;
    console.log(`comparison page of ${runs} runs: ${(bytes / 1024).toFixed(0)} KiB`);
    expect(bytes).toBeLessThan(800 * 1024);
  }, 300_000);
});
