import { statSync } from "node:fs";
import {
  type ArtifactTarget,
  downloadArtifactsWith,
  type TransferProgress,
} from "../../client/artifacts.ts";
import { printJson } from "../output.ts";
import { progressLine } from "../progress-line.ts";
import { UsageError } from "../usage-error.ts";

/** What `labbook artifacts download --json` prints. */
export interface DownloadSummary {
  /** The local path of what was asked for: `<dest>/<path>`, absolute. */
  path: string;
  files: number;
  bytes: number;
}

/** The local folder to write into: created when missing, refused when it is something else. */
export function destination(dest: string): string {
  const info = statSync(dest, { throwIfNoEntry: false });
  if (info && !info.isDirectory())
    throw new UsageError(`--dest ${dest} is not a folder; give a folder to download into`);
  return dest;
}

/**
 * Downloads a run's artifacts at `path` ("" for all) into `<dest>/<path>` and prints that
 * local path (or a JSON summary); progress goes to stderr when it is a terminal.
 */
export async function downloadArtifactsCommand(
  target: ArtifactTarget,
  runId: string,
  path: string,
  options: { dest: string; json: boolean },
): Promise<void> {
  const line = progressLine("downloading", options.json);
  let last: TransferProgress = { files: 0, totalFiles: 0, bytes: 0, totalBytes: 0 };
  let local: string;
  try {
    local = await downloadArtifactsWith(target, runId, path, options.dest, {
      onProgress: (progress) => {
        last = progress;
        line?.update(progress);
      },
    });
  } finally {
    line?.end();
  }
  if (options.json) {
    const summary: DownloadSummary = { path: local, files: last.files, bytes: last.bytes };
    printJson(summary);
  } else console.log(local);
}
