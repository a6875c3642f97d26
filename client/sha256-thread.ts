import { Worker } from "node:worker_threads";
import type { Sha256Reply, Sha256Request } from "./sha256-worker.ts";

/** What a hash in progress is told: a batch was hashed, the SHA-256, or that it failed. */
export interface Sha256Listener {
  /** A batch was hashed: its buffer, moved back. */
  hashed(batch: ArrayBuffer): void;
  done(sha256: string): void;
  failed(error: Error): void;
}

/** One hash in progress on the thread: its bytes in order, then its end (or drop). */
export interface Sha256Job {
  /**
   * Hands over the first `length` bytes of `bytes`; the buffer is moved to the thread until
   * `hashed` returns it.
   */
  send(bytes: ArrayBuffer, length: number): void;
  /** No more bytes: the listener's `done` follows. */
  end(): void;
  /** Gives the hash up; the listener hears nothing more. */
  drop(): void;
}

/**
 * SHA-256s computed on a thread of their own (sha256-worker.ts), from bytes the event loop
 * hands over as a download brings them: hashing (200–370 MB/s on a CPU without SHA
 * instructions) then runs beside the socket and the file writes instead of between them. One
 * thread serves every download of the process; it starts on first use and keeps the process
 * alive only while a hash is in progress.
 *
 * @example
 * const job = sha256Thread.begin({ hashed() {}, done: console.log, failed: console.error });
 * job.send(new TextEncoder().encode("abc").buffer, 3);
 * job.end(); // logs ba7816bf…
 */
export class Sha256Thread {
  #worker: Worker | undefined;
  readonly #jobs = new Map<number, Sha256Listener>();
  #nextId = 1;

  begin(listener: Sha256Listener): Sha256Job {
    const worker = this.#start();
    const id = this.#nextId++;
    this.#jobs.set(id, listener);
    worker.ref();
    const post = (request: Sha256Request, transfer: ArrayBuffer[] = []) => {
      if (this.#jobs.has(id)) worker.postMessage(request, transfer);
    };
    return {
      send: (bytes, length) => post({ id, bytes, length }, [bytes]),
      end: () => post({ id, end: true }),
      drop: () => {
        post({ id, drop: true });
        this.#finish(id);
      },
    };
  }

  /** Stops the thread; hashes in progress fail. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }

  #finish(id: number): void {
    this.#jobs.delete(id);
    if (this.#jobs.size === 0) this.#worker?.unref();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL("./sha256-worker.ts", import.meta.url));
    worker.unref();
    worker.on("message", (reply: Sha256Reply) => {
      const listener = this.#jobs.get(reply.id);
      if (!listener) return;
      if ("hashed" in reply) return listener.hashed(reply.hashed);
      this.#finish(reply.id);
      listener.done(reply.sha256);
    });
    const failAll = (error: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      const listeners = [...this.#jobs.values()];
      this.#jobs.clear();
      for (const listener of listeners) listener.failed(error);
    };
    worker.on("error", failAll);
    worker.on("exit", (code) => failAll(new Error(`the SHA-256 thread exited (${code})`)));
    this.#worker = worker;
    return worker;
  }
}

/** The process's hashing thread, shared by every download. */
export const sha256Thread = new Sha256Thread();
