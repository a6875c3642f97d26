import { experimentPath, runPath } from "../lib/paths.ts";
import { LiveAccessError, type LiveConfig, type LiveTick, liveConfig } from "./live-api.ts";
import { LiveBadge } from "./live-badge.ts";
import { LiveCharts } from "./live-charts.ts";
import { comparisonCharts, comparisonPageData, followComparison } from "./live-compare.ts";
import { followExperiment } from "./live-experiment.ts";
import { followRun } from "./live-run.ts";

/** `experiments/<id>.html` → the id, with the report's own path functions as the pattern. */
function pageId(pattern: (id: string) => string): string | undefined {
  const marker = "LABBOOKPAGEID"; // unchanged by the paths' slug
  const [before, after] = pattern(marker).split(marker) as [string, string];
  const path = decodeURIComponent(location.pathname);
  const at = path.lastIndexOf(`/${before}`);
  if (at < 0 || !path.endsWith(after)) return undefined;
  const id = path.slice(at + 1 + before.length, path.length - after.length);
  return /^[\w.-]+$/.test(id) ? id : undefined;
}

/** How this page follows the server, or undefined for a page that does not. */
function follow(config: LiveConfig): (() => Promise<LiveTick>) | undefined {
  const comparison = comparisonPageData();
  if (comparison) return followComparison({ config, data: comparison, charts: comparisonCharts() });
  const experimentId = pageId(experimentPath);
  if (experimentId)
    return followExperiment({
      config,
      experimentId,
      pagePath: experimentPath(experimentId),
      charts: new LiveCharts(),
    });
  const runId = pageId(runPath);
  if (runId) return followRun({ config, runId, charts: new LiveCharts() });
  return undefined;
}

/**
 * Live pages: served by `labbook server`, a page carries `<meta name="labbook-live">` (the
 * server adds it), and then an experiment's page, a run's page and a comparison page refresh
 * from the API every few seconds: new runs appear in the runs table and the curves, runs in
 * progress update their status, metrics and curves. Without the marker (any other host, or
 * opened from disk) this does nothing at all: no request, no timer. Call it before the charts
 * are set up.
 */
export function setUpLivePage(): void {
  const config = liveConfig();
  if (!config) return;
  const tick = follow(config);
  if (!tick) return;
  const badge = new LiveBadge(config.refreshMs / 1000);

  const loop = async () => {
    // A hidden tab asks nothing; it catches up when shown again.
    if (document.hidden) {
      document.addEventListener("visibilitychange", () => void loop(), { once: true });
      return;
    }
    try {
      const result = await tick();
      if (result.changed) badge.updated();
      else badge.fine();
      if (result.stop) {
        badge.stopped(`live · ${result.stop}`);
        return;
      }
    } catch (error) {
      if (error instanceof LiveAccessError) {
        badge.stopped("live · off: the server needs its token", error.message);
        return;
      }
      badge.failed(error instanceof Error ? error.message : String(error));
    }
    setTimeout(() => void loop(), config.refreshMs);
  };
  // After the page's own set-up (charts, tables) has run.
  setTimeout(() => void loop(), 0);
}
