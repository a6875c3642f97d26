import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { crc32 } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { ArtifactStores } from "../../artifact-store/index.ts";
import { createRun, openDb, recordArtifact } from "../../db/index.ts";
import { until } from "../client/support.ts";
import { gqlData } from "../support/gql.ts";
import { type ServerProcess, startServer } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";

const mib = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const crc32Hex = (bytes: Uint8Array) => crc32(bytes).toString(16).padStart(8, "0");

/** The checksums the server's index has for a file (null while they are being computed). */
async function recordedChecksums(url: string, runId: string, path: string) {
  const { run } = await gqlData<{
    run: { artifact: { sha256: string | null; crc32: string | null } | null };
  }>(
    url,
    "query ($id: ID!, $path: String!) { run(id: $id) { artifact(path: $path) { sha256 crc32 } } }",
    { id: runId, path },
  );
  return run.artifact ?? { sha256: null, crc32: null };
}
const recordedSha256 = async (url: string, runId: string, path: string) =>
  (await recordedChecksums(url, runId, path)).sha256;

let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe("SHA-256s (and CRC-32s) of large uploads, computed beside them", () => {
  it("answers once the file is stored, and records its checksums then or a moment later", async () => {
    server = await startServer();
    const { url } = server.info;
    const { createRun: created } = await gqlData<{ createRun: { run: { id: string } } }>(
      url,
      "mutation { createRun(input: {}) { run { id } } }",
    );
    const runId = created.run.id;
    // Past the size hashed as it arrives (8 MiB).
    const bytes = randomBytes(24 * mib);
    const response = await fetch(`${url}/artifacts/${runId}/model/weights.bin`, {
      method: "PUT",
      body: bytes,
    });
    expect(response.status).toBe(201);
    const answer = (await response.json()) as {
      size: number;
      sha256: string | null;
      crc32: string | null;
    };
    expect(answer.size).toBe(bytes.length);
    // Both come together: in the answer, or both later.
    expect([
      { sha256: null, crc32: null },
      { sha256: sha256(bytes), crc32: crc32Hex(bytes) },
    ]).toContainEqual({ sha256: answer.sha256, crc32: answer.crc32 });

    await until(
      "the SHA-256 is recorded",
      async () => (await recordedSha256(url, runId, "model/weights.bin")) !== null,
    );
    expect(await recordedChecksums(url, runId, "model/weights.bin")).toEqual({
      sha256: sha256(bytes),
      crc32: crc32Hex(bytes),
    });
    const download = await fetch(`${url}/artifacts/${runId}/model/weights.bin`, {
      method: "HEAD",
    });
    expect(download.headers.get("x-labbook-sha256")).toBe(sha256(bytes));
    expect(download.headers.get("x-labbook-crc32")).toBe(crc32Hex(bytes));
    expect(download.headers.get("etag")).toBe(`"${sha256(bytes)}"`);
  });

  it("finishes, when a server starts, the hashes a stopped server left undone", async () => {
    const dir = tempDir();
    const dbFile = join(dir, "labbook.db");
    const artifacts = join(dir, "artifacts");
    // What a server that stopped right after answering an upload leaves: the file, stored and
    // indexed, without its checksums.
    const db = await openDb({ url: `file:${dbFile}`, artifactRoot: pathToFileURL(artifacts).href });
    const run = await createRun(db, {});
    const bytes = randomBytes(3 * mib);
    const stores = new ArtifactStores();
    const stored = await stores.open(run.artifactUri).write("checkpoints/last.bin", bytes);
    await recordArtifact(db, { runId: run.id, ...stored, sha256: null, crc32: null });
    await db.close();

    server = await startServer({ db: dbFile, artifacts });
    const { url } = server.info;
    await until(
      "the new server records the SHA-256",
      async () => (await recordedSha256(url, run.id, "checkpoints/last.bin")) !== null,
    );
    expect(await recordedChecksums(url, run.id, "checkpoints/last.bin")).toEqual({
      sha256: sha256(bytes),
      crc32: crc32Hex(bytes),
    });
  });
});
