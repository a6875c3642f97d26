import { parseArgs } from "node:util";
import type { ArtifactTarget } from "../../client/artifacts.ts";
import { envHelp } from "../env.ts";
import { targetOptions } from "../graphql-target.ts";
import { UsageError } from "../usage-error.ts";
import { destination, downloadArtifactsCommand } from "./artifacts-download.ts";
import { listArtifactsCommand } from "./artifacts-list.ts";
import { artifactPathArg, artifactTargetHelp, openArtifactTarget } from "./artifacts-target.ts";
import { localKind, uploadArtifactsCommand } from "./artifacts-upload.ts";

const environmentHelp = `Environment (flags override):
${envHelp(["LABBOOK_TRACKING_URI", "LABBOOK_TOKEN", "LABBOOK_DB_URL", "LABBOOK_ARTIFACTS"])}`;

export const artifactsHelp = `Usage: labbook artifacts <list|download|upload> [options]

  labbook artifacts list <run id> [path] [--recursive] [--json]
                                  The files and folders of a run's artifacts (its top without
                                  a path), with their size and SHA-256.
  labbook artifacts download <run id> [path] [--dest <dir>] [--json]
                                  A file, a folder, or all of them (no path), written to
                                  <dest>/<path> (default dest: the current folder).
  labbook artifacts upload <run id> <local path> [artifact path] [--json]
                                  A file, or a folder's files (recursively), stored with the
                                  run under the artifact path.

Run 'labbook artifacts <list|download|upload> --help' for the details of each.

${artifactTargetHelp}
  --json                  Print JSON (for scripts).
  -h, --help              Show this help.

${environmentHelp}`;

const listHelp = `Usage: labbook artifacts list <run id> [path] [options]

Lists a folder of a run's artifacts (its top without a path) as a table: each file's path,
size and SHA-256 (its first 12 digits, or "pending" while the server still computes it),
and each folder, marked with a trailing '/', with the total size of the files under it.
A path that names a file lists that file. As 'mlflow artifacts list'.

Options:
  --recursive             Every file under the folder, instead of its direct entries.
${artifactTargetHelp}
  --json                  Print the entries as JSON: path, isDir, size, sha256, crc32.
  -h, --help              Show this help.

${environmentHelp}`;

const downloadHelp = `Usage: labbook artifacts download <run id> [path] [options]

Downloads a file, a folder, or all of a run's artifacts (no path) into a local folder, where
each file keeps its path: <dest>/<path>, as 'mlflow artifacts download'. Each file is
checked against the checksum the server recorded and appears whole or not at all; a file
already there is replaced. Prints the local path of what was asked for. In a terminal,
progress (files and bytes) goes to stderr.

Options:
  --dest <dir>            Where to write (default: the current folder); created if missing.
${artifactTargetHelp}
  --json                  Print {"path", "files", "bytes"} as JSON, and no progress.
  -h, --help              Show this help.

${environmentHelp}`;

const uploadHelp = `Usage: labbook artifacts upload <run id> <local path> [artifact path] [options]

Stores local files with a run, as MLflow's log_artifact and log_artifacts: a file becomes
<artifact path>/<its name>; a folder's files, found recursively, keep their paths under
<artifact path> (the folder's own name is not kept). Without an artifact path they go to
the top of the run's artifacts. A file already at a path is replaced. Prints what the server
stored; on a terminal, progress (files and bytes) goes to stderr.

${artifactTargetHelp}
  --json                  Print the stored files as JSON: path, size, sha256, crc32,
                          contentType (sha256 and crc32 are null for a large file whose
                          checksums the server is still computing), and no progress.
  -h, --help              Show this help.

${environmentHelp}`;

const actions = {
  list: { help: listHelp, options: ["recursive"] },
  download: { help: downloadHelp, options: ["dest"] },
  upload: { help: uploadHelp, options: [] },
} as const satisfies Record<string, { help: string; options: readonly string[] }>;

type Action = keyof typeof actions;

const isAction = (name: string): name is Action => Object.hasOwn(actions, name);

/** Usage of an action, for the error that says what is missing. */
const usageOf = (action: Action) => actions[action].help.split("\n")[0]?.replace("Usage: ", "");

export async function artifactsCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...targetOptions,
      recursive: { type: "boolean" },
      dest: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [action, runId, ...rest] = positionals;
  if (!action || (values.help && !isAction(action))) {
    console.log(artifactsHelp);
    return;
  }
  if (!isAction(action))
    throw new UsageError(`unknown action '${action}': use list, download or upload`);
  if (values.help) {
    console.log(actions[action].help);
    return;
  }
  const allowed: readonly string[] = actions[action].options;
  for (const [option, owner] of [
    ["recursive", "list"],
    ["dest", "download"],
  ] as const)
    if (values[option] !== undefined && !allowed.includes(option))
      throw new UsageError(
        `--${option} is an option of 'labbook artifacts ${owner}', not of ${action}`,
      );
  if (!runId)
    throw new UsageError(
      `labbook artifacts ${action} needs a run id: ${usageOf(action)}; see 'labbook runs list' for ids`,
    );
  const maxArgs = action === "upload" ? 2 : 1;
  if (rest.length > maxArgs) throw new UsageError(`unexpected argument '${rest[maxArgs]}'`);
  const json = values.json === true;
  // Everything is checked before a server is looked for (or started): a mistake costs nothing.
  if (action === "upload") {
    const [localPath, artifactPath] = rest;
    if (!localPath)
      throw new UsageError(
        `labbook artifacts upload needs a local file or folder after the run id: ${usageOf(action)}`,
      );
    localKind(localPath);
    const path = artifactPathArg(artifactPath);
    return withTarget(values, (target) =>
      uploadArtifactsCommand(target, runId, localPath, { artifactPath: path, json }),
    );
  }
  const path = artifactPathArg(rest[0]);
  if (action === "list")
    return withTarget(values, (target) =>
      listArtifactsCommand(target, runId, path, { recursive: values.recursive === true, json }),
    );
  const dest = destination(values.dest ?? ".");
  return withTarget(values, (target) =>
    downloadArtifactsCommand(target, runId, path, { dest, json }),
  );
}

/** Runs `work` against the server, then lets go of it (stopping it when started here). */
async function withTarget(
  values: Parameters<typeof openArtifactTarget>[0],
  work: (target: ArtifactTarget) => Promise<void>,
): Promise<void> {
  const { target, close } = await openArtifactTarget(values);
  try {
    await work(target);
  } finally {
    await close();
  }
}
