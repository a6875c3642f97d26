import type { Readable } from "node:stream";
import {
  type ArtifactStores,
  type ByteRange,
  contentTypeFor,
  crc32Hex,
  isArtifactStoreError,
  type StoredArtifact,
  validateArtifactPath,
} from "../artifact-store/index.ts";
import {
  type Db,
  getArtifactRecord,
  getRun,
  isStoreError,
  recordArtifact,
  runForUpload,
} from "../db/index.ts";
import { recordChecksumsWhenHashed } from "./artifact-hashing.ts";
import { type ErrorLogger, graphqlCodeByKind } from "./errors.ts";
import { statusByKind } from "./http-errors.ts";

/** Files of runs: `PUT` and `GET /artifacts/<run id>/<path>`. */
export const artifactsPath = "/artifacts";

/**
 * A body of at most this many bytes is hashed as it arrives, and its upload answered with its
 * SHA-256 and CRC-32; a larger one is hashed on another thread, beside the upload, and its
 * checksums may come after the answer (`artifact-hashing.ts`).
 */
export const inlineHashBytes = 8 * 1024 * 1024;

export interface ArtifactHttpOptions {
  db: Db;
  stores: ArtifactStores;
  /** Largest artifact an upload may carry, in bytes. */
  maxArtifactBytes: number;
  logger: ErrorLogger;
}

/**
 * An artifact request, whoever carries it: the Node server (artifacts-node.ts, the fast road)
 * or a fetch `Request` (artifacts-fetch.ts, for `app.fetch`).
 */
export interface ArtifactRequest {
  method: string;
  pathname: string;
  header(name: string): string | undefined;
  /** The body as a Node stream; read by uploads only. */
  body(): Readable;
  /** Whether the client went away. */
  aborted(): boolean;
}

/** The answer, for the carrier to send: JSON, a stream of a file's bytes, or no body. */
export interface ArtifactReply {
  status: number;
  headers: Record<string, string>;
  json?: unknown;
  stream?: Readable;
}

const artifactStatus = { invalid: 400, not_found: 404, too_large: 413, unavailable: 503 } as const;
const artifactCode = {
  invalid: "BAD_USER_INPUT",
  not_found: "NOT_FOUND",
  too_large: "PAYLOAD_TOO_LARGE",
  unavailable: "SERVICE_UNAVAILABLE",
} as const;

/** A GraphQL-shaped JSON error, as the API's other routes answer. */
export const errorReply = (
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): ArtifactReply => ({
  status,
  headers,
  json: { errors: [{ message, extensions: { code } }] },
});

function failure(
  error: unknown,
  request: ArtifactRequest,
  logger: ErrorLogger,
  what: string,
): ArtifactReply {
  if (isStoreError(error))
    return errorReply(statusByKind[error.kind], graphqlCodeByKind[error.kind], error.message);
  if (isArtifactStoreError(error))
    return errorReply(
      artifactStatus[error.kind],
      artifactCode[error.kind],
      error.message,
      error.kind === "too_large" ? { connection: "close" } : {},
    );
  // A client that went away mid-upload is not the server's failure; it hears nothing anyway.
  if (!request.aborted()) logger.error(`unexpected error while ${what}`, error);
  return errorReply(
    500,
    "INTERNAL_SERVER_ERROR",
    `${what} failed unexpectedly; the server's log has the cause.`,
  );
}

/** `<run id>` and the decoded `<path>` of `/artifacts/<run id>/<path>`. */
function parseTarget(pathname: string): { runId: string; path: string } | ArtifactReply {
  const rest = pathname.slice(artifactsPath.length + 1);
  const slash = rest.indexOf("/");
  const runId = slash < 0 ? rest : rest.slice(0, slash);
  let path: string;
  try {
    path = slash < 0 ? "" : decodeURIComponent(rest.slice(slash + 1));
  } catch {
    return errorReply(400, "BAD_USER_INPUT", "The artifact path is not valid percent-encoding.");
  }
  if (!path)
    return errorReply(
      400,
      "BAD_USER_INPUT",
      `Name a file: ${artifactsPath}/<run id>/<path>. A run's artifacts are listed by GraphQL: run(id) { artifacts(path) { path isDir size } }.`,
    );
  return { runId, path };
}

