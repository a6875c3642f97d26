/**
 * The thread that computes files' SHA-256 (file-hasher.ts starts it). It reads each file
 * through a descriptor the main thread opened (and closes once answered). Several files are
 * hashed in turns, a chunk each, so that none waits behind a large one.
 */
import { createHash, type Hash } from "node:crypto";
import { readlinkSync, readSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";

/** What the main thread asks: the SHA-256 of the first `bytes` of the file open as `fd`. */
export interface HashRequest {
  id: number;
  fd: number;
  bytes: number;
}

/** The answer; the thread no longer reads the descriptor once it is sent. */
export type HashReply =
  | { id: number; sha256: string }
  | { id: number; error: { message: string; code: string | undefined } };

interface Job {
  fd: number;
  hash: Hash;
  position: number;
  end: number;
}

const chunkBytes = 1024 * 1024;

const port = parentPort;
if (!port) throw new Error("hash-worker.ts runs as a worker thread");
const jobs = new Map<number, Job>();
const buffer = Buffer.allocUnsafe(chunkBytes);
let pumping = false;

/** One chunk of each job, then again after the messages that came meanwhile. */
function pump(): void {
  pumping = false;
  for (const [id, job] of jobs) {
    try {
      const want = Math.min(chunkBytes, job.end - job.position);
      const read = want === 0 ? 0 : readSync(job.fd, buffer, 0, want, job.position);
      if (want > 0 && read === 0)
        throw Object.assign(new Error(`the file ended after ${job.position} of ${job.end} bytes`), {
          code: "ESHORT",
        });
      job.hash.update(buffer.subarray(0, read));
      job.position += read;
      if (job.position < job.end) continue;
      jobs.delete(id);
      port?.postMessage({ id, sha256: job.hash.digest("hex") } satisfies HashReply);
    } catch (error) {
      jobs.delete(id);
      const { message, code } = error as NodeJS.ErrnoException;
      port?.postMessage({ id, error: { message, code } } satisfies HashReply);
    }
  }
  schedule();
}

function schedule(): void {
  if (pumping || jobs.size === 0) return;
  pumping = true;
  setImmediate(pump);
}

port.on("message", ({ id, fd, bytes }: HashRequest) => {
  jobs.set(id, { fd, hash: createHash("sha256"), position: 0, end: bytes });
  schedule();
});

// A hash is worked out after the bytes are safe on disk; it should not slow the transfers in
// flight, so this thread runs at a lower priority: a core they keep busy gives it about a
// tenth of its time (nice 10), not so little that other programs on the machine can starve it
// (nice 19 would). Linux gives each thread its own nice value (its id is the last part of
// /proc/thread-self, read on this thread: an asynchronous readlink would run on, and renice,
// a libuv pool thread).
try {
  const threadId = Number(readlinkSync("/proc/thread-self").split("/").pop());
  if (Number.isSafeInteger(threadId)) setPriority(threadId, 10);
} catch {
  // Another system: the thread keeps the process's priority.
}
