import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ArtifactStore,
  type ArtifactStoreError,
  ArtifactStores,
  LocalArtifactStore,
} from "../../artifact-store/index.ts";
import { type S3Server, startS3 } from "../support/s3.ts";
import { tempDir } from "../support/temp-dir.ts";

const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function storeError(promise: Promise<unknown>): Promise<ArtifactStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!error) throw new Error("expected the store to refuse");
  return error as ArtifactStoreError;
}

/** A body that sends some bytes, then fails: a client that went away mid-upload. */
async function* brokenBody(): AsyncGenerator<Uint8Array> {
  yield Buffer.alloc(1000, 1);
  throw new Error("connection reset by peer");
}

/** Every file (local) or object (S3) of the whole store, relative to its top. */
interface Backend {
  name: "local" | "s3";
  /** The artifact root URI, as `--artifacts` takes it. */
  root: string;
  everything(): Promise<string[]>;
}

const backends: Backend[] = [];
let s3: S3Server;
const stores = new ArtifactStores({
  env: {},
});

beforeAll(async () => {
  const dir = tempDir();
  backends.push({
    name: "local",
    root: `file://${dir}`,
    everything: async () =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => relative(dir, join(entry.parentPath, entry.name))),
  });
  s3 = await startS3();
  backends.push({
    name: "s3",
    root: `s3://${s3.bucket}/team/labbook`,
    everything: async () => {
      const page = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
      return (page.Contents ?? []).map((object) => object.Key ?? "");
    },
  });
});

afterAll(async () => {
  stores.close();
  await s3?.stop();
});

const kinds = ["local", "s3"] as const;
let runCounter = 0;

