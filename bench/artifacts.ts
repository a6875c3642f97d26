import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  createReadStream,
  createWriteStream,
  fsyncSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { downloadArtifactFile, uploadArtifact } from "../client/artifacts.ts";
import { GraphQLClient } from "../client/graphql-client.ts";
import { benchDir, format, graphql, startServer, time } from "./support.ts";

const mib = 1024 * 1024;
const fileMiB = 200;
const rounds = 3;

/** MB/s (10^6 bytes) of `bytes` in `ms`. */
const rate = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Copies `from` to `to` with Node streams, 1 MiB at a time: the work of an upload minus HTTP. */
const streamCopy = (from: string, to: string) =>
  pipeline(
    createReadStream(from, { highWaterMark: mib }),
    createWriteStream(to, { highWaterMark: mib }),
  );

/** Resolves once the server has recorded the artifact's SHA-256 (polled, 5 ms apart). */
async function sha256Recorded(url: string, runId: string, path: string): Promise<string> {
  for (;;) {
    const response = await fetch(`${url}/artifacts/${runId}/${path}`, { method: "HEAD" });
    const sha256 = response.headers.get("x-labbook-sha256");
    if (sha256) return sha256;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Artifact throughput: a 200 MiB file uploaded to and downloaded from a `labbook server`
 * process (local store, same disk), beside copying the same file on that disk: with the
 * kernel's copy (`fs.copyFile`, what `cp` does: `copy_file_range`, no bytes through user
 * space) and with a streamed copy (read and write through Node streams). The target ratio is
 * against `fs.copyFile`, the faster one. Each round measures every one of them once, on a warm
 * page cache, each writing a new file; the medians of 3 rounds are printed (the machine is
 * shared and noisy).
 *
 * An upload is answered once its file is flushed to disk (fsync): a plain copy flushes nothing,
 * so a copy followed by fsync is printed as well. A large upload's SHA-256 is computed beside
 * it and may be recorded after the answer: the time until it is recorded is printed too.
 */
export async function benchArtifacts(): Promise<string[]> {
  const { dir, cleanup } = benchDir();
  const source = join(dir, "source.bin");
  const bytes = fileMiB * mib;
  const fd = openSync(source, "w");
  for (let i = 0; i < fileMiB; i++) writeSync(fd, randomBytes(mib));
  closeSync(fd);
  const expected = createHash("sha256").update(readFileSync(source)).digest("hex");
  const server = await startServer(join(dir, "labbook.db"), join(dir, "artifacts"));
  const timings: Record<string, number[]> = {};
  const record = (what: string, ms: number) => {
    timings[what] ??= [];
    timings[what].push(ms);
  };
  try {
    const { createRun } = await graphql<{ createRun: { run: { id: string } } }>(
      server.url,
      "mutation { createRun(input: {}) { run { id } } }",
    );
    const runId = createRun.run.id;
    const target = {
      client: new GraphQLClient({ url: server.url }),
      retryForMs: 10_000,
      maxRetryDelayMs: 1000,
    };
    const copy = join(dir, "copy.bin");
    const downloaded = join(dir, "downloaded.bin");
    for (let round = 0; round < rounds; round++) {
      record("copyFile", (await time(async () => copyFileSync(source, copy))).ms);
      rmSync(copy);
      record("stream copy", (await time(() => streamCopy(source, copy))).ms);
      rmSync(copy);
      record(
        "copyFile + fsync",
        (
          await time(async () => {
            copyFileSync(source, copy);
            const copied = openSync(copy, "r+");
            fsyncSync(copied);
            closeSync(copied);
          })
        ).ms,
      );
      rmSync(copy);

      const path = `model/weights-${round}.bin`;
      const start = performance.now();
      const upload = await uploadArtifact(target, runId, path, { file: source });
      record("upload", performance.now() - start);
      if (upload.size !== bytes) throw new Error(`uploaded ${upload.size} bytes`);
      const sha256 = upload.sha256 ?? (await sha256Recorded(server.url, runId, path));
      record("upload + SHA-256 recorded", performance.now() - start);
      if (sha256 !== expected) throw new Error("the server's SHA-256 differs");

      record(
        "download",
        (
          await time(async () => {
            const response = await fetch(`${server.url}/artifacts/${runId}/${path}`);
            await pipeline(
              Readable.fromWeb(
                response.body as import("node:stream/web").ReadableStream<Uint8Array>,
              ),
              createWriteStream(downloaded, { highWaterMark: mib }),
            );
          })
        ).ms,
      );
      rmSync(downloaded);
      record(
        "SDK download",
        (await time(() => downloadArtifactFile(target, runId, path, downloaded))).ms,
      );
      rmSync(downloaded);
    }
    const hashOnly = await time(() =>
      pipeline(createReadStream(source, { highWaterMark: mib }), createHash("sha256")),
    );

    const ms = (what: string) => median(timings[what] ?? []);
    const copyMs = ms("copyFile");
    const streamMs = ms("stream copy");
    const figure = (what: string) =>
      `${format(ms(what), 0)} ms, ${format(rate(bytes, ms(what)), 0)} MB/s`;
    const line = (label: string, what: string) =>
      `artifacts: ${label}: ${figure(what)} = ${format(copyMs / ms(what), 2)}x copyFile, ${format(streamMs / ms(what), 2)}x stream copy`;
    return [
      `artifacts: ${fileMiB} MiB, median of ${rounds} rounds, same disk, warm page cache; ratio = baseline time / labbook time (target >= 0.5x copyFile)`,
      `artifacts: baselines: copyFile (fs.copyFile, as cp) ${figure("copyFile")}; stream copy (Node streams, 1 MiB chunks) ${figure("stream copy")}; copyFile + fsync ${figure("copyFile + fsync")}`,
      line("upload (SDK uploadArtifact -> PUT -> server writes + fsync -> 201)", "upload"),
      line("upload until its SHA-256 is recorded", "upload + SHA-256 recorded"),
      line("download (GET streamed to a file)", "download"),
      line("SDK download (downloadArtifactFile, checks the SHA-256)", "SDK download"),
      `artifacts: for scale: SHA-256 of the file alone ${format(hashOnly.ms, 0)} ms (${format(rate(bytes, hashOnly.ms), 0)} MB/s; this CPU has no SHA instructions)`,
    ];
  } finally {
    await server.stop();
    cleanup();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  for (const line of await benchArtifacts()) console.log(line);
