import type { TopLevelSpec } from "vega-lite";
import {
  type MetricPointRow,
  type MetricSeries,
  metricLinesSpec,
  metricPointRows,
  paramPointRows,
  paramScatterSpec,
  toNumber,
  wantsLogScale,
} from "../charts/index.ts";
import type { SnapshotExperiment, SnapshotRun } from "../snapshot/types.ts";
import { thinIndexes, thinSeries } from "./downsample.ts";
import { finalValue, type MainMetric, rankRuns } from "./main-metric.ts";
import { experimentChartBase, runChartBase, shortHash, slug } from "./paths.ts";
import { varyingParamKeys } from "./runs-table.ts";
import { metricTemplate, scatterTemplate, type TemplateRef } from "./spec-templates.ts";

/** One chart of a report: its spec variants, its data, and where its files go. */
export interface ChartEntry {
  /** Path of its files without the extension, e.g. `charts/run-abc/metric-loss`. */
  base: string;
  title: string;
  kind: "metric" | "scatter" | "bands" | "parallel" | "best";
  /** The spec of the chart's `.vl.json` and `.html` (step on x, linear y, default smoothing). */
  spec: TopLevelSpec;
  /** What its `.svg` and `.png` are drawn from: the same chart, without what only a pointer shows. */
  drawing: TopLevelSpec;
  /**
   * The page draws from a shared template (see spec-templates.ts) filled with these keys; a
   * chart without one carries its own compiled spec (comparison charts, titled by their file).
   */
  template?: TemplateRef;
  /**
   * The rows of the chart's files: at most `filePoints` a series, smoothed at the chart's one
   * weight. Made when asked, as the pages need only `pageRows` and the files only these.
   */
  fileRows: () => object[];
  /** The rows the page draws from (more runs than the files, thinner; the page smooths them). */
  pageRows: () => object[];
  /** The runs drawn first on the page (the page lets the reader choose others). */
  selected: string[];
  smoothing: number;
  /** How a metric chart is first drawn on the page (step and linear unless said). */
  view?: { x: "step" | "time"; logY: boolean };
}

/**
 * What a chart's compiled spec depends on besides its title, as a short hash. A page has no
 * compiler: a live page draws new rows with the spec it was built with (retitled), which is
 * right only while the new spec's key is the built one's.
 */
export function layoutKey(spec: TopLevelSpec): string {
  const { title: _title, ...layout } = spec as TopLevelSpec & { title?: unknown };
  return shortHash(JSON.stringify(layout));
}

/** Runs whose curves a file shows; a page offers up to `pageRuns` of them. */
export const exportRuns = 10;
/**
 * Points a series keeps in a chart's files: a chart is 480 pixels wide, and four points per
 * couple of pixels (first, last, lowest, highest) draw the same line as a thousand.
 */
export const filePoints = 500;
export const pageRuns = 200;
/**
 * About how many points one page's curves may hold in all (packed, some 14 bytes each), so a
 * page of 200 runs stays well under 1 MB; each series keeps `minPagePoints` at least.
 */
export const pagePointBudget = 15_000;
export const minPagePoints = 12;

const metricKeys = (runs: readonly SnapshotRun[]) =>
  [
    ...new Set(
      runs.flatMap((run) =>
        run.metrics.filter((m) => (m.history?.steps.length ?? 0) > 1).map((m) => m.key),
      ),
    ),
  ].sort();

/** Each run's history of a metric, thinned to `maxPoints` when given. */
export function seriesOf(
  runs: readonly SnapshotRun[],
  key: string,
  maxPoints?: number,
): MetricSeries[] {
  return runs.flatMap((run) => {
    const history = run.metrics.find((metric) => metric.key === key)?.history;
    if (!history) return [];
    const thin = maxPoints ? thinSeries(history, maxPoints, (v) => toNumber(v as number)) : history;
    return [{ runId: run.id, runName: run.name, ...thin }];
  });
}

/** TensorBoard's default smoothing for long curves; none for a handful of epochs. */
const defaultSmoothing = (series: readonly MetricSeries[]) =>
  Math.max(0, ...series.map((one) => one.steps.length)) >= 30 ? 0.6 : 0;

