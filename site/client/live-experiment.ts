import { experimentCharts } from "../lib/chart-catalog.ts";
import { mainMetricOf, rankRuns } from "../lib/main-metric.ts";
import type { SnapshotRun } from "../snapshot/types.ts";
import { experimentPulse, fullRuns, type LiveConfig, type LiveTick, RunWatch } from "./live-api.ts";
import type { LiveCharts } from "./live-charts.ts";
import { pickedRuns, replaceRunsTable } from "./live-table.ts";

/** What the page was built with: its runs and their status, from the table's data. */
function builtRuns(): Map<string, string> {
  try {
    const payload = JSON.parse(document.querySelector("[data-runs-data]")?.textContent ?? "{}") as {
      records?: { id: string; status: string }[];
    };
    return new Map(payload.records?.map((record) => [record.id, record.status]));
  } catch {
    return new Map();
  }
}

/**
 * An experiment's page, kept current: each refresh asks for a short pulse of every run (status,
 * point counts); when one changed or appeared, those runs are read in full, and the runs table
 * and the charts are made again from all of them, as the report built them.
 */
export function followExperiment(options: {
  config: LiveConfig;
  experimentId: string;
  pagePath: string;
  charts: LiveCharts;
}): () => Promise<LiveTick> {
  const { config, experimentId, pagePath, charts } = options;
  const built = builtRuns();
  // Runs new since the build have no page of their own to link to.
  const withPages = new Set(built.keys());
  const seen = new Set(built.keys());
  const watch = new RunWatch(built);
  let runs: Map<string, SnapshotRun> | undefined;

  return async () => {
    const pulse = await experimentPulse(config, experimentId);
    if (!pulse) return { changed: false, stop: "the experiment is gone from the server" };
    const changed = watch.changed(pulse.runs);
    const gone = [...(runs?.keys() ?? built.keys())].filter(
      (id) => !pulse.runs.some((run) => run.id === id),
    );
    if (changed.length === 0 && gone.length === 0) {
      watch.shown(pulse.runs);
      return { changed: false };
    }

    // Everything the first time (the page holds thinned copies only), then what changed.
    const wanted = runs ? changed.map((run) => run.id) : pulse.runs.map((run) => run.id);
    const fresh = await fullRuns(config, wanted);
    runs ??= new Map();
    for (const run of fresh) runs.set(run.id, run);
    for (const id of gone) runs.delete(id);
    const newIds = new Set(fresh.map((run) => run.id).filter((id) => !seen.has(id)));
    for (const id of newIds) seen.add(id);

    const experiment = {
      ...pulse.experiment,
      runs: pulse.runs.flatMap((run) => runs?.get(run.id) ?? []),
    };
    const main = mainMetricOf(experiment);
    const section = document.querySelector<HTMLElement>("[data-runs-table]");
    let picked: string[] | undefined;
    if (section) {
      const table = replaceRunsTable(section, rankRuns(experiment.runs, main), {
        path: pagePath,
        hasRunPage: (id) => withPages.has(id),
        fresh: newIds,
      });
      picked = pickedRuns(table);
    }
    charts.update(experimentCharts(experiment, main), picked);
    watch.shown(pulse.runs);
    // A page built with no runs has no table to show new ones in.
    return section
      ? { changed: true }
      : { changed: false, stop: "new runs: rebuild the report to see them" };
  };
}
