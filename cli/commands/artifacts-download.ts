import { statSync } from "node:fs";
import {
  type ArtifactTarget,
  type DownloadProgress,
  downloadArtifactsWith,
} from "../../client/artifacts.ts";
import { formatBytes } from "../../site/lib/format.ts";
import { printJson } from "../output.ts";
import { UsageError } from "../usage-error.ts";

/** What `labbook artifacts download --json` prints. */
export interface DownloadSummary {
  /** The local path of what was asked for: `<dest>/<path>`, absolute. */
  path: string;
  files: number;
  bytes: number;
}

/**
 * `3/12 files, 1.2 MB of 40.0 MB`: how far a download has come.
 *
 * @example
 * progressText({ files: 3, totalFiles: 12, bytes: 1.2e6, totalBytes: 4e7 });
 */
export const progressText = (p: DownloadProgress): string =>
  `${p.files}/${p.totalFiles} file${p.totalFiles === 1 ? "" : "s"}, ${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}`;

/**
 * A line on a terminal's stderr that rewrites itself: at most ten times a second, and once
 * more at the end. It writes nothing to a pipe or a file, where the lines would only pile up.
 */
function progressLine(stream: NodeJS.WriteStream) {
  let shownAt = 0;
  let shown = false;
  return {
    update(progress: DownloadProgress) {
      const now = Date.now();
      if (progress.files < progress.totalFiles && now - shownAt < 100) return;
      shownAt = now;
      shown = true;
      stream.write(`\r\x1b[Kdownloading ${progressText(progress)}`);
    },
    end() {
      if (shown) stream.write("\n");
    },
  };
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
  const line = !options.json && process.stderr.isTTY ? progressLine(process.stderr) : undefined;
  let last: DownloadProgress = { files: 0, totalFiles: 0, bytes: 0, totalBytes: 0 };
  let local: string;
  try {
    local = await downloadArtifactsWith(target, runId, path, options.dest, {
      onFileDone: (_file, progress) => {
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
