/**
 * Runs write transactions one after another inside this process.
 *
 * SQLite has one writer at a time; letting transactions race for it inside one process only
 * trades waiting here for SQLITE_BUSY errors there, and after a SQLITE_BUSY a libSQL client
 * can report later writes as done that never landed (libsql-client-ts#352). A queue makes the
 * process a polite single writer.
 */
export class WriteQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    // The queue continues whether or not this task fails; the caller sees its own outcome.
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task queued so far has finished. */
  drain(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}
