import { tmpdir } from "node:os";
import { resolve } from "node:path";
import type { LabbookError } from "./errors.ts";

/**
 * Everything `startRun` takes. Options win over the `LABBOOK_*` variables.
 *
 * @example
 * await startRun({ experiment: "mnist", name: "baseline", batchSize: 10_000, onError: console.error });
 */
export interface StartRunOptions {
  /** Experiment name, created when missing (`LABBOOK_EXPERIMENT`; else the Default one). */
  experiment?: string;
  /** The run's display name; generated when omitted. Ignored when attaching. */
  name?: string;
  /** Tags to set on the run. */
  tags?: Record<string, string | number | boolean>;
  /**
   * Makes the new run a child of that run. Given, it creates a run even when
   * `LABBOOK_RUN_ID` is set (e.g. a trial under the run `labbook run` created).
   */
  parentRunId?: string;
  /**
   * A run to attach to instead of creating one (`LABBOOK_RUN_ID`, unless `parentRunId` is
   * given): its creator ends it, so `end()` only flushes.
   */
  runId?: string;
  /**
   * A labbook server (`LABBOOK_TRACKING_URI`); without one, the server that owns
   * `./labbook.db`, started as a child process when none runs.
   */
  trackingUri?: string;
  /** API token (`LABBOOK_TOKEN`), sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Metric points per batch (default 5,000; the API takes up to 50,000). */
  batchSize?: number;
  /** A batch is cut at least this often while points come in (default 2,000 ms). */
  flushIntervalMs?: number;
  /** Points kept in memory while the server is away; past it, batches go to disk (1,000,000). */
  maxBufferedPoints?: number;
  /** Where spilled batches go (default: the system temp directory). */
  spillDir?: string;
  /** How long `flush()`, `end()` and the exit hooks wait for an absent server (60,000 ms). */
  flushTimeoutMs?: number;
  /** How long `startRun` waits for a server that refuses connections (default 10,000 ms). */
  connectTimeoutMs?: number;
  /** A request without an answer after this long is sent again (default 30,000 ms). */
  requestTimeoutMs?: number;
  /** The longest wait between two retries of a batch (default 5,000 ms). */
  maxRetryDelayMs?: number;
  /** Told about data the server refused and other trouble; `console.warn` by default. */
  onError?: (error: LabbookError) => void;
}

/**
 * `StartRunOptions` with the variables and defaults applied.
 *
 * @example
 * const { batchSize, flushIntervalMs } = runConfig(options);
 */
export interface RunConfig {
  experiment: string | undefined;
  runId: string | undefined;
  trackingUri: string | undefined;
  token: string | undefined;
  batchSize: number;
  flushIntervalMs: number;
  maxBufferedPoints: number;
  spillDir: string;
  flushTimeoutMs: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxRetryDelayMs: number;
  /** The embedded store used when no tracking URI is set. */
  dbPath: string;
}

const env = (name: string): string | undefined => {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
};

function positive(name: string, value: number | undefined, fallback: number, max = Infinity) {
  if (value === undefined) return fallback;
  if (!(value > 0) || value > max)
    throw new RangeError(
      `${name} must be a number above 0${max < Infinity ? ` and at most ${max}` : ""} (got ${value})`,
    );
  return value;
}

/**
 * Applies the `LABBOOK_*` variables and the defaults to what the caller passed; options win.
 *
 * @example
 * process.env.LABBOOK_EXPERIMENT = "mnist";
 * runConfig({}).experiment; // "mnist"
 * runConfig({ experiment: "cifar" }).experiment; // "cifar"
 */
export function runConfig(options: StartRunOptions): RunConfig {
  return {
    experiment: options.experiment ?? env("LABBOOK_EXPERIMENT"),
    // A parent given explicitly asks for a new child run, even inside an attached process.
    runId: options.runId ?? (options.parentRunId ? undefined : env("LABBOOK_RUN_ID")),
    trackingUri: options.trackingUri ?? env("LABBOOK_TRACKING_URI"),
    token: options.token ?? env("LABBOOK_TOKEN"),
    // The API refuses batches of more than 50,000 points.
    batchSize: Math.floor(positive("batchSize", options.batchSize, 5000, 50_000)),
    flushIntervalMs: positive("flushIntervalMs", options.flushIntervalMs, 2000),
    maxBufferedPoints: positive("maxBufferedPoints", options.maxBufferedPoints, 1_000_000),
    spillDir: options.spillDir ?? tmpdir(),
    flushTimeoutMs: positive("flushTimeoutMs", options.flushTimeoutMs, 60_000),
    connectTimeoutMs: positive("connectTimeoutMs", options.connectTimeoutMs, 10_000),
    requestTimeoutMs: positive("requestTimeoutMs", options.requestTimeoutMs, 30_000),
    maxRetryDelayMs: positive("maxRetryDelayMs", options.maxRetryDelayMs, 5000),
    dbPath: resolve("labbook.db"),
  };
}
