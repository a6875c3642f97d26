import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import { dirname } from "node:path";
import { Writable } from "node:stream";

/** Bytes buffered before the writer waits: what one `pwritev` can take in one go. */
const bufferBytes = 4 * 1024 * 1024;
/**
 * The disk is asked to start writing out what came so far every this many bytes, while the
 * body still arrives, so the flush at the end (before the upload is acknowledged) has little
 * left to do.
 */
const flushEveryBytes = 16 * 1024 * 1024;

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

/**
 * Writes a stream into a new file, durably: it ends only once every byte is flushed to disk
 * (`fsync`). Chunks that arrive while a write is in progress go down together in one
 * `pwritev`. `written` counts the bytes in the file (the page cache) so far. Every 16 MiB it
 * asks the disk to write out what came (`fdatasync`, not awaited), so that the final flush
 * is short.
 */
export class FileSink extends Writable {
  written = 0;
  readonly #handle: FileHandle;
  #unflushed = 0;
  #flushing: Promise<void> | undefined;
  #flushError: unknown;

  private constructor(handle: FileHandle) {
    super({ highWaterMark: bufferBytes });
    this.#handle = handle;
  }

  /** Creates `file` (it must not exist) and a sink into it. */
  static async create(file: string): Promise<FileSink> {
    return new FileSink(await open(file, "wx"));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void) {
    this.#writeAll([chunk]).then(() => done(), done);
  }

  override _writev(chunks: { chunk: Buffer }[], done: (error?: Error | null) => void): void {
    this.#writeAll(chunks.map(({ chunk }) => chunk)).then(() => done(), done);
  }

  override _final(done: (error?: Error | null) => void): void {
    (async () => {
      await this.#flushing;
      if (this.#flushError) throw this.#flushError;
      await this.#handle.sync();
    })().then(() => done(), done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    // A flush in flight uses the descriptor: close it after.
    (this.#flushing ?? Promise.resolve())
      .then(() => this.#handle.close())
      .then(
        () => done(error),
        () => done(error),
      );
  }

  async #writeAll(buffers: Buffer[]): Promise<void> {
    if (this.#flushError) throw this.#flushError;
    let pending = buffers;
    while (pending.length > 0) {
      const { bytesWritten } = await this.#handle.writev(pending, this.written);
      this.written += bytesWritten;
      this.#unflushed += bytesWritten;
      pending = remainder(pending, bytesWritten);
    }
    if (this.#unflushed >= flushEveryBytes && !this.#flushing) {
      this.#unflushed = 0;
      this.#flushing = this.#handle.datasync().then(
        () => {
          this.#flushing = undefined;
        },
        (error: unknown) => {
          this.#flushing = undefined;
          this.#flushError = error;
        },
      );
    }
  }
}

/** The buffers after the first `bytes` of them (a short write leaves some). */
function remainder(buffers: Buffer[], bytes: number): Buffer[] {
  let skip = bytes;
  const rest: Buffer[] = [];
  for (const buffer of buffers) {
    if (skip >= buffer.length) skip -= buffer.length;
    else {
      rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
  }
  return rest;
}

/**
 * Makes the entries of folders durable: `folder` (a file was renamed into it) and, when
 * `created` names the first folder `mkdir -p` made, each new folder up to it, whose entries
 * are in their parents. Systems that cannot open a folder (Windows) have nothing to flush.
 */
export async function syncFolders(folder: string, created?: string | undefined): Promise<void> {
  const folders = [folder];
  if (created)
    for (let current = folder; current !== dirname(created) && current !== dirname(current); ) {
      current = dirname(current);
      folders.push(current);
    }
  for (const path of folders) {
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, "r");
      await handle.sync();
    } catch (error) {
      if (!["EISDIR", "EPERM", "EACCES", "EINVAL", "EBADF"].includes(codeOf(error) ?? ""))
        throw error;
    } finally {
      await handle?.close();
    }
  }
}
