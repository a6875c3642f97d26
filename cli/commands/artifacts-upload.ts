import { statSync } from "node:fs";
import {
  type ArtifactInfo,
  type ArtifactTarget,
  logArtifactDir,
  logArtifactFile,
} from "../../client/artifacts.ts";
import { formatBytes } from "../../site/lib/format.ts";
import { printJson, printTable } from "../output.ts";
import { progressLine } from "../progress-line.ts";
import { UsageError } from "../usage-error.ts";
import { shortSha256 } from "./artifacts-list.ts";
import { requireRun } from "./artifacts-target.ts";

/** What is to be uploaded, checked before any server is looked for. */
export function localKind(localPath: string): "file" | "folder" {
  const local = statSync(localPath, { throwIfNoEntry: false });
  if (!local)
    throw new UsageError(
      `no file or folder at ${localPath}; give a local file or folder to upload`,
    );
  if (local.isDirectory()) return "folder";
  if (local.isFile()) return "file";
  throw new UsageError(`${localPath} is neither a file nor a folder`);
}

/**
 * Stores a local file as `<artifactPath>/<its name>`, or a folder's files (recursively) under
 * `artifactPath` with their relative paths, as MLflow's `log_artifact(s)`; prints what the
 * server recorded. Progress goes to stderr when it is a terminal.
 */
export async function uploadArtifactsCommand(
  target: ArtifactTarget,
  runId: string,
  localPath: string,
  options: { artifactPath: string; json: boolean },
): Promise<void> {
  const kind = localKind(localPath);
  await requireRun(target, runId);
  const artifactPath = options.artifactPath || undefined;
  const line = progressLine("uploading", options.json);
  let stored: ArtifactInfo[];
  try {
    const onProgress = line?.update;
    stored =
      kind === "folder"
        ? await logArtifactDir(target, runId, localPath, artifactPath, { onProgress })
        : [await logArtifactFile(target, runId, localPath, artifactPath, { onProgress })];
  } finally {
    line?.end();
  }
  if (options.json) return printJson(stored);
  if (stored.length === 0) {
    console.log(`nothing stored: ${localPath} has no files`);
    return;
  }
  printTable(
    ["PATH", "SIZE", "SHA256"],
    stored.map((file) => [file.path, formatBytes(file.size), shortSha256(file.sha256)]),
  );
  const bytes = stored.reduce((total, file) => total + file.size, 0);
  console.log(
    `stored ${stored.length} file${stored.length === 1 ? "" : "s"} (${formatBytes(bytes)}) with run ${runId}`,
  );
}