/**
 * The rows of a metric chart's files: each series smoothed whole at the one weight drawn, then
 * thinned to `filePoints` with its extremes kept.
 */
function metricFileRows(series: readonly MetricSeries[], smoothing: number): MetricPointRow[] {
  const weights = smoothing > 0 ? [smoothing] : [];
  return series.flatMap((one) => {
    const rows = metricPointRows([one], weights);
    return thinIndexes(rows.length, filePoints, (i) => rows[i]?.value ?? Number.NaN).map(
      (i) => rows[i] as MetricPointRow,
    );
  });
}

/** A metric's curves: the exported runs in the files, the page's runs (thinner) on the page. */
export function metricChart(options: {
  base: string;
  key: string;
  exported: MetricSeries[];
  page: MetricSeries[];
  selected: string[];
  legend: boolean;
  title?: string | undefined;
  x?: "step" | "time";
  logY?: boolean;
}): ChartEntry {
  const smoothing = defaultSmoothing(options.exported);
  const spec = (hover: boolean) =>
    metricLinesSpec({
      metric: options.key,
      smoothing,
      weights: [smoothing],
      legend: options.legend,
      x: options.x ?? "step",
      logY: options.logY ?? false,
      hover,
      ...(options.title && { title: options.title }),
    });
  return {
    base: options.base,
    title: options.title ?? options.key,
    kind: "metric",
    spec: spec(true),
    drawing: spec(false),
    template: { template: metricTemplate(options.legend), names: { metric: options.key } },
    fileRows: () => metricFileRows(options.exported, smoothing),
    pageRows: () => metricPointRows(options.page, []),
    selected: options.selected,
    smoothing,
    view: { x: options.x ?? "step", logY: options.logY ?? false },
  };
}

/** An experiment's charts: each metric's curves for its best runs, and params against the main metric. */
export function experimentCharts(
  experiment: SnapshotExperiment,
  main: MainMetric | undefined,
): ChartEntry[] {
  const ranked = rankRuns(experiment.runs, main);
  const onPage = ranked.slice(0, pageRuns);
  const top = ranked.slice(0, exportRuns);
  const keys = metricKeys(onPage);
  const perSeries = Math.max(
    minPagePoints,
    Math.floor(pagePointBudget / Math.max(1, onPage.length * keys.length)),
  );
  const charts = keys.map((key) =>
    metricChart({
      base: experimentChartBase(experiment.id, `metric-${slug(key)}`),
      key,
      exported: seriesOf(top, key),
      page: seriesOf(onPage, key, perSeries),
      selected: top.map((run) => run.id),
      legend: true,
    }),
  );
  if (main) {
    for (const param of varyingParamKeys(experiment.runs).slice(0, 8)) {
      const { rows, numeric } = paramPointRows(
        experiment.runs.map((run) => ({
          id: run.id,
          name: run.name,
          param: run.params.find((p) => p.key === param)?.value,
          metric: finalValue(run, main.key),
        })),
      );
      if (rows.length < 2) continue;
      const logX = numeric && wantsLogScale(rows.map((row) => row.param as number));
      const spec = paramScatterSpec({ param, metric: main.key, numeric, logX });
      charts.push({
        base: experimentChartBase(experiment.id, `${slug(param)}-vs-${slug(main.key)}`),
        title: `${main.key} by ${param}`,
        kind: "scatter",
        spec,
        drawing: spec,
        template: { template: scatterTemplate(numeric, logX), names: { metric: main.key, param } },
        fileRows: () => rows,
        pageRows: () => rows,
        selected: [],
        smoothing: 0,
      });
    }
  }
  return charts;
}

/** A run's charts: one per metric logged at more than one step. */
export function runCharts(run: SnapshotRun): ChartEntry[] {
  return metricKeys([run]).map((key) => {
    const series = seriesOf([run], key);
    return metricChart({
      base: runChartBase(run.id, `metric-${slug(key)}`),
      key,
      exported: series,
      page: series,
      selected: [run.id],
      legend: false,
    });
  });
}
