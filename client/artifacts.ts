import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import {
  type ArtifactTarget,
  answerText,
  artifactUrl,
  authorizationHeaders,
  sendArtifactRequest,
  withRetries,
} from "./artifact-requests.ts";
import { Crc32PassThrough } from "./download-crc32.ts";
import { sha256PassThrough } from "./download-sha256.ts";
import { embeddedServerUrl } from "./embedded-server.ts";
import { LabbookError } from "./errors.ts";
import { installExitHooks } from "./exit-hooks.ts";
import { GraphQLClient } from "./graphql-client.ts";
import { downloadOverSocket, type SocketDownloadResult } from "./socket-download.ts";
import { ProgressTally, type TransferProgress } from "./transfer-progress.ts";

export type { ArtifactTarget } from "./artifact-requests.ts";
export type { TransferProgress } from "./transfer-progress.ts";

/**
 * A file stored with a run, as the server recorded it.
 *
 * @example
 * const { path, size, sha256 }: ArtifactInfo = await run.logArtifact("model.bin");
 */
export interface ArtifactInfo {
  /** Relative to the run's artifacts: `checkpoints/model.bin`. */
  path: string;
  size: number;
  /**
   * Hex SHA-256 of the content, computed by the server; null when the server answered before
   * it was done (a large file on a fast disk: it is recorded a moment later, and listings show
   * it then).
   */
  sha256: string | null;
  /**
   * CRC-32 (IEEE, as S3's CRC32 checksum) of the content, 8 hex digits: what downloads are
   * checked against. Null exactly when `sha256` is (they are computed together).
   */
  crc32: string | null;
  contentType: string;
}

/**
 * A file or folder of a run's artifacts, as listed.
 *
 * @example
 * const files = (await listArtifacts(runId, "model")).filter((a: ArtifactEntry) => !a.isDir);
 */
export interface ArtifactEntry {
  path: string;
  isDir: boolean;
  /** A file's size; a folder's is the total of the files under it. */
  size: number;
  /** Null for a folder. */
  sha256: string | null;
  /** CRC-32 of a file's content (8 hex digits); null for a folder. */
  crc32: string | null;
}

/** The server's rule for artifact paths, checked before anything is sent. */
const maxPathBytes = 768;
const maxSegmentBytes = 255;

/**
 * Why a path cannot name an artifact, or undefined when it can: relative, `/`-separated, no
 * empty, `.` or `..` segment, no backslash, NUL or control character, at most 768 bytes.
 *
 * @example
 * artifactPathProblem("model/weights.bin"); // undefined
 * artifactPathProblem("../x"); // "artifact path \"../x\": '.' and '..' segments are not allowed; …"
 */
export function artifactPathProblem(path: string): string | undefined {
  if (path === "") return "an artifact path must not be empty";
  const shown = JSON.stringify(path);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0000-\u001f\u007f]/.test(path))
    return `artifact path ${shown}: NUL bytes and control characters are not allowed`;
  if (path.includes("\\"))
    return `artifact path ${shown}: backslashes are not allowed; separate folders with '/'`;
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path))
    return `artifact path ${shown}: absolute paths are not allowed; give a path relative to the run's artifacts`;
  const segments = path.split("/");
  if (segments.some((s) => s === ""))
    return `artifact path ${shown}: empty segments are not allowed (no leading, trailing or doubled '/')`;
  if (segments.some((s) => s === "." || s === ".."))
    return `artifact path ${shown}: '.' and '..' segments are not allowed; paths stay inside the run's artifacts`;
  if (Buffer.byteLength(path) > maxPathBytes)
    return `artifact path ${shown}: longer than ${maxPathBytes} bytes`;
  if (segments.some((s) => Buffer.byteLength(s) > maxSegmentBytes))
    return `artifact path ${shown}: a segment is longer than ${maxSegmentBytes} bytes`;
  return undefined;
}

function checkedPath(path: string): string {
  const problem = artifactPathProblem(path);
  if (problem) throw new LabbookError(problem, "BAD_USER_INPUT", "rejected");
  return path;
}

/** `folder/name`, or `name` without a folder. */
const joinArtifactPath = (folder: string | undefined, name: string) =>
  folder ? `${folder.replace(/\/+$/, "")}/${name}` : name;

