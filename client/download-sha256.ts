import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { type Sha256Job, sha256Thread } from "./sha256-thread.ts";

/**
 * A stream that passes a download's bytes through unchanged and works out their SHA-256 as
 * they go by; `digest()` resolves with it (hex) once the stream has ended.
 */
export interface Sha256PassThrough extends Transform {
  digest(): Promise<string>;
}

/** Below this many bytes a download is hashed on the event loop: a thread would gain nothing. */
export const threadedHashBytes = 8 * 1024 * 1024;
/** The thread gets the bytes in batches of this size (fewer messages than socket chunks). */
const batchBytes = 1024 * 1024;
/** Bytes handed over but not hashed yet, past which the download waits for the thread. */
const maxBytesInFlight = 8 * batchBytes;

/**
 * How to hash a download of `size` bytes (undefined when the answer did not say) as it
 * arrives: a large one on the hashing thread, beside the transfer; a small one here.
 *
 * @example
 * const hash = sha256PassThrough(Number(response.headers["content-length"]));
 * await pipeline(response, hash, createWriteStream(part));
 * const actual = await hash.digest();
 */
export function sha256PassThrough(size: number | undefined): Sha256PassThrough {
  return size !== undefined && size < threadedHashBytes
    ? new InlineSha256Stream()
    : new ThreadedSha256Stream();
}

/** Hashes each chunk on the event loop, between receiving it and writing it. */
export class InlineSha256Stream extends Transform implements Sha256PassThrough {
  readonly #hash = createHash("sha256");
  #sha256: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback) {
    this.#sha256 = this.#hash.digest("hex");
    callback();
  }

  digest(): Promise<string> {
    if (this.#sha256 === undefined) return Promise.reject(new Error("the download has not ended"));
    return Promise.resolve(this.#sha256);
  }
}

/**
 * Passes each chunk on at once and copies it into a batch for the hashing thread
 * (sha256-thread.ts), so the file is written while the thread hashes. Holds the download back
 * only when the thread falls more than `maxBytesInFlight` behind, which bounds the memory.
 */
export class ThreadedSha256Stream extends Transform implements Sha256PassThrough {
  readonly #job: Sha256Job;
  readonly #sha256: Promise<string>;
  /** Batch buffers the thread has handed back, to fill again rather than allocate. */
  readonly #spare: ArrayBuffer[] = [];
  #batch = Buffer.from(new ArrayBuffer(batchBytes));
  #filled = 0;
  #inFlight = 0;
  /** The callback of a chunk held back until the thread catches up. */
  #held: TransformCallback | undefined;
  #ended = false;

  constructor() {
    super();
    let resolve: (sha256: string) => void = () => {};
    let reject: (error: Error) => void = () => {};
    this.#sha256 = new Promise((done, fail) => {
      resolve = done;
      reject = fail;
    });
    // Whoever asks for the digest sees a failure; nobody else must see it as unhandled.
    this.#sha256.catch(() => {});
    this.#job = sha256Thread.begin({
      hashed: (batch) => {
        this.#inFlight -= batch.byteLength;
        this.#spare.push(batch);
        if (this.#inFlight > maxBytesInFlight) return;
        const held = this.#held;
        this.#held = undefined;
        held?.();
      },
      done: resolve,
      failed: (error) => {
        const failure = new Error(`could not hash the download: ${error.message}`, {
          cause: error,
        });
        reject(failure);
        if (!this.#ended) this.destroy(failure);
      },
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    this.push(chunk);
    for (let offset = 0; offset < chunk.length; ) {
      const copied = chunk.copy(this.#batch, this.#filled, offset);
      this.#filled += copied;
      offset += copied;
      if (this.#filled === batchBytes) this.#send();
    }
    if (this.#inFlight > maxBytesInFlight) this.#held = callback;
    else callback();
  }

  override _flush(callback: TransformCallback) {
    this.#send();
    this.#ended = true;
    this.#job.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void) {
    if (!this.#ended) this.#job.drop();
    this.#held = undefined;
    callback(error);
  }

  digest(): Promise<string> {
    return this.#sha256;
  }

  /** Moves the batch's buffer to the thread and starts the next batch. */
  #send(): void {
    if (this.#filled === 0) return;
    // Whole buffers are in flight: the count is what a returned buffer takes off it.
    this.#inFlight += batchBytes;
    this.#job.send(this.#batch.buffer as ArrayBuffer, this.#filled);
    this.#batch = Buffer.from(this.#spare.pop() ?? new ArrayBuffer(batchBytes));
    this.#filled = 0;
  }
}
