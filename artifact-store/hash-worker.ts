/**
 * The thread that computes files' SHA-256 (file-hasher.ts starts it). It reads each file
 * through a descriptor the main thread opened, up to the bytes the main thread says are
 * written, so it can follow a file while an upload is still writing it. Several files are
 * hashed in turns, a chunk each, so that a message (more bytes, the end, a cancel) is read
 * between chunks.
 */

import { createHash, type Hash } from "node:crypto";
import { readlinkSync, readSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";

/** What the main thread asks. */
export type HashRequest =
  /** Hash the file open as `fd`, from its first byte. */
  | { kind: "start"; id: number; fd: number }
  /** `bytes` of it are written and may be read. */
  | { kind: "grow"; id: number; bytes: number }
  /** The file is `bytes` long: answer once they are hashed. */
  | { kind: "end"; id: number; bytes: number }
  /** Stop; the main thread closes the descriptor once `cancelled` comes back. */
  | { kind: "cancel"; id: number };

/** What the thread answers; after `done`, `failed` or `cancelled` it no longer reads `fd`. */
export type HashReply =
  | { kind: "hashed"; id: number; bytes: number }
  | { kind: "done"; id: number; sha256: string; bytes: number }
  | { kind: "failed"; id: number; message: string; code: string | undefined }
  | { kind: "cancelled"; id: number };

interface Job {
  fd: number;
  hash: Hash;
  position: number;
  available: number;
  end: number | undefined;
  reported: number;
}

const chunkBytes = 1024 * 1024;
/** How often progress is reported (the main thread decides from it whether to wait). */
const reportEveryBytes = 8 * 1024 * 1024;

const port = parentPort;
if (!port) throw new Error("hash-worker.ts runs as a worker thread");
const jobs = new Map<number, Job>();
const buffer = Buffer.allocUnsafe(chunkBytes);
let pumping = false;

const reply = (message: HashReply) => port.postMessage(message);

function finish(id: number, job: Job): void {
  jobs.delete(id);
  reply({ kind: "done", id, sha256: job.hash.digest("hex"), bytes: job.position });
}

/** One chunk of each job that has bytes to read, then again after pending messages. */
function pump(): void {
  pumping = false;
  for (const [id, job] of jobs) {
    if (job.position >= job.available) continue;
    try {
      const want = Math.min(chunkBytes, job.available - job.position);
      const read = readSync(job.fd, buffer, 0, want, job.position);
      if (read === 0)
        throw Object.assign(
          new Error(`the file ended after ${job.position} of ${job.available} bytes`),
          { code: "ESHORT" },
        );
      job.hash.update(buffer.subarray(0, read));
      job.position += read;
    } catch (error) {
      jobs.delete(id);
      const { message, code } = error as NodeJS.ErrnoException;
      reply({ kind: "failed", id, message, code });
      continue;
    }
    if (job.position === job.end) finish(id, job);
    else if (job.position - job.reported >= reportEveryBytes) {
      job.reported = job.position;
      reply({ kind: "hashed", id, bytes: job.position });
    }
  }
  schedule();
}

function schedule(): void {
  if (pumping) return;
  for (const job of jobs.values())
    if (job.position < job.available) {
      pumping = true;
      setImmediate(pump);
      return;
    }
}

port.on("message", (request: HashRequest) => {
  const job = jobs.get(request.id);
  if (request.kind === "start")
    jobs.set(request.id, {
      fd: request.fd,
      hash: createHash("sha256"),
      position: 0,
      available: 0,
      end: undefined,
      reported: 0,
    });
  else if (request.kind === "cancel") {
    jobs.delete(request.id);
    reply({ kind: "cancelled", id: request.id });
  } else if (job) {
    job.available = Math.max(job.available, request.bytes);
    if (request.kind === "end") {
      job.end = request.bytes;
      if (job.position === job.end) finish(request.id, job);
    }
  }
  schedule();
});

// A hash is worked out after the bytes are safe on disk; it should not slow the uploads and
// downloads in flight, so this thread takes the CPU only when they leave it idle. Linux
// gives each thread its own nice value (its id is the last part of /proc/thread-self, read
// on this thread: the asynchronous readlink would run on, and renice, a libuv pool thread).
try {
  const threadId = Number(readlinkSync("/proc/thread-self").split("/").pop());
  if (Number.isSafeInteger(threadId)) setPriority(threadId, 19);
} catch {
  // Another system: the thread keeps the process's priority.
}
