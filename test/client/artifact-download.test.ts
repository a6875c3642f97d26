import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { crc32 } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { type RunningServer, serve } from "../../api/serve.ts";
import { ArtifactStores } from "../../artifact-store/index.ts";
import {
  downloadArtifactFile,
  downloadArtifactsWith,
  logArtifactDir,
} from "../../client/artifacts.ts";
import {
  InlineSha256Stream,
  sha256PassThrough,
  ThreadedSha256Stream,
  threadedHashBytes,
} from "../../client/download-sha256.ts";
import { LabbookError } from "../../client/errors.ts";
import { GraphQLClient } from "../../client/graphql-client.ts";
import { ProgressTally, type TransferProgress } from "../../client/transfer-progress.ts";
import { createRun, type Db, openDb, type Run, recordArtifact } from "../../db/index.ts";
import { tempDir } from "../support/temp-dir.ts";

const mib = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let db: Db;
let server: RunningServer;
let run: Run;
/** Every request the server took: its URL and its `connection` header. */
const requests: { url: string; connection: string | undefined }[] = [];
const stores = new ArtifactStores();
beforeAll(async () => {
  const dir = tempDir();
  db = await openDb({
    url: `file:${join(dir, "labbook.db")}`,
    artifactRoot: pathToFileURL(join(dir, "artifacts")).href,
  });
  server = await serve(createApp({ db, stores }), { host: "127.0.0.1", port: 0 });
  server.server.on("request", (request: IncomingMessage) =>
    requests.push({ url: request.url ?? "", connection: request.headers.connection }),
  );
  run = await createRun(db, {});
});
afterAll(async () => {
  await server?.close();
  await db?.close();
});

const target = () => ({
  client: new GraphQLClient({ url: server.url }),
  retryForMs: 5000,
  maxRetryDelayMs: 100,
});

type Recorded = "crc32" | "sha256 only" | "pending";

/**
 * Stores `bytes` at `path` of the run and indexes it as uploads do (SHA-256 and CRC-32), as
 * a file recorded before labbook kept CRC-32s ("sha256 only"), or as one whose checksums are
 * still being computed.
 */
async function storeArtifact(path: string, bytes: Uint8Array, recorded: Recorded) {
  const stored = await stores.open(run.artifactUri).write(path, bytes);
  await recordArtifact(db, {
    runId: run.id,
    ...stored,
    sha256: recorded === "pending" ? null : sha256(bytes),
    crc32: recorded === "crc32" ? stored.crc32 : null,
  });
}

/** Flips one byte of a stored file in place, as a failing disk would: same size, new content. */
function corruptStoredFile(path: string, at: number): Buffer {
  const file = join(fileURLToPath(run.artifactUri), ...path.split("/"));
  const bytes = readFileSync(file);
  bytes[at] = (bytes[at] ?? 0) ^ 0xff;
  writeFileSync(file, bytes);
  return bytes;
}

const partFilesIn = (dir: string) => readdirSync(dir).filter((name) => name.endsWith(".part"));

/**
 * How each request for `path` came: the SDK's own socket asks to close the connection, Node's
 * HTTP client keeps it alive.
 */
const howFetched = (path: string) =>
  requests
    .filter(({ url }) => url.endsWith(`/${path}`))
    .map(({ connection }) => (connection === "close" ? "own socket" : "HTTP client"));

const cases: {
  name: string;
  bytes: number;
  /** The size the caller passes (as a listing gives it), or none. */
  hint: "size" | "none";
  recorded: Recorded;
  fetched: string[];
}[] = [
  {
    name: "a large file, checked against its CRC-32 on its own socket",
    bytes: 9 * mib + 17,
    hint: "none",
    recorded: "crc32",
    fetched: ["own socket"],
  },
  {
    name: "a small file, checked against its CRC-32 through the HTTP client",
    bytes: 300 * 1024,
    hint: "size",
    recorded: "crc32",
    fetched: ["HTTP client"],
  },
  {
    name: "a large file recorded with a SHA-256 only, hashed on the thread",
    bytes: threadedHashBytes + 3 * mib + 17,
    hint: "none",
    recorded: "sha256 only",
    fetched: ["own socket", "HTTP client"],
  },
  {
    name: "a small file recorded with a SHA-256 only, hashed on the event loop",
    bytes: 300 * 1024,
    hint: "size",
    recorded: "sha256 only",
    fetched: ["HTTP client"],
  },
];

