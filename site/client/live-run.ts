import { runCharts } from "../lib/chart-catalog.ts";
import { formatDuration, formatValue } from "../lib/format.ts";
import type { SnapshotRun } from "../snapshot/types.ts";
import { fullRuns, type LiveConfig, type LiveTick, RunWatch, runPulse } from "./live-api.ts";
import type { LiveCharts } from "./live-charts.ts";
import { showLocalTimes } from "./times.ts";

/** The value cell of the run page's attribute row named `label` (`status`, `ended`). */
const attributeCell = (label: string) =>
  [...document.querySelectorAll<HTMLTableRowElement>("table.attributes tr")]
    .find((row) => row.querySelector("th")?.textContent?.trim() === label)
    ?.querySelector("td");

const localTime = (ms: number) => {
  const time = document.createElement("time");
  const iso = new Date(ms).toISOString();
  time.dateTime = iso;
  time.setAttribute("data-local-time", "");
  time.textContent = iso.replace("T", " ").replace(/\.\d+Z$/, " UTC");
  return time;
};

function showAttributes(run: SnapshotRun): void {
  const badge = attributeCell("status")?.querySelector(".status");
  if (badge) {
    badge.className = `status status-${run.status}`;
    badge.textContent = run.status;
  }
  const ended = attributeCell("ended");
  if (ended && run.endTime != null) {
    const muted = document.createElement("span");
    muted.className = "muted";
    muted.textContent = ` (${formatDuration(run.endTime - run.startTime)})`;
    ended.replaceChildren(localTime(run.endTime), muted);
    showLocalTimes(ended);
  }
}

/** The metrics table's rows, from copies of its first row (as the page made it). */
function showMetrics(run: SnapshotRun): void {
  const tbody = document.querySelector("table.metrics tbody");
  const model = tbody?.querySelector("tr");
  if (!tbody || !model) return;
  const value = (text: number | string | null | undefined) => {
    const span = document.createElement("span");
    if (text == null) {
      span.className = "muted";
      span.textContent = "—";
    } else {
      span.title = String(text);
      span.textContent = formatValue(text);
    }
    return span;
  };
  tbody.replaceChildren(
    ...run.metrics.map((metric) => {
      const row = model.cloneNode(true) as HTMLTableRowElement;
      const code = row.querySelector("th code");
      if (code) code.textContent = metric.key;
      const cells = [...row.querySelectorAll("td")];
      const contents: (string | HTMLElement)[] = [
        value(metric.last),
        String(metric.lastStep),
        value(metric.min),
        value(metric.max),
        String(metric.count),
      ];
      cells.forEach((cell, i) => {
        const content = contents[i];
        if (content !== undefined) cell.replaceChildren(content);
      });
      return row;
    }),
  );
}

/**
 * A run's page, kept current while the run is in progress: its status, end, metrics and curves
 * come again from the API whenever it logs; once it has ended, the page stops asking.
 */
export function followRun(options: {
  config: LiveConfig;
  runId: string;
  charts: LiveCharts;
}): () => Promise<LiveTick> {
  const { config, runId, charts } = options;
  const builtStatus = attributeCell("status")?.textContent?.trim();
  const watch = new RunWatch(new Map(builtStatus ? [[runId, builtStatus]] : []));

  return async () => {
    const pulse = await runPulse(config, runId);
    if (!pulse) return { changed: false, stop: "the run is gone from the server" };
    const stale = watch.changed([pulse]).length > 0;
    const ended =
      pulse.status !== "RUNNING" && pulse.status !== "SCHEDULED"
        ? `run ${pulse.status.toLowerCase()}`
        : undefined;
    if (!stale) {
      watch.shown([pulse]);
      return { changed: false, stop: ended };
    }
    const [run] = await fullRuns(config, [runId]);
    if (!run) return { changed: false, stop: "the run is gone from the server" };
    showAttributes(run);
    showMetrics(run);
    charts.update(runCharts(run));
    watch.shown([pulse]);
    return { changed: true, stop: ended };
  };
}
