import {
  type ArtifactInfo,
  type ArtifactTarget,
  downloadArtifactsWith,
  logArtifactDir,
  logArtifactFile,
  uploadArtifact,
} from "./artifacts.ts";
import { Pause, retryDelay } from "./backoff.ts";
import { cutBatch, type KeyValue } from "./batch.ts";
import { BatchQueue } from "./batch-queue.ts";
import { BatchSender } from "./batch-sender.ts";
import type { RunConfig } from "./config.ts";
import { updateRunDoc } from "./documents.ts";
import { LabbookError, report } from "./errors.ts";
import { type EndStatus, type ExitParticipant, trackRun, untrackRun } from "./exit-hooks.ts";
import type { GraphQLClient } from "./graphql-client.ts";
import { MetricBuffer, type MetricColumn } from "./metric-buffer.ts";
import { type LogModelOptions, logModelTo, type ModelInfo, type SavableModel } from "./models.ts";
import { clientLimits, isStep, isTimestamp, keyProblem, textValue } from "./validation.ts";

/**
 * Where a metric point sits: its step (0 by default) and time (now by default, ms UTC).
 *
 * @example
 * run.logMetric("loss", 0.42, { step: 3, timestamp: Date.now() } satisfies MetricOptions);
 */
export interface MetricOptions {
  step?: number;
  timestamp?: number;
}

/**
 * What a run has buffered, queued, sent and dropped so far.
 *
 * @example
 * const { sent, spilled }: RunStats = run.stats();
 */
export interface RunStats {
  /** Points logged and not yet cut into a batch. */
  buffered: number;
  /** Points in batches waiting in memory (the one in flight included). */
  queued: number;
  /** Points in batches waiting on disk. */
  spilled: number;
  /** The spill file, while the run has one. */
  spillPath: string | undefined;
  /** Points the server acknowledged. */
  sent: number;
  /** Points dropped because the server refused them. */
  dropped: number;
  /** Sends that failed and were tried again. */
  retries: number;
}

/** The API's batch limits for params and tags; metric points are bounded by `batchSize`. */
const maxParamsPerBatch = 100;
const maxTagsPerBatch = 100;

/**
 * What `startRun` hands a run.
 *
 * @example
 * new Run({ id, experimentId, owned: true, client, config: runConfig({}), onError: undefined });
 */
export interface RunInit {
  id: string;
  experimentId: string;
  /** Whether the SDK created the run (and so ends it), or attached to it. */
  owned: boolean;
  client: GraphQLClient;
  config: RunConfig;
  onError: ((error: LabbookError) => void) | undefined;
}

/**
 * A run being logged to. Logging calls return at once and never throw: they append to an
 * in-memory buffer, cut into batches by size and by time and sent in the background, in
 * order, retried until the server takes them. Problems go to `onError` (`console.warn` by
 * default). `end()` (or the process's exit) sends what is left and sets the final status.
 *
 * @example
 * const run = await startRun({ experiment: "mnist" });
 * run.logParams({ lr: 0.001, epochs: 10 });
 * for (let step = 0; step < 1000; step++) run.logMetric("loss", 1 / (step + 1), { step });
 * await run.end();
 */
export class Run implements ExitParticipant {
  /** The run's id (32 hexadecimal characters). */
  readonly id: string;
  /** The id of the run's experiment. */
  readonly experimentId: string;
  /** Whether the SDK created this run and so ends it; false when attached by `LABBOOK_RUN_ID`. */
  readonly owned: boolean;

  readonly #client: GraphQLClient;
  readonly #config: RunConfig;
  readonly #onError: ((error: LabbookError) => void) | undefined;
  readonly #buffer = new MetricBuffer();
  readonly #queue: BatchQueue;
  readonly #sender: BatchSender;
  readonly #timer: NodeJS.Timeout;
  readonly #batchSize: number;
  /** Keys checked once; refused keys are reported once and their points ignored. */
  readonly #goodKeys = new Set<string>();
  readonly #reported = new Set<string>();
  readonly #params = new Map<string, string>();
  readonly #loggedParams = new Map<string, string>();
  readonly #tags = new Map<string, string>();
  /** Artifact uploads in flight: `flush()` and `end()` wait for them. */
  readonly #uploads = new Set<Promise<unknown>>();
  #seq = 0;
  #closed = false;
  #ending: Promise<void> | undefined;