/**
 * `/artifacts/<run id>/<path>`: `PUT` streams a body into the run's artifact store (replacing
 * a file at that path) and records its size, SHA-256, CRC-32 and content type; `GET` and
 * `HEAD` serve a file with its content type, length, ETag (the SHA-256), `x-labbook-crc32`
 * (the whole file's, so not on a range) and single byte ranges. Bodies are streamed both ways,
 * never held whole. The caller has checked the token.
 */
export async function answerArtifactRequest(
  request: ArtifactRequest,
  options: ArtifactHttpOptions,
): Promise<ArtifactReply> {
  const method = request.method;
  if (method !== "PUT" && method !== "GET" && method !== "HEAD")
    return errorReply(
      405,
      "METHOD_NOT_ALLOWED",
      `Use PUT to upload and GET to download ${artifactsPath}/<run id>/<path>.`,
      { allow: "GET, HEAD, PUT" },
    );
  const target = parseTarget(request.pathname);
  if ("status" in target) return target;
  try {
    validateArtifactPath(target.path);
  } catch (error) {
    return failure(error, request, options.logger, "reading the path");
  }
  return method === "PUT" ? upload(request, target, options) : download(request, target, options);
}

async function upload(
  request: ArtifactRequest,
  { runId, path }: { runId: string; path: string },
  { db, stores, maxArtifactBytes, logger }: ArtifactHttpOptions,
): Promise<ArtifactReply> {
  const declared = request.header("content-length");
  const size = declared === undefined ? undefined : Number(declared);
  if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0))
    return errorReply(400, "BAD_USER_INPUT", `content-length: '${declared}' is not a size.`);
  if (size !== undefined && size > maxArtifactBytes)
    return errorReply(
      413,
      "PAYLOAD_TOO_LARGE",
      `The artifact is ${size} bytes; this server takes artifacts of at most ${maxArtifactBytes} bytes.`,
      { connection: "close" },
    );
  let storeUri: string | undefined;
  try {
    const run = await runForUpload(db, runId, path);
    // An experiment may name any location (createExperiment's artifactLocation); the server
    // writes only under its own root, or anyone with the token could add files anywhere it can.
    if (!isUnder(run.artifactUri, db.artifactRoot))
      return errorReply(
        403,
        "FORBIDDEN",
        `run '${runId}' keeps its artifacts at ${run.artifactUri}, outside this server's artifact root ${db.artifactRoot}; the server stores uploads under its root only (start it with --artifacts naming that location to upload there)`,
      );
    const store = stores.open(run.artifactUri);
    storeUri = store.uri;
    const { checksumsLater, ...stored } = await store.writeHashingAside(path, request.body(), {
      contentType: request.header("content-type"),
      maxBytes: maxArtifactBytes,
      size,
      inlineHashBytes,
    });
    let record: Awaited<ReturnType<typeof recordArtifact>>;
    try {
      record = await recordArtifact(db, { runId, ...stored });
    } catch (error) {
      // The run was deleted or collected while the body streamed: keep no file behind.
      await store.delete(path).catch(() => {});
      throw error;
    }
    if (checksumsLater)
      recordChecksumsWhenHashed(
        { db, logger },
        { runId, path, lastModified: record.lastModified, size: stored.size },
        checksumsLater,
      );
    return {
      status: 201,
      headers: { location: artifactUrlPath(runId, path) },
      json: uploadAnswer(stored),
    };
  } catch (error) {
    return failure(error, request, logger, `storing '${path}' in ${storeUri ?? `run ${runId}`}`);
  }
}

