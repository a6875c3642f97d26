import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { ChartFilesTask } from "./chart-files.ts";
import type { ChartJob, ChartJobReply } from "./chart-worker.ts";

interface Pending {
  job: ChartJob;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Threads that write charts' files, one chart at a time each; see chart-worker.ts. */
export class ChartPool {
  readonly size: number;
  private readonly idle: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<Worker, Pending>();
  private readonly roomWaiters: (() => void)[] = [];
  private nextId = 0;
  private failure: Error | undefined;

  /** `size` threads: by default one per core the process may use. */
  constructor(size = availableParallelism()) {
    this.size = Math.max(1, size);
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(new URL("./chart-worker.ts", import.meta.url));
      worker.on("message", (reply: ChartJobReply) => this.finished(worker, reply));
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => {
        if (this.running.has(worker) || (code !== 0 && !this.failure))
          this.fail(new Error(`a chart thread stopped (exit code ${code})`));
      });
      this.idle.push(worker);
    }
  }

  /** Writes one chart's files on a free thread; resolves once they are written. */
  write(task: ChartFilesTask): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, task }, resolve, reject });
      this.dispatch();
    });
  }

  /**
   * Resolves when the queue is short (a chart waiting per thread at most): the caller makes the
   * next chart's rows then, so only a few charts' data is held at a time.
   */
  room(): Promise<void> {
    if (this.queue.length < this.size || this.failure) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Stops the threads (any chart not written yet fails). */
  async close(): Promise<void> {
    const workers = [...this.idle, ...this.running.keys()];
    this.failure ??= new Error("the chart threads were closed");
    this.rejectAll(this.failure);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const pending = this.queue.shift() as Pending;
      this.running.set(worker, pending);
      worker.postMessage(pending.job);
    }
    if (this.queue.length < this.size) for (const wake of this.roomWaiters.splice(0)) wake();
  }

  private finished(worker: Worker, reply: ChartJobReply): void {
    const pending = this.running.get(worker);
    this.running.delete(worker);
    this.idle.push(worker);
    if (pending && "error" in reply) pending.reject(new Error(reply.error));
    else pending?.resolve();
    this.dispatch();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.rejectAll(this.failure);
  }

  private rejectAll(error: Error): void {
    for (const pending of [...this.queue.splice(0), ...this.running.values()])
      pending.reject(error);
    this.running.clear();
    for (const wake of this.roomWaiters.splice(0)) wake();
  }
}
