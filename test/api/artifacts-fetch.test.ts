import { createHash, randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../api/app.ts";
import { createRun, type Db, getArtifactRecord } from "../../db/index.ts";
import { until } from "../client/support.ts";
import { fileTarget } from "../support/db-targets.ts";

const token = "fetch-token";
const auth = { authorization: `Bearer ${token}` };
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");
const crc32Hex = (bytes: Uint8Array | string) => crc32(bytes).toString(16).padStart(8, "0");

/**
 * The artifact route through `app.fetch` (a fetch Request, no Node server): the same answers
 * as the Node road the server takes (test/api/artifacts.test.ts), from the same code.
 */
describe("artifacts through app.fetch", () => {
  let db: Db;
  let app: App;
  let runId: string;
  const at = (path: string) => `http://labbook.test/artifacts/${runId}/${path}`;

  beforeAll(async () => {
    db = await fileTarget.open();
    app = createApp({ db, token });
    runId = (await createRun(db, {})).id;
  });
  afterAll(async () => {
    await db.close();
  });

  it("uploads, downloads whole and in ranges, and needs the token", async () => {
    const bytes = randomBytes(5000);
    const put = await app.fetch(
      new Request(at("a/b.bin"), { method: "PUT", headers: auth, body: bytes }),
    );
    expect(put.status).toBe(201);
    expect(await put.json()).toEqual({
      path: "a/b.bin",
      size: 5000,
      sha256: sha256(bytes),
      crc32: crc32Hex(bytes),
      contentType: "application/octet-stream",
    });
    const whole = await app.fetch(new Request(at("a/b.bin"), { headers: auth }));
    expect(whole.headers.get("x-labbook-sha256")).toBe(sha256(bytes));
    expect(whole.headers.get("x-labbook-crc32")).toBe(crc32Hex(bytes));
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const slice = await app.fetch(
      new Request(at("a/b.bin"), { headers: { ...auth, range: "bytes=100-199" } }),
    );
    expect(slice.status).toBe(206);
    expect(slice.headers.get("x-labbook-crc32")).toBeNull();
    expect(Buffer.from(await slice.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    expect((await app.fetch(new Request(at("a/b.bin")))).status).toBe(401);
    const folder = await app.fetch(new Request(at("a"), { headers: auth }));
    expect(folder.status).toBe(404);
  });

  it("writes a CRC-32 with a leading zero as eight digits, in the header and the answer", async () => {
    // CRC-32 0x007d7cc4.
    const put = await app.fetch(
      new Request(at("padded.txt"), { method: "PUT", headers: auth, body: "padded 36" }),
    );
    expect(await put.json()).toMatchObject({ crc32: "007d7cc4" });
    const head = await app.fetch(new Request(at("padded.txt"), { method: "HEAD", headers: auth }));
    expect(head.headers.get("x-labbook-crc32")).toBe("007d7cc4");
  });

  it("records a large upload's SHA-256 and CRC-32 when they are done", async () => {
    const bytes = randomBytes(12 * 1024 * 1024);
    const put = await app.fetch(
      new Request(at("large.bin"), { method: "PUT", headers: auth, body: bytes }),
    );
    expect(put.status).toBe(201);
    // Past the size hashed as it arrives: the answer comes before the checksums.
    expect(await put.json()).toMatchObject({ sha256: null, crc32: null });
    await until(
      "the SHA-256 is recorded",
      async () => (await getArtifactRecord(db, runId, "large.bin"))?.sha256 != null,
    );
    expect(await getArtifactRecord(db, runId, "large.bin")).toMatchObject({
      sha256: sha256(bytes),
      crc32: crc32(bytes),
    });
    const head = await app.fetch(new Request(at("large.bin"), { method: "HEAD", headers: auth }));
    expect(head.headers.get("x-labbook-crc32")).toBe(crc32Hex(bytes));
  });
});
