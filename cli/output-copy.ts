import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";

/**
 * A command's whole output, kept in a temporary file as it comes (standard output and error
 * interleaved as they arrive), to be stored with the run as the artifact `logs/output.txt`.
 */
export class OutputCopy {
  readonly path: string;
  readonly #dir: string;
  readonly #file: WriteStream;

  constructor() {
    this.#dir = mkdtempSync(join(tmpdir(), "labbook-output-"));
    this.path = join(this.#dir, "output.txt");
    this.#file = createWriteStream(this.path);
    // A full disk must not stop the command: the copy is only lost.
    this.#file.on("error", () => {});
  }

  /** A stream that writes to `to` and to the copy. */
  tee(to: NodeJS.WritableStream): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.#file.write(chunk);
        to.write(chunk);
        done();
      },
    });
  }

  /** Resolves once everything written so far is in the file. */
  close(): Promise<void> {
    return new Promise((resolve) => this.#file.end(() => resolve()));
  }

  remove(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
