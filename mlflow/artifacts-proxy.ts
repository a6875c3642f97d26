import { Readable } from "node:stream";
import { contentTypeFor, validateArtifactPath } from "../artifact-store/index.ts";
import {
  checkUpload,
  indexedFile,
  listFolder,
  type ProxyTarget,
  parseProxyPath,
  proxyPathHelp,
  recordUpload,
  requireOwner,
} from "./artifact-owners.ts";
import { doesNotExist, invalidParameter, MlflowError } from "./errors.ts";
import type { MlflowContext } from "./route.ts";
import { fileInfoJson } from "./serialize.ts";

/**
 * MLflow's artifact proxy (`mlflow server --serve-artifacts`): `PUT` and `GET`
 * `/mlflow-artifacts/artifacts/<path>` upload and download one file, streamed both ways;
 * `GET /mlflow-artifacts/artifacts?path=<folder>` lists a folder. Files are written to and read
 * from the owner's artifact store and indexed as the `/artifacts/` route indexes them.
 */
export const proxyPrefix = "/mlflow-artifacts/artifacts";

/** The owner and path a proxy path names (decoded; leading and trailing slashes ignored). */
function target(context: MlflowContext, proxyPath: string): ProxyTarget {
  const path = proxyPath.replace(/^\/+/, "").replace(/\/+$/, "");
  const parsed = parseProxyPath(path, context.db.artifactRoot);
  if (!parsed) throw doesNotExist(`No artifacts at '${path}': ${proxyPathHelp}`);
  return parsed;
}

/** Lists `?path=<folder>`: the folder's files and folders by their names, as MLflow's proxy does. */
export async function listProxyFolder(context: MlflowContext, url: URL): Promise<Response> {
  const { owner, path } = target(context, url.searchParams.get("path") ?? "");
  await requireOwner(context, owner);
  const entries = await listFolder(context, owner, path);
  const prefix = path === "" ? "" : `${path}/`;
  const files = entries.map((entry) =>
    fileInfoJson({ ...entry, path: entry.path.slice(prefix.length) }),
  );
  return Response.json(files.length > 0 ? { files } : {});
}

/** A path from the URL, percent-decoded. */
function decoded(encodedPath: string): string {
  try {
    return decodeURIComponent(encodedPath);
  } catch {
    throw invalidParameter("The artifact path is not valid percent-encoding.");
  }
}

export async function uploadThroughProxy(
  context: MlflowContext,
  request: Request,
  encodedPath: string,
): Promise<Response> {
  const { owner, path } = target(context, decoded(encodedPath));
  validateArtifactPath(path);
  const declared = request.headers.get("content-length");
  const size = declared === null ? undefined : Number(declared);
  if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0))
    throw invalidParameter(`content-length: '${declared}' is not a size.`);
  if (size !== undefined && size > context.maxArtifactBytes)
    throw new MlflowError(
      "INVALID_PARAMETER_VALUE",
      `The artifact is ${size} bytes; this server takes artifacts of at most ${context.maxArtifactBytes} bytes.`,
      413,
    );
  await requireOwner(context, owner);
  await checkUpload(context, owner, path);
  const store = context.stores.open(owner.location);
  const written = await store.write(path, request.body ?? "", {
    contentType: request.headers.get("content-type") ?? undefined,
    maxBytes: context.maxArtifactBytes,
    size,
  });
  try {
    await recordUpload(context, owner, written);
  } catch (error) {
    // The owner was deleted while the body streamed: keep no file behind.
    await store.delete(path).catch(() => {});
    throw error;
  }
  return Response.json({});
}

export async function downloadThroughProxy(
  context: MlflowContext,
  encodedPath: string,
): Promise<Response> {
  const { owner, path } = target(context, decoded(encodedPath));
  validateArtifactPath(path);
  await requireOwner(context, owner);
  const store = context.stores.open(owner.location);
  const [stat, record] = await Promise.all([store.stat(path), indexedFile(context, owner, path)]);
  if (!stat)
    throw doesNotExist(`No file '${path}' in the artifacts of ${owner.kind} '${owner.id}'`);
  const headers: Record<string, string> = {
    "content-type": record?.contentType ?? contentTypeFor(path),
    "content-length": String(stat.size),
    "last-modified": new Date(stat.lastModified).toUTCString(),
    // Artifacts are whatever runs uploaded: never run them as a page of this origin.
    "content-security-policy": "sandbox",
    "x-content-type-options": "nosniff",
  };
  if (stat.size === 0) return new Response(null, { status: 200, headers });
  const body = await store.read(path);
  return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, { status: 200, headers });
}
