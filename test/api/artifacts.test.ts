import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { crc32 } from "node:zlib";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../client/support.ts";
import { firstError, gql, gqlData } from "../support/gql.ts";
import { type S3Server, startS3 } from "../support/s3.ts";
import { type ServerProcess, startServer } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";

const token = "artifact-token";
const auth = { authorization: `Bearer ${token}` };
const maxArtifactBytes = 64 * 1024;
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");
/** The CRC-32 as `x-labbook-crc32` carries it: 8 lowercase hex digits. */
const crc32Hex = (bytes: Uint8Array | string) => crc32(bytes).toString(16).padStart(8, "0");

/** A body streamed in chunks, with no content-length. */
function chunked(bytes: Uint8Array, chunkSize = 8192): RequestInit {
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
  const init: RequestInit & { duplex: "half" } = {
    method: "PUT",
    headers: auth,
    body,
    duplex: "half",
  };
  return init;
}

interface Kind {
  name: "local" | "s3";
  /** `--artifacts` for the server. */
  artifacts: () => string;
  env: () => Record<string, string>;
  /** Every file or object of the store, relative to the artifact root. */
  everything: () => Promise<string[]>;
  /** The content of a file or object at a path relative to the artifact root. */
  read: (relativePath: string) => Promise<Buffer>;
}

