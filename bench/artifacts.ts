import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  createReadStream,
  createWriteStream,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { downloadArtifactFile, uploadArtifact } from "../client/artifacts.ts";
import { GraphQLClient } from "../client/graphql-client.ts";
import { benchDir, bestOf, format, graphql, startServer } from "./support.ts";

const mib = 1024 * 1024;
const fileMiB = 200;
const runs = 3;

/** MB/s (10^6 bytes) of `bytes` in `ms`. */
const rate = (bytes: number, ms: number) => `${format(bytes / 1e6 / (ms / 1000), 0)} MB/s`;

/**
 * Artifact throughput: a 200 MiB file uploaded to and downloaded from a `labbook server`
 * process (local store), against copying the same file on the same disk — with the kernel's
 * copy (`fs.copyFile`, what `cp` does) and with a streamed copy (read and write through Node
 * streams, the work an upload does without the network and the hash). Best of 3 each.
 */
export async function benchArtifacts(): Promise<string[]> {
  const { dir, cleanup } = benchDir();
  const source = join(dir, "source.bin");
  const bytes = fileMiB * mib;
  const fd = openSync(source, "w");
  for (let i = 0; i < fileMiB; i++) writeSync(fd, randomBytes(mib));
  closeSync(fd);
  const server = await startServer(join(dir, "labbook.db"), join(dir, "artifacts"));
  try {
    const kernelCopy = await bestOf(runs, async () => copyFileSync(source, join(dir, "copy.bin")));
    const streamedCopy = await bestOf(runs, () =>
      pipeline(
        createReadStream(source, { highWaterMark: mib }),
        createWriteStream(join(dir, "copy.bin"), { highWaterMark: mib }),
      ),
    );
    const hashOnly = await bestOf(runs, () =>
      pipeline(createReadStream(source, { highWaterMark: mib }), createHash("sha256")),
    );
    rmSync(join(dir, "copy.bin"), { force: true });

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
    const upload = await bestOf(runs, () =>
      uploadArtifact(target, runId, "model/weights.bin", { file: source }),
    );
    if (upload.result.size !== bytes) throw new Error(`uploaded ${upload.result.size} bytes`);
    const expected = createHash("sha256").update(readFileSync(source)).digest("hex");
    if (upload.result.sha256 !== expected) throw new Error("the server's SHA-256 differs");

    const downloaded = join(dir, "downloaded.bin");
    const rawDownload = await bestOf(runs, async () => {
      const response = await fetch(`${server.url}/artifacts/${runId}/model/weights.bin`);
      await pipeline(
        Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>),
        createWriteStream(downloaded, { highWaterMark: mib }),
      );
    });
    const sdkDownload = await bestOf(runs, () =>
      downloadArtifactFile(target, runId, "model/weights.bin", downloaded),
    );

    const copyMs = kernelCopy.ms;
    const line = (what: string, ms: number) =>
      `artifacts: ${what}: ${format(ms, 0)} ms (${rate(bytes, ms)}) = ${format(copyMs / ms, 2)}x the kernel copy, ${format(streamedCopy.ms / ms, 2)}x the streamed copy`;
    return [
      `artifacts: ${fileMiB} MiB file, best of ${runs}; baselines on the same disk: kernel copy (fs.copyFile, as cp) ${format(copyMs, 0)} ms (${rate(bytes, copyMs)}), streamed copy (Node streams, 1 MiB chunks) ${format(streamedCopy.ms, 0)} ms (${rate(bytes, streamedCopy.ms)})`,
      line(
        "upload through the server (SDK uploadArtifact, PUT, server hashes SHA-256 and writes)",
        upload.ms,
      ),
      line("download through the server (GET streamed to a file)", rawDownload.ms),
      line("download through the SDK (checks the SHA-256 as it writes)", sdkDownload.ms),
      `artifacts: for scale: SHA-256 of the file alone ${format(hashOnly.ms, 0)} ms (${rate(bytes, hashOnly.ms)}); an upload cannot beat it, it hashes every byte it stores (target: upload and download >= 0.5x the plain copy)`,
    ];
  } finally {
    await server.stop();
    cleanup();
  }
}
