import type { WrittenArtifact } from "../artifact-store/index.ts";
import {
  artifactsByRunIds,
  findArtifactEntry,
  getArtifactRecord,
  getLoggedModel,
  getLoggedModelArtifactRecord,
  getRun,
  type IndexedFile,
  isLoggedModelId,
  listArtifactEntries,
  loggedModelArtifacts,
  loggedModelForUpload,
  recordArtifact,
  recordLoggedModelArtifact,
  runForUpload,
} from "../db/index.ts";
import { doesNotExist } from "./errors.ts";
import type { MlflowContext } from "./route.ts";

/**
 * Whose files a proxy path names. The proxy serves what MLflow clients address through it:
 * a run's files (`<experiment>/<run id>/artifacts/<path>`) and a logged model's
 * (`<experiment>/models/<model id>/artifacts/<path>`), each through its index in the store.
 */
export type ArtifactOwner =
  | { kind: "run"; id: string; location: string }
  | { kind: "model"; id: string; location: string };

export interface ProxyTarget {
  owner: ArtifactOwner;
  /** Relative to the owner's artifact folder; "" for the folder itself. */
  path: string;
}

/** Reads a proxy path (relative to the artifact root); undefined when it names neither kind of owner. */
export function parseProxyPath(path: string, artifactRoot: string): ProxyTarget | undefined {
  const segments = path.split("/");
  const root = artifactRoot.replace(/\/+$/, "");
  const [experiment, second, third, fourth] = segments;
  if (!experiment || !/^\d+$/.test(experiment)) return undefined;
  if (second && /^[0-9a-f]{32}$/.test(second) && third === "artifacts")
    return {
      owner: { kind: "run", id: second, location: `${root}/${segments.slice(0, 3).join("/")}` },
      path: segments.slice(3).join("/"),
    };
  if (second === "models" && third && isLoggedModelId(third) && fourth === "artifacts")
    return {
      owner: { kind: "model", id: third, location: `${root}/${segments.slice(0, 4).join("/")}` },
      path: segments.slice(4).join("/"),
    };
  return undefined;
}

export const proxyPathHelp =
  "labbook's artifact proxy serves runs' and logged models' files: <experiment id>/<run id>/artifacts/<path> or <experiment id>/models/<model id>/artifacts/<path>";

const ownerName = (owner: ArtifactOwner) =>
  owner.kind === "run" ? `run '${owner.id}'` : `logged model '${owner.id}'`;

/**
 * Checks that the owner exists and keeps its files where the path says (an experiment may
 * name another location, whose files are not under the proxy).
 */
export async function requireOwner(context: MlflowContext, owner: ArtifactOwner): Promise<void> {
  const found =
    owner.kind === "run"
      ? (await getRun(context.db, owner.id))?.artifactUri
      : (await getLoggedModel(context.db, owner.id))?.artifactLocation;
  if (found === undefined) throw doesNotExist(`No ${ownerName(owner)} found`);
  if (found !== owner.location)
    throw doesNotExist(`${ownerName(owner)} keeps its artifacts at ${found}, not under this path`);
}

/** Checks an upload before its body is read (the owner is active, the path can be a file). */
export async function checkUpload(
  context: MlflowContext,
  owner: ArtifactOwner,
  path: string,
): Promise<void> {
  if (owner.kind === "run") await runForUpload(context.db, owner.id, path);
  else await loggedModelForUpload(context.db, owner.id, path);
}

export async function recordUpload(
  context: MlflowContext,
  owner: ArtifactOwner,
  written: WrittenArtifact,
): Promise<void> {
  if (owner.kind === "run") await recordArtifact(context.db, { runId: owner.id, ...written });
  else await recordLoggedModelArtifact(context.db, { modelId: owner.id, ...written });
}

export function indexedFile(
  context: MlflowContext,
  owner: ArtifactOwner,
  path: string,
): Promise<IndexedFile | undefined> {
  return owner.kind === "run"
    ? getArtifactRecord(context.db, owner.id, path)
    : getLoggedModelArtifactRecord(context.db, owner.id, path);
}

async function indexedFiles(context: MlflowContext, owner: ArtifactOwner): Promise<IndexedFile[]> {
  return owner.kind === "run"
    ? ((await artifactsByRunIds(context.db, [owner.id])).get(owner.id) ?? [])
    : loggedModelArtifacts(context.db, owner.id);
}

/**
 * What a folder holds, paths relative to the owner's folder; empty for a file or a folder
 * with nothing in it (as MLflow lists them).
 */
export async function listFolder(
  context: MlflowContext,
  owner: ArtifactOwner,
  folder: string,
): Promise<{ path: string; isDir: boolean; size: number }[]> {
  const files = await indexedFiles(context, owner);
  const entry = findArtifactEntry(files, folder);
  if (!entry?.isDir) return [];
  return listArtifactEntries(files, folder).sort((a, b) => (a.path < b.path ? -1 : 1));
}
