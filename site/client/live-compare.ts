import {
  type GraphQLRequest,
  readBands,
  readSelectedRuns,
  resolveExperimentIds,
  selectRuns,
} from "../compare/read-selection.ts";
import { curveMetricsOf } from "../compare/sections.ts";
import { comparisonBlocks } from "../lib/comparison-charts.ts";
import {
  type ComparisonPageData,
  comparisonTableRuns,
  selectionSummary,
} from "../lib/comparison-page.ts";
import { comparisonPath } from "../lib/paths.ts";
import type { SnapshotComparison } from "../snapshot/types.ts";
import { askApi, type LiveConfig, type LiveTick, RunWatch } from "./live-api.ts";
import { LiveCharts } from "./live-charts.ts";
import { replaceParamsDiff } from "./live-params-diff.ts";
import { pickedRuns, replaceRunsTable } from "./live-table.ts";

/** What the comparison page recorded for its script (see comparisonPageData), if it is one. */
export function comparisonPageData(): ComparisonPageData | undefined {
  const script = document.querySelector("script[data-comparison]");
  if (!script) return undefined;
  try {
    return JSON.parse(script.textContent ?? "") as ComparisonPageData;
  } catch {
    return undefined;
  }
}

/** The section of the page a figure belongs to: the key the comparison's charts go by. */
const sectionOf = (element: Element) => element.closest<HTMLElement>("[data-section]");

/**
 * The page's charts, named by their section. A curves section that had no data at the build
 * (its note says so) gets a chart when its metric is first logged.
 */
export function comparisonCharts(): LiveCharts {
  return new LiveCharts({
    keyOf: (figure) => sectionOf(figure)?.dataset.section,
    place: (key, figure) => {
      const note = document.querySelector(`[data-section="${key}"] .no-data`);
      if (!note) return false;
      note.replaceWith(figure);
      return true;
    },
  });
}

type ComparisonRun = SnapshotComparison["runs"][number];

/**
 * A comparison page, kept current: each refresh selects the runs again as the comparison file
 * does (its filter, experiments, ids, order and limit) with a short pulse of each; when a run
 * changed, appeared or left, the runs that changed are read in full (histories of the page's
 * curves only), the group bands are aggregated again by the API, and the summary, runs table,
 * params diff and charts are made again from them, as the report built them.
 */
export function followComparison(options: {
  config: LiveConfig;
  data: ComparisonPageData;
  charts: LiveCharts;
}): () => Promise<LiveTick> {
  const { config, data, charts } = options;
  const request: GraphQLRequest = (query, variables) => askApi(config, query, variables);
  const path = comparisonPath(data.stem);
  const watch = new RunWatch(new Map(data.runs.map((run) => [run.id, run.status])));
  // Runs new since the build have no page of their own to link to.
  const withPages = new Set(data.runs.filter((run) => run.page).map((run) => run.id));
  const hasRunPage = (id: string) => withPages.has(id);
  const seen = new Set(data.runs.map((run) => run.id));
  const curveMetrics = curveMetricsOf(data.spec.sections);
  const fixedIds = data.spec.runs.ids.length > 0;
  let experimentIds = data.experimentIds;
  let shown = data.runs.map((run) => run.id).join(" ");
  let matched = data.matched;
  let runs: Map<string, ComparisonRun> | undefined;

  return async () => {
    experimentIds ??= await resolveExperimentIds(request, data.spec.runs);
    const selection = await selectRuns(request, data.spec.runs, experimentIds);
    const ids = selection.runs.map((run) => run.id);
    const changed = new Set(watch.changed(selection.runs).map((run) => run.id));
    const ended = selection.runs.every(
      (run) => run.status !== "RUNNING" && run.status !== "SCHEDULED",
    );
    // Fixed ids whose runs have all ended will not change again.
    const stop = fixedIds && ended ? "every run has ended" : undefined;
    if (changed.size === 0 && ids.join(" ") === shown && selection.matched === matched) {
      watch.shown(selection.runs);
      return { changed: false, stop };
    }
    // A page built with no runs has no sections to show new ones in.
    if (data.runs.length === 0)
      return { changed: false, stop: "new runs: rebuild the report to see them" };

    // Everything the first time (the page holds thinned copies only), then what changed or
    // came back into the selection; the bands are aggregated again over the selection.
    const wanted = ids.filter((id) => !runs?.has(id) || changed.has(id));
    const fresh = await readSelectedRuns(request, wanted, {
      curveMetrics,
      maxPoints: data.maxPoints,
    });
    const bands = await readBands(request, data.spec, ids);
    runs ??= new Map();
    for (const run of fresh) runs.set(run.id, run);
    for (const id of runs.keys()) if (!ids.includes(id)) runs.delete(id);
    const current = ids.flatMap((id) => runs?.get(id) ?? []);
    const newIds = new Set(ids.filter((id) => !seen.has(id)));
    for (const id of newIds) seen.add(id);

    const summary = document.querySelector("[data-summary-text]");
    if (summary) summary.textContent = selectionSummary(current, selection.matched);
    const table = document.querySelector<HTMLElement>("[data-runs-table]");
    const picked = table
      ? pickedRuns(
          replaceRunsTable(table, comparisonTableRuns(current, data.spec), {
            path,
            hasRunPage,
            fresh: newIds,
            extremes: false,
          }),
        )
      : ids;
    const diff = document.querySelector<HTMLElement>("[data-params-diff]");
    if (diff) replaceParamsDiff(diff, current, { path, hasRunPage });
    const blocks = comparisonBlocks({ stem: data.stem, spec: data.spec, runs: current, bands });
    charts.updateKeyed(
      blocks.flatMap((block) => (block.chart ? [[String(block.index), block.chart] as const] : [])),
      picked,
    );
    watch.shown(selection.runs);
    shown = ids.join(" ");
    matched = selection.matched;
    return { changed: true, stop };
  };
}
