import { minPagePoints, pagePointBudget } from "../lib/chart-catalog.ts";
import type { ComparisonSection, ComparisonSpec } from "./spec.ts";
/** Steps per group band (`metricGroups(maxPoints:)`). */
export const bandPoints = 300;
/** Curves the default page draws at most. */
const defaultCurves = 12;

/** What choosing sections needs of a run: its metrics and how many points each has. */
type RunMetricCounts = { metrics: readonly { key: string; count: number }[] };

/** Metrics logged at more than one step by some run: those that make curves. */
export function curveMetricKeys(runs: readonly RunMetricCounts[]): string[] {
  return [
    ...new Set(runs.flatMap((run) => run.metrics.filter((m) => m.count > 1).map((m) => m.key))),
  ].sort();
}

/**
 * The page's sections: the file's, or when it names none, the runs table, the params that
 * differ, and curves of the file's metrics (else of every metric with a curve).
 */
export function effectiveSections(
  spec: ComparisonSpec,
  runs: readonly RunMetricCounts[],
): ComparisonSection[] {
  if (spec.sections.length > 0) return spec.sections;
  const metrics = spec.metrics.length > 0 ? spec.metrics : curveMetricKeys(runs);
  return [
    { kind: "runs-table" },
    { kind: "params-diff" },
    ...metrics.slice(0, defaultCurves).map(
      (metric): ComparisonSection => ({
        kind: "curves",
        metric,
        x: "step",
        logY: false,
        title: null,
      }),
    ),
  ];
}

/** The metrics whose histories the page draws as curves. */
export const curveMetricsOf = (sections: readonly ComparisonSection[]): string[] => [
  ...new Set(sections.flatMap((section) => (section.kind === "curves" ? [section.metric] : []))),
];

/**
 * Points per history for `runs` runs drawing `metrics` curves: the page's budget (as an
 * experiment page's) shared out, at least `minPagePoints`, at most `cap` (`--max-points`).
 * The API downsamples to it, keeping each stretch's first, last, lowest and highest points.
 */
export function historyPointsFor(runs: number, metrics: number, cap: number): number {
  const share = Math.floor(pagePointBudget / Math.max(1, runs * metrics));
  return Math.max(2, Math.min(cap, Math.max(minPagePoints, share)));
}
