/**
 * The MLflow tutorial's MNIST classifier, in TypeScript with TensorFlow.js: a dense
 * 784-128-10 network trained with Adam on the real digits of the `mnist` package (8,000 to
 * train on, 2,000 others to validate on), the learning rate halved every
 * max(1, ⌊epochs/4⌋) epochs (PyTorch's StepLR with gamma 0.5). It logs its params, the train
 * loss and accuracy, the validation loss and accuracy and the learning rate per epoch, and
 * the best validation accuracy as `best_val_acc`. Then it logs the model (`run.logModel`: an
 * MLflow-like folder with MLmodel, model.json and weights, input example and environment) and
 * registers it as the next version of `mnist_classifier`; the model takes raw pixels in
 * [0, 1] (784 per digit), its first layer standardizes them, so it serves as it is:
 *
 *   npx labbook models alias mnist_classifier champion 1
 *   npx labbook models serve models:/mnist_classifier@champion --port 5001
 *
 *   npx labbook run examples/mnist -P epochs=5 -P batch_size=128   # a tracked run of the project
 *   node examples/mnist/train.ts --epochs 3 --batch-size 64       # directly: starts its own run
 *
 * Under `labbook run` it logs to the run that command created (LABBOOK_RUN_ID). `-P backend=cpu`
 * (or `--backend cpu`) asks for a TensorFlow.js backend: tensorflow, wasm or cpu.
 */
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { labbookCallback, type Run, selectBackend, startRun, type TfBackendName } from "labbook";

const usage = `Usage: node train.ts [--batch-size 16] [--epochs 10] [--lr-init 1e-3] [--backend tensorflow|wasm|cpu]`;

/** The validation set's size; the rest of the 10,000 digits is the training set. */
const validationSize = 2000;
/** The split is the same on every run, so that runs compare on the same validation digits. */
const splitSeed = 20240601;
const hiddenUnits = 128;
/** MNIST's pixel mean and standard deviation (torchvision's `Normalize((0.1307,), (0.3081,))`). */
const pixelMean = 0.1307;
const pixelStd = 0.3081;
const lrGamma = 0.5;

interface Args {
  /** As given on the command line: logged as they are, like `labbook run` logs them. */
  raw: { batch_size: string; epochs: string; lr_init: string };
  batchSize: number;
  epochs: number;
  lrInit: number;
  backend: TfBackendName | undefined;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      "batch-size": { type: "string", default: "16" },
      epochs: { type: "string", default: "10" },
      "lr-init": { type: "string", default: "1e-3" },
      backend: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const raw = {
    batch_size: values["batch-size"],
    epochs: values.epochs,
    lr_init: values["lr-init"],
  };
  const problems: string[] = [];
  const positiveInt = (name: string, text: string) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1)
      problems.push(`--${name} must be a whole number ≥ 1 (got '${text}')`);
    return value;
  };
  const batchSize = positiveInt("batch-size", raw.batch_size);
  const epochs = positiveInt("epochs", raw.epochs);
  const lrInit = Number(raw.lr_init);
  if (!(lrInit > 0 && Number.isFinite(lrInit)))
    problems.push(`--lr-init must be a positive number (got '${raw.lr_init}')`);
  const backend = values.backend;
  if (backend !== undefined && backend !== "tensorflow" && backend !== "wasm" && backend !== "cpu")
    problems.push(`--backend must be tensorflow, wasm or cpu (got '${backend}')`);
  if (problems.length) {
    console.error(`${problems.join("\n")}\n${usage}`);
    process.exit(2);
  }
  return { raw, batchSize, epochs, lrInit, backend: backend as TfBackendName | undefined };
}

interface Dataset {
  xTrain: tf.Tensor2D;
  yTrain: tf.Tensor2D;
  xVal: tf.Tensor2D;
  yVal: tf.Tensor2D;
}

/** A small seeded generator (mulberry32): the same split on every machine. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The 10,000 digits of the `mnist` package (28×28 pixels in [0, 1], shipped in the package:
 * nothing is downloaded), shuffled with a fixed seed and split into two disjoint sets.
 */
function loadDigits(): Dataset {
  const require = createRequire(import.meta.url);
  const digits = require("mnist") as { raw: number[]; length: number }[];
  const pixels = 28 * 28;
  const count = digits.reduce((sum, digit) => sum + digit.length, 0);
  const images = new Float32Array(count * pixels);
  const labels = new Int32Array(count);
  let n = 0;
  digits.forEach((digit, label) => {
    images.set(digit.raw.slice(0, digit.length * pixels), n * pixels);
    labels.fill(label, n, n + digit.length);
    n += digit.length;
  });
  // Fisher-Yates over the indices; the first ones train, the last `validationSize` validate.
  const order = Array.from({ length: count }, (_, i) => i);
  const random = seededRandom(splitSeed);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const take = (indices: number[]) => {
    const x = new Float32Array(indices.length * pixels);
    const y = new Int32Array(indices.length);
    indices.forEach((from, to) => {
      x.set(images.subarray(from * pixels, (from + 1) * pixels), to * pixels);
      y[to] = labels[from] as number;
    });
    return tf.tidy(() => ({
      // Raw pixels in [0, 1]: the model standardizes them itself (see buildModel).
      x: tf.tensor2d(x, [indices.length, pixels]),
      y: tf.oneHot(tf.tensor1d(y, "int32"), 10).toFloat() as tf.Tensor2D,
    }));
  };
  const train = take(order.slice(0, count - validationSize));
  const val = take(order.slice(count - validationSize));
  return { xTrain: train.x, yTrain: train.y, xVal: val.x, yVal: val.y };
}

