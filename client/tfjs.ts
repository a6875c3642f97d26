import type { Run } from "./run.ts";
import { currentTf, type TfModule } from "./tfjs-backend.ts";

export {
  type SelectBackendOptions,
  selectBackend,
  type TfBackendName,
  type TfModule,
} from "./tfjs-backend.ts";

/**
 * What `labbookCallback` takes.
 *
 * @example
 * labbookCallback(run, { perBatch: true, logLearningRate: false } satisfies LabbookCallbackOptions);
 */
export interface LabbookCallbackOptions {
  /**
   * Also log every batch's loss and metrics, as `batch_<key>` (`batch_loss`, `batch_acc`)
   * at a step that counts batches from the start of training. Off by default: reading each
   * batch's numbers makes the backend wait for them.
   */
  perBatch?: boolean;
  /** Log the optimizer's learning rate as `lr` once per epoch (default true). */
  logLearningRate?: boolean;
  /**
   * The TensorFlow.js module (`import * as tf from "@tensorflow/tfjs"`), when labbook cannot
   * find it itself: the module `selectBackend` chose a backend on, else `@tensorflow/tfjs` as
   * installed beside labbook, is used by default.
   */
  tf?: Pick<TfModule, "Callback">;
}

/** A number in tfjs' logs: a plain number, or a scalar tensor not read yet. */
type LogValue = number | { data(): Promise<ArrayLike<number>> } | undefined;
/** Numbers tfjs hands its callbacks, by name (`loss`, `acc`, `val_loss`, …). */
type TfLogs = Record<string, LogValue>;

/**
 * A `model.fit` callback that logs to a run; see `labbookCallback`. It has the shape of
 * tfjs' `BaseCallback`, so it goes in one array with tfjs' own callbacks
 * (`tf.callbacks.earlyStopping()`, `new tf.CustomCallback({...})`).
 *
 * @example
 * const callback: LabbookCallback = labbookCallback(run);
 * await model.fit(xs, ys, { epochs: 5, callbacks: [callback] });
 */
export interface LabbookCallback {
  /** tfjs' own field, not used: never set it. */
  validationData: never;
  params: Record<string, number | string | boolean | number[] | string[] | boolean[]>;
  setParams(params: LabbookCallback["params"]): void;
  /** tfjs hands over the model being trained; its optimizer gives the learning rate. */
  setModel(model: unknown): void;
  onTrainBegin(logs?: TfLogs): Promise<void>;
  onTrainEnd(logs?: TfLogs): Promise<void>;
  onEpochBegin(epoch: number, logs?: TfLogs): Promise<void>;
  onEpochEnd(epoch: number, logs?: TfLogs): Promise<void>;
  onBatchBegin(batch: number, logs?: TfLogs): Promise<void>;
  onBatchEnd(batch: number, logs?: TfLogs): Promise<void>;
}

/** Keys tfjs puts in a batch's logs that are not measurements. */
const batchBookkeeping = new Set(["batch", "size"]);

/**
 * A `model.fit` (or `fitDataset`) callback that logs the loss and every compiled metric —
 * whatever keys tfjs reports: `loss`, `acc`, `val_loss`, `val_acc`, … — at the end of each
 * epoch with `step` = the epoch, and the optimizer's learning rate as `lr`. With `perBatch`,
 * each batch's numbers too, as `batch_loss`, `batch_acc`, … at a global batch step. Logging
 * never slows the loop down much nor breaks it: a value that cannot be read is skipped.
 *
 * When TensorFlow.js can be found (see `tf`), the callback is a real `tf.Callback`, so tfjs
 * hands it the model (the learning rate comes from there) and it mixes with tfjs' own
 * callbacks in one array. Otherwise it is a plain object that tfjs wraps, and `lr` is not
 * logged.
 *
 * @example
 * import * as tf from "@tensorflow/tfjs";
 * import { labbookCallback, selectBackend, startRun } from "labbook";
 *
 * const run = await startRun({ experiment: "mnist" });
 * await selectBackend({ run });
 * const model = tf.sequential({
 *   layers: [tf.layers.dense({ inputShape: [784], units: 128, activation: "relu" }), tf.layers.dense({ units: 10, activation: "softmax" })],
 * });
 * model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
 * await model.fit(xTrain, yTrain, {
 *   epochs: 5,
 *   validationData: [xVal, yVal],
 *   callbacks: [labbookCallback(run), tf.callbacks.earlyStopping({ monitor: "val_acc" })],
 * }); // logs loss, acc, val_loss, val_acc and lr at steps 0..4
 * await run.end();
 */
export function labbookCallback(
  run: Pick<Run, "logMetric">,
  options: LabbookCallbackOptions = {},
): LabbookCallback {
  const perBatch = options.perBatch ?? false;
  const logLearningRate = options.logLearningRate ?? true;
  let model: unknown;
  let batchStep = 0;

  const logAll = async (logs: TfLogs | undefined, step: number, prefix: string) => {
    if (!logs) return;
    const timestamp = Date.now();
    for (const key of Object.keys(logs)) {
      if (prefix && batchBookkeeping.has(key)) continue;
      const value = await numberOf(logs[key]);
      if (value !== undefined) run.logMetric(prefix + key, value, { step, timestamp });
    }
  };

  // A real tf.Callback when tfjs is around: tfjs hands only those the model, and uses an
  // array of callbacks as it is only when its first one is one. The handlers never use
  // `this`: a plain object is wrapped by tfjs, which then calls them on the wrapper.
  const Base = (options.tf ?? currentTf())?.Callback;
  const callback = (
    Base ? new (Base as new () => object)() : { validationData: null, params: {} }
  ) as LabbookCallback;
  const handlers: Omit<LabbookCallback, "validationData" | "params"> = {
    setParams(params) {
      callback.params = params;
    },
    setModel(trained) {
      model = trained;
    },
    async onTrainBegin() {},
    async onTrainEnd() {},
    async onEpochBegin() {},
    async onEpochEnd(epoch, logs) {
      await logAll(logs, epoch, "");
      if (!logLearningRate) return;
      const lr = learningRateOf(model);
      if (lr !== undefined) run.logMetric("lr", lr, { step: epoch });
    },
    async onBatchBegin() {},
    async onBatchEnd(_batch, logs) {
      if (!perBatch) return;
      await logAll(logs, batchStep++, "batch_");
    },
  };
  return Object.assign(callback, handlers);
}

/** A log value as a number: scalars are read (tfjs keeps them alive until the callback returns). */
async function numberOf(value: LogValue): Promise<number | undefined> {
  try {
    if (typeof value === "number") return value;
    if (value && typeof value.data === "function") {
      const data = await value.data();
      return data.length > 0 ? Number(data[0]) : undefined;
    }
  } catch {
    // A tensor disposed meanwhile: skip it rather than break training.
  }
  return undefined;
}

interface OptimizerLike {
  learningRate?: unknown;
  getConfig?: () => Record<string, unknown>;
}

/** The optimizer's current learning rate: its `learningRate`, else its config's. */
function learningRateOf(model: unknown): number | undefined {
  const optimizer = (model as { optimizer?: OptimizerLike } | undefined)?.optimizer;
  if (!optimizer) return undefined;
  if (typeof optimizer.learningRate === "number") return optimizer.learningRate;
  try {
    const configured = optimizer.getConfig?.().learningRate;
    return typeof configured === "number" ? configured : undefined;
  } catch {
    return undefined;
  }
}
