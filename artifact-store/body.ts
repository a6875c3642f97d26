import { Readable, Transform, type TransformCallback } from "node:stream";
import { type ContentChecksums, ContentHasher } from "./checksums.ts";
import { ArtifactStoreError } from "./errors.ts";

/**
 * What a store can take as a file's content: a Node stream, a web `ReadableStream`, any
 * async iterable of bytes, or bytes and text already in memory.
 */
export type ArtifactBody =
  | Readable
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Uint8Array
  | string;

/** A Node stream over any `ArtifactBody`, without copying it whole. */
export function bodyStream(body: ArtifactBody | null | undefined): Readable {
  if (body === null || body === undefined) return Readable.from([]);
  if (body instanceof Readable) return body;
  if (typeof body === "string" || body instanceof Uint8Array)
    return Readable.from([Buffer.from(body as Uint8Array)]);
  // Web streams (Node's and the fetch ponyfills') are async iterables too.
  return Readable.from(body as AsyncIterable<Uint8Array>, { objectMode: false });
}

export interface MeasureOptions {
  /** Fails with `too_large` once more bytes than this came through. */
  maxBytes?: number | undefined;
  /** The size the sender announced (content-length): fails unless exactly this many came. */
  expectedSize?: number | undefined;
  /**
   * Hash only bodies of at most this many bytes (default: all); past it the hashing stops and
   * `checksums` is null, for a body that will be hashed from where it is stored.
   */
  inlineHashBytes?: number | undefined;
}

/**
 * Passes bytes through while counting them and hashing them (SHA-256 and CRC-32), and enforces
 * a limit: past `maxBytes` it fails before the bytes go on, so a store never keeps more than
 * the limit.
 */
export class Measure extends Transform {
  byteCount = 0;
  #hash: ContentHasher | undefined = new ContentHasher();
  #checksums: ContentChecksums | null | undefined;
  readonly #maxBytes: number | undefined;
  readonly #expectedSize: number | undefined;
  readonly #inlineHashBytes: number;

  constructor(options: MeasureOptions = {}) {
    super();
    this.#maxBytes = options.maxBytes;
    this.#expectedSize = options.expectedSize;
    this.#inlineHashBytes = options.inlineHashBytes ?? Number.POSITIVE_INFINITY;
    // A body announced larger than that is not hashed here at all.
    if ((options.expectedSize ?? 0) > this.#inlineHashBytes) this.#hash = undefined;
  }

  /**
   * The SHA-256 and CRC-32 of everything that came through, once the stream has ended; null
   * when the body was larger than `inlineHashBytes`.
   */
  get checksums(): ContentChecksums | null {
    if (this.#checksums === undefined) throw new Error("the body has not ended yet");
    return this.#checksums;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    this.byteCount += chunk.length;
    if (this.#maxBytes !== undefined && this.byteCount > this.#maxBytes)
      return callback(
        new ArtifactStoreError(
          "too_large",
          `the artifact is larger than the limit of ${this.#maxBytes} bytes`,
        ),
      );
    if (this.byteCount > this.#inlineHashBytes) this.#hash = undefined;
    this.#hash?.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback) {
    if (this.#expectedSize !== undefined && this.byteCount !== this.#expectedSize)
      return callback(
        new ArtifactStoreError(
          "invalid",
          `the body ended after ${this.byteCount} of the ${this.#expectedSize} bytes announced`,
        ),
      );
    this.#checksums = this.#hash?.digest() ?? null;
    callback();
  }
}
