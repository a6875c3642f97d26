import { type FileHandle, open } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { crc32 } from "node:zlib";
import { crc32Hex } from "./download-crc32.ts";

/** The socket reads into buffers of this size, each written to the file in one go once full. */
const bufferBytes = 4 * 1024 * 1024;
/** Buffers in turn: one filling from the socket while the others are written. */
const ringSize = 3;
/** A read gets at least this much room: a buffer with less left is written out first. */
const minReadBytes = 64 * 1024;
/** An answer's status line and headers must fit in this many bytes. */
const maxHeadBytes = 64 * 1024;
const headEnd = Buffer.from("\r\n\r\n");

/** An answer's status and headers, names in lower case, repeated ones joined with ", ". */
export interface AnswerHead {
  status: number;
  headers: Record<string, string>;
}

export type SocketDownloadResult =
  /** The body is in the file, `size` bytes whose CRC-32 (8 hex digits) is `crc32`. */
  | { kind: "done"; head: AnswerHead; size: number; crc32: string }
  /** The answer is not a plain 200 with a length (or `accept` said no): nothing was written. */
  | { kind: "declined"; head: AnswerHead };

/**
 * GETs an `http:` URL straight into a new file, reading the socket into 4 MiB buffers that go
 * to the disk whole, with the CRC-32 of the bytes worked out as they land. Node's HTTP client
 * hands a body over in 64 KiB chunks through its parser and streams, which costs more CPU than
 * the transfer itself (a 200 MiB download took 1.4–1.7x as long through it, here); this reads
 * the one kind of answer a download needs and declines the rest, for the caller to fetch with
 * the ordinary client: any status but 200, a body without a `content-length`, chunked or
 * compressed, or one `accept` refuses (it sees the head first). Nothing is written then.
 *
 * Rejects when the connection fails or closes early; `file` may then hold part of the body.
 * `onBytes` hears how many bytes of the body have come so far, after each read.
 *
 * @example
 * const result = await downloadOverSocket(new URL(url), { authorization }, part, () => true);
 * if (result.kind === "declined") await downloadTheUsualWay();
 */
export function downloadOverSocket(
  url: URL,
  headers: Record<string, string>,
  file: string,
  accept: (head: AnswerHead) => boolean,
  onBytes?: (received: number) => void,
): Promise<SocketDownloadResult> {
  if (url.protocol !== "http:") throw new Error(`downloadOverSocket takes http: URLs, not ${url}`);
  return new SocketDownload(url, headers, file, accept, onBytes).result;
}

class SocketDownload {
  readonly result: Promise<SocketDownloadResult>;
  readonly #file: string;
  readonly #accept: (head: AnswerHead) => boolean;
  readonly #onBytes: ((received: number) => void) | undefined;
  readonly #socket: Socket;
  readonly #ring = Array.from({ length: ringSize }, () => Buffer.allocUnsafe(bufferBytes));
  /** The write in progress from each buffer of the ring, until it is done. */
  readonly #writing: (Promise<void> | undefined)[] = [];
  #current = 0;
  #filled = 0;
  #head: AnswerHead | undefined;
  #length = 0;
  #received = 0;
  #crc32 = 0;
  #handle: Promise<FileHandle> | undefined;
  /** Writes go down one after the other; this is the last one. */
  #lastWrite: Promise<void> = Promise.resolve();
  #written = 0;
  #settled = false;
  #resolve: (result: SocketDownloadResult) => void = () => {};
  #reject: (error: Error) => void = () => {};

