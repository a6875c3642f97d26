import { randomUUID } from "node:crypto";
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { type Batch, batchInput } from "./batch.ts";

const newline = 0x0a;

/**
 * One batch as a line of the file: encoded (a spill is the one time the training loop pays
 * for encoding, since memory is full) and without the in-memory content.
 *
 * @example
 * appendFileSync(path, spillLine(batch));
 */
export function spillLine(batch: Batch): string {
  const { seq, batchId, points } = batch;
  return `${JSON.stringify({ seq, batchId, points, input: batchInput(batch) })}\n`;
}
const chunkBytes = 1 << 20;

/**
 * Batches kept on disk while the server is away and memory is full: one JSON line per batch
 * (`seq`, `batchId`, `points` and the encoded input), appended in order and read back from
 * the front. Writes are synchronous: they happen while a batch is cut, and a line written
 * whole can always be read back whole, even after the process died.
 *
 * @example
 * const spill = new SpillFile(tmpdir(), runId);
 * spill.append([batch]);
 * const back = spill.readFront(100_000); // [batch]
 */
export class SpillFile {
  readonly path: string;
  #readOffset = 0;
  #size = 0;
  #points = 0;
  #batches = 0;

  constructor(dir: string, runId: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(
      dir,
      `labbook-spill-${runId}-${process.pid}-${randomUUID().slice(0, 8)}.jsonl`,
    );
  }

  /** Metric points written and not yet read back. */
  get points(): number {
    return this.#points;
  }

  /** Batches written and not yet read back. */
  get batches(): number {
    return this.#batches;
  }

  /**
   * Appends batches after those already in the file.
   *
   * @example
   * spill.append(queue.splice(1));
   */
  append(batches: readonly Batch[]): void {
    if (batches.length === 0) return;
    const text = batches.map(spillLine).join("");
    appendFileSync(this.path, text);
    this.#size += Buffer.byteLength(text);
    this.#points += batches.reduce((sum, batch) => sum + batch.points, 0);
    this.#batches += batches.length;
  }

  /**
   * Reads batches from the front until they hold at least `maxPoints` points (or the file
   * ends), and forgets them; the file is removed once everything was read back.
   *
   * @example
   * queue.push(...spill.readFront(500_000));
   */
  readFront(maxPoints: number): Batch[] {
    const batches: Batch[] = [];
    if (this.#batches === 0) return batches;
    const fd = openSync(this.path, "r");
    try {
      let pending = Buffer.alloc(0);
      let points = 0;
      while (points < maxPoints || batches.length === 0) {
        // `pending` holds the bytes after the read position not yet parsed (part of a line).
        const position = this.#readOffset + pending.length;
        if (position >= this.#size) break;
        const chunk = Buffer.alloc(Math.min(chunkBytes, this.#size - position));
        const read = readSync(fd, chunk, 0, chunk.length, position);
        if (read === 0) break;
        pending = Buffer.concat([pending, chunk.subarray(0, read)]);
        let start = 0;
        for (let end = pending.indexOf(newline); end >= 0; end = pending.indexOf(newline, start)) {
          const batch = JSON.parse(pending.subarray(start, end).toString("utf8")) as Batch;
          batches.push(batch);
          points += batch.points;
          start = end + 1;
          if (points >= maxPoints) break;
        }
        this.#readOffset += start;
        pending = pending.subarray(start);
      }
      this.#points -= points;
      this.#batches -= batches.length;
    } finally {
      closeSync(fd);
    }
    if (this.#batches === 0) this.remove();
    return batches;
  }

  /**
   * What is left to read, as the file's bytes from the read position (for a final copy).
   *
   * @example
   * const unread = spill.unreadText();
   */
  unreadText(): string {
    if (this.#batches === 0) return "";
    const fd = openSync(this.path, "r");
    try {
      const buffer = Buffer.alloc(this.#size - this.#readOffset);
      readSync(fd, buffer, 0, buffer.length, this.#readOffset);
      return buffer.toString("utf8");
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Deletes the file and starts over empty.
   *
   * @example
   * spill.remove();
   */
  remove(): void {
    rmSync(this.path, { force: true });
    this.#readOffset = 0;
    this.#size = 0;
    this.#points = 0;
    this.#batches = 0;
  }

  /** Whether a file is on disk: for tests and `stats()`. */
  exists(): boolean {
    try {
      return statSync(this.path).isFile();
    } catch {
      return false;
    }
  }
}
