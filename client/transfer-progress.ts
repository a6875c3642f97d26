/**
 * How far an upload or download of several files has come: files done, and bytes moved so
 * far (of files still in flight too), of how many.
 *
 * @example
 * const line = ({ files, totalFiles, bytes }: TransferProgress) => `${files}/${totalFiles}, ${bytes} B`;
 */
export interface TransferProgress {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

/**
 * Adds up the progress of files moving at the same time. Each file reports the bytes it has
 * moved so far in its current attempt, so a file that starts again (a retry, a fallback from
 * one way of downloading to another) replaces its count rather than adding to it.
 *
 * @example
 * const tally = new ProgressTally(files.length, totalBytes, (p) => console.error(p.bytes));
 * tally.moved("a.bin", 4096); // 4 KiB of a.bin so far
 * tally.done("a.bin", 10_000); // a.bin is whole
 */
export class ProgressTally {
  readonly #progress: TransferProgress;
  readonly #inFlight = new Map<string, number>();
  readonly #onProgress: ((progress: TransferProgress) => void) | undefined;

  constructor(
    totalFiles: number,
    totalBytes: number,
    onProgress?: (progress: TransferProgress) => void,
  ) {
    this.#progress = { files: 0, totalFiles, bytes: 0, totalBytes };
    this.#onProgress = onProgress;
  }

  /** `key` has moved `bytes` so far in its current attempt. */
  moved(key: string, bytes: number): void {
    this.#progress.bytes += bytes - (this.#inFlight.get(key) ?? 0);
    this.#inFlight.set(key, bytes);
    this.#onProgress?.(this.snapshot());
  }

  /** `key` is whole: `size` bytes. */
  done(key: string, size: number): TransferProgress {
    this.#progress.bytes += size - (this.#inFlight.get(key) ?? 0);
    this.#inFlight.delete(key);
    this.#progress.files += 1;
    const progress = this.snapshot();
    this.#onProgress?.(progress);
    return progress;
  }

  snapshot(): TransferProgress {
    return { ...this.#progress };
  }
}
