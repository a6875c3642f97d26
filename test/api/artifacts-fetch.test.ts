import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../api/app.ts";
import { createRun, type Db, getArtifactRecord } from "../../db/index.ts";
import { until } from "../client/support.ts";
import { fileTarget } from "../support/db-targets.ts";

const token = "fetch-token";
const auth = { authorization: `Bearer ${token}` };
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

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
      contentType: "application/octet-stream",
    });
    const whole = await app.fetch(new Request(at("a/b.bin"), { headers: auth }));
    expect(whole.headers.get("x-labbook-sha256")).toBe(sha256(bytes));
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const slice = await app.fetch(
      new Request(at("a/b.bin"), { headers: { ...auth, range: "bytes=100-199" } }),
    );
    expect(slice.status).toBe(206);
    expect(Buffer.from(await slice.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    expect((await app.fetch(new Request(at("a/b.bin")))).status).toBe(401);
    const folder = await app.fetch(new Request(at("a"), { headers: auth }));
    expect(folder.status).toBe(404);
  });

  it("records a large upload's SHA-256 when it is done", async () => {
    const bytes = randomBytes(12 * 1024 * 1024);
    const put = await app.fetch(
      new Request(at("large.bin"), { method: "PUT", headers: auth, body: bytes }),
    );
    expect(put.status).toBe(201);
    await until(
      "the SHA-256 is recorded",
      async () => (await getArtifactRecord(db, runId, "large.bin"))?.sha256 != null,
    );
    expect((await getArtifactRecord(db, runId, "large.bin"))?.sha256).toBe(sha256(bytes));
  });
});
