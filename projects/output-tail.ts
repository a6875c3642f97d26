/**
 * Keeps the last `maxBytes` of a stream of output (the whole of it while it is shorter), for
 * a run's record of what its command printed.
 *
 * @example
 * const tail = new OutputTail(64 * 1024);
 * child.stdout.on("data", (chunk) => tail.push(chunk));
 * // later
 * tail.text(); // the last 64 KiB as text
 */
export class OutputTail {
  readonly maxBytes: number;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #dropped = 0;

  constructor(maxBytes = 64 * 1024) {
    this.maxBytes = maxBytes;
  }

  /** Adds output; drops the oldest chunks that no longer fit. */
  push(chunk: Buffer | string): void {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    this.#chunks.push(bytes);
    this.#bytes += bytes.length;
    while (
      this.#chunks.length > 1 &&
      this.#bytes - (this.#chunks[0]?.length ?? 0) >= this.maxBytes
    ) {
      const first = this.#chunks.shift()!;
      this.#bytes -= first.length;
      this.#dropped += first.length;
    }
  }

  /** How many bytes were written in all, kept or not. */
  get totalBytes(): number {
    return this.#bytes + this.#dropped;
  }

  /**
   * The kept output as UTF-8 text: at most `maxBytes` bytes, and at most `maxChars`
   * characters when given (then it starts with `…`). A character cut in two at the start is
   * left out.
   */
  text(maxChars?: number): string {
    const all = Buffer.concat(this.#chunks);
    const kept = all.length > this.maxBytes ? all.subarray(all.length - this.maxBytes) : all;
    let text = kept.toString("utf8");
    const cut = kept.length < this.totalBytes;
    if (cut) text = text.replace(/^\uFFFD+/, "");
    if (maxChars !== undefined && text.length > maxChars)
      // Without a low surrogate at the start: half of a character is no character.
      return `…${text.slice(text.length - (maxChars - 1)).replace(/^[\uDC00-\uDFFF]/, "")}`;
    return text;
  }
}
