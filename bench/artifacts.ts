import { type ChildProcess, execFileSync, spawn } from "node:child_process";
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
import { get, request } from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { downloadArtifactFile, uploadArtifact } from "../client/artifacts.ts";
import { GraphQLClient } from "../client/graphql-client.ts";
import { benchDir, format, graphql, root, startServer, time } from "./support.ts";

const mib = 1024 * 1024;
const fileMiB = 200;
const rounds = 5;

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

/** `cp` and then flush the copy to disk, as an upload is before it is answered. */
function copyAndFlush(from: string, to: string): void {
  copyFileSync(from, to);
  const copied = openSync(to, "r+");
  fsyncSync(copied);
  closeSync(copied);
}

/** PUTs a file with Node's HTTP client (what the SDK does), resolving once answered. */
const put = (url: string, file: string) =>
  new Promise<void>((resolve, reject) => {
    const sending = request(url, { method: "PUT" }, (response) => {
      response.resume().once("end", resolve);
    });
    sending.once("error", reject);
    pipeline(createReadStream(file, { highWaterMark: mib }), sending).catch(reject);
  });

/** GETs a URL into a file with Node's HTTP client (what the SDK does, minus its hash check). */
const download = (url: string, file: string) =>
  new Promise<void>((resolve, reject) => {
    get(url, (response) => {
      pipeline(response, createWriteStream(file, { highWaterMark: mib })).then(resolve, reject);
    }).once("error", reject);
  });

