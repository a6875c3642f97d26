import { Worker } from "node:worker_threads";
import type { HashReply, HashRequest } from "./hash-worker.ts";

/**
 * A file being hashed by the hash thread, from a descriptor the caller opened and closes once
 * `settled` resolves (not before: the thread may still be reading it).
 */
export interface FollowedFile {
  /** Bytes of the file now written: the thread may read up to there. */
  grow(bytes: number): void;
  /** The file is complete at `bytes`; resolves with its hex SHA-256. */
  end(bytes: number): Promise<string>;
  /** Bytes written but not hashed yet, as of the thread's last report. */
  lag(written: number): number;
  /** Stops hashing (the upload failed); resolves once the thread let go of the descriptor. */
  cancel(): Promise<void>;
  /** Resolves (never rejects) once the thread no longer reads the descriptor. */
  readonly settled: Promise<void>;
}

interface Job {
  hashed: number;
  resolve(sha256: string): void;
  reject(error: Error): void;
  /** Called once the thread is done with the descriptor, whatever the outcome. */
  release(): void;
}

/**
 * Computes SHA-256s on a thread of its own (hash-worker.ts), so hashing a large file never
 * stops the event loop, and can run beside the upload that writes it. One thread serves every
 * store in the process; it is started on first use and does not keep the process alive.
 */
export class FileHasher {
  #worker: Worker | undefined;
  readonly #jobs = new Map<number, Job>();
  #nextId = 1;

  /**
   * Starts hashing the file open as `fd` while it is written: `grow` says how far it may
   * read, `end` how long the file is.
   */
  follow(fd: number): FollowedFile {
    const id = this.#nextId++;
    let release!: () => void;
    const settled = new Promise<void>((resolve) => {
      release = resolve;
    });
    let resolveHash!: (sha256: string) => void;
    let rejectHash!: (error: Error) => void;
    const hashed = new Promise<string>((resolve, reject) => {
      resolveHash = resolve;
      rejectHash = reject;
    });
    // Whoever ends the job awaits `hashed`; a cancelled job's rejection is nobody's business.
    hashed.catch(() => {});
    const job: Job = { hashed: 0, resolve: resolveHash, reject: rejectHash, release };
    this.#jobs.set(id, job);
    this.#send({ kind: "start", id, fd });
    let finished = false;
    return {
      grow: (bytes) => {
        if (!finished) this.#send({ kind: "grow", id, bytes });
      },
      end: (bytes) => {
        finished = true;
        this.#send({ kind: "end", id, bytes });
        return hashed;
      },
      lag: (written) => written - job.hashed,
      cancel: () => {
        if (this.#jobs.has(id)) {
          finished = true;
          job.reject(new Error("hashing was cancelled"));
          this.#send({ kind: "cancel", id });
        }
        return settled;
      },
      settled,
    };
  }

  /** The SHA-256 of the first `size` bytes of the file open as `fd` (the caller closes it). */
  async hash(fd: number, size: number): Promise<string> {
    const file = this.follow(fd);
    try {
      return await file.end(size);
    } finally {
      await file.settled;
    }
  }

  /** Stops the thread; jobs in progress fail. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }

  #send(request: HashRequest): void {
    const worker = this.#start();
    worker.ref();
    worker.postMessage(request);
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    // The thread's stdin stays open: a preload that ends the process when stdin ends (as
    // `labbook run` gives the server it starts) must not fire in the thread.
    const worker = new Worker(new URL("./hash-worker.ts", import.meta.url), { stdin: true });
    worker.unref();
    worker.on("message", (reply: HashReply) => {
      const job = this.#jobs.get(reply.id);
      if (!job) return;
      if (reply.kind === "hashed") {
        job.hashed = reply.bytes;
        return;
      }
      this.#jobs.delete(reply.id);
      if (this.#jobs.size === 0) worker.unref();
      if (reply.kind === "done") {
        job.hashed = reply.bytes;
        job.resolve(reply.sha256);
      } else if (reply.kind === "failed")
        job.reject(Object.assign(new Error(reply.message), { code: reply.code }));
      job.release();
    });
    const failAll = (error: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const job of this.#jobs.values()) {
        job.reject(error);
        job.release();
      }
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
