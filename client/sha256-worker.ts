/**
 * The thread that hashes downloads as they arrive (sha256-thread.ts starts it). The event loop
 * hands it each download's bytes in batches, in order; it answers every batch once hashed, so
 * the sender can hold back when it runs ahead (and fill the batch's buffer again), and the hex
 * SHA-256 at the end.
 */
import { createHash, type Hash } from "node:crypto";
import { parentPort } from "node:worker_threads";

/**
 * What the event loop sends: a batch of a download's bytes (the first `length` of `bytes`), its
 * end, or that it was given up.
 */
export type Sha256Request =
  | { id: number; bytes: ArrayBuffer; length: number }
  | { id: number; end: true }
  | { id: number; drop: true };

/**
 * The answers: a batch was hashed (its buffer moved back, to be filled again), or a
 * download's SHA-256.
 */
export type Sha256Reply = { id: number; hashed: ArrayBuffer } | { id: number; sha256: string };

const port = parentPort;
if (!port) throw new Error("sha256-worker.ts runs as a worker thread");
const hashes = new Map<number, Hash>();

port.on("message", (request: Sha256Request) => {
  const { id } = request;
  if ("drop" in request) {
    hashes.delete(id);
    return;
  }
  let hash = hashes.get(id);
  if (!hash) {
    hash = createHash("sha256");
    hashes.set(id, hash);
  }
  if ("bytes" in request) {
    hash.update(new Uint8Array(request.bytes, 0, request.length));
    port.postMessage({ id, hashed: request.bytes } satisfies Sha256Reply, [request.bytes]);
    return;
  }
  hashes.delete(id);
  port.postMessage({ id, sha256: hash.digest("hex") } satisfies Sha256Reply);
});
