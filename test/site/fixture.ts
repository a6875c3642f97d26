import { join } from "node:path";
import {
  createExperiment,
  createModelVersion,
  createRegisteredModel,
  createRun,
  type Db,
  logBatch,
  openDb,
  recordArtifact,
  searchRuns,
  setExperimentTag,
  setRegisteredModelAlias,
  updateRun,
} from "../../db/index.ts";
import { tempDir } from "../support/temp-dir.ts";

/** What the report fixture holds, for the tests' expectations. */
export const fixture = {
  mnist: { name: "mnist", runs: 5, epochs: 5 },
  sweep: { name: "sweep", runs: 3 },
  longRun: { points: 20_000 },
  /** Registered models: versions by the name of their source run. */
  registry: {
    classifier: { name: "mnist_classifier", versions: ["mnist-128-1e-3", "mnist-64-1e-2"] },
    /** A name that is not file-safe, with a version from the sweep. */
    other: { name: "sweep model (adam)", versions: ["sweep-0"] },
    empty: { name: "not-yet-trained" },
  },
};

/** Registers `path` of a run as a logged model (its MLmodel file in the artifact index). */
async function logModelArtifact(db: Db, runId: string, path = "model"): Promise<string> {
  await recordArtifact(db, {
    runId,
    path: `${path}/MLmodel`,
    size: 321,
    sha256: "ab".repeat(32),
    contentType: "text/yaml",
  });
  return `runs:/${runId}/${path}`;
}

const start = Date.UTC(2024, 5, 1, 9, 0, 0);

/**
 * A database for reports: `mnist` (main metric from its tag, five runs with per-epoch curves,
 * one made by `labbook run`), `sweep` (main metric found by name, a failed run, one run with
 * a 20,000-point loss), an empty experiment, and a registry: `mnist_classifier` (two versions,
 * `champion` on the second), a model from the sweep, and a model without versions.
 */
export async function makeReportDb(): Promise<string> {
  const dir = tempDir("labbook-report-");
  const path = join(dir, "labbook.db");
  const db = await openDb({
    url: `file:${path}`,
    artifactRoot: `file://${join(dir, "artifacts")}`,
  });
  const runIds = new Map<string, string>();
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
      runIds.set(run.name, run.id);
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
      runIds.set(run.name, run.id);
    }
    await createExperiment(db, { name: "empty" });

    const { classifier, other, empty } = fixture.registry;
    await createRegisteredModel(db, {
      name: classifier.name,
      description: "Digits 0–9 from 28×28 images.",
      tags: [{ key: "task", value: "classification" }],
    });
    for (const runName of [...classifier.versions, ...other.versions]) {
      const runId = runIds.get(runName)!;
      await createModelVersion(db, {
        name: classifier.versions.includes(runName) ? classifier.name : other.name,
        source: await logModelArtifact(db, runId),
        description: `trained by ${runName}`,
        tags: [{ key: "framework", value: "tfjs" }],
      });
    }
    await setRegisteredModelAlias(db, classifier.name, "champion", 2);
    await setRegisteredModelAlias(db, classifier.name, "first", 1);
    await createRegisteredModel(db, { name: empty.name });
  } finally {
    await db.close();
  }
  return path;
}

/** The fixture's run ids by run name. */
export async function fixtureRunIds(path: string): Promise<Map<string, string>> {
  const db = await openDb({ url: `file:${path}` });
  try {
    const { runs } = await searchRuns(db, { limit: 1000, offset: 0 });
    return new Map(runs.map((run) => [run.name, run.id]));
  } finally {
    await db.close();
  }
}
