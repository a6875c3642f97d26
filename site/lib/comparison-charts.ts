import {
  bestValueBarsSpec,
  bestValueRows,
  groupBandRows,
  groupBandsSpec,
  parallelCoordinatesSpec,
  parallelRows,
  paramPointRows,
  paramScatterSpec,
  toNumber,
  wantsLogScale,
} from "../charts/index.ts";
import type { ComparisonSection, MetricStatistic } from "../compare/spec.ts";
import type { SnapshotComparison, SnapshotRun } from "../snapshot/types.ts";
import { type ChartEntry, metricChart, seriesOf } from "./chart-catalog.ts";
import { comparisonChartBase, slug } from "./paths.ts";
import { varyingParamKeys } from "./runs-table.ts";
import { scatterTemplate } from "./spec-templates.ts";

/** Bars a best-value chart draws at most. */
export const bestBarsShown = 50;

/** What a comparison page's charts are made from (the snapshot's, or a live page's fresh copy). */
export type ComparisonData = Pick<SnapshotComparison, "stem" | "spec" | "runs" | "bands">;

/** A section of a comparison page with its chart (null for prose and tables, or no data). */
export interface ComparisonBlock {
  index: number;
  section: ComparisonSection;
  chart: ChartEntry | null;
  /** Why a chart section draws nothing, for the page. */
  note: string | null;
}

const metricOf = (run: SnapshotRun, key: string) => run.metrics.find((m) => m.key === key);
const paramOf = (run: SnapshotRun, key: string) => run.params.find((p) => p.key === key)?.value;
const statisticOf = (run: SnapshotRun, key: string, statistic: MetricStatistic) =>
  metricOf(run, key)?.[statistic];

/** A chart without a shared template: the page carries its compiled spec; files and page one data. */
function inlineChart(
  entry: Pick<ChartEntry, "base" | "title" | "kind" | "spec"> & { rows: object[] },
): ChartEntry {
  const { rows, ...chart } = entry;
  return {
    ...chart,
    drawing: chart.spec,
    fileRows: () => rows,
    pageRows: () => rows,
    selected: [],
    smoothing: 0,
  };
}

/** The params a parallel-coordinates section draws: its own, the page's, else those that vary. */
function parallelParams(
  section: Extract<ComparisonSection, { kind: "parallel" }>,
  pageParams: readonly string[],
  runs: readonly SnapshotRun[],
): string[] {
  if (section.params.length) return section.params;
  if (pageParams.length) return [...pageParams];
  return varyingParamKeys(runs).slice(0, 8);
}