describe.each(cases)("the SDK's download of $name", ({ bytes: size, hint, recorded, fetched }) => {
  const slug = `${recorded.replace(" ", "-")}-${hint}`;
  const sizeHint = hint === "size" ? size : undefined;
  const checksum = recorded === "crc32" ? "CRC-32" : "SHA-256";
  const checksumOf = (bytes: Uint8Array) =>
    recorded === "crc32" ? crc32(bytes).toString(16).padStart(8, "0") : sha256(bytes);

  it("arrives identical, the way it should come", async () => {
    const bytes = randomBytes(size);
    const path = `${slug}/intact.bin`;
    await storeArtifact(path, bytes, recorded);
    const dest = join(tempDir(), "out", "intact.bin");
    await downloadArtifactFile(target(), run.id, path, dest, { size: sizeHint });
    expect(sha256(readFileSync(dest))).toBe(sha256(bytes));
    expect(partFilesIn(join(dest, ".."))).toEqual([]);
    expect(howFetched(path)).toEqual(fetched);
  });

  it("refuses corrupted bytes, naming the path and both checksums, and leaves the destination as it was", async () => {
    const bytes = randomBytes(size);
    const path = `${slug}/corrupt.bin`;
    await storeArtifact(path, bytes, recorded);
    const served = corruptStoredFile(path, Math.floor(size / 2));
    const dir = tempDir();
    const kept = join(dir, "kept.bin");
    writeFileSync(kept, "the previous download");
    const fresh = join(dir, "fresh.bin");

    for (const dest of [kept, fresh]) {
      const error = await downloadArtifactFile(target(), run.id, path, dest, {
        size: sizeHint,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LabbookError);
      expect(error).toMatchObject({ code: "BAD_RESPONSE" });
      const { message } = error as LabbookError;
      expect(message).toContain(`artifact '${path}' of run ${run.id} not downloaded`);
      expect(message).toContain(`its ${checksum} is ${checksumOf(served)}`);
      expect(message).toContain(`the server recorded ${checksumOf(bytes)}`);
    }
    expect(readFileSync(kept, "utf8")).toBe("the previous download");
    expect(existsSync(fresh)).toBe(false);
    expect(partFilesIn(dir)).toEqual([]);
  });
});

describe("the SDK's download of a file whose checksums are still being computed", () => {
  it.each([
    ["large", 9 * mib, undefined],
    ["small", 300 * 1024, 300 * 1024],
  ])("is not checked (none is sent): a %s one", async (name, size, sizeHint) => {
    const bytes = randomBytes(size);
    const path = `pending/${name}.bin`;
    await storeArtifact(path, bytes, "pending");
    const head = await fetch(`${server.url}/artifacts/${run.id}/${path}`, { method: "HEAD" });
    expect(head.headers.get("x-labbook-sha256")).toBeNull();
    expect(head.headers.get("x-labbook-crc32")).toBeNull();
    const dest = join(tempDir(), "pending.bin");
    await downloadArtifactFile(target(), run.id, path, dest, { size: sizeHint });
    expect(sha256(readFileSync(dest))).toBe(sha256(bytes));
  });

  it("falls back to the HTTP client, which reports the server's refusal, for an answer that is not a 200", async () => {
    const dest = join(tempDir(), "missing.bin");
    const error = await downloadArtifactFile(target(), run.id, "nowhere/missing.bin", dest).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "NOT_FOUND" });
    expect(howFetched("nowhere/missing.bin")).toEqual(["own socket", "HTTP client"]);
    expect(partFilesIn(join(dest, ".."))).toEqual([]);
  });
});