describe.each(kinds)("the %s artifact store", (kind) => {
  let backend: Backend;
  let store: ArtifactStore;
  let runPrefix: string;

  beforeAll(() => {
    backend = backends.find((b) => b.name === kind)!;
    const s3Stores = new ArtifactStores({ env: s3.env });
    afterAll(() => s3Stores.close());
    const runId = `${String(++runCounter).padStart(4, "0")}${"ab".repeat(14)}`;
    runPrefix = `7/${runId}/artifacts`;
    store = (kind === "s3" ? s3Stores : stores).open(`${backend.root}/${runPrefix}`);
  });

  it("keeps a file under <root>/<experiment>/<run>/artifacts/<path> (MLflow's layout)", async () => {
    const written = await store.write("model/config.json", '{"layers": 3}', {
      contentType: "application/json",
    });
    expect(written).toEqual({
      path: "model/config.json",
      size: 13,
      sha256: sha256('{"layers": 3}'),
      crc32: crc32('{"layers": 3}'),
      contentType: "application/json",
    });
    const all = await backend.everything();
    const expected =
      kind === "local"
        ? `${runPrefix}/model/config.json`
        : `team/labbook/${runPrefix}/model/config.json`;
    expect(all).toContain(expected);
    expect((await readAll(await store.read("model/config.json"))).toString()).toBe('{"layers": 3}');
  });

  it("streams every kind of body and hashes what it stored", async () => {
    const bytes = randomBytes(300_000);
    const bodies = {
      "bodies/node.bin": Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]),
      "bodies/web.bin": Readable.toWeb(Readable.from([bytes])) as ReadableStream<Uint8Array>,
      "bodies/iterable.bin": (async function* () {
        for (let i = 0; i < bytes.length; i += 65_536) yield bytes.subarray(i, i + 65_536);
      })(),
      "bodies/bytes.bin": new Uint8Array(bytes),
    };
    for (const [path, body] of Object.entries(bodies)) {
      const written = await store.write(path, body);
      expect(written).toMatchObject({
        size: bytes.length,
        sha256: sha256(bytes),
        crc32: crc32(bytes),
      });
      expect(written.contentType).toBe("application/octet-stream");
      expect((await readAll(await store.read(path))).equals(bytes)).toBe(true);
    }
  });

  it("stores an empty file", async () => {
    expect(await store.write("empty.txt", "")).toMatchObject({
      size: 0,
      sha256: sha256(""),
      crc32: 0,
    });
    expect(await store.stat("empty.txt")).toMatchObject({ size: 0 });
    expect((await readAll(await store.read("empty.txt"))).length).toBe(0);
  });

  it("guesses the content type from the name when none is given", async () => {
    expect((await store.write("plots/loss.png", "x")).contentType).toBe("image/png");
    expect((await store.write("notes.txt", "x")).contentType).toBe("text/plain; charset=utf-8");
    expect((await store.write("MLmodel", "x")).contentType).toBe("application/yaml");
  });

  it("stats files, and knows nothing of missing ones or of folders", async () => {
    await store.write("stat/a.bin", Buffer.alloc(1234));
    const found = await store.stat("stat/a.bin");
    expect(found?.size).toBe(1234);
    expect(found?.lastModified).toBeGreaterThan(Date.now() - 600_000);
    expect(await store.stat("stat/missing.bin")).toBeUndefined();
    expect(await store.stat("stat")).toBeUndefined();
  });

  it("reads byte ranges", async () => {
    const bytes = randomBytes(100_000);
    await store.write("range.bin", bytes);
    const middle = await readAll(await store.read("range.bin", { start: 5, end: 14 }));
    expect(middle.equals(bytes.subarray(5, 15))).toBe(true);
    const tail = await readAll(await store.read("range.bin", { start: 99_990, end: 99_999 }));
    expect(tail.equals(bytes.subarray(99_990))).toBe(true);
  });

  it("says not_found for a missing file", async () => {
    const error = await storeError(store.read("nothing/here.bin"));
    expect(error.kind).toBe("not_found");
    expect(error.message).toContain("nothing/here.bin");
  });

  it("replaces a file whole on a second write", async () => {
    await store.write("replace.txt", "first version, rather long");
    await store.write("replace.txt", "second");
    expect((await readAll(await store.read("replace.txt"))).toString()).toBe("second");
    expect((await store.stat("replace.txt"))?.size).toBe(6);
  });

  it("lists files recursively, sorted, whole or under a folder", async () => {
    await store.write("tree/b.txt", "bb");
    await store.write("tree/a/one.txt", "1");
    await store.write("tree/a/deeper/two.txt", "22");
    expect(await store.list("tree")).toEqual([
      { path: "tree/a/deeper/two.txt", size: 2 },
      { path: "tree/a/one.txt", size: 1 },
      { path: "tree/b.txt", size: 2 },
    ]);
    expect(await store.list("tree/a/deeper")).toEqual([{ path: "tree/a/deeper/two.txt", size: 2 }]);
    expect(await store.list("tre")).toEqual([]);
    expect(await store.list("no/such/folder")).toEqual([]);
    expect((await store.list()).map((f) => f.path)).toContain("tree/b.txt");
  });

  it("refuses a body past the limit and keeps nothing of it (nor loses the old file)", async () => {
    await store.write("limited.bin", "old content");
    const error = await storeError(
      store.write("limited.bin", Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), {
        maxBytes: 1000,
      }),
    );
    expect(error.kind).toBe("too_large");
    expect(error.message).toContain("1000 bytes");
    expect((await readAll(await store.read("limited.bin"))).toString()).toBe("old content");
    await storeError(store.write("limited-new.bin", Buffer.alloc(2000), { maxBytes: 1000 }));
    expect(await store.stat("limited-new.bin")).toBeUndefined();
  });

  it("refuses a body shorter or longer than announced", async () => {
    const short = await storeError(store.write("short.bin", Buffer.alloc(5), { size: 10 }));
    expect(short.kind).toBe("invalid");
    expect(short.message).toContain("5 of the 10 bytes");
    expect(await store.stat("short.bin")).toBeUndefined();
    await storeError(store.write("long.bin", Buffer.alloc(15), { size: 10 }));
    expect(await store.stat("long.bin")).toBeUndefined();
  });

  it("keeps nothing of a body that fails midway, and no temporary file shows", async () => {
    await store.write("broken.bin", "intact");
    await expect(store.write("broken.bin", brokenBody())).rejects.toThrow(/connection reset/);
    await expect(store.write("broken-new.bin", brokenBody())).rejects.toThrow();
    expect((await readAll(await store.read("broken.bin"))).toString()).toBe("intact");
    expect(await store.stat("broken-new.bin")).toBeUndefined();
    expect((await store.list()).map((f) => f.path).filter((p) => p.startsWith("broken"))).toEqual([
      "broken.bin",
    ]);
  });

  it("answers a write with its SHA-256 and CRC-32 at once or later, always those of the bytes sent", async () => {
    const small = await store.writeHashingAside("aside/small.txt", "a few bytes", {
      inlineHashBytes: 1024,
    });
    expect(small).toEqual({
      path: "aside/small.txt",
      size: 11,
      sha256: sha256("a few bytes"),
      crc32: crc32("a few bytes"),
      contentType: "text/plain; charset=utf-8",
      checksumsLater: undefined,
    });
    const bytes = randomBytes(6 * 1024 * 1024);
    const large = await store.writeHashingAside(
      "aside/large.bin",
      Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)]),
      { inlineHashBytes: 64 * 1024 },
    );
    expect(large.size).toBe(bytes.length);
    // Known at once (S3 hashes as it uploads), or later (a local store's hash thread).
    const expected = { sha256: sha256(bytes), crc32: crc32(bytes) };
    if (kind === "local") {
      expect(large).toMatchObject({ sha256: null, crc32: null });
      expect(await large.checksumsLater).toEqual(expected);
    } else {
      expect(large).toMatchObject({ ...expected, checksumsLater: undefined });
    }
    expect(await store.hashStored("aside/large.bin")).toEqual({ ...expected, size: bytes.length });
    const missing = await storeError(store.hashStored("aside/missing.bin"));
    expect(missing.kind).toBe("not_found");
  });

  it("streams a file larger than a multipart part (20 MB)", async () => {
    const block = randomBytes(1024 * 1024);
    const hash = createHash("sha256");
    let check = 0;
    async function* body() {
      for (let i = 0; i < 20; i++) {
        hash.update(block);
        check = crc32(block, check);
        yield block;
      }
    }
    const written = await store.write("big/weights.bin", body());
    expect(written.size).toBe(20 * 1024 * 1024);
    expect(written.sha256).toBe(hash.digest("hex"));
    expect(written.crc32).toBe(check);
    const back = createHash("sha256");
    let size = 0;
    for await (const chunk of await store.read("big/weights.bin")) {
      back.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    expect(size).toBe(20 * 1024 * 1024);
    expect(back.digest("hex")).toBe(written.sha256);
  });

  const badPaths = [
    "../escape.txt",
    "a/../../escape.txt",
    "..",
    ".",
    "./a.txt",
    "/etc/passwd",
    "C:/windows/system.ini",
    "a\\..\\..\\escape.txt",
    "a//b.txt",
    "a/",
    "",
    "nul\0byte.txt",
    "line\nbreak.txt",
    `${"x".repeat(256)}.txt`,
  ];

  it.each(badPaths)("refuses the path %j with a clear error", async (path) => {
    for (const attempt of [
      () => store.write(path, "should not be written"),
      () => store.read(path),
      () => store.stat(path),
    ]) {
      const error = await storeError(attempt());
      expect(error.kind).toBe("invalid");
      expect(error.message).toMatch(/artifact path/);
    }
  });

  it("writes nothing outside the run's folder, whatever the path", async () => {
    for (const path of badPaths) await store.write(path, "x").catch(() => {});
    const all = await backend.everything();
    const inside = kind === "local" ? `${runPrefix}/` : `team/labbook/${runPrefix}/`;
    expect(all.filter((file) => !file.startsWith(inside))).toEqual([]);
  });

  it("deletes everything under its root, and again is harmless", async () => {
    const other = (kind === "s3" ? new ArtifactStores({ env: s3.env }) : stores).open(
      `${backend.root}/7/${"cd".repeat(16)}/artifacts`,
    );
    await other.write("keep/me.txt", "another run's file");
    const before = await store.list();
    const freed = await store.deleteAll();
    expect(freed.files).toBe(before.length);
    expect(freed.bytes).toBe(before.reduce((sum, f) => sum + f.size, 0));
    expect(await store.list()).toEqual([]);
    expect(await store.deleteAll()).toEqual({ files: 0, bytes: 0 });
    await store.removeIfEmpty();
    expect(await other.list()).toEqual([{ path: "keep/me.txt", size: 18 }]);
    expect((await backend.everything()).some((f) => f.includes(runPrefix))).toBe(false);
  });
});

