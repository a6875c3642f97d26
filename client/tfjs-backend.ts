import { createRequire } from "node:module";
import { dirname, sep } from "node:path";
import type { Run } from "./run.ts";

// TensorFlow.js is loaded only when these helpers are called, by a name held in a variable:
// neither Node (when the SDK is imported) nor the compiler (when a project without tfjs
// type-checks) ever looks for it. The types below are the little of it that is used.

/**
 * A TensorFlow.js backend `selectBackend` can choose: `tensorflow` (the native library of
 * `@tensorflow/tfjs-node`), `wasm` (`@tensorflow/tfjs-backend-wasm`) or `cpu` (plain
 * JavaScript, always there).
 *
 * @example
 * const backend: TfBackendName = await selectBackend();
 */
export type TfBackendName = "tensorflow" | "wasm" | "cpu";

/**
 * The part of the TensorFlow.js module these helpers use.
 *
 * @example
 * import * as tf from "@tensorflow/tfjs";
 * const module: TfModule = tf;
 */
export interface TfModule {
  setBackend(name: string): Promise<boolean>;
  getBackend(): string;
  ready(): Promise<void>;
  add(a: number, b: number): { dataSync(): ArrayLike<number>; dispose(): void };
  /** tfjs-core's version. */
  version_core?: string;
  /** The base class of `model.fit` callbacks (tfjs-layers'). */
  Callback?: abstract new () => object;
}

/**
 * What `selectBackend` takes.
 *
 * @example
 * await selectBackend({ prefer: "cpu", run } satisfies SelectBackendOptions);
 */
export interface SelectBackendOptions {
  /** A backend to try first; the others are tried after it, in the usual order. */
  prefer?: TfBackendName;
  /** Records the backend chosen as the tag `labbook.tfjs.backend` (and tfjs-core's version as `labbook.tfjs.version`). */
  run?: Pick<Run, "setTag">;
  /**
   * Told when a backend that is installed does not work here and the next one is tried
   * (`console.warn` by default). A backend that is not installed is passed over silently.
   */
  onFallback?: (backend: TfBackendName, error: unknown) => void;
}

const defaultOrder: readonly TfBackendName[] = ["tensorflow", "wasm", "cpu"];
const require = createRequire(import.meta.url);

/** The module `selectBackend` chose a backend on; `labbookCallback` takes tfjs' classes from it. */
let selected: TfModule | undefined;
/** The wasm backend takes its file paths once, before its first initialization. */
let wasmPathsSet = false;

/**
 * Chooses the fastest TensorFlow.js backend that works here and makes it the current one:
 * `tensorflow` when `@tensorflow/tfjs-node` is installed and an operation on it gives the
 * right answer (tfjs-node 4.22 loads but fails on Node 23 and later), else `wasm` when
 * `@tensorflow/tfjs-backend-wasm` is installed (its `.wasm` files are read from
 * `node_modules`, never fetched), else `cpu`. Resolves with the backend's name; rejects only
 * when `@tensorflow/tfjs` itself is missing. Call it before creating any tensor.
 *
 * @example
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend, startRun } from "labbook";
 *
 * const run = await startRun({ experiment: "mnist" });
 * const backend = await selectBackend({ run }); // "tensorflow", "wasm" or "cpu"; tagged on the run
 * const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [784], units: 10 })] });
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<TfBackendName> {
  const order = options.prefer
    ? [options.prefer, ...defaultOrder.filter((name) => name !== options.prefer)]
    : defaultOrder;
  const onFallback =
    options.onFallback ??
    ((backend: TfBackendName, error: unknown) =>
      console.warn(
        `labbook: the TensorFlow.js backend '${backend}' does not work here (${messageOf(error)}); trying the next one`,
      ));
  let lastError: unknown;
  for (const backend of order) {
    try {
      const tf = await activate(backend);
      selected = tf;
      options.run?.setTag("labbook.tfjs.backend", backend);
      if (typeof tf.version_core === "string")
        options.run?.setTag("labbook.tfjs.version", tf.version_core);
      return backend;
    } catch (error) {
      lastError = error;
      if (!isNotInstalled(error)) onFallback(backend, error);
    }
  }
  throw new Error(
    `no TensorFlow.js backend works here; is @tensorflow/tfjs installed? (${messageOf(lastError)})`,
    { cause: lastError },
  );
}

/**
 * The TensorFlow.js module in use: the one `selectBackend` chose a backend on, else
 * `@tensorflow/tfjs` if it can be found from here, else undefined.
 *
 * @example
 * const Callback = currentTf()?.Callback;
 */
export function currentTf(): TfModule | undefined {
  if (selected) return selected;
  for (const name of ["@tensorflow/tfjs", "@tensorflow/tfjs-layers"]) {
    try {
      // Synchronous on purpose (for labbookCallback); Node's import of these CommonJS
      // packages gives the very same module.
      return require(name) as TfModule;
    } catch {
      // Not installed where this file can see it.
    }
  }
  return undefined;
}

/** Package that provides each backend. */
const packageOf: Record<TfBackendName, string> = {
  tensorflow: "@tensorflow/tfjs-node",
  wasm: "@tensorflow/tfjs-backend-wasm",
  cpu: "@tensorflow/tfjs",
};

async function activate(backend: TfBackendName): Promise<TfModule> {
  // tfjs-node re-exports @tensorflow/tfjs and registers the `tensorflow` backend as it loads.
  const tf = await loadTf(backend === "tensorflow" ? packageOf.tensorflow : packageOf.cpu);
  if (backend === "wasm") {
    const wasm = moduleOf<{ setWasmPaths(prefix: string): void }>(
      await load(packageOf.wasm),
      "setWasmPaths",
    );
    if (!wasmPathsSet) {
      // A file path, not a URL: the wasm backend reads its binaries with fs in Node.
      wasm.setWasmPaths(dirname(require.resolve(packageOf.wasm)) + sep);
      wasmPathsSet = true;
    }
  }
  if (!(await tf.setBackend(backend)))
    throw new Error(`tf.setBackend('${backend}') failed to initialize it`);
  await tf.ready();
  smokeTest(tf, backend);
  return tf;
}

/** One operation, read back: a backend that loads but cannot compute must not be chosen. */
function smokeTest(tf: TfModule, backend: TfBackendName): void {
  const sum = tf.add(1, 1);
  try {
    const value = sum.dataSync()[0];
    if (value !== 2) throw new Error(`1 + 1 gave ${value} on '${backend}'`);
  } finally {
    sum.dispose();
  }
}

async function loadTf(name: string): Promise<TfModule> {
  return moduleOf<TfModule>(await load(name), "setBackend");
}

/** A name in a variable: kept out of static import graphs and out of the compiler's sight. */
function load(name: string): Promise<unknown> {
  return import(name);
}

/**
 * The module's exports: Node gives a CommonJS package's `module.exports` as `default`, and
 * may or may not detect each name on its own.
 */
function moduleOf<T>(namespace: unknown, probe: string): T {
  const ns = namespace as Record<string, unknown> & { default?: Record<string, unknown> };
  if (typeof ns[probe] === "function") return ns as T;
  if (ns.default && typeof ns.default[probe] === "function") return ns.default as T;
  throw new Error(`the module has no ${probe}()`);
}

/** A TensorFlow.js package that is not installed (as opposed to one that fails as it loads). */
function isNotInstalled(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
    /Cannot find (?:package|module) '@tensorflow\//.test(messageOf(error))
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
