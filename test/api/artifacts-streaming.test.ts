import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../client/support.ts";
import { gqlData } from "../support/gql.ts";
import { type S3Server, startS3 } from "../support/s3.ts";
import { type ServerProcess, startServer } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";

const mib = 1024 * 1024;
const fileBytes = 200 * mib;

/** VmHWM (peak resident memory) and VmRSS of a process, in bytes, from /proc. */
function memoryOf(pid: number): { peak: number; resident: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) * 1024;
  return { peak: kib("VmHWM"), resident: kib("VmRSS") };
}

/** Starts the peak over from the current resident size (Linux: clear_refs 5). */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

/**
 * 200 MB made as they are sent, one 1 MiB chunk at a time (each chunk a random block with its
 * number written in), hashed on the way: the test process never holds the file either.
 */
function generatedBody(): { stream: ReadableStream<Uint8Array>; sha256: () => string } {
  const block = randomBytes(mib);
  const hash = createHash("sha256");
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= fileBytes) return controller.close();
      const chunk = Buffer.from(block);
      chunk.writeUInt32BE(sent / mib, 0);
      hash.update(chunk);
      controller.enqueue(chunk);
      sent += chunk.length;
    },
  });
  return { stream, sha256: () => hash.digest("hex") };
}

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

/**
 * How much the server's peak memory may grow while 200 MiB go through it, both ways: far less
 * than the file. S3's multipart upload holds a few 5 MiB parts (and their copies) at a time.
 */
const kinds = [
  { name: "local", artifacts: () => tempDir(), env: () => ({}), maxGrowthBytes: 64 * mib },
  {
    name: "s3",
    artifacts: () => `s3://${s3.bucket}/big`,
    env: () => s3.env,
    maxGrowthBytes: 128 * mib,
  },
];

describe.each(kinds)("a 200 MB artifact through a server process, $name store", (kind) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ artifacts: kind.artifacts(), env: kind.env() });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("streams up and down with the server's peak memory bounded", {
    timeout: 180_000,
  }, async () => {
    const { url, pid } = server.info;
    const { createRun } = await gqlData<{ createRun: { run: { id: string } } }>(
      url,
      "mutation { createRun(input: {}) { run { id } } }",
    );
    const runId = createRun.run.id;
    const artifact = `${url}/artifacts/${runId}/checkpoints/model.bin`;
    // Warm up: every code path of an upload and a download is loaded before the baseline,
    // the thread that hashes large uploads (past 8 MiB) included.
    await fetch(`${url}/artifacts/${runId}/warmup.bin`, {
      method: "PUT",
      body: randomBytes(12 * mib),
    });
    await (await fetch(`${url}/artifacts/${runId}/warmup.bin`)).arrayBuffer();
    resetPeak(pid);
    const baseline = memoryOf(pid).resident;

    const body = generatedBody();
    const init: RequestInit & { duplex: "half" } = {
      method: "PUT",
      headers: { "content-length": String(fileBytes) },
      body: body.stream,
      duplex: "half",
    };
    const uploaded = await fetch(artifact, init);
    expect(uploaded.status).toBe(201);
    const sent = body.sha256();
    const answer = (await uploaded.json()) as { size: number; sha256: string | null };
    expect(answer.size).toBe(fileBytes);
    // A local store answers once the file is on disk, maybe before its hash is done.
    expect([sent, ...(kind.name === "local" ? [null] : [])]).toContain(answer.sha256);

    const downloaded = await fetch(artifact);
    expect(downloaded.status).toBe(200);
    expect(downloaded.headers.get("content-length")).toBe(String(fileBytes));
    const hash = createHash("sha256");
    let received = 0;
    for await (const chunk of downloaded.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      received += chunk.length;
    }
    expect(received).toBe(fileBytes);
    expect(hash.digest("hex")).toBe(sent);

    const { peak } = memoryOf(pid);
    console.log(
      `${kind.name}: server resident ${(baseline / mib).toFixed(0)} MiB before, peak ${(peak / mib).toFixed(0)} MiB during 200 MiB up and down`,
    );
    expect(peak - baseline).toBeLessThan(kind.maxGrowthBytes);

    const recorded = async () =>
      (
        await gqlData<{ run: { artifact: { size: number; sha256: string | null } } }>(
          url,
          'query ($id: ID!) { run(id: $id) { artifact(path: "checkpoints/model.bin") { size sha256 } } }',
          { id: runId },
        )
      ).run.artifact;
    await until("the SHA-256 is recorded", async () => (await recorded()).sha256 !== null);
    expect(await recorded()).toEqual({ size: fileBytes, sha256: sent });
  });
});
