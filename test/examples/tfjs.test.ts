import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import {
  type LabbookError,
  labbookCallback,
  type Run,
  selectBackend,
  startRun,
} from "../../client/index.ts";
import { asRecord, readHistory, readRun, server } from "../client/support.ts";

const numbers = (values: (number | string)[]) => values.map(Number);

/** A tiny classifier and random data: 40 samples of 4 features, 2 classes. */
function tinyModel(lr: number): { model: tf.Sequential; xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 8, activation: "relu" }),
      tf.layers.dense({ units: 2, activation: "softmax" }),
    ],
  });
  model.compile({
    optimizer: tf.train.sgd(lr),
    loss: "categoricalCrossentropy",
    metrics: ["accuracy"],
  });
  const xs = tf.randomNormal([40, 4]) as tf.Tensor2D;
  const ys = tf
    .oneHot(tf.randomUniform([40], 0, 2, "int32") as tf.Tensor1D, 2)
    .toFloat() as tf.Tensor2D;
  return { model, xs, ys };
}

async function startTestRun(url: string, errors: LabbookError[]): Promise<Run> {
  return startRun({ trackingUri: url, experiment: "tfjs", onError: (e) => errors.push(e) });
}

describe("labbookCallback, with a real model and a real server", () => {
  it("logs loss, every compiled metric and the learning rate per epoch, and batches when asked", async () => {
    const { info } = await server();
    const errors: LabbookError[] = [];
    const run = await startTestRun(info.url, errors);
    expect(await selectBackend({ run })).toMatch(/^(tensorflow|wasm)$/);

    const { model, xs, ys } = tinyModel(0.1);
    // A schedule in the same array: tfjs' own callbacks mix with ours.
    const halve = new tf.CustomCallback({
      onEpochBegin: (epoch) => {
        (model.optimizer as unknown as { setLearningRate(lr: number): void }).setLearningRate(
          0.1 / 2 ** epoch,
        );
      },
    });
    const history = await model.fit(xs, ys, {
      epochs: 2,
      batchSize: 16,
      validationSplit: 0.25,
      verbose: 0,
      callbacks: [labbookCallback(run, { perBatch: true }), halve],
    });
    await run.end();
    expect(errors).toEqual([]);

    const stored = await readRun(info.url, run.id);
    expect(stored.status).toBe("FINISHED");
    expect(asRecord(stored.tags)["labbook.tfjs.backend"]).toBe(tf.getBackend());
    expect(asRecord(stored.tags)["labbook.tfjs.version"]).toBe(tf.version_core);
    expect(stored.metrics.map((m) => m.key).sort()).toEqual(
      ["acc", "batch_acc", "batch_loss", "loss", "lr", "val_acc", "val_loss"].sort(),
    );
    // Per epoch: what tfjs' own History recorded, at steps 0 and 1.
    for (const key of ["loss", "acc", "val_loss", "val_acc"]) {
      const { history: points } = await readHistory(info.url, run.id, key);
      expect(points.steps, key).toEqual([0, 1]);
      const expected = history.history[key] as number[];
      for (const [i, value] of numbers(points.values).entries())
        expect(value, `${key}[${i}]`).toBeCloseTo(expected[i] as number, 5);
    }
    const lr = await readHistory(info.url, run.id, "lr");
    expect(lr.history.steps).toEqual([0, 1]);
    expect(numbers(lr.history.values)).toEqual([0.1, 0.05]);
    // Per batch: a global step over both epochs (30 training samples: batches of 16 and 14).
    const batchLoss = await readHistory(info.url, run.id, "batch_loss");
    expect(batchLoss.history.steps).toEqual([0, 1, 2, 3]);
    expect(numbers(batchLoss.history.values).every((v) => v > 0)).toBe(true);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it("works as a plain object tfjs wraps, and can leave the learning rate out", async () => {
    const { info } = await server();
    const errors: LabbookError[] = [];
    const run = await startTestRun(info.url, errors);
    await selectBackend();

    const { model, xs, ys } = tinyModel(0.05);
    const wrapped = labbookCallback(run, { tf: {} }); // no tf.Callback to build on
    const withoutLr = labbookCallback(run, { logLearningRate: false });
    expect(wrapped).not.toBeInstanceOf(tf.Callback);
    expect(withoutLr).toBeInstanceOf(tf.Callback);
    expect(labbookCallback(run, { tf })).toBeInstanceOf(tf.Callback);
    await model.fit(xs, ys, { epochs: 2, batchSize: 40, verbose: 0, callbacks: [wrapped] });
    await model.fit(xs, ys, { epochs: 1, batchSize: 40, verbose: 0, callbacks: [withoutLr] });
    await run.end();
    expect(errors).toEqual([]);

    const stored = await readRun(info.url, run.id);
    // The wrapped callback never sees the model: no `lr`; neither does the other, by choice.
    expect(stored.metrics.map((m) => m.key).sort()).toEqual(["acc", "loss"]);
    // Two epochs from the first fit (steps 0, 1), one from the second (step 0 again).
    const { history } = await readHistory(info.url, run.id, "loss");
    expect(history.steps).toEqual([0, 0, 1]);
    tf.dispose([xs, ys]);
    model.dispose();
  });
});

describe("selectBackend", () => {
  it("takes the preferred backend, falls back in order, and tags the run", async () => {
    const tags: Record<string, string> = {};
    const run = {
      setTag(key: string, value: string | number | boolean) {
        tags[key] = String(value);
      },
    };
    expect(await selectBackend({ prefer: "cpu", run })).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect(tags["labbook.tfjs.backend"]).toBe("cpu");

    // tfjs-node is not installed here (its install downloads libtensorflow): passed over
    // silently, then wasm, read from node_modules.
    const skipped: string[] = [];
    const chosen = await selectBackend({ run, onFallback: (backend) => skipped.push(backend) });
    expect(chosen).toBe(tf.getBackend());
    expect(skipped).toEqual([]);
    expect(tags["labbook.tfjs.backend"]).toBe(chosen);
    if (chosen === "wasm") expect(tf.add(2, 3).dataSync()[0]).toBe(5);

    // Asked again (wasm already initialized): the same answer, no error.
    expect(await selectBackend({ prefer: "wasm" })).toBe("wasm");
  });
});
