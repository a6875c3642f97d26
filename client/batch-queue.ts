import { renameSync, writeFileSync } from "node:fs";
import type { Batch } from "./batch.ts";
import { SpillFile, spillLine } from "./spill-file.ts";

/**
 * How much the queue keeps in memory, and where the rest goes.
 *
 * @example
 * new BatchQueue({ runId, maxMemoryPoints: 1_000_000, spillDir: tmpdir() });
 */
export interface BatchQueueOptions {
  runId: string;
  /** Metric points kept in memory before newer batches go to disk. */
  maxMemoryPoints: number;
  /** Directory of the spill file. */
  spillDir: string;
}

/**
 * The batches of a run waiting to be sent, oldest first, within a memory bound. Past the
 * bound the newest batches go to a spill file; memory keeps the oldest (the next to send)
 * and, while the file holds anything, every newer batch goes behind it in the file. So the
 * order of sending is the order of cutting, and a long outage costs disk, not memory.
 *
 * @example
 * const queue = new BatchQueue({ runId, maxMemoryPoints: 1_000_000, spillDir: tmpdir() });
 * queue.push(batch);
 * const next = queue.peek(); // the oldest batch, read back from disk when needed
 * queue.shift(); // acknowledged: forget it
 */
export class BatchQueue {
  readonly #options: BatchQueueOptions;
  #memory: Batch[] = [];
  #memoryPoints = 0;
  #spill: SpillFile | undefined;

  constructor(options: BatchQueueOptions) {
    this.#options = options;
  }

  /** Points held in memory. */
  get memoryPoints(): number {
    return this.#memoryPoints;
  }

  /** Points on disk, waiting to be read back. */
  get spilledPoints(): number {
    return this.#spill?.points ?? 0;
  }

  /** The spill file's path, once one was needed. */
  get spillPath(): string | undefined {
    return this.#spill?.path;
  }

  /** Whether nothing waits. */
  get empty(): boolean {
    return this.#memory.length === 0 && !this.#spill?.batches;
  }

  /**
   * Adds a batch behind all the others.
   *
   * @example
   * queue.push(cutBatch(seq, runId, content));
   */
  push(batch: Batch): void {
    if (this.#spill?.batches) {
      this.#spill.append([batch]);
      return;
    }
    this.#memory.push(batch);
    this.#memoryPoints += batch.points;
    // Move the newest to disk until under the bound; the head stays, it may be in flight.
    let moved = 0;
    let points = this.#memoryPoints;
    while (points > this.#options.maxMemoryPoints && this.#memory.length - moved > 1) {
      moved++;
      points -= this.#memory[this.#memory.length - moved]?.points ?? 0;
    }
    if (moved > 0) {
      this.#spill ??= new SpillFile(this.#options.spillDir, this.#options.runId);
      this.#spill.append(this.#memory.splice(this.#memory.length - moved));
      this.#memoryPoints = points;
    }
  }

  /**
   * The oldest batch, or undefined when none waits. Reads the front of the spill file back
   * into memory (up to half the bound, so newer batches still have room) when memory is empty.
   *
   * @example
   * for (let batch = queue.peek(); batch; batch = queue.peek()) await send(batch), queue.shift();
   */
  peek(): Batch | undefined {
    if (this.#memory.length === 0 && this.#spill?.batches) {
      this.#memory = this.#spill.readFront(Math.max(1, this.#options.maxMemoryPoints / 2));
      this.#memoryPoints = this.#memory.reduce((sum, batch) => sum + batch.points, 0);
    }
    return this.#memory[0];
  }

  /**
   * Forgets the oldest batch (sent, or dropped).
   *
   * @example
   * queue.shift();
   */
  shift(): void {
    const batch = this.#memory.shift();
    if (batch) this.#memoryPoints -= batch.points;
  }

  /**
   * Writes everything still waiting to one file, in order, for when the process must end
   * before the server could take it; returns that file and how many points it holds.
   * Synchronous, so it also works in an `exit` handler.
   *
   * @example
   * const kept = queue.persist(); // { path: "/tmp/labbook-spill-….jsonl", points: 5000 }
   */
  persist(): { path: string; points: number } | undefined {
    if (this.empty) return undefined;
    this.#spill ??= new SpillFile(this.#options.spillDir, this.#options.runId);
    const points = this.#memoryPoints + this.#spill.points;
    const text = this.#memory.map(spillLine).join("") + this.#spill.unreadText();
    const path = this.#spill.path;
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
    this.#memory = [];
    this.#memoryPoints = 0;
    // The file now belongs to whoever reads the message about it, not to this queue.
    this.#spill = undefined;
    return { path, points };
  }
}
