import type { Readable } from "node:stream";
import type { ArtifactBody } from "./body.ts";
import type { ContentChecksums } from "./checksums.ts";

/** A file in a store, by its path relative to the store's root. */
export interface StoredFile {
  path: string;
  size: number;
}

/** What `write` stored. */
export interface WrittenArtifact {
  path: string;
  size: number;
  /** Hex SHA-256 of the content, computed while it streamed through. */
  sha256: string;
  /** CRC-32/IEEE of the content (unsigned), computed with the SHA-256. */
  crc32: number;
  contentType: string;
}

/**
 * What `writeHashingAside` stored. The file is durable (on disk, or in the bucket); its
 * checksums are here when they were known by then, else `checksumsLater` resolves with them.
 */
export interface StoredArtifact {
  path: string;
  size: number;
  /** Hex SHA-256 of the content, or null while it is still being computed. */
  sha256: string | null;
  /** CRC-32/IEEE of the content (unsigned); null exactly when `sha256` is. */
  crc32: number | null;
  contentType: string;
  /** When the checksums are null: resolves with them once computed (rejects if they cannot be). */
  checksumsLater: Promise<ContentChecksums> | undefined;
}

export interface WriteOptions {
  /** Media type to store with the file (S3 serves it back); guessed from the name when absent. */
  contentType?: string | undefined;
  /** Refuse (and keep nothing) once the body passes this many bytes. */
  maxBytes?: number | undefined;
  /** The announced size (content-length): a body of another size is refused and not kept. */
  size?: number | undefined;
}

export interface HashingAsideOptions extends WriteOptions {
  /**
   * A body of at most this many bytes is hashed as it streams in; a larger one is hashed
   * beside the upload, off the event loop, and may not be done when the file is.
   */
  inlineHashBytes: number;
}

export interface FileStat {
  size: number;
  /** Milliseconds UTC. */
  lastModified: number;
}

/** An inclusive byte range, as HTTP's `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface DeleteResult {
  files: number;
  bytes: number;
}

/**
 * Where a run's files live: a folder on disk or a prefix in an S3 bucket, both laid out as
 * MLflow does, so each sees the other's files. Paths are artifact paths (`model/weights.bin`),
 * validated by every method; nothing is ever read or written outside the root. Content is
 * streamed in and out, never held whole in memory.
 */
export interface ArtifactStore {
  /** The root, as a URI (`file:///…/artifacts/1/<run>/artifacts`, `s3://bucket/…`). */
  readonly uri: string;
  /**
   * Streams a body into `path`, replacing what was there only once the whole body has
   * arrived: a failed or refused upload leaves the previous content (or nothing). Resolves
   * once the file is durable (flushed to disk; completed in the bucket) and hashed.
   */
  write(path: string, body: ArtifactBody, options?: WriteOptions): Promise<WrittenArtifact>;
  /**
   * As `write`, but resolves as soon as the file is durable, with its checksums only if they
   * are known by then: a store that can hash a large file faster apart from its upload (a local
   * folder, from the page cache, on another thread) leaves them to `checksumsLater`.
   */
  writeHashingAside(
    path: string,
    body: ArtifactBody,
    options: HashingAsideOptions,
  ): Promise<StoredArtifact>;
  /** The checksums and size of a stored file, read back once; `not_found` when missing. */
  hashStored(path: string): Promise<ContentChecksums & { size: number }>;
  /** The size and time of a file; undefined when there is no file at `path`. */
  stat(path: string): Promise<FileStat | undefined>;
  /** A stream of the file's bytes (or of a range of them); `not_found` when missing. */
  read(path: string, range?: ByteRange): Promise<Readable>;
  /** Deletes one file; a missing file is no error. */
  delete(path: string): Promise<void>;
  /** Every file under a folder ("" for all), recursively, sorted by path. */
  list(folder?: string): Promise<StoredFile[]>;
  /** Deletes every file under the root, and the root. Running it again is harmless. */
  deleteAll(): Promise<DeleteResult>;
  /** Removes the root when it is an empty folder (disk); object storage has no folders. */
  removeIfEmpty(): Promise<void>;
}