/** The size of a local file to upload; a `BAD_USER_INPUT` LabbookError when it cannot be read. */
async function localFileSize(file: string, what: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error(`${file} is not a file`);
    return info.size;
  } catch (error) {
    throw new LabbookError(`${what}: ${(error as Error).message}`, "BAD_USER_INPUT", "rejected", {
      cause: error,
    });
  }
}

/**
 * Optional hooks of one file's transfer.
 *
 * @example
 * await uploadArtifact(target, runId, "w.bin", { file: "w.bin" }, { onBytes: (n) => console.error(n) });
 */
export interface TransferOptions {
  /**
   * Hears how many bytes have moved so far; a retry starts again from 0 (read from the file,
   * for an upload: a little ahead of the network).
   */
  onBytes?: ((bytes: number) => void) | undefined;
}

/**
 * Optional hooks of a transfer of several files.
 *
 * @example
 * await logArtifactDir(target, runId, "out", "model", { onProgress: (p) => console.error(p.bytes) });
 */
export interface ManyTransferOptions {
  /** Hears how far the whole transfer has come, as bytes move and as each file is done. */
  onProgress?: ((progress: TransferProgress) => void) | undefined;
}

/** What to upload: a local file (streamed), or bytes already in memory. */
export type ArtifactSource =
  | { file: string }
  | { bytes: Uint8Array; contentType?: string | undefined };

/**
 * Uploads one file to a run (`PUT /artifacts/<run id>/<path>`), streaming it from disk; the
 * server answers with the size and SHA-256 it recorded.
 *
 * @example
 * await uploadArtifact(target, runId, "model/weights.bin", { file: "out/weights.bin" });
 */
export async function uploadArtifact(
  target: ArtifactTarget,
  runId: string,
  path: string,
  source: ArtifactSource,
  options: TransferOptions = {},
): Promise<ArtifactInfo> {
  checkedPath(path);
  const what = `artifact '${path}' of run ${runId} not stored`;
  const size = "file" in source ? await localFileSize(source.file, what) : undefined;
  const fileBody = (file: string) => {
    const body = createReadStream(file, { highWaterMark: 1024 * 1024 });
    const { onBytes } = options;
    let sent = 0;
    if (onBytes)
      body.on("data", (chunk) => {
        sent += chunk.length;
        onBytes(sent);
      });
    return body;
  };
  const response = await withRetries(target, what, (base, headers) =>
    sendArtifactRequest({
      method: "PUT",
      url: artifactUrl(base, runId, path),
      ...("file" in source
        ? {
            headers: { ...headers, "content-length": String(size) },
            body: fileBody(source.file),
          }
        : {
            headers: {
              ...headers,
              ...(source.contentType && { "content-type": source.contentType }),
            },
            body: source.bytes,
          }),
    }),
  );
  return JSON.parse(await answerText(response)) as ArtifactInfo;
}

/** Files under a local folder, recursively (symbolic links to files included), sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const full = join(entry.parentPath, entry.name);
    if (entry.isFile() || (entry.isSymbolicLink() && (await stat(full)).isFile())) files.push(full);
  }
  return files.sort();
}

/** Runs `work` on each item, a few at a time; rejects with the first failure. */
async function eachLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Uploads a local file as `<artifactPath>/<its name>` (or `<its name>`), as MLflow's
 * `log_artifact` does.
 *
 * @example
 * await logArtifactFile(target, runId, "out/model.bin", "checkpoints");
 */
export async function logArtifactFile(
  target: ArtifactTarget,
  runId: string,
  localPath: string,
  artifactPath?: string,
  options: ManyTransferOptions = {},
): Promise<ArtifactInfo> {
  if (artifactPath) checkedPath(artifactPath);
  const path = joinArtifactPath(artifactPath, basename(localPath));
  const { onProgress } = options;
  if (!onProgress) return uploadArtifact(target, runId, path, { file: localPath });
  const size = await localFileSize(localPath, `artifact '${path}' of run ${runId} not stored`);
  const tally = new ProgressTally(1, size, onProgress);
  const stored = await uploadArtifact(
    target,
    runId,
    path,
    { file: localPath },
    { onBytes: (bytes) => tally.moved(path, bytes) },
  );
  tally.done(path, stored.size);
  return stored;
}

/**
 * Uploads every file under a local folder, keeping their relative paths, under
 * `artifactPath` (or at the top), as MLflow's `log_artifacts` does; four at a time.
 *
 * @example
 * await logArtifactDir(target, runId, "out/model", "model");
 */