describe("progress of several files, as the bytes move", () => {
  it("upload and download report files and bytes, within files too, up to the totals", async () => {
    const local = tempDir();
    mkdirSync(join(local, "sub"));
    const big = randomBytes(9 * mib + 5);
    writeFileSync(join(local, "big.bin"), big);
    writeFileSync(join(local, "sub", "small.txt"), "small");
    const total = big.length + 5;
    const uploaded: TransferProgress[] = [];
    await logArtifactDir(target(), run.id, local, "progress", {
      onProgress: (p) => uploaded.push(p),
    });
    const downloaded: TransferProgress[] = [];
    const dest = tempDir();
    await downloadArtifactsWith(target(), run.id, "progress", dest, {
      onProgress: (p) => downloaded.push(p),
    });
    expect(readFileSync(join(dest, "progress", "big.bin")).equals(big)).toBe(true);

    for (const events of [uploaded, downloaded]) {
      expect(events.at(-1)).toEqual({ files: 2, totalFiles: 2, bytes: total, totalBytes: total });
      const bytes = events.map((p) => p.bytes);
      expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
      // Heard of while the large file was still moving, not only as files finish.
      expect(events.some((p) => p.bytes > 0 && p.bytes < big.length && p.files < 2)).toBe(true);
    }
  });

  it("counts a file that starts again once", () => {
    const heard: TransferProgress[] = [];
    const tally = new ProgressTally(2, 300, (p) => heard.push(p));
    tally.moved("a", 80);
    tally.moved("b", 50);
    tally.moved("a", 20); // a retry of "a" from the start
    expect(heard.at(-1)).toEqual({ files: 0, totalFiles: 2, bytes: 70, totalBytes: 300 });
    tally.done("a", 100);
    expect(tally.done("b", 200)).toEqual({ files: 2, totalFiles: 2, bytes: 300, totalBytes: 300 });
  });
});

/** Chunks of uneven sizes (socket reads are not batch-aligned), `total` bytes in all. */
function unevenChunks(total: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let left = total, i = 0; left > 0; i++) {
    const size = Math.min(left, [1, 65_536, 1_000_003, 4096, 2 * mib + 5][i % 5] ?? 1);
    chunks.push(randomBytes(size));
    left -= size;
  }
  return chunks;
}

/** Passes chunks through a hashing stream into a sink; resolves with the bytes out and the hash. */
async function throughHash(chunks: Buffer[], hash: InlineSha256Stream | ThreadedSha256Stream) {
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.push(chunk);
      done();
    },
  });
  await pipeline(Readable.from(chunks), hash, sink);
  return { out: Buffer.concat(out), sha256: await hash.digest() };
}

describe("hashing a download as it arrives", () => {
  it("hashes on the thread what passes by, unchanged, as createHash does, several at once", async () => {
    const inputs = [0, 1, 5 * mib + 3, 30 * mib + 11].map(unevenChunks);
    const results = await Promise.all(
      inputs.map((chunks) => throughHash(chunks, new ThreadedSha256Stream())),
    );
    for (const [i, { out, sha256: hashed }] of results.entries()) {
      const whole = Buffer.concat(inputs[i] ?? []);
      expect(out.equals(whole)).toBe(true);
      expect(hashed).toBe(sha256(whole));
    }
  });

  it("hashes a small download on the event loop, a large or unsized one on the thread", async () => {
    const chosen = [threadedHashBytes - 1, threadedHashBytes, undefined].map(sha256PassThrough);
    expect(chosen.map((stream) => stream.constructor)).toEqual([
      InlineSha256Stream,
      ThreadedSha256Stream,
      ThreadedSha256Stream,
    ]);
    // Given up unused: each leaves the thread nothing to do.
    for (const stream of chosen) stream.destroy();
    const chunks = unevenChunks(3 * mib);
    expect((await throughHash(chunks, new InlineSha256Stream())).sha256).toBe(
      sha256(Buffer.concat(chunks)),
    );
  });
});
