import { parseOrderClause } from "../../search/index.ts";
import { toNumber } from "../charts/data.ts";
import type { SnapshotExperiment, SnapshotRun } from "../snapshot/types.ts";

/** The experiment tag naming its main metric, as an ordering clause: `metrics.accuracy DESC`. */
export const mainMetricTag = "labbook.mainMetric";

/** The metric an experiment is judged by, and which way is better. */
export interface MainMetric {
  key: string;
  /** Whether larger is better. */
  maximize: boolean;
  /** Where the choice came from, for the page: the tag, or the metric's name. */
  from: "tag" | "name";
}

const maximized = /acc|accuracy|auc|f1|precision|recall|score|iou|map|bleu|rouge|r2/i;
const minimized = /loss|error|err\b|mse|mae|rmse|perplexity/i;

/** Whether a metric's name says higher is better (named like accuracy, not like a loss). */
export const maximizedByName = (key: string): boolean =>
  maximized.test(key) && !minimized.test(key);

/**
 * The main metric: the experiment's `labbook.mainMetric` tag when it names a metric
 * (`metrics.val_acc DESC`), else a metric named like accuracy (maximized), else one named like
 * a loss (minimized); validation metrics (`val_…`) first. Undefined when none fits.
 */
export function mainMetricOf(experiment: SnapshotExperiment): MainMetric | undefined {
  const tag = experiment.tags.find((one) => one.key === mainMetricTag)?.value;
  if (tag) {
    try {
      const clause = parseOrderClause(tag);
      if (clause.kind === "metric")
        return { key: clause.key, maximize: clause.descending, from: "tag" };
    } catch {
      // A tag that does not parse is ignored; the page falls back to the names.
    }
  }
  const keys = [...new Set(experiment.runs.flatMap((run) => run.metrics.map((m) => m.key)))];
  const byPreference = (list: string[]) =>
    list.sort(
      (a, b) =>
        Number(/^val|valid|test/i.test(b)) - Number(/^val|valid|test/i.test(a)) ||
        a.localeCompare(b),
    );
  const max = byPreference(keys.filter(maximizedByName))[0];
  if (max) return { key: max, maximize: true, from: "name" };
  const min = byPreference(keys.filter((key) => minimized.test(key)))[0];
  if (min) return { key: min, maximize: false, from: "name" };
  return undefined;
}

/** A run's final value of a metric, NaN when absent or not finite. */
export const finalValue = (run: SnapshotRun, key: string): number =>
  toNumber(run.metrics.find((metric) => metric.key === key)?.last);

/** Runs best first by the main metric (runs without a value last), else newest first. */
export function rankRuns(
  runs: readonly SnapshotRun[],
  main: MainMetric | undefined,
): SnapshotRun[] {
  if (!main) return [...runs].sort((a, b) => b.startTime - a.startTime);
  const score = (run: SnapshotRun) => {
    const value = finalValue(run, main.key);
    return Number.isFinite(value) ? (main.maximize ? value : -value) : Number.NEGATIVE_INFINITY;
  };
  return [...runs].sort((a, b) => score(b) - score(a) || b.startTime - a.startTime);
}

/** The best run by the main metric, with its value; undefined when no run has one. */
export function bestRun(experiment: SnapshotExperiment, main: MainMetric | undefined) {
  if (!main) return undefined;
  const [best] = rankRuns(experiment.runs, main);
  const value = best ? finalValue(best, main.key) : Number.NaN;
  return best && Number.isFinite(value) ? { run: best, value } : undefined;
}

/** The newest time anything happened in an experiment: a run's start, end or last point. */
export function lastActivity(experiment: SnapshotExperiment): number {
  let last = experiment.lastUpdateTime;
  for (const run of experiment.runs) {
    last = Math.max(last, run.startTime, run.endTime ?? 0);
    for (const metric of run.metrics) last = Math.max(last, metric.lastTimestamp);
  }
  return last;
}