export async function logArtifactDir(
  target: ArtifactTarget,
  runId: string,
  localDir: string,
  artifactPath?: string,
  options: ManyTransferOptions = {},
): Promise<ArtifactInfo[]> {
  if (artifactPath) checkedPath(artifactPath);
  const uploads = (await filesUnder(localDir)).map((file) => ({
    file,
    path: checkedPath(
      joinArtifactPath(artifactPath, relative(localDir, file).split(sep).join("/")),
    ),
  }));
  const { onProgress } = options;
  if (!onProgress)
    return eachLimited(uploads, 4, ({ file, path }) =>
      uploadArtifact(target, runId, path, { file }),
    );
  const sizes = await Promise.all(uploads.map(({ file }) => stat(file).then((s) => s.size)));
  const tally = new ProgressTally(
    uploads.length,
    sizes.reduce((total, size) => total + size, 0),
    onProgress,
  );
  return eachLimited(uploads, 4, async ({ file, path }) => {
    const stored = await uploadArtifact(
      target,
      runId,
      path,
      { file },
      { onBytes: (bytes) => tally.moved(path, bytes) },
    );
    tally.done(path, stored.size);
    return stored;
  });
}

/** Files this large (or of unknown size) come over a socket of their own (socket-download.ts). */
const ownSocketBytes = 1024 * 1024;

/**
 * Downloads one file of a run to `localFile`, streaming, checked against the checksum the
 * server recorded; it appears whole (written beside it, then renamed) or not at all. The check
 * is the CRC-32 (`x-labbook-crc32`, as S3's CRC32 checksum: ~2.7 GB/s, so it costs the
 * download little), or the SHA-256 for a file recorded before labbook kept CRC-32s (a large
 * one hashed on a thread of its own, beside the writes). A file whose checksums the server is
 * still computing (a large upload just answered) comes without them and is not checked; a
 * mismatch rejects with a `BAD_RESPONSE` LabbookError naming the path and both values, and
 * leaves `localFile` as it was. A file of 1 MiB or more (or of unknown `size`) is read from a
 * socket of its own straight into 4 MiB buffers, for a fraction of the CPU of Node's HTTP
 * client; anything but a plain answer falls back to that client, which retries. `size` is
 * the file's size when known (a listing gives it); `onBytes` hears how much has come.
 *
 * @example
 * await downloadArtifactFile(target, runId, "model/weights.bin", "/tmp/weights.bin");
 */
export async function downloadArtifactFile(
  target: ArtifactTarget,
  runId: string,
  path: string,
  localFile: string,
  options: TransferOptions & { size?: number | undefined } = {},
): Promise<void> {
  checkedPath(path);
  const what = `artifact '${path}' of run ${runId} not downloaded`;
  await mkdir(dirname(localFile), { recursive: true });
  const part = join(dirname(localFile), `.labbook-${randomUUID()}.part`);
  const { size, onBytes } = options;
  try {
    const fast = size === undefined || size >= ownSocketBytes;
    const attempt = { target, runId, path, part, what, onBytes };
    if (!(fast && (await downloadOverOwnSocket(attempt)))) await downloadOverHttpClient(attempt);
    await rename(part, localFile);
  } catch (error) {
    await rm(part, { force: true });
    throw error;
  }
}

/** One file's download: where from, where to, and whom to tell how far it has come. */
interface DownloadAttempt {
  target: ArtifactTarget;
  runId: string;
  path: string;
  part: string;
  /** The start of an error's message: `artifact '…' of run … not downloaded`. */
  what: string;
  onBytes: ((bytes: number) => void) | undefined;
}

const mismatch = (what: string, checksum: string, actual: string, expected: string) =>
  new LabbookError(
    `${what}: its ${checksum} is ${actual}, the server recorded ${expected}`,
    "BAD_RESPONSE",
    "transient",
  );

/**
 * The download over a socket of its own, checked against the CRC-32; false when it is not
 * done that way (an https server, an answer that is not a plain 200, a file recorded with a
 * SHA-256 only, or a connection that failed: the HTTP client retries).
 */
