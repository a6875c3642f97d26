import { join } from "node:path";
import {
  createExperiment,
  createRun,
  logBatch,
  openDb,
  setExperimentTag,
  updateRun,
} from "../../db/index.ts";
import { tempDir } from "../support/temp-dir.ts";

/** What the report fixture holds, for the tests' expectations. */
export const fixture = {
  mnist: { name: "mnist", runs: 5, epochs: 5 },
  sweep: { name: "sweep", runs: 3 },
  longRun: { points: 20_000 },
};

const start = Date.UTC(2024, 5, 1, 9, 0, 0);

/**
 * A database for reports: `mnist` (main metric from its tag, five runs with per-epoch curves,
 * one made by `labbook run`), `sweep` (main metric found by name, a failed run, one run with
 * a 20,000-point loss), and an empty experiment.
 */
export async function makeReportDb(): Promise<string> {
  const dir = tempDir("labbook-report-");
  const path = join(dir, "labbook.db");
  const db = await openDb({
    url: `file:${path}`,
    artifactRoot: `file://${join(dir, "artifacts")}`,
  });
  try {
    const mnist = await createExperiment(db, { name: fixture.mnist.name });
    await setExperimentTag(db, mnist.id, {
      key: "labbook.mainMetric",
      value: "metrics.val_acc DESC",
    });
    const settings = [
      { batch: 128, lr: "1e-3" },
      { batch: 32, lr: "3e-3" },
      { batch: 64, lr: "1e-3" },
      { batch: 64, lr: "1e-2" },
      { batch: 16, lr: "1e-4" },
    ];
    for (const [i, setting] of settings.entries()) {
      const t0 = start + i * 3_600_000;
      const run = await createRun(db, {
        experimentId: mnist.id,
        name: `mnist-${setting.batch}-${setting.lr}`,
        startTime: t0,
        tags:
          i === 0
            ? [
                {
                  key: "labbook.command",
                  value: "node train.ts --batch-size 128 --epochs 5 --lr-init 1e-3",
                },
                { key: "labbook.projectDir", value: "/home/me/labbook/examples/mnist" },
                { key: "labbook.entryPoint", value: "main" },
                { key: "labbook.git.commit", value: "9e49990f00dfeed" },
                { key: "labbook.git.branch", value: "main" },
                { key: "labbook.git.dirty", value: "false" },
                { key: "labbook.output.tail", value: "epoch 5/5: loss 0.19\nbest val_acc 0.92" },
              ]
            : [],
      });
      const steps = Array.from({ length: fixture.mnist.epochs }, (_, e) => e);
      const quality = 0.9 + i * 0.01 - (i === 4 ? 0.1 : 0);
      const curve = (f: (e: number) => number) => ({
        steps,
        values: steps.map(f),
        timestamps: steps.map((e) => t0 + (e + 1) * 60_000),
      });
      await logBatch(db, {
        runId: run.id,
        params: [
          { key: "batch_size", value: String(setting.batch) },
          { key: "lr_init", value: setting.lr },
          { key: "epochs", value: String(fixture.mnist.epochs) },
        ],
        metrics: [
          { key: "loss", ...curve((e) => 1 / (e + 1) + 0.01 * i) },
          { key: "val_acc", ...curve((e) => quality - 0.2 / (e + 1)) },
          { key: "val_loss", ...curve((e) => 1.2 / (e + 1) + 0.02 * i) },
        ],
      });
      await updateRun(db, { runId: run.id, status: "FINISHED", endTime: t0 + 6 * 60_000 });
    }

    const sweep = await createExperiment(db, { name: fixture.sweep.name });
    for (let i = 0; i < fixture.sweep.runs; i++) {
      const t0 = start + 86_400_000 + i * 600_000;
      const run = await createRun(db, {
        experimentId: sweep.id,
        name: `sweep-${i}`,
        startTime: t0,
      });
      const n = i === 0 ? fixture.longRun.points : 100;
      const steps = Array.from({ length: n }, (_, s) => s);
      await logBatch(db, {
        runId: run.id,
        params: [{ key: "optimizer", value: i === 1 ? "sgd" : "adam" }],
        metrics: [
          {
            key: "loss",
            steps,
            values: steps.map((s) => 2 / (1 + s / 100) + (s === 12_345 ? 5 : 0.1 * Math.sin(s))),
            timestamps: steps.map((s) => t0 + s * 10),
          },
          { key: "accuracy", steps: [n - 1], values: [0.8 + i * 0.05], timestamps: [t0 + n * 10] },
        ],
      });
      await updateRun(db, {
        runId: run.id,
        status: i === 2 ? "FAILED" : "FINISHED",
        endTime: t0 + n * 10,
      });
    }
    await createExperiment(db, { name: "empty" });
  } finally {
    await db.close();
  }
  return path;
}
