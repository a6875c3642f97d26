/**
 * A thread that writes charts' files (chart-pool.ts starts it): drawing a chart in Node —
 * Vega's dataflow, the SVG, resvg's raster and the PNG — is the heaviest part of a report, and
 * charts are independent, so each core draws its share.
 */
import { parentPort } from "node:worker_threads";
import { type ChartFilesTask, writeChartFilesOf } from "./chart-files.ts";

/** What the pool sends: a chart's files to write. */
export interface ChartJob {
  id: number;
  task: ChartFilesTask;
}

/** The answer, once the files are written (or why they could not be). */
export type ChartJobReply = { id: number } | { id: number; error: string };

const port = parentPort;
if (!port) throw new Error("chart-worker.ts runs as a worker thread");
port.on("message", (job: ChartJob) => {
  writeChartFilesOf(job.task).then(
    () => port.postMessage({ id: job.id } satisfies ChartJobReply),
    (error: unknown) =>
      port.postMessage({
        id: job.id,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies ChartJobReply),
  );
});