  constructor(init: RunInit) {
    this.id = init.id;
    this.experimentId = init.experimentId;
    this.owned = init.owned;
    this.#client = init.client;
    this.#config = init.config;
    this.#onError = init.onError;
    this.#batchSize = init.config.batchSize;
    this.#queue = new BatchQueue({
      runId: init.id,
      maxMemoryPoints: init.config.maxBufferedPoints,
      spillDir: init.config.spillDir,
    });
    this.#sender = new BatchSender({
      client: init.client,
      queue: this.#queue,
      onError: init.onError,
      maxRetryDelayMs: init.config.maxRetryDelayMs,
    });
    // Points logged slowly still reach the server within an interval; the timer must not
    // keep a finished script alive (the exit hooks flush then).
    this.#timer = setInterval(() => this.#cut(), init.config.flushIntervalMs);
    this.#timer.unref();
    trackRun(this);
  }

  /**
   * The base URL of the server this run logs to.
   *
   * @example
   * console.log(`logging to ${run.trackingUri}/graphql`);
   */
  get trackingUri(): string {
    return this.#client.url;
  }

  /**
   * Logs one metric point. Returns at once: the point is buffered and sent later.
   * NaN and ±Infinity are fine.
   *
   * @example
   * run.logMetric("loss", 0.42, { step: 300 });
   */
  logMetric(key: string, value: number, options?: MetricOptions): void {
    if (this.#closed) {
      this.#afterEnd();
      return;
    }
    const column = this.#buffer.column(key) ?? this.#openColumn(key);
    if (column === undefined) return;
    const step = options?.step ?? 0;
    const timestamp = options?.timestamp ?? Date.now();
    if (typeof value !== "number" || !isStep(step) || !isTimestamp(timestamp))
      this.#badPoint(key, value, step, timestamp);
    else if (this.#buffer.append(column, value, step, timestamp) >= this.#batchSize) this.#cut();
  }

  /**
   * Logs several metrics at the same step and time.
   *
   * @example
   * run.logMetrics({ loss: 0.42, accuracy: 0.91 }, { step: 3 });
   */
  logMetrics(metrics: Record<string, number>, options?: MetricOptions): void {
    const at = { step: options?.step ?? 0, timestamp: options?.timestamp ?? Date.now() };
    for (const key in metrics) this.logMetric(key, metrics[key] as number, at);
  }

  /**
   * Logs a param (numbers and booleans become text). Params are immutable: the same value
   * again is ignored, another value is reported as a CONFLICT and not sent.
   *
   * @example
   * run.logParam("lr", 0.001);
   */
  logParam(key: string, value: string | number | boolean): void {
    if (this.#closed) {
      this.#afterEnd();
      return;
    }
    const text = textValue(value);
    const problem = keyValueProblem("param", key, text, clientLimits.paramValueLength);
    const earlier = this.#loggedParams.get(key);
    if (problem) this.#refuse("BAD_USER_INPUT", `param not logged: ${problem}`);
    else if (earlier !== undefined && earlier !== text)
      this.#refuse(
        "CONFLICT",
        `param '${key}' was logged as '${earlier}'; params are immutable, so '${text}' was not logged`,
      );
    else if (earlier === undefined) {
      this.#loggedParams.set(key, text);
      this.#params.set(key, text);
    }
  }

  /**
   * Logs several params.
   *
   * @example
   * run.logParams({ lr: 0.001, batch_size: 64, optimizer: "adam" });
   */
  logParams(params: Record<string, string | number | boolean>): void {
    for (const [key, value] of Object.entries(params)) this.logParam(key, value);
  }

  /**
   * Sets a tag (numbers and booleans become text); a later value for the same key wins.
   *
   * @example
   * run.setTag("backend", "wasm");
   */
  setTag(key: string, value: string | number | boolean): void {
    if (this.#closed) {
      this.#afterEnd();
      return;
    }
    const text = textValue(value);
    const problem = keyValueProblem("tag", key, text, clientLimits.tagValueLength);
    if (problem) this.#refuse("BAD_USER_INPUT", `tag not set: ${problem}`);
    else this.#tags.set(key, text);
  }

  /**
   * Sets several tags.
   *
   * @example
   * run.setTags({ team: "vision", dataset: "mnist" });
   */
  setTags(tags: Record<string, string | number | boolean>): void {
    for (const [key, value] of Object.entries(tags)) this.setTag(key, value);
  }

  /**
   * Uploads a local file as an artifact of the run: `<artifactPath>/<file name>`, or
   * `<file name>` at the top (as MLflow's `log_artifact`). The file is streamed, never read
   * whole, and resolves with what the server recorded (size, SHA-256, content type). Unlike
   * the logging calls it rejects (with a `LabbookError`) when the file cannot be stored — a
   * bad path, a missing file, a server away longer than `flushTimeoutMs` — so await it.
   * `flush()` and `end()` wait for uploads in flight.
   *
   * @example
   * await run.logArtifact("out/model.bin", "checkpoints"); // checkpoints/model.bin
   */
  logArtifact(localPath: string, artifactPath?: string): Promise<ArtifactInfo> {
    return this.#upload(() =>
      logArtifactFile(this.#artifactTarget(), this.id, localPath, artifactPath),
    );
  }

  /**
   * Uploads every file under a local folder, keeping their relative paths, under
   * `artifactPath` (or at the top), as MLflow's `log_artifacts`; four files at a time.
   *
   * @example
   * await run.logArtifacts("out/model", "model"); // model/weights.bin, model/config.json, …
   */
  logArtifacts(localDir: string, artifactPath?: string): Promise<ArtifactInfo[]> {
    return this.#upload(() =>
      logArtifactDir(this.#artifactTarget(), this.id, localDir, artifactPath),
    );
  }

  /**
   * Stores text (UTF-8) as the artifact `artifactFile`.
   *
   * @example
   * await run.logText(summary, "reports/summary.md");
   */
  logText(text: string, artifactFile: string): Promise<ArtifactInfo> {
    return this.#upload(() =>
      uploadArtifact(this.#artifactTarget(), this.id, artifactFile, {
        bytes: Buffer.from(text, "utf8"),
      }),
    );
  }

  /**
   * Stores a value as JSON (indented) in the artifact `artifactFile`.
   *
   * @example
   * await run.logJson({ classes: ["cat", "dog"], threshold: 0.5 }, "model/labels.json");
   */
  logJson(value: unknown, artifactFile: string): Promise<ArtifactInfo> {
    return this.#upload(() =>
      uploadArtifact(this.#artifactTarget(), this.id, artifactFile, {
        bytes: Buffer.from(JSON.stringify(value, null, 2) ?? "null", "utf8"),
        contentType: "application/json",
      }),
    );
  }

  /**
   * Logs a TensorFlow.js layers model as the artifact folder `artifactPath` (`model` by
   * default), laid out as MLflow's: an `MLmodel` file (flavor `tfjs`, the signature — inferred
   * from the model unless given — sizes and ids), `model.json` with the weights, the input
   * example, and a `package.json` pinning Node and the packages the model needs. With
   * `registeredModelName` it is also registered as that model's next version. Resolves with
   * what was stored, `modelUri` (`runs:/<run id>/<path>`) included; rejects like `logArtifact`.
   *
   * @example
   * const info = await run.logModel(model, { registeredModelName: "mnist_classifier" });
   * console.log(info.modelUri, info.registeredModelVersion?.version);
   */
  logModel(model: SavableModel, options: LogModelOptions = {}): Promise<ModelInfo> {
    return this.#upload(() => logModelTo(this.#artifactTarget(), this.id, model, options));
  }

  /**
   * Downloads this run's artifacts — a file, a folder, or all (`""`) — into `dest`, where each
   * keeps its path; resolves with the local path of what was asked for.
   *
   * @example
   * const dir = await run.downloadArtifacts("model", "/tmp/check"); // "/tmp/check/model"
   */
  downloadArtifacts(path: string, dest: string): Promise<string> {
    return downloadArtifactsWith(this.#artifactTarget(), this.id, path, dest);
  }

  #artifactTarget(): ArtifactTarget {
    return {
      client: this.#client,
      retryForMs: this.#config.flushTimeoutMs,
      maxRetryDelayMs: this.#config.maxRetryDelayMs,
    };
  }

  /** Starts an upload and keeps it in `#uploads` until it settles. */
  #upload<T>(start: () => Promise<T>): Promise<T> {
    const upload = start();
    this.#uploads.add(upload);
    const settled = () => this.#uploads.delete(upload);
    upload.then(settled, settled);
    return upload;
  }

  /** Waits for the artifact uploads in flight (their callers hear how each went). */
  async #uploadsSettled(): Promise<void> {
    while (this.#uploads.size > 0) await Promise.allSettled([...this.#uploads]);
  }

  /**
   * Sends everything logged so far and resolves once the server has it. Never rejects: if
   * the server stays away past `flushTimeoutMs`, it resolves after telling `onError`, and the
   * data stays queued.
   *
   * @example
   * await run.flush(); // e.g. before a checkpoint
   */
  async flush(): Promise<void> {
    this.#cut();
    await this.#uploadsSettled();
    if (!(await this.#sender.settled(this.#seq, this.#config.flushTimeoutMs)))
      report(
        this.#onError,
        new LabbookError(
          `flush: the server at ${this.trackingUri} did not take the data within ${this.#config.flushTimeoutMs} ms; still trying`,
          "UNREACHABLE",
          "transient",
        ),
      );
  }

  /**
   * Sends what is left and ends the run with a status (FINISHED by default). A run attached
   * through `LABBOOK_RUN_ID` is only flushed: whoever created it ends it. Calling it again
   * returns the same promise; logging afterwards is ignored (and reported once). Never
   * rejects: a server that stays away past `flushTimeoutMs` gets the unsent data written to
   * a file, named in the report.
   *
   * @example
   * try {
   *   await train(run);
   *   await run.end();
   * } catch (error) {
   *   await run.end("FAILED");
   *   throw error;
   * }
   */
  end(status: EndStatus = "FINISHED"): Promise<void> {
    this.#ending ??= this.#finish(status);
    return this.#ending;
  }

  /**
   * Counters, e.g. to show progress or to watch a spill.
   *
   * @example
   * const { sent, queued, spilled } = run.stats();
   */
  stats(): RunStats {
    return {
      buffered: this.#buffer.size,
      queued: this.#queue.memoryPoints,
      spilled: this.#queue.spilledPoints,
      spillPath: this.#queue.spilledPoints > 0 ? this.#queue.spillPath : undefined,
      sent: this.#sender.stats.sentPoints,
      dropped: this.#sender.stats.droppedPoints,
      retries: this.#sender.stats.retries,
    };
  }

  /**
   * For the `exit` event (process.exit() skips the asynchronous flush): writes everything
   * not yet acknowledged to a file and says where.
   *
   * @example
   * process.on("exit", () => run.persistUnsent());
   */
  persistUnsent(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#cut();
    this.#sender.stop();
    this.#keepUnsent();
  }

  async #finish(status: EndStatus): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#cut();
    const deadline = Date.now() + this.#config.flushTimeoutMs;
    try {
      await this.#uploadsSettled();
      if (!(await this.#sender.settled(this.#seq, this.#config.flushTimeoutMs))) {
        this.#sender.stop();
        this.#keepUnsent();
        return;
      }
      this.#sender.stop();
      if (this.owned) await this.#setStatus(status, deadline);
    } finally {
      untrackRun(this);
    }
  }

  /** updateRun, retried while the server is away (setting a status twice is harmless). */
  async #setStatus(status: EndStatus, deadline: number): Promise<void> {
    const pause = new Pause();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#client.request(updateRunDoc, { input: { runId: this.id, status } });
        return;
      } catch (error) {
        const failure = error as LabbookError;
        const wait = retryDelay(attempt, 100, this.#config.maxRetryDelayMs);
        if (failure.kind === "rejected" || Date.now() + wait > deadline) {
          failure.message = `run ${this.id} could not be marked ${status}: ${failure.message}`;
          return report(this.#onError, failure);
        }
        // The timer of `settled` is gone; keep the process alive while we retry.
        const keepAlive = setTimeout(() => {}, wait + 1000);
        await pause.sleep(wait);
        clearTimeout(keepAlive);
      }
    }
  }

  #keepUnsent(): void {
    const kept = this.#queue.persist();
    if (kept)
      report(
        this.#onError,
        new LabbookError(
          `${kept.points} points of run ${this.id} could not be sent to ${this.trackingUri}; they are kept in ${kept.path} (send them later with sendUnsent)`,
          "UNREACHABLE",
          "transient",
        ),
      );
  }

  /** Cuts everything buffered into batches within the API's limits, and queues them. */
  #cut(): void {
    while (this.#buffer.size > 0 || this.#params.size > 0 || this.#tags.size > 0) {
      const params = takeSome(this.#params, maxParamsPerBatch);
      const tags = takeSome(this.#tags, maxTagsPerBatch);
      const metrics = this.#buffer.size > 0 ? this.#buffer.take() : [];
      this.#sender.enqueue(cutBatch(++this.#seq, this.id, { params, tags, metrics }));
    }
  }

  #openColumn(key: string): MetricColumn | undefined {
    if (this.#goodKeys.has(key)) return this.#buffer.open(key);
    const problem = keyProblem(key);
    if (problem) {
      this.#refuseOnce(`key:${key}`, "BAD_USER_INPUT", `metric not logged: ${problem}`);
      return undefined;
    }
    this.#goodKeys.add(key);
    return this.#buffer.open(key);
  }

  #badPoint(key: string, value: unknown, step: number, timestamp: number): void {
    const problem =
      typeof value !== "number"
        ? `value must be a number, NaN or ±Infinity (got ${typeof value})`
        : !isStep(step)
          ? `step must be an integer up to 2^53 - 1 (got ${step})`
          : `timestamp must be milliseconds UTC, a non-negative integer (got ${timestamp})`;
    this.#refuseOnce(
      `point:${key}`,
      "BAD_USER_INPUT",
      `metric '${key}' point not logged: ${problem}`,
    );
  }

  #afterEnd(): void {
    this.#refuseOnce(
      "ended",
      "RUN_ENDED",
      `run ${this.id} has ended; what is logged to it now is ignored`,
    );
  }

  #refuseOnce(what: string, code: string, message: string): void {
    if (this.#reported.has(what)) return;
    this.#reported.add(what);
    this.#refuse(code, message);
  }

  #refuse(code: string, message: string): void {
    report(this.#onError, new LabbookError(message, code, "rejected"));
  }
}

function takeSome(pending: Map<string, string>, max: number): KeyValue[] {
  const taken: KeyValue[] = [];
  for (const [key, value] of pending) {
    if (taken.length === max) break;
    taken.push({ key, value });
    pending.delete(key);
  }
  return taken;
}

/** What is wrong with a param or tag before it is sent, if anything. */
function keyValueProblem(
  kind: "param" | "tag",
  key: string,
  text: string,
  maxLength: number,
): string | undefined {
  return (
    keyProblem(key) ??
    (text.length > maxLength
      ? `${kind} '${key}' is longer than ${maxLength} characters`
      : undefined)
  );
}
