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

/** A short, stable hash of a text (FNV-1a, 32 bits, hex): tells apart names that slug alike. */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/**
 * A model's name in a file name: model names are free text (no `/` nor `@`), so one that slugs
 * to something else also gets a hash of itself (`my model` → `my_model-1a2b3c4d`).
 */
export const modelSlug = (name: string): string =>
  slug(name) === name ? name : `${slug(name)}-${shortHash(name)}`;

/** The model registry: every registered model, its latest version and aliases. */
export const registryPath = "models.html";
export const modelPath = (name: string): string => `models/${modelSlug(name)}.html`;
/** A comparison page, from the file `reports/<stem>.yaml`. */
export const comparisonPath = (stem: string): string => `compare/${slug(stem)}/index.html`;

/** A chart's files without the extension: `charts/experiment-1/metric-loss`. */
export const experimentChartBase = (experimentId: string, name: string): string =>
  `charts/experiment-${slug(experimentId)}/${name}`;
export const runChartBase = (runId: string, name: string): string =>
  `charts/run-${slug(runId)}/${name}`;
export const comparisonChartBase = (stem: string, name: string): string =>
  `charts/compare-${slug(stem)}/${name}`;

/** The extensions every chart is written with. */
export const chartExtensions = [".vl.json", ".svg", ".png", ".html"] as const;

/** A link from one file of the report to another, e.g. `../runs/abc.html` from an experiment. */
export function relativeUrl(from: string, to: string): string {
  const depth = from.split("/").length - 1;
  return `${"../".repeat(depth)}${to}`;
}
