import { Pause, retryDelay } from "./backoff.ts";
import { type Batch, batchInput, splitBatch } from "./batch.ts";
import type { BatchQueue } from "./batch-queue.ts";
import { logBatchBody } from "./documents.ts";
import { LabbookError, report } from "./errors.ts";
import type { GraphQLClient } from "./graphql-client.ts";

/**
 * How a sender retries and whom it tells about what it drops.
 *
 * @example
 * new BatchSender({ client, queue, maxRetryDelayMs: 5000 });
 */
export interface BatchSenderOptions {
  client: GraphQLClient;
  queue: BatchQueue;
  onError?: ((error: LabbookError) => void) | undefined;
  /** The first retry waits about this long (default 100 ms); each next one twice as long. */
  retryBaseMs?: number;
  /** The longest wait between retries (default 5 s). */
  maxRetryDelayMs?: number;
  /** Unexpected server errors tolerated per batch before it is dropped (default 8). */
  maxServerRetries?: number;
}

/**
 * What a sender has done so far.
 *
 * @example
 * const { sentPoints, retries } = sender.stats;
 */
export interface SenderStats {
  /** Metric points the server acknowledged. */
  sentPoints: number;
  /** Metric points dropped because the server refused them. */
  droppedPoints: number;
  /** Sends that failed and were tried again. */
  retries: number;
}

/**
 * Sends a run's batches one at a time, in order: the next batch goes only once the server
 * acknowledged (or refused) the previous one, so a retried batch never overtakes a newer one.
 * A batch that fails for a reason time can fix is sent again after a growing, jittered wait,
 * with the same id; one the server refuses is split into smaller parts (so good params or
 * points beside a bad one are kept), and what is still refused is reported and dropped.
 *
 * @example
 * const sender = new BatchSender({ client, queue });
 * sender.enqueue(batch);
 * await sender.settled(batch.seq, 60_000); // true once the server has it
 */
export class BatchSender {
  readonly #options: BatchSenderOptions;
  readonly #pause = new Pause();
  readonly #waiters = new Set<{ seq: number; resolve: () => void }>();
  readonly #reported = new Set<string>();
  #doneSeq = 0;
  #pumping = false;
  #stopped = false;
  readonly stats: SenderStats = { sentPoints: 0, droppedPoints: 0, retries: 0 };

  constructor(options: BatchSenderOptions) {
    this.#options = options;
  }

  /**
   * Queues a batch and makes sure someone is sending.
   *
   * @example
   * sender.enqueue(cutBatch(++seq, runId, content));
   */
  enqueue(batch: Batch): void {
    this.#options.queue.push(batch);
    this.#kick();
  }

  /**
   * Resolves true once every batch up to `seq` is acknowledged or dropped, or false after
   * `timeoutMs`. Its timer keeps the process alive meanwhile: whoever waits for a flush
   * (an `await run.end()`, the exit hooks) must get its answer before Node exits.
   *
   * @example
   * if (!(await sender.settled(lastSeq, 60_000))) console.warn("server unreachable");
   */
  settled(seq: number, timeoutMs: number): Promise<boolean> {
    if (this.#doneSeq >= seq) return Promise.resolve(true);
    this.#kick();
    // Someone waits: retry now rather than at the end of a long backoff.
    this.#pause.wake();
    return new Promise((resolve) => {
      const forever = timeoutMs >= 2 ** 31 - 1;
      const timer = forever
        ? setInterval(() => {}, 2 ** 30)
        : setTimeout(() => {
            this.#waiters.delete(waiter);
            resolve(false);
          }, timeoutMs);
      const waiter = {
        seq,
        resolve: () => {
          clearTimeout(timer);
          clearInterval(timer);
          resolve(true);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /**
   * Stops sending (the batch in flight may still land; it would only be acknowledged again
   * if sent later). What is queued stays in the queue.
   *
   * @example
   * sender.stop();
   * const kept = queue.persist();
   */
  stop(): void {
    this.#stopped = true;
    this.#pause.wake();
  }

  #kick(): void {
    if (this.#pumping || this.#stopped) return;
    this.#pumping = true;
    this.#pump()
      .catch((error: unknown) =>
        report(
          this.#options.onError,
          new LabbookError(`the sender failed: ${String(error)}`, "INTERNAL", "server", {
            cause: error,
          }),
        ),
      )
      .finally(() => {
        this.#pumping = false;
        // A batch queued after the loop saw an empty queue, but before it returned.
        if (!this.#options.queue.empty && !this.#stopped) this.#kick();
      });
  }

  async #pump(): Promise<void> {
    // Never send from inside the caller's logMetric: start on a later tick.
    await undefined;
    const { queue } = this.#options;
    for (let batch = queue.peek(); batch && !this.#stopped; batch = queue.peek()) {
      if (!(await this.#deliver(batch))) return;
      queue.shift();
      this.#done(batch.seq);
    }
  }

  /** Sends one batch until it is acknowledged or dropped (true), or the sender stops (false). */
  async #deliver(batch: Batch): Promise<boolean> {
    const {
      client,
      retryBaseMs = 100,
      maxRetryDelayMs = 5000,
      maxServerRetries = 8,
    } = this.#options;
    let serverFailures = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        await client.post(logBatchBody(batchInput(batch)));
        this.stats.sentPoints += batch.points;
        return true;
      } catch (caught) {
        const error =
          caught instanceof LabbookError
            ? caught
            : new LabbookError(String(caught), "INTERNAL", "server", { cause: caught });
        if (error.kind === "rejected") return this.#refused(batch, error);
        if (error.kind === "server" && ++serverFailures > maxServerRetries)
          return this.#drop(batch, error);
        if (error.kind === "transient" && error.code !== "UNREACHABLE") this.#reportOnce(error);
      }
      if (this.#stopped) return false;
      this.stats.retries++;
      await this.#pause.sleep(retryDelay(attempt, retryBaseMs, maxRetryDelayMs));
      if (this.#stopped) return false;
    }
  }

  async #refused(batch: Batch, error: LabbookError): Promise<boolean> {
    // An unknown run refuses every part alike; anything else may be one bad part. Parts
    // are smaller each time, so this ends with single items.
    const parts = error.code !== "NOT_FOUND" ? splitBatch(batch) : [];
    if (parts.length === 0) return this.#drop(batch, error);
    for (const part of parts) if (!(await this.#deliver(part))) return false;
    return true;
  }

  #drop(batch: Batch, error: LabbookError): true {
    this.stats.droppedPoints += batch.points;
    error.batchId = batch.batchId;
    error.droppedPoints = batch.points;
    error.message = `batch ${batch.batchId} (${batch.points} points) dropped: ${error.message}`;
    report(this.#options.onError, error);
    return true;
  }

  /** States of the server (a wrong token, a busy database) are told once, not per retry. */
  #reportOnce(error: LabbookError): void {
    if (this.#reported.has(error.code)) return;
    this.#reported.add(error.code);
    error.message = `${error.message} (retrying; the data is kept)`;
    report(this.#options.onError, error);
  }

  #done(seq: number): void {
    this.#doneSeq = seq;
    for (const waiter of this.#waiters)
      if (waiter.seq <= seq) {
        this.#waiters.delete(waiter);
        waiter.resolve();
      }
  }
}