/** Whether `curl` runs here (the benchmark then downloads with it too). */
function hasCurl(): boolean {
  try {
    execFileSync("curl", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Resolves once the server has recorded the artifact's SHA-256 (polled, 5 ms apart). */
async function sha256Recorded(url: string): Promise<string> {
  for (;;) {
    const response = await fetch(url, { method: "HEAD" });
    const sha256 = response.headers.get("x-labbook-sha256");
    if (sha256) return sha256;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** bench/bare-http-server.ts in a process of its own, as labbook's server is. */
async function startBareServer(folder: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(root, "bench/bare-http-server.ts"), folder], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the bare server exited with ${code}`)));
    createInterface({ input: child.stdout! }).once("line", resolve);
  });
  return { url: (JSON.parse(line) as { url: string }).url, child };
}

/**
 * Artifact throughput: a 200 MiB file uploaded to and downloaded from a `labbook server`
 * process (local store, same disk), beside copying the same file on that disk: with the
 * kernel's copy (`fs.copyFile`, what `cp` does: `copy_file_range`, no bytes through user
 * space) and with a streamed copy (read and write through Node streams). The target ratio is
 * against `fs.copyFile`, the faster one. Each round measures every one of them once, on a warm
 * page cache, each writing a new file, in an order that turns from round to round; the medians
 * of 5 rounds are printed (the machine is shared and noisy).
 *
 * An upload is answered once its file is flushed to disk (fsync): a plain copy flushes nothing,
 * so a copy followed by fsync is printed as well. A large upload's SHA-256 is computed beside
 * it and may be recorded after the answer: the time until it is recorded is printed too. And
 * the same transfers through a bare Node HTTP server (bench/bare-http-server.ts: write and
 * fsync, or stream a file back, nothing else) show what any Node server gets on this machine.
 * The plain download is Node's HTTP client streaming into a file (what a script would write);
 * the SDK's reads a socket of its own into 4 MiB buffers and checks the CRC-32; `curl`, where
 * it is installed, shows what the server's side of a download costs with a lean client.
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
  const bare = await startBareServer(dir);
  const timings: Record<string, number[]> = {};
  const measure = async (what: string, work: () => unknown) => {
    const { ms } = await time(async () => work());
    timings[what] ??= [];
    timings[what].push(ms);
  };
  try {
    const { createRun } = await graphql<{
      createRun: { run: { id: string; artifactUri: string } };
    }>(server.url, "mutation { createRun(input: {}) { run { id artifactUri } } }");
    const runId = createRun.run.id;
    const target = {
      client: new GraphQLClient({ url: server.url }),
      retryForMs: 10_000,
      maxRetryDelayMs: 1000,
    };
    // The file every download reads: labbook's server by its path, the bare one by its place
    // on disk, so that both send the same bytes from the same pages.
    const served = "model/served.bin";
    await uploadArtifact(target, runId, served, { file: source });
    const servedUrl = `${server.url}/artifacts/${runId}/${served}`;
    if ((await sha256Recorded(servedUrl)) !== expected)
      throw new Error("the server's SHA-256 differs");
    const servedFile = join(fileURLToPath(createRun.run.artifactUri), served);
    const copy = join(dir, "copy.bin");
    const downloaded = join(dir, "downloaded.bin");
    let uploads = 0;

    // Each of these writes a new 200 MiB file. A write that is not flushed leaves the disk
    // busy writing it out while the next one runs (up to 2x slower here, whichever it is): so
    // each starts once `sync` has flushed everything (untimed), and no contender always runs
    // first or after the same one: each round starts one further down the list.
    const contenders: [string, () => Promise<unknown>][] = [
      ["copyFile", async () => copyFileSync(source, copy)],
      ["stream copy", () => streamCopy(source, copy)],
      ["copyFile + fsync", async () => copyAndFlush(source, copy)],
      [
        "upload + SHA-256 recorded",
        async () => {
          const path = `model/weights-${uploads++}.bin`;
          let sha256: string | null = null;
          await measure("upload", async () => {
            const uploaded = await uploadArtifact(target, runId, path, { file: source });
            if (uploaded.size !== bytes) throw new Error(`uploaded ${uploaded.size} bytes`);
            sha256 = uploaded.sha256;
          });
          sha256 ??= await sha256Recorded(`${server.url}/artifacts/${runId}/${path}`);
          if (sha256 !== expected) throw new Error("the server's SHA-256 differs");
        },
      ],
      ["bare upload", () => put(bare.url, source)],
      ["download", () => download(servedUrl, downloaded)],
      [
        "bare download",
        () => download(`${bare.url}/?file=${encodeURIComponent(servedFile)}`, downloaded),
      ],
      ["SDK download", () => downloadArtifactFile(target, runId, served, downloaded)],
      ...(hasCurl()
        ? [
            [
              "curl upload",
              async () => {
                const url = `${server.url}/artifacts/${runId}/curl/weights-${uploads++}.bin`;
                execFileSync("curl", ["-sSf", "-o", "/dev/null", "-T", source, url]);
              },
            ] as [string, () => Promise<unknown>],
            [
              "curl download",
              async () => execFileSync("curl", ["-sSf", "-o", downloaded, servedUrl]),
            ] as [string, () => Promise<unknown>],
          ]
        : []),
    ];
    for (let round = 0; round < rounds; round++)
      for (let i = 0; i < contenders.length; i++) {
        const [what, work] = contenders[(round + i) % contenders.length]!;
        execFileSync("sync");
        await measure(what, work);
        rmSync(copy, { force: true });
        rmSync(downloaded, { force: true });
      }
    const hashOnly = await time(() =>
      pipeline(createReadStream(source, { highWaterMark: mib }), createHash("sha256")),
    );

    const ms = (what: string) => median(timings[what] ?? []);
    const copyMs = ms("copyFile");
    const streamMs = ms("stream copy");
    const figure = (what: string) =>
      `${format(ms(what), 0)} ms, ${format(rate(bytes, ms(what)), 0)} MB/s`;
    const versus = (what: string) =>
      `${format(copyMs / ms(what), 2)}x copyFile, ${format(streamMs / ms(what), 2)}x stream copy`;
    const line = (label: string, what: string) =>
      `artifacts: ${label}: ${figure(what)} = ${versus(what)}`;
    return [
      `artifacts: ${fileMiB} MiB, median of ${rounds} rounds, same disk, warm page cache; ratio = baseline time / labbook time (target >= 0.5x copyFile)`,
      `artifacts: baselines: copyFile (fs.copyFile, as cp) ${figure("copyFile")}; stream copy (Node streams, 1 MiB chunks) ${figure("stream copy")}; copyFile + fsync ${figure("copyFile + fsync")}`,
      line("upload (SDK uploadArtifact -> PUT -> server writes, fsyncs -> 201)", "upload"),
      line("upload until its SHA-256 is recorded", "upload + SHA-256 recorded"),
      line("download (GET streamed to a file, Node's HTTP client)", "download"),
      line(
        "SDK download (downloadArtifactFile: own socket, 4 MiB reads, checks the CRC-32)",
        "SDK download",
      ),
      hasCurl()
        ? line("upload with curl (-T file: the server's side of a PUT)", "curl upload")
        : "artifacts: upload with curl: skipped, no curl on this machine",
      hasCurl()
        ? line("download with curl (-o file: the server's side of a GET)", "curl download")
        : "artifacts: download with curl: skipped, no curl on this machine",
      `artifacts: floor, a bare Node HTTP server, same client: PUT -> file + fsync ${figure("bare upload")} = ${versus("bare upload")}; GET <- file ${figure("bare download")} = ${versus("bare download")}`,
      `artifacts: for scale: SHA-256 of the file alone ${format(hashOnly.ms, 0)} ms (${format(rate(bytes, hashOnly.ms), 0)} MB/s; this CPU has no SHA instructions)`,
    ];
  } finally {
    bare.child.kill();
    await server.stop();
    cleanup();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  for (const line of await benchArtifacts()) console.log(line);
