import { type Transferable, Worker } from "node:worker_threads";
import { type BatchJob, type BatchOutcome, errorFromWire, transferablesOf } from "./batch-job.ts";
import type {
  BatchWriterData,
  BatchWriterReply,
  BatchWriterRequest,
} from "./batch-writer-worker.ts";

type Pending = { resolve: (outcomes: BatchOutcome[]) => void; reject: (error: unknown) => void };

/**
 * The main thread's handle on a database file's writer thread (db/batch-writer-worker.ts).
 * The thread starts on the first batch and only holds the process open while it has work, so
 * a command that never logs never starts it and one that is done exits. Callers send one
 * request at a time (through the write queue), so it never races the main connection.
 */
export class BatchWriterThread {
  readonly #data: BatchWriterData;
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();

  constructor(dbPath: string, busyTimeoutMs: number) {
    this.#data = { dbPath, busyTimeoutMs };
  }

  /** Applies the jobs in one transaction on the writer thread; one outcome per job. */
  apply(jobs: readonly BatchJob[]): Promise<BatchOutcome[]> {
    // The jobs' columns move to the thread; nothing here reads them afterwards.
    const transfer = jobs.flatMap(transferablesOf);
    return this.#send((id) => ({ type: "apply", id, jobs: [...jobs] }), transfer);
  }

  /** A fresh connection on the thread, after SQLITE_BUSY (libsql-client-ts#352). */
  async reopen(): Promise<void> {
    if (this.#worker) await this.#send((id) => ({ type: "reopen", id }), []);
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }

  #send(
    request: (id: number) => BatchWriterRequest,
    transfer: readonly Transferable[],
  ): Promise<BatchOutcome[]> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage(request(id), transfer);
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL("./batch-writer-worker.ts", import.meta.url), {
      workerData: this.#data,
    });
    worker.unref();
    worker.on("message", (reply: BatchWriterReply) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if (!pending) return;
      if (reply.ok) pending.resolve(reply.outcomes);
      else pending.reject(errorFromWire(reply.error));
    });
    const failAll = (error: unknown) => {
      // Whether the thread's last transaction committed is unknown: its callers get an error
      // and retry with the same batch id, which is applied at most once.
      if (this.#worker === worker) this.#worker = undefined;
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    };
    worker.on("error", failAll);
    worker.on("exit", (code) => failAll(new Error(`the database writer thread exited (${code})`)));
    this.#worker = worker;
    return worker;
  }
}