/**
 * The tutorial's classifier as a dense network: 784 → 128 (ReLU) → 10 (softmax), after a
 * layer that standardizes the pixels with MNIST's mean and deviation (torchvision's
 * `Normalize((0.1307,), (0.3081,))` in the PyTorch tutorial), so that the logged model takes
 * raw pixels.
 */
function buildModel(lrInit: number): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.rescaling({
        inputShape: [28 * 28],
        scale: 1 / pixelStd,
        offset: -pixelMean / pixelStd,
      }),
      tf.layers.dense({ units: hiddenUnits, activation: "relu" }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
  model.compile({
    optimizer: tf.train.adam(lrInit),
    loss: "categoricalCrossentropy",
    metrics: ["accuracy"],
  });
  return model;
}

/** StepLR: the rate is multiplied by `lrGamma` every `stepSize` epochs. */
function stepLR(model: tf.LayersModel, lrInit: number, stepSize: number): tf.CustomCallback {
  return new tf.CustomCallback({
    onEpochBegin: (epoch) => {
      const lr = lrInit * lrGamma ** Math.floor(epoch / stepSize);
      // tfjs' optimizers read `learningRate` at every step; SGD caches it (setLearningRate).
      const optimizer = model.optimizer as unknown as {
        learningRate: number;
        setLearningRate?: (lr: number) => void;
      };
      if (optimizer.setLearningRate) optimizer.setLearningRate(lr);
      else optimizer.learningRate = lr;
    },
  });
}

/**
 * A progress bar per epoch on stderr when it is a terminal (redrawn at most every 100 ms),
 * and one line per epoch either way.
 */
function progress(
  epochs: number,
  batchesPerEpoch: number,
  onEpoch: (epoch: number, logs: tf.Logs) => void,
): tf.CustomCallback {
  const tty = process.stderr.isTTY === true;
  const width = 30;
  let current = 0;
  let started = 0;
  let drawn = 0;
  let lossSum = 0;
  const fmt = (value: number | undefined) => (value === undefined ? "?" : value.toFixed(4));
  return new tf.CustomCallback({
    onEpochBegin: (epoch: number) => {
      current = epoch;
      started = performance.now();
      lossSum = 0;
    },
    // Only on a terminal: reading each batch's loss makes the backend wait for it.
    ...(tty && {
      onBatchEnd: (batch: number, logs?: tf.Logs) => {
        lossSum += logs?.loss ?? 0;
        const done = batch + 1;
        const now = performance.now();
        if (now - drawn < 100 && done < batchesPerEpoch) return;
        drawn = now;
        const filled = Math.round((done / batchesPerEpoch) * width);
        process.stderr.write(
          `\r\x1b[2Kepoch ${current + 1}/${epochs} [${"=".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${batchesPerEpoch} loss ${fmt(lossSum / done)}`,
        );
      },
    }),
    onEpochEnd: (epoch: number, logs?: tf.Logs) => {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      process.stderr.write(
        `${tty ? "\r\x1b[2K" : ""}epoch ${epoch + 1}/${epochs}: loss ${fmt(logs?.loss)} acc ${fmt(logs?.acc)} val_loss ${fmt(logs?.val_loss)} val_acc ${fmt(logs?.val_acc)} (${seconds} s)\n`,
      );
      onEpoch(epoch, logs ?? {});
    },
  });
}

async function train(run: Run, args: Args): Promise<void> {
  const backend = await selectBackend({ run, prefer: args.backend });
  const data = loadDigits();
  const trainSize = data.xTrain.shape[0];
  const stepSize = Math.max(1, Math.floor(args.epochs / 4));
  run.logParams({
    ...args.raw,
    hidden_units: hiddenUnits,
    optimizer: "adam",
    lr_step_size: stepSize,
    lr_gamma: lrGamma,
    train_size: trainSize,
    val_size: validationSize,
  });
  console.error(
    `training on ${trainSize} digits, validating on ${validationSize}, backend ${backend}, run ${run.id}`,
  );

  const model = buildModel(args.lrInit);
  let best = { acc: Number.NEGATIVE_INFINITY, epoch: -1 };
  const started = performance.now();
  await model.fit(data.xTrain, data.yTrain, {
    epochs: args.epochs,
    batchSize: args.batchSize,
    validationData: [data.xVal, data.yVal],
    shuffle: true,
    verbose: 0,
    callbacks: [
      labbookCallback(run),
      stepLR(model, args.lrInit, stepSize),
      progress(args.epochs, Math.ceil(trainSize / args.batchSize), (epoch, logs) => {
        const acc = logs.val_acc;
        if (acc !== undefined && acc > best.acc) best = { acc, epoch };
      }),
    ],
  });
  if (best.epoch >= 0) run.logMetric("best_val_acc", best.acc, { step: best.epoch });
  console.error(
    `best val_acc ${best.acc.toFixed(4)} (epoch ${best.epoch + 1}); trained in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  // MLflow's `log_model(model, "model", registered_model_name="mnist_classifier")`.
  const example = data.xVal.slice([0, 0], [2, 28 * 28]);
  const logged = await run.logModel(model, {
    artifactPath: "model",
    inputExample: example,
    registeredModelName: "mnist_classifier",
  });
  example.dispose();
  console.error(
    `logged ${logged.modelUri}; registered as mnist_classifier version ${logged.registeredModelVersion?.version}`,
  );
  tf.dispose([data.xTrain, data.yTrain, data.xVal, data.yVal]);
  model.dispose();
}

const args = parse(process.argv.slice(2));
// Attached to the run `labbook run` created when LABBOOK_RUN_ID is set; else a new run.
const run = await startRun({ experiment: process.env.LABBOOK_EXPERIMENT ?? "mnist" });
try {
  await train(run, args);
  await run.end();
} catch (error) {
  await run.end("FAILED");
  throw error;
}
