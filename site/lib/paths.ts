/**
 * Where each page and chart of a report lives, relative to the report's root. Links are
 * made relative to the page that holds them, so a report works under any base path and
 * from disk.
 */

/** A file-name-safe spelling of a metric or param key (`val/acc` → `val_acc`). */
export const slug = (key: string): string => key.replace(/[^A-Za-z0-9._-]+/g, "_") || "_";

export const indexPath = "index.html";
export const experimentPath = (id: string): string => `experiments/${slug(id)}.html`;
export const runPath = (id: string): string => `runs/${slug(id)}.html`;
export const assetPath = (name: string): string => `assets/${name}`;

/** A chart's files without the extension: `charts/experiment-1/metric-loss`. */
export const experimentChartBase = (experimentId: string, name: string): string =>
  `charts/experiment-${slug(experimentId)}/${name}`;
export const runChartBase = (runId: string, name: string): string =>
  `charts/run-${slug(runId)}/${name}`;

/** The extensions every chart is written with. */
export const chartExtensions = [".vl.json", ".svg", ".png", ".html"] as const;

/** A link from one file of the report to another, e.g. `../runs/abc.html` from an experiment. */
export function relativeUrl(from: string, to: string): string {
  const depth = from.split("/").length - 1;
  return `${"../".repeat(depth)}${to}`;
}