/**
 * The JSON a `PUT` answers: `{ path, size, sha256, crc32, contentType }`, the CRC-32 as
 * `x-labbook-crc32` shows it; both checksums null while the hash thread computes them.
 */
function uploadAnswer(stored: Omit<StoredArtifact, "checksumsLater">) {
  return {
    path: stored.path,
    size: stored.size,
    sha256: stored.sha256,
    crc32: stored.crc32 === null ? null : crc32Hex(stored.crc32),
    contentType: stored.contentType,
  };
}

/** Whether `uri` names a location inside the folder or prefix `root`. */
export const isUnder = (uri: string, root: string): boolean =>
  uri.startsWith(`${root.replace(/\/+$/, "")}/`);

/** `/artifacts/<run id>/<path>`, each segment percent-encoded. */
export function artifactUrlPath(runId: string, path: string): string {
  return `${artifactsPath}/${runId}/${path.split("/").map(encodeURIComponent).join("/")}`;
}

/**
 * The one byte range a `Range` header asks for, "unsatisfiable", or undefined to send the
 * whole file (no header, several ranges, or one this parser does not take).
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | "unsatisfiable" | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return undefined;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end: last === "" ? size - 1 : Math.min(Number(last), size - 1) };
}

async function download(
  request: ArtifactRequest,
  { runId, path }: { runId: string; path: string },
  { db, stores, logger }: ArtifactHttpOptions,
): Promise<ArtifactReply> {
  try {
    const run = await getRun(db, runId);
    if (!run) return errorReply(404, "NOT_FOUND", `no run with id '${runId}'`);
    const store = stores.open(run.artifactUri);
    const [stat, record] = await Promise.all([
      store.stat(path),
      getArtifactRecord(db, runId, path),
    ]);
    if (!stat)
      return errorReply(
        404,
        "NOT_FOUND",
        `run '${runId}' has no artifact file '${path}' (a folder's files are listed by GraphQL: run { artifacts(path) })`,
      );
    // While a large upload's SHA-256 is being computed, the file goes without an ETag. A record
    // of another size than the file's describes another content: its checksums are not sent.
    const recorded = record !== undefined && record.size === stat.size ? record : undefined;
    const sha256 = recorded?.sha256 || undefined;
    const crc32 = recorded?.crc32 ?? undefined;
    const etag = sha256 && `"${sha256}"`;
    const headers: Record<string, string> = {
      "content-type": record?.contentType ?? contentTypeFor(path),
      "accept-ranges": "bytes",
      "last-modified": new Date(stat.lastModified).toUTCString(),
      "content-disposition": `inline; filename*=UTF-8''${encodeURIComponent(path.slice(path.lastIndexOf("/") + 1))}`,
      // Artifacts are whatever runs uploaded: never run them as a page of this origin.
      "content-security-policy": "sandbox",
      "x-content-type-options": "nosniff",
      ...(etag && sha256 && { etag, "x-labbook-sha256": sha256 }),
    };
    const ifRange = request.header("if-range");
    const range =
      ifRange && ifRange !== etag ? undefined : parseRange(request.header("range"), stat.size);
    if (range === "unsatisfiable")
      return errorReply(
        416,
        "RANGE_NOT_SATISFIABLE",
        `The range is outside the file (${stat.size} bytes).`,
        { "content-range": `bytes */${stat.size}` },
      );
    const status = range ? 206 : 200;
    const length = range ? range.end - range.start + 1 : stat.size;
    headers["content-length"] = String(length);
    if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${stat.size}`;
    // The whole file's CRC-32: a part's bytes cannot be checked against it.
    else if (crc32 !== undefined) headers["x-labbook-crc32"] = crc32Hex(crc32);
    if (request.method === "HEAD" || length === 0) return { status, headers };
    return { status, headers, stream: await store.read(path, range) };
  } catch (error) {
    return failure(error, request, logger, `reading '${path}' of run ${runId}`);
  }
}
