import { Worker } from "node:worker_threads";
import type { ContentChecksums } from "./checksums.ts";
import type { HashReply, HashRequest } from "./hash-worker.ts";

interface Job {
  resolve(checksums: ContentChecksums): void;
  reject(error: Error): void;
}

/**
 * Computes SHA-256s and CRC-32s on a thread of its own (hash-worker.ts), at a lower priority,
 * so that hashing a large file never stops the event loop and slows the transfers in flight
 * little. One thread serves every store in the process; it is started on first use and does
 * not keep the process alive.
 *
 * @example
 * const handle = await open("model.bin", "r");
 * const { sha256, crc32 } = await fileHasher.hash(handle.fd, (await handle.stat()).size);
 * await handle.close(); // only once the hash is settled: the thread reads through it
 */
export class FileHasher {
  #worker: Worker | undefined;
  readonly #jobs = new Map<number, Job>();
  #nextId = 1;

  /**
   * The SHA-256 and CRC-32 of the first `bytes` bytes of the file open as `fd`, from one read
   * of them. The caller keeps the descriptor open until this settles.
   */
  hash(fd: number, bytes: number): Promise<ContentChecksums> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#jobs.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, fd, bytes } satisfies HashRequest);
    });
  }

  /** Stops the thread; hashes in progress fail. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    // The thread's stdin stays open: a preload that ends the process when stdin ends (as
    // `labbook run` gives the server it starts) must not fire in the thread.
    const worker = new Worker(new URL("./hash-worker.ts", import.meta.url), { stdin: true });
    worker.unref();
    worker.on("message", (reply: HashReply) => {
      const job = this.#jobs.get(reply.id);
      this.#jobs.delete(reply.id);
      if (this.#jobs.size === 0) worker.unref();
      if ("checksums" in reply) job?.resolve(reply.checksums);
      else job?.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    });
    const failAll = (error: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const job of this.#jobs.values()) job.reject(error);
      this.#jobs.clear();
    };
    worker.on("error", failAll);
    worker.on("exit", (code) => failAll(new Error(`the hashing thread exited (${code})`)));
    this.#worker = worker;
    return worker;
  }
}

/** The process's hasher, shared by every local store. */
export const fileHasher = new FileHasher();