let s3: S3Server;
const localRoot = tempDir();
const kinds: Kind[] = [
  {
    name: "local",
    artifacts: () => localRoot,
    env: () => ({}),
    everything: async () =>
      readdirSync(localRoot, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => relative(localRoot, join(entry.parentPath, entry.name))),
    read: async (path) => readFileSync(join(localRoot, path)),
  },
  {
    name: "s3",
    artifacts: () => `s3://${s3.bucket}/tracking`,
    env: () => s3.env,
    everything: async () => {
      const page = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
      return (page.Contents ?? []).map((o) => (o.Key ?? "").replace(/^tracking\//, ""));
    },
    read: async (path) => {
      const { GetObjectCommand } = await import("@aws-sdk/client-s3");
      const object = await s3.client.send(
        new GetObjectCommand({ Bucket: s3.bucket, Key: `tracking/${path}` }),
      );
      return Buffer.from(await (object.Body?.transformToByteArray() ?? new Uint8Array()));
    },
  },
];

beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

describe.each(kinds)("artifacts over HTTP, $name store", (kind) => {
  let server: ServerProcess;
  let url: string;
  let experimentId: string;

  const graphql = <T>(query: string, variables?: Record<string, unknown>) =>
    gqlData<T>(url, query, variables, { headers: auth });
  const newRun = async () => {
    const data = await graphql<{ createRun: { run: { id: string; artifactUri: string } } }>(
      "mutation ($e: ID!) { createRun(input: { experimentId: $e }) { run { id artifactUri } } }",
      { e: experimentId },
    );
    return data.createRun.run;
  };
  const put = (runId: string, path: string, body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${url}/artifacts/${runId}/${path}`, {
      method: "PUT",
      headers: { ...auth, ...headers },
      body,
    });
  const get = (runId: string, path: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/artifacts/${runId}/${path}`, { headers: { ...auth, ...headers } });

  beforeAll(async () => {
    server = await startServer({
      artifacts: kind.artifacts(),
      args: ["--token", token, "--max-artifact-size", String(maxArtifactBytes)],
      env: kind.env(),
    });
    url = server.info.url;
    const created = await graphql<{ createExperiment: { experiment: { id: string } } }>(
      'mutation { createExperiment(input: { name: "artifacts" }) { experiment { id } } }',
    );
    experimentId = created.createExperiment.experiment.id;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("stores an upload where MLflow's layout and the run's artifactUri say", async () => {
    const run = await newRun();
    expect(run.artifactUri).toBe(
      `${kind.name === "local" ? `file://${localRoot}` : kind.artifacts()}/${experimentId}/${run.id}/artifacts`,
    );
    const bytes = randomBytes(5000);
    const response = await put(run.id, "model/weights.bin", bytes);
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({
      path: "model/weights.bin",
      size: 5000,
      sha256: sha256(bytes),
      crc32: crc32Hex(bytes),
      contentType: "application/octet-stream",
    });
    const stored = await kind.read(`${experimentId}/${run.id}/artifacts/model/weights.bin`);
    expect(stored.equals(bytes)).toBe(true);
  });

  it("serves a file with its type, length, ETag, SHA-256 and CRC-32, and HEAD without the body", async () => {
    const run = await newRun();
    await put(run.id, "summary.json", '{"accuracy": 0.91}', { "content-type": "application/json" });
    const response = await get(run.id, "summary.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("content-length")).toBe("18");
    expect(response.headers.get("accept-ranges")).toBe("bytes");
    expect(response.headers.get("etag")).toBe(`"${sha256('{"accuracy": 0.91}')}"`);
    expect(response.headers.get("x-labbook-sha256")).toBe(sha256('{"accuracy": 0.91}'));
    expect(response.headers.get("x-labbook-crc32")).toBe(crc32Hex('{"accuracy": 0.91}'));
    expect(response.headers.get("x-labbook-crc32")).toMatch(/^[0-9a-f]{8}$/);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toBe("sandbox");
    expect(await response.text()).toBe('{"accuracy": 0.91}');
    const head = await fetch(`${url}/artifacts/${run.id}/summary.json`, {
      method: "HEAD",
      headers: auth,
    });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("18");
    expect(head.headers.get("x-labbook-crc32")).toBe(crc32Hex('{"accuracy": 0.91}'));
    expect(await head.text()).toBe("");
  });

  it("guesses the content type from the name when the upload names none", async () => {
    const run = await newRun();
    await put(run.id, "plots/loss.png", new Uint8Array([137, 80, 78, 71]));
    await put(run.id, "logs/train.log", "epoch 1\n", {
      "content-type": "application/octet-stream",
    });
    expect((await get(run.id, "plots/loss.png")).headers.get("content-type")).toBe("image/png");
    expect((await get(run.id, "logs/train.log")).headers.get("content-type")).toBe(
      "text/plain; charset=utf-8",
    );
  });

  it("answers byte ranges: a slice, an open end, a suffix; 416 outside; the whole file for several", async () => {
    const run = await newRun();
    const bytes = randomBytes(1000);
    await put(run.id, "range.bin", bytes);
    const slice = await get(run.id, "range.bin", { range: "bytes=10-19" });
    expect(slice.status).toBe(206);
    expect(slice.headers.get("content-range")).toBe("bytes 10-19/1000");
    // The CRC-32 is the whole file's: a part goes without it.
    expect(slice.headers.get("x-labbook-crc32")).toBeNull();
    expect(slice.headers.get("content-length")).toBe("10");
    expect(Buffer.from(await slice.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true);
    const open = await get(run.id, "range.bin", { range: "bytes=990-" });
    expect(Buffer.from(await open.arrayBuffer()).equals(bytes.subarray(990))).toBe(true);
    const suffix = await get(run.id, "range.bin", { range: "bytes=-5" });
    expect(suffix.headers.get("content-range")).toBe("bytes 995-999/1000");
    expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(995))).toBe(true);
    const past = await get(run.id, "range.bin", { range: "bytes=1000-" });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe("bytes */1000");
    const several = await get(run.id, "range.bin", { range: "bytes=0-1,5-6" });
    expect(several.status).toBe(200);
    expect(several.headers.get("x-labbook-crc32")).toBe(crc32Hex(bytes));
    expect((await several.arrayBuffer()).byteLength).toBe(1000);
    const stale = await get(run.id, "range.bin", { range: "bytes=0-1", "if-range": '"other"' });
    expect(stale.status).toBe(200);
  });

  it("replaces a file on a second upload", async () => {
    const run = await newRun();
    await put(run.id, "model.bin", "version 1 with more bytes");
    await put(run.id, "model.bin", "version 2");
    const response = await get(run.id, "model.bin");
    expect(await response.text()).toBe("version 2");
  });

  it("takes percent-encoded names: spaces, unicode, '#' and '?'", async () => {
    const run = await newRun();
    const path = `plots/loss curve é #1?.txt`;
    const encoded = path.split("/").map(encodeURIComponent).join("/");
    expect((await put(run.id, encoded, "x")).status).toBe(201);
    expect(await (await get(run.id, encoded)).text()).toBe("x");
    const { run: listed } = await graphql<{ run: { artifacts: { path: string }[] } }>(
      'query ($id: ID!) { run(id: $id) { artifacts(path: "plots") { path } } }',
      { id: run.id },
    );
    expect(listed.artifacts).toEqual([{ path }]);
  });

  it("lists with GraphQL: folders with their totals, files with sha256, crc32 and type", async () => {
    const run = await newRun();
    await put(run.id, "model/weights.bin", Buffer.alloc(300));
    await put(run.id, "model/config/params.json", "{}");
    await put(run.id, "notes.txt", Buffer.from("hello"));
    const data = await graphql<{
      run: {
        top: { path: string; isDir: boolean; size: number }[];
        model: { path: string; isDir: boolean; size: number }[];
        all: { path: string }[];
        file: {
          path: string;
          isDir: boolean;
          size: number;
          sha256: string;
          crc32: string;
          contentType: string;
        };
        folder: { isDir: boolean; size: number; sha256: null; crc32: null };
        none: null;
      };
    }>(
      `query ($id: ID!) { run(id: $id) {
        top: artifacts { path isDir size }
        model: artifacts(path: "model") { path isDir size }
        all: artifacts(recursive: true) { path }
        file: artifact(path: "notes.txt") { path isDir size sha256 crc32 contentType lastModified }
        folder: artifact(path: "model") { isDir size sha256 crc32 }
        none: artifact(path: "nothing") { path } } }`,
      { id: run.id },
    );
    expect(data.run.top).toEqual([
      { path: "model", isDir: true, size: 302 },
      { path: "notes.txt", isDir: false, size: 5 },
    ]);
    expect(data.run.model).toEqual([
      { path: "model/config", isDir: true, size: 2 },
      { path: "model/weights.bin", isDir: false, size: 300 },
    ]);
    expect(data.run.all.map((a) => a.path)).toEqual([
      "model/config/params.json",
      "model/weights.bin",
      "notes.txt",
    ]);
    expect(data.run.file).toMatchObject({
      isDir: false,
      size: 5,
      sha256: sha256("hello"),
      crc32: crc32Hex("hello"),
      contentType: "text/plain; charset=utf-8",
    });
    expect(data.run.folder).toEqual({ isDir: true, size: 302, sha256: null, crc32: null });
    expect(data.run.none).toBeNull();
    const bad = await gql(
      url,
      'query ($id: ID!) { run(id: $id) { artifacts(path: "../x") { path } } }',
      { id: run.id },
      { headers: auth },
    );
    expect(firstError(bad).extensions?.code).toBe("BAD_USER_INPUT");
    expect(firstError(bad).message).toContain("'.' and '..' segments are not allowed");
  });

  it("says what is wrong: unknown run, missing file, a folder, a deleted run, a file in the way", async () => {
    const run = await newRun();
    await put(run.id, "model/weights.bin", "w");
    const unknown = await put("0".repeat(32), "a.txt", "x");
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).errors[0].extensions.code).toBe("NOT_FOUND");
    expect((await get(run.id, "missing.txt")).status).toBe(404);
    const folder = await get(run.id, "model");
    expect(folder.status).toBe(404);
    expect((await folder.json()).errors[0].message).toContain("run { artifacts(path) }");
    const inTheWay = await put(run.id, "model/weights.bin/extra.txt", "x");
    expect(inTheWay.status).toBe(409);
    expect((await inTheWay.json()).errors[0].message).toContain(
      "'model/weights.bin' is a file, not a folder",
    );
    const noPath = await get(run.id, "");
    expect(noPath.status).toBe(400);
    expect(
      (await fetch(`${url}/artifacts/${run.id}/x`, { method: "POST", headers: auth })).status,
    ).toBe(405);
    await graphql("mutation ($id: ID!) { deleteRun(input: { runId: $id }) { run { id } } }", {
      id: run.id,
    });
    const deleted = await put(run.id, "late.txt", "x");
    expect(deleted.status).toBe(400);
    expect((await deleted.json()).errors[0].message).toContain("is deleted; restore it");
    // A deleted run's files can still be read until garbage collection.
    expect(await (await get(run.id, "model/weights.bin")).text()).toBe("w");
  });

  it("uploads only under its own artifact root, whatever an experiment names", async () => {
    const elsewhere =
      kind.name === "local" ? `file://${tempDir()}/elsewhere` : `s3://${s3.bucket}/elsewhere`;
    const { createExperiment } = await graphql<{
      createExperiment: { experiment: { id: string } };
    }>(
      'mutation ($location: String) { createExperiment(input: { name: "elsewhere", artifactLocation: $location }) { experiment { id } } }',
      { location: elsewhere },
    );
    const { createRun } = await graphql<{
      createRun: { run: { id: string; artifactUri: string } };
    }>("mutation ($e: ID!) { createRun(input: { experimentId: $e }) { run { id artifactUri } } }", {
      e: createExperiment.experiment.id,
    });
    expect(createRun.run.artifactUri.startsWith(elsewhere)).toBe(true);
    const response = await put(createRun.run.id, "planted.txt", "x");
    expect(response.status).toBe(403);
    const body = await response.json();
    expect(body.errors[0].extensions.code).toBe("FORBIDDEN");
    expect(body.errors[0].message).toContain("outside this server's artifact root");
    expect((await kind.everything()).some((file) => file.includes("planted"))).toBe(false);
    if (kind.name === "local") expect(existsSync(new URL(elsewhere))).toBe(false);
  });

  it("keeps nothing of an upload whose client goes away, and logs no error for it", async () => {
    if (kind.name !== "local") return; // S3: the store suite covers a body that fails midway
    const run = await newRun();
    const controller = new AbortController();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(stream) {
        // 48 KiB (under the limit), then nothing more: the client waits until it gives up.
        if (sent < 48 * 1024) {
          stream.enqueue(randomBytes(16 * 1024));
          sent += 16 * 1024;
        } else await new Promise(() => {});
      },
    });
    const init: RequestInit & { duplex: "half" } = {
      method: "PUT",
      headers: auth,
      body,
      duplex: "half",
      signal: controller.signal,
    };
    const upload = fetch(`${url}/artifacts/${run.id}/aborted.bin`, init).catch((e: Error) => e);
    const runFolder = `${experimentId}/${run.id}/artifacts`;
    const parts = async () =>
      (await kind.everything()).filter((f) => f.startsWith(runFolder) && f.endsWith(".part"));
    await until("the upload is being written", async () => (await parts()).length > 0);
    controller.abort();
    expect(await upload).toBeInstanceOf(Error);
    await until("the partial file is removed", async () => (await parts()).length === 0);
    expect((await kind.everything()).filter((f) => f.startsWith(runFolder))).toEqual([]);
    expect((await get(run.id, "aborted.bin")).status).toBe(404);
    expect(server.stderr()).not.toContain("unexpected error");
  });

  it("needs the token", async () => {
    const run = await newRun();
    const response = await fetch(`${url}/artifacts/${run.id}/a.txt`, { method: "PUT", body: "x" });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect((await fetch(`${url}/artifacts/${run.id}/a.txt`)).status).toBe(401);
    expect((await get(run.id, "a.txt")).status).toBe(404);
  });

  it("refuses a body over its own limit, announced or streamed, and keeps nothing of it", async () => {
    const run = await newRun();
    const announced = await put(run.id, "big.bin", Buffer.alloc(maxArtifactBytes + 1));
    expect(announced.status).toBe(413);
    const body = await announced.json();
    expect(body.errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
    expect(body.errors[0].message).toContain(`at most ${maxArtifactBytes} bytes`);
    const streamed = await fetch(
      `${url}/artifacts/${run.id}/streamed.bin`,
      chunked(randomBytes(maxArtifactBytes + 10_000)),
    ).catch((error: unknown) => error);
    // The server answers 413 as soon as the limit passes, and closes the connection: the
    // client sees the answer, or the connection cut while it still sends.
    if (streamed instanceof Response) expect(streamed.status).toBe(413);
    // Exactly the limit is fine, and the GraphQL limit (32 MB) is another matter.
    expect(
      (await fetch(`${url}/artifacts/${run.id}/exact.bin`, chunked(Buffer.alloc(maxArtifactBytes))))
        .status,
    ).toBe(201);
    const files = await kind.everything();
    expect(files.filter((f) => f.includes(run.id)).map((f) => f.split("/").pop())).toEqual([
      "exact.bin",
    ]);
  });

  it("refuses bad paths, however they are encoded, and writes nothing outside the run's folder", async () => {
    const run = await newRun();
    const before = new Set(await kind.everything());
    const attempts = [
      "a%2F..%2F..%2Fescape.txt",
      "..%2Fescape.txt",
      "%2E%2E%2Fescape.txt",
      "a/%2E%2E%2F%2E%2E%2Fescape.txt",
      "%2Fetc%2Fpasswd",
      "/absolute.txt",
      "a%5C..%5C..%5Cescape.txt",
      "nul%00byte.txt",
      "a//b.txt",
      "trailing/",
      "bad%ZZencoding",
    ];
    for (const path of attempts) {
      const response = await fetch(`${url}/artifacts/${run.id}/${path}`, {
        method: "PUT",
        headers: auth,
        body: "should not be written",
      });
      const status = response.status;
      const text = await response.text();
      expect({ path, status }).toEqual({ path, status: 400 });
      expect(text).toMatch(/artifact path|percent-encoding|Name a file/);
    }
    const after = (await kind.everything()).filter((file) => !before.has(file));
    expect(after).toEqual([]);
    // And everything the server ever wrote sits in some run's artifacts folder.
    for (const file of await kind.everything())
      expect(file).toMatch(/^\d+\/[0-9a-f]{32}\/artifacts\/[^/]/);
  });
});