async function downloadOverOwnSocket({
  target,
  runId,
  path,
  part,
  what,
  onBytes,
}: DownloadAttempt): Promise<boolean> {
  const url = new URL(artifactUrl(target.client.url, runId, path));
  if (url.protocol !== "http:") return false;
  let result: SocketDownloadResult;
  try {
    result = await downloadOverSocket(
      url,
      authorizationHeaders(target.client),
      part,
      (head) => {
        const { headers } = head;
        return (
          headers["x-labbook-crc32"] !== undefined || headers["x-labbook-sha256"] === undefined
        );
      },
      onBytes,
    );
  } catch {
    return false;
  }
  if (result.kind === "declined") return false;
  const expected = result.head.headers["x-labbook-crc32"];
  if (expected !== undefined && expected !== result.crc32)
    throw mismatch(what, "CRC-32", result.crc32, expected);
  return true;
}

/** The download through Node's HTTP client (with retries), checked as it arrives. */
async function downloadOverHttpClient({
  target,
  runId,
  path,
  part,
  what,
  onBytes,
}: DownloadAttempt): Promise<void> {
  const response = await withRetries(target, what, (base, headers) =>
    sendArtifactRequest({ method: "GET", url: artifactUrl(base, runId, path), headers }),
  );
  let received = 0;
  if (onBytes)
    response.on("data", (chunk: Buffer) => {
      received += chunk.length;
      onBytes(received);
    });
  // Absent while the server is still computing them (a large file just uploaded): nothing to
  // check, so nothing to work out.
  const expectedCrc32 = response.headers["x-labbook-crc32"];
  const expectedSha256 = response.headers["x-labbook-sha256"];
  const declared = Number(response.headers["content-length"]);
  try {
    const file = createWriteStream(part, { highWaterMark: 1024 * 1024 });
    if (typeof expectedCrc32 === "string") {
      const check = new Crc32PassThrough();
      await pipeline(response, check, file);
      if (check.digest() !== expectedCrc32)
        throw mismatch(what, "CRC-32", check.digest(), expectedCrc32);
    } else if (typeof expectedSha256 === "string") {
      const hasher = sha256PassThrough(Number.isSafeInteger(declared) ? declared : undefined);
      await pipeline(response, hasher, file);
      const actual = await hasher.digest();
      if (actual !== expectedSha256) throw mismatch(what, "SHA-256", actual, expectedSha256);
    } else await pipeline(response, file);
  } catch (error) {
    response.destroy();
    throw error;
  }
}

const listDoc = `query ($id: ID!, $path: String!) { run(id: $id) {
  artifact(path: $path) { path isDir size sha256 crc32 }
  artifacts(path: $path, recursive: true) { path isDir size sha256 crc32 } } }`;

interface ListData {
  run: { artifact: ArtifactEntry | null; artifacts: ArtifactEntry[] } | null;
}

/** The files a path names: the file itself, or every file under a folder ("" for all). */
async function filesAt(
  client: GraphQLClient,
  runId: string,
  path: string,
): Promise<ArtifactEntry[]> {
  const { run } = await client.request<ListData>(listDoc, { id: runId, path });
  if (!run)
    throw new LabbookError(`no run with id '${runId}' at ${client.url}`, "NOT_FOUND", "rejected");
  if (run.artifact && !run.artifact.isDir) return [run.artifact];
  if (path !== "" && run.artifacts.length === 0)
    throw new LabbookError(`run ${runId} has no artifact '${path}'`, "NOT_FOUND", "rejected");
  return run.artifacts;
}

/**
 * Optional hooks of `downloadArtifactsWith`.
 *
 * @example
 * const options: DownloadOptions = { onFileDone: (file, p) => console.error(file.path, p.files) };
 */
export interface DownloadOptions extends ManyTransferOptions {
  /** Called once a file is whole on disk (files finish in any order, four at a time). */
  onFileDone?: ((file: ArtifactEntry, progress: TransferProgress) => void) | undefined;
}

/**
 * Downloads a run's artifact (a file, a folder, or all of them for `""`) into `dest`, where it
 * keeps its path: `dest/<path>`, as MLflow's `download_artifacts`; resolves with that local
 * path. Files are checked against their recorded CRC-32 (or SHA-256). `onProgress` hears how
 * far the whole download has come as the bytes arrive, `onFileDone` of each file once it is
 * written (for a progress line).
 *
 * @example
 * const local = await downloadArtifactsWith(target, runId, "model", "/tmp/run"); // "/tmp/run/model"
 */