function chartFor(
  comparison: ComparisonData,
  index: number,
  section: ComparisonSection,
  name: (wanted: string) => string,
): { chart: ChartEntry | null; note: string | null } {
  const runs = comparison.runs;
  const none = (note: string) => ({ chart: null, note });
  const base = (wanted: string) => comparisonChartBase(comparison.stem, name(wanted));
  switch (section.kind) {
    case "curves": {
      const series = seriesOf(runs, section.metric);
      if (series.length === 0) return none(`No selected run logged ${section.metric}.`);
      return {
        chart: metricChart({
          base: base(`curves-${slug(section.metric)}`),
          key: section.metric,
          exported: series,
          page: series,
          selected: runs.map((run) => run.id),
          legend: true,
          title: section.title ?? undefined,
          x: section.x,
          logY: section.logY,
        }),
        note: null,
      };
    }
    case "bands": {
      const bands = comparison.bands.find((one) => one.section === index);
      if (!bands?.groups)
        return none(
          "The API this report was read from has no metricGroups query (an older labbook server).",
        );
      const rows = groupBandRows(bands.groups);
      if (rows.length === 0) return none(`No selected run logged ${section.metric}.`);
      const by = section.groupBy.map((key) => slug(key.replace(/^params\./, ""))).join("-");
      return {
        chart: inlineChart({
          base: base(`bands-${slug(section.metric)}-by-${by}`),
          title: section.title ?? `${section.metric} by ${section.groupBy.join(", ")}`,
          kind: "bands",
          spec: groupBandsSpec({
            metric: section.metric,
            groupBy: section.groupBy,
            logY: section.logY,
            ...(section.title && { title: section.title }),
          }),
          rows,
        }),
        note: null,
      };
    }
    case "parallel": {
      const params = parallelParams(section, comparison.spec.params, runs);
      const axes = [...params, section.metric];
      const { rows, runs: drawn } = parallelRows(
        runs.map((run) => ({
          id: run.id,
          name: run.name,
          values: {
            ...Object.fromEntries(params.map((key) => [key, paramOf(run, key)])),
            [section.metric]: (() => {
              const value = toNumber(statisticOf(run, section.metric, section.value));
              return Number.isFinite(value) ? value : undefined;
            })(),
          },
        })),
        axes,
        section.metric,
      );
      if (drawn === 0)
        return none(`No selected run has every one of ${axes.join(", ")} (with a finite value).`);
      return {
        chart: inlineChart({
          base: base(`parallel-${slug(section.metric)}`),
          title: section.title ?? `params → ${section.metric}`,
          kind: "parallel",
          spec: parallelCoordinatesSpec({
            metric: section.metric,
            axes: axes.length,
            ...(section.title && { title: section.title }),
          }),
          rows,
        }),
        note: null,
      };
    }
    case "scatter": {
      const { rows, numeric } = paramPointRows(
        runs.map((run) => ({
          id: run.id,
          name: run.name,
          param: paramOf(run, section.param),
          metric: statisticOf(run, section.metric, section.value) ?? undefined,
        })),
      );
      if (rows.length === 0)
        return none(`No selected run has both ${section.param} and ${section.metric}.`);
      const logX = numeric && wantsLogScale(rows.map((row) => row.param as number));
      const spec = paramScatterSpec({
        param: section.param,
        metric: section.metric,
        numeric,
        logX,
      });
      const title = section.title ?? `${section.metric} by ${section.param}`;
      return {
        chart: {
          ...inlineChart({
            base: base(`scatter-${slug(section.param)}-vs-${slug(section.metric)}`),
            title,
            kind: "scatter",
            spec: section.title
              ? ({
                  ...spec,
                  title: { ...(spec.title as object), text: section.title },
                } as typeof spec)
              : spec,
            rows,
          }),
          // Untitled, it is the experiment pages' scatter: draw it from their shared template.
          ...(!section.title && {
            template: {
              template: scatterTemplate(numeric, logX),
              names: { metric: section.metric, param: section.param },
            },
          }),
        },
        note: null,
      };
    }
    case "best": {
      const all = bestValueRows(
        runs.map((run) => ({
          id: run.id,
          name: run.name,
          min: metricOf(run, section.metric)?.min ?? null,
          max: metricOf(run, section.metric)?.max ?? null,
        })),
        section.goal,
      );
      if (all.length === 0) return none(`No selected run logged ${section.metric}.`);
      // A bar per run reads well up to a few dozen; past that, the best ones.
      const rows = all.slice(0, bestBarsShown);
      const cut = rows.length < all.length ? `, the best ${rows.length} of ${all.length}` : "";
      const best = section.goal === "max" ? "highest" : "lowest";
      return {
        chart: inlineChart({
          base: base(`best-${slug(section.metric)}`),
          title: section.title ?? `best ${section.metric} per run`,
          kind: "best",
          spec: bestValueBarsSpec({
            metric: section.metric,
            goal: section.goal,
            title: section.title ?? `best ${section.metric} per run (${best}${cut})`,
          }),
          rows,
        }),
        note: null,
      };
    }
    default:
      return { chart: null, note: null };
  }
}

/**
 * A comparison page's sections, each with its chart: file names from the chart's kind and keys
 * (`charts/compare-lr/curves-val_acc`), numbered when two sections would share one.
 */
export function comparisonBlocks(comparison: ComparisonData): ComparisonBlock[] {
  const used = new Map<string, number>();
  const name = (wanted: string) => {
    const count = (used.get(wanted) ?? 0) + 1;
    used.set(wanted, count);
    return count === 1 ? wanted : `${wanted}-${count}`;
  };
  return comparison.spec.sections.map((section, index) => ({
    index,
    section,
    ...chartFor(comparison, index, section, name),
  }));
}

/** Every chart of a comparison page, in page order. */
export const comparisonCharts = (comparison: ComparisonData): ChartEntry[] =>
  comparisonBlocks(comparison).flatMap((block) => (block.chart ? [block.chart] : []));
