/**
 * The thread that computes files' SHA-256 and CRC-32 (file-hasher.ts starts it), both from
 * the same reads. It reads each file through a descriptor the main thread opened (and closes
 * once answered). Several files are hashed in turns, a chunk each, so that none waits behind
 * a large one.
 */
import { readlinkSync, readSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";
import { type ContentChecksums, ContentHasher } from "./checksums.ts";

/** What the main thread asks: the checksums of the first `bytes` of the file open as `fd`. */
export interface HashRequest {
  id: number;
  fd: number;
  bytes: number;
}

/** The answer; the thread no longer reads the descriptor once it is sent. */
export type HashReply =
  | { id: number; checksums: ContentChecksums }
  | { id: number; error: { message: string; code: string | undefined } };

interface Job {
  fd: number;
  hash: ContentHasher;
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
      port?.postMessage({ id, checksums: job.hash.digest() } satisfies HashReply);
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
  jobs.set(id, { fd, hash: new ContentHasher(), position: 0, end: bytes });
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
