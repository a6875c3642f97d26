import { availableParallelism } from "node:os";
import { join } from "node:path";
import { type ChartEntry, experimentCharts, runCharts } from "../lib/chart-catalog.ts";
import { comparisonCharts } from "../lib/comparison-charts.ts";
import { mainMetricOf } from "../lib/main-metric.ts";
import { relativeUrl } from "../lib/paths.ts";
import type { Snapshot } from "../snapshot/types.ts";
import type { ChartFilesTask } from "./chart-files.ts";
import { ChartPool } from "./chart-pool.ts";

export { chartPageHtml, type VegaRuntime } from "./chart-page.ts";

/**
 * Every chart of a report, in the order they are written, made one at a time: a chart's rows
 * are made when it is written, so a report of many runs holds a few charts' data at once.
 */
export function* reportCharts(snapshot: Snapshot): Generator<ChartEntry> {
  for (const experiment of snapshot.experiments) {
    yield* experimentCharts(experiment, mainMetricOf(experiment));
    for (const run of experiment.runs) yield* runCharts(run);
  }
  for (const comparison of snapshot.comparisons ?? []) yield* comparisonCharts(comparison);
}

/** A thread per core, up to 8: each holds its own Vega and resvg (some 60 MB). */
const defaultThreads = () => Math.min(availableParallelism(), 8);

/** What a chart thread needs to write a chart's files under `outDir`. */
export function chartFilesTask(chart: ChartEntry, outDir: string): ChartFilesTask {
  return {
    path: join(outDir, chart.base),
    title: chart.title,
    spec: chart.spec,
    drawing: chart.drawing,
    rows: chart.fileRows(),
    assets: relativeUrl(`${chart.base}.html`, "assets/"),
  };
}

/**
 * Writes each chart as `<base>.vl.json`, `.svg`, `.png` and `.html` under `outDir` (an absolute
 * path), on a thread per core; returns how many. `signal` stops it (the promise rejects).
 */
export async function writeChartFiles(
  snapshot: Snapshot,
  outDir: string,
  options: {
    progress?: (done: number, total: number) => void;
    signal?: AbortSignal;
    threads?: number;
  } = {},
): Promise<number> {
  let total = 0;
  for (const _ of reportCharts(snapshot)) total += 1;
  if (total === 0) return 0;
  const pool = new ChartPool(Math.min(options.threads ?? defaultThreads(), total));
  const stop = () => void pool.close();
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    let done = 0;
    let failure: unknown;
    const written: Promise<void>[] = [];
    for (const chart of reportCharts(snapshot)) {
      await pool.room();
      options.signal?.throwIfAborted();
      if (failure) break;
      written.push(
        pool.write(chartFilesTask(chart, outDir)).then(
          () => {
            done += 1;
            options.progress?.(done, total);
          },
          (error: unknown) => {
            failure ??= error;
          },
        ),
      );
    }
    await Promise.all(written);
    options.signal?.throwIfAborted();
    if (failure) throw failure;
    return total;
  } finally {
    options.signal?.removeEventListener("abort", stop);
    await pool.close();
  }
}
