import type { ArtifactEntry, ArtifactTarget } from "../../client/artifacts.ts";
import { formatBytes } from "../../site/lib/format.ts";
import { GraphQLRequestError } from "../graphql-request-error.ts";
import { printJson, printTable } from "../output.ts";
import { noRun } from "./artifacts-target.ts";

const entryFields = "path isDir size sha256 crc32";

const listDoc = `query ($id: ID!, $path: String!, $recursive: Boolean) { run(id: $id) {
  artifact(path: $path) { ${entryFields} }
  artifacts(path: $path, recursive: $recursive) { ${entryFields} } } }`;

interface ListData {
  run: { artifact: ArtifactEntry | null; artifacts: ArtifactEntry[] } | null;
}

/**
 * The entries at `path`: a folder's (or, `recursive`, every file under it), or the one file a
 * path names, which the API's folder listing leaves empty.
 *
 * @example
 * const entries = await artifactEntries(target, runId, "model", false);
 */
export async function artifactEntries(
  target: ArtifactTarget,
  runId: string,
  path: string,
  recursive: boolean,
): Promise<ArtifactEntry[]> {
  const { run } = await target.client.request<ListData>(listDoc, { id: runId, path, recursive });
  if (!run) throw noRun(target, runId);
  if (path === "") return run.artifacts;
  if (!run.artifact)
    throw new GraphQLRequestError(
      `run ${runId} has no artifact '${path}'; see 'labbook artifacts list ${runId}'`,
      "NOT_FOUND",
    );
  return run.artifact.isDir ? run.artifacts : [run.artifact];
}

/** A SHA-256 for a table: enough digits to tell files apart, or why there is none yet. */
export const shortSha256 = (sha256: string | null, isDir = false): string =>
  isDir ? "" : sha256 === null ? "pending" : sha256.slice(0, 12);

/** Prints a run's artifacts at `path`: a table (folders end in `/`), or the entries as JSON. */
export async function listArtifactsCommand(
  target: ArtifactTarget,
  runId: string,
  path: string,
  options: { recursive: boolean; json: boolean },
): Promise<void> {
  const entries = await artifactEntries(target, runId, path, options.recursive);
  if (options.json) return printJson(entries);
  if (entries.length === 0) {
    console.log(`(no artifacts${path ? ` under '${path}'` : ""})`);
    return;
  }
  printTable(
    ["PATH", "SIZE", "SHA256"],
    entries.map((entry) => [
      entry.isDir ? `${entry.path}/` : entry.path,
      formatBytes(entry.size),
      shortSha256(entry.sha256, entry.isDir),
    ]),
  );
}
