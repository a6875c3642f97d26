import type { TransferProgress } from "../client/transfer-progress.ts";
import { formatBytes } from "../site/lib/format.ts";

/**
 * `3/12 files, 1.2 MB of 40.0 MB`: how far a transfer has come.
 *
 * @example
 * progressText({ files: 3, totalFiles: 12, bytes: 1.2e6, totalBytes: 4e7 });
 */
export const progressText = (p: TransferProgress): string =>
  `${p.files}/${p.totalFiles} file${p.totalFiles === 1 ? "" : "s"}, ${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}`;

/**
 * A line on a terminal's stderr that rewrites itself (`downloading 3/12 files, …`): at most
 * ten times a second, and always once everything is done. Undefined when stderr is not a
 * terminal (a pipe or a file, where the lines would only pile up) or the output is JSON.
 *
 * @example
 * const line = progressLine("downloading", options.json);
 * try { await work({ onProgress: line?.update }); } finally { line?.end(); }
 */
export function progressLine(verb: string, json: boolean, stream = process.stderr) {
  if (json || !stream.isTTY) return undefined;
  let shownAt = 0;
  let shown = false;
  return {
    update: (progress: TransferProgress) => {
      const now = Date.now();
      const finished = progress.files === progress.totalFiles;
      if (!finished && now - shownAt < 100) return;
      shownAt = now;
      shown = true;
      stream.write(`\r\x1b[K${verb} ${progressText(progress)}`);
    },
    end: () => {
      if (shown) stream.write("\n");
    },
  };
}