describe("the local artifact store's folders", () => {
  it("refuses a file where a folder is, and a folder where a file is", async () => {
    const store = new LocalArtifactStore(join(tempDir(), "artifacts"));
    await store.write("model", "a file");
    const underFile = await storeError(store.write("model/weights.bin", "x"));
    expect(underFile.kind).toBe("invalid");
    expect(underFile.message).toContain("a part of its folder is a file");
    await store.write("plots/a.png", "x");
    const onFolder = await storeError(store.write("plots", "x"));
    expect(onFolder.kind).toBe("invalid");
    expect(onFolder.message).toContain("is a folder");
    expect(readFileSync(join(store.dir, "model"), "utf8")).toBe("a file");
  });

  it("removes its root only when empty", async () => {
    const dir = join(tempDir(), "run", "artifacts");
    const store = new LocalArtifactStore(dir);
    await store.write("a.txt", "x");
    await store.removeIfEmpty();
    expect(existsSync(dir)).toBe(true);
    await store.deleteAll();
    expect(existsSync(dir)).toBe(false);
    const parent = new LocalArtifactStore(join(dir, ".."));
    await parent.removeIfEmpty();
    expect(existsSync(join(dir, ".."))).toBe(false);
    expect(statSync(join(dir, "../..")).isDirectory()).toBe(true);
  });
});

describe("artifact URIs", () => {
  it("opens file: URIs, absolute paths and s3:// URIs, and refuses others clearly", () => {
    const stores = new ArtifactStores({ env: {} });
    expect(stores.open("file:///tmp/x/1/r/artifacts").uri).toBe("file:///tmp/x/1/r/artifacts");
    expect(stores.open("/tmp/x").uri).toBe("file:///tmp/x");
    expect(stores.open("s3://bucket/a/b/").uri).toBe("s3://bucket/a/b");
    expect(() => stores.open("gs://bucket/x")).toThrow(/local folder \(file:\) or an S3 bucket/);
    expect(() => stores.open("mlflow-artifacts:/0/x")).toThrow(/cannot store artifacts/);
    stores.close();
  });
});