  constructor(
    url: URL,
    headers: Record<string, string>,
    file: string,
    accept: (head: AnswerHead) => boolean,
    onBytes: ((received: number) => void) | undefined,
  ) {
    this.#file = file;
    this.#accept = accept;
    this.#onBytes = onBytes;
    this.result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const request = [
      `GET ${url.pathname}${url.search} HTTP/1.1`,
      `host: ${url.host}`,
      "accept-encoding: identity",
      "connection: close",
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      "",
      "",
    ].join("\r\n");
    this.#socket = connect(
      {
        // `[::1]` in a URL is `::1` to connect().
        host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: Number(url.port || 80),
        onread: {
          buffer: () => this.#ring[this.#current]!.subarray(this.#filled),
          callback: (bytes) => this.#arrived(bytes),
        },
      },
      () => this.#socket.write(request),
    );
    this.#socket.once("error", (error) => this.#fail(error));
    this.#socket.once("close", () => {
      if (this.#received === this.#length && this.#head) return;
      this.#fail(
        new Error(
          this.#head
            ? `the connection closed after ${this.#received} of ${this.#length} bytes`
            : "the connection closed before an answer came",
        ),
      );
    });
  }

  /** Takes `bytes` more that the socket read into the current buffer; false pauses it. */
  #arrived(bytes: number): boolean {
    if (this.#settled) return false;
    const start = this.#filled;
    this.#filled += bytes;
    if (!this.#head) return this.#readHead(start);
    this.#took(start);
    return this.#afterBody();
  }

  /** Looks for the end of the head in what came so far, and goes on with the body after it. */
  #readHead(start: number): boolean {
    const buffer = this.#ring[0]!;
    const end = buffer.subarray(0, this.#filled).indexOf(headEnd, Math.max(0, start - 3));
    if (end < 0) {
      if (this.#filled > maxHeadBytes) this.#fail(new Error("the answer's head is too large"));
      return !this.#settled;
    }
    const head = parseHead(buffer.subarray(0, end).toString("latin1"));
    if (!head) {
      this.#fail(new Error("the answer is not HTTP/1.x"));
      return false;
    }
    this.#head = head;
    const length = plainBodyLength(head);
    if (length === undefined || !this.#accept(head)) {
      this.#settle({ kind: "declined", head });
      return false;
    }
    this.#length = length;
    // What came after the head is the body's first bytes: move them to the buffer's start.
    buffer.copyWithin(0, end + headEnd.length, this.#filled);
    this.#filled -= end + headEnd.length;
    this.#took(0);
    return this.#afterBody();
  }

  /** Counts and checksums the body bytes from `start` to the end of the current buffer. */
  #took(start: number): void {
    const bytes = this.#ring[this.#current]!.subarray(start, this.#filled);
    this.#received += bytes.length;
    this.#crc32 = crc32(bytes, this.#crc32);
    this.#onBytes?.(this.#received);
  }

  /** Writes out a full (or the last) buffer and moves on; false pauses the socket. */
  #afterBody(): boolean {
    if (this.#received > this.#length) {
      this.#fail(new Error(`the server sent more than the ${this.#length} bytes it announced`));
      return false;
    }
    if (this.#received === this.#length) {
      this.#writeCurrent();
      this.#finish();
      return false;
    }
    if (bufferBytes - this.#filled >= minReadBytes) return true;
    this.#writeCurrent();
    const next = this.#writing[this.#current];
    if (!next) return true;
    // The buffer to fill next is still being written: read again once it is free.
    this.#socket.pause();
    next.then(
      () => {
        if (!this.#settled) this.#socket.resume();
      },
      () => {},
    );
    return true;
  }

  /** Queues the current buffer's bytes for the file and starts filling the next buffer. */
  #writeCurrent(): void {
    const slot = this.#current;
    const buffer = this.#ring[slot]!;
    const length = this.#filled;
    const position = this.#written;
    this.#written += length;
    this.#current = (slot + 1) % ringSize;
    this.#filled = 0;
    if (length === 0) return;
    this.#handle ??= open(this.#file, "w");
    const handle = this.#handle;
    const write = this.#lastWrite.then(async () => {
      const file = await handle;
      for (let done = 0; done < length; ) {
        const { bytesWritten } = await file.write(buffer, done, length - done, position + done);
        done += bytesWritten;
      }
    });
    this.#lastWrite = write;
    const free = write.then(() => {
      if (this.#writing[slot] === free) this.#writing[slot] = undefined;
    });
    this.#writing[slot] = free;
    write.catch((error: Error) => this.#fail(error));
  }

  #finish(): void {
    const head = this.#head!;
    this.#socket.destroy();
    this.#closeFile()
      .then(() =>
        this.#settle({
          kind: "done",
          head,
          size: this.#received,
          crc32: crc32Hex(this.#crc32),
        }),
      )
      .catch((error: Error) => this.#fail(error));
  }

  /** Waits for the writes, then closes the file (creating it empty when nothing came). */
  async #closeFile(): Promise<void> {
    await this.#lastWrite;
    const handle = await (this.#handle ?? open(this.#file, "w"));
    await handle.close();
  }

  #fail(error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#socket.destroy();
    // A write in flight uses the file: close it after, then tell the caller.
    const closed = this.#handle
      ? this.#lastWrite.catch(() => {}).then(() => this.#handle?.then((handle) => handle.close()))
      : Promise.resolve();
    closed.catch(() => {}).then(() => this.#reject(error));
  }

  #settle(result: SocketDownloadResult): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#socket.destroy();
    this.#resolve(result);
  }
}

/** The status and headers of an answer's head, or undefined when it is not HTTP/1.x. */
function parseHead(text: string): AnswerHead | undefined {
  const [statusLine = "", ...lines] = text.split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
  if (!status) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(status[1]), headers };
}

/** The body's length when the answer is a 200 with a plain body of known length. */
function plainBodyLength({ status, headers }: AnswerHead): number | undefined {
  if (status !== 200) return undefined;
  const encoding = headers["transfer-encoding"] ?? "identity";
  const compression = headers["content-encoding"] ?? "identity";
  if (encoding.toLowerCase() !== "identity" || compression.toLowerCase() !== "identity")
    return undefined;
  const length = headers["content-length"];
  if (length === undefined || !/^\d+$/.test(length)) return undefined;
  const bytes = Number(length);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
