import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { type RunningServer, serve } from "../../api/serve.ts";
import { ArtifactStores } from "../../artifact-store/index.ts";
import { downloadArtifactFile } from "../../client/artifacts.ts";
import {
  InlineSha256Stream,
  sha256PassThrough,
  ThreadedSha256Stream,
  threadedHashBytes,
} from "../../client/download-sha256.ts";
import { LabbookError } from "../../client/errors.ts";
import { GraphQLClient } from "../../client/graphql-client.ts";
import { createRun, type Db, openDb, type Run, recordArtifact } from "../../db/index.ts";
import { tempDir } from "../support/temp-dir.ts";

const mib = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let db: Db;
let server: RunningServer;
let run: Run;
const stores = new ArtifactStores();
beforeAll(async () => {
  const dir = tempDir();
  db = await openDb({
    url: `file:${join(dir, "labbook.db")}`,
    artifactRoot: pathToFileURL(join(dir, "artifacts")).href,
  });
  server = await serve(createApp({ db, stores }), { host: "127.0.0.1", port: 0 });
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

/** Stores `bytes` at `path` of the run and indexes it with `sha256` (null: still computing). */
async function storeArtifact(path: string, bytes: Uint8Array, sha256: string | null) {
  const stored = await stores.open(run.artifactUri).write(path, bytes);
  await recordArtifact(db, { runId: run.id, ...stored, sha256 });
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

const sizes = [
  { name: "small (hashed on the event loop)", bytes: 300 * 1024 },
  { name: "large (hashed on the thread)", bytes: threadedHashBytes + 3 * mib + 17 },
];

describe.each(sizes)("the SDK's download of a $name file", ({ name, bytes: size }) => {
  const slug = name.split(" ")[0];

  it("arrives identical, checked against the recorded SHA-256", async () => {
    const bytes = randomBytes(size);
    const path = `${slug}/intact.bin`;
    await storeArtifact(path, bytes, sha256(bytes));
    const dest = join(tempDir(), "out", "intact.bin");
    await downloadArtifactFile(target(), run.id, path, dest);
    expect(sha256(readFileSync(dest))).toBe(sha256(bytes));
    expect(partFilesIn(join(dest, ".."))).toEqual([]);
  });

  it("refuses corrupted bytes, naming the path and both hashes, and leaves the destination as it was", async () => {
    const bytes = randomBytes(size);
    const path = `${slug}/corrupt.bin`;
    await storeArtifact(path, bytes, sha256(bytes));
    const served = corruptStoredFile(path, Math.floor(size / 2));
    const dir = tempDir();
    const kept = join(dir, "kept.bin");
    writeFileSync(kept, "the previous download");
    const fresh = join(dir, "fresh.bin");

    for (const dest of [kept, fresh]) {
      const error = await downloadArtifactFile(target(), run.id, path, dest).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LabbookError);
      expect(error).toMatchObject({ code: "BAD_RESPONSE" });
      const { message } = error as LabbookError;
      expect(message).toContain(`artifact '${path}' of run ${run.id} not downloaded`);
      expect(message).toContain(`its SHA-256 is ${sha256(served)}`);
      expect(message).toContain(`the server recorded ${sha256(bytes)}`);
    }
    expect(readFileSync(kept, "utf8")).toBe("the previous download");
    expect(existsSync(fresh)).toBe(false);
    expect(partFilesIn(dir)).toEqual([]);
  });

  it("is not checked while the server is still computing the SHA-256 (none is sent)", async () => {
    const bytes = randomBytes(size);
    const path = `${slug}/pending.bin`;
    await storeArtifact(path, bytes, null);
    const head = await fetch(`${server.url}/artifacts/${run.id}/${path}`, { method: "HEAD" });
    expect(head.headers.get("x-labbook-sha256")).toBeNull();
    const dest = join(tempDir(), "pending.bin");
    await downloadArtifactFile(target(), run.id, path, dest);
    expect(sha256(readFileSync(dest))).toBe(sha256(bytes));
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