export async function downloadArtifactsWith(
  target: ArtifactTarget,
  runId: string,
  path: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<string> {
  if (path !== "") checkedPath(path);
  const root = resolve(dest);
  const files = await filesAt(target.client, runId, path);
  const tally = new ProgressTally(
    files.length,
    files.reduce((total, file) => total + file.size, 0),
    options.onProgress,
  );
  await eachLimited(files, 4, async (file) => {
    const local = resolve(root, ...file.path.split("/"));
    // The server checks paths; a client never writes outside `dest`, whatever it is sent.
    if (!local.startsWith(root + sep))
      throw new LabbookError(
        `refusing to write '${file.path}' outside ${root}`,
        "BAD_RESPONSE",
        "rejected",
      );
    await downloadArtifactFile(target, runId, file.path, local, {
      size: file.size,
      onBytes: options.onProgress && ((bytes) => tally.moved(file.path, bytes)),
    });
    // Counted whether or not anyone hears of it here (`?.` would skip the count).
    const progress = tally.done(file.path, file.size);
    options.onFileDone?.(file, progress);
  });
  return path === "" ? root : resolve(root, ...path.split("/"));
}

/**
 * Where the top-level artifact functions send requests.
 *
 * @example
 * await downloadArtifacts(runId, "model", "out", { trackingUri: "http://127.0.0.1:4000" } satisfies ArtifactOptions);
 */
export interface ArtifactOptions {
  /** A labbook server (`LABBOOK_TRACKING_URI`); else the owner of `./labbook.db`. */
  trackingUri?: string;
  /** API token (`LABBOOK_TOKEN`). */
  token?: string;
  /** How long to keep trying a server that is away (default 60,000 ms). */
  retryForMs?: number;
}

/** Where registry and artifact requests go: a tracking URI, else the owner of ./labbook.db. */
export async function targetFor(options: ArtifactOptions): Promise<ArtifactTarget> {
  const token = options.token ?? (process.env.LABBOOK_TOKEN?.trim() || undefined);
  const trackingUri =
    options.trackingUri ?? (process.env.LABBOOK_TRACKING_URI?.trim() || undefined);
  // A server started here is stopped when the process ends, by the exit hooks.
  if (!trackingUri) installExitHooks();
  const dbPath = resolve("labbook.db");
  const client = trackingUri
    ? new GraphQLClient({ url: trackingUri, token })
    : new GraphQLClient({
        url: await embeddedServerUrl(dbPath, token),
        token,
        rediscover: () => embeddedServerUrl(dbPath, token),
      });
  return { client, retryForMs: options.retryForMs ?? 60_000, maxRetryDelayMs: 5000 };
}

/**
 * Downloads a run's artifacts — one file, a folder, or all of them (`""`) — into `dest`,
 * where each keeps its path (`dest/<path>`, as MLflow's `download_artifacts`), and resolves
 * with the local path of what was asked for. Streams each file to disk and checks it against
 * the CRC-32 the server recorded (the SHA-256 for files recorded before labbook kept CRC-32s).
 *
 * @example
 * import { downloadArtifacts } from "labbook";
 *
 * const modelDir = await downloadArtifacts(runId, "model", "./downloads"); // "./downloads/model"
 */
export async function downloadArtifacts(
  runId: string,
  path: string,
  dest: string,
  options: ArtifactOptions & ManyTransferOptions = {},
): Promise<string> {
  return downloadArtifactsWith(await targetFor(options), runId, path ?? "", dest, {
    onProgress: options.onProgress,
  });
}

/**
 * A folder of a run's artifacts: its files and subfolders (`recursive`: every file under it).
 *
 * @example
 * import { listArtifacts } from "labbook";
 *
 * for (const entry of await listArtifacts(runId)) console.log(entry.path, entry.isDir, entry.size);
 */
export async function listArtifacts(
  runId: string,
  path = "",
  options: ArtifactOptions & { recursive?: boolean } = {},
): Promise<ArtifactEntry[]> {
  if (path !== "") checkedPath(path);
  const { client } = await targetFor(options);
  const data = await client.request<{ run: { artifacts: ArtifactEntry[] } | null }>(
    "query ($id: ID!, $path: String!, $recursive: Boolean) { run(id: $id) { artifacts(path: $path, recursive: $recursive) { path isDir size sha256 crc32 } } }",
    { id: runId, path, recursive: options.recursive ?? false },
  );
  if (!data.run)
    throw new LabbookError(`no run with id '${runId}' at ${client.url}`, "NOT_FOUND", "rejected");
  return data.run.artifacts;
}
