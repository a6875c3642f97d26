import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { withData } from "../charts/encoding.ts";
import { type ChartEntry, experimentCharts, runCharts } from "../lib/chart-catalog.ts";
import { comparisonCharts } from "../lib/comparison-charts.ts";
import { mainMetricOf } from "../lib/main-metric.ts";
import { assetPath, relativeUrl } from "../lib/paths.ts";
import { chartSvg, svgToPng } from "../render/export-chart.ts";
import { toVega } from "../render/vega-view.ts";
import type { Snapshot } from "../snapshot/types.ts";

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"]/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[char] ?? char,
  );
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

/** Where a chart page gets the Vega runtime: a file of the report, or inside the page. */
export type VegaRuntime = { src: string } | { inline: string };

/**
 * A page that shows one chart and nothing else, for an `<iframe>`: the compiled spec and the
 * rows inside, the Vega runtime beside it (a report's `assets/`) or inside it (a file that
 * stands alone). It loads nothing else.
 */
export function chartPageHtml(options: {
  title: string;
  spec: TopLevelSpec;
  rows: readonly object[];
  runtime: VegaRuntime;
}): string {
  const runtime =
    "src" in options.runtime
      ? `<script src="${escapeHtml(options.runtime.src)}"></script>`
      : `<script>${options.runtime.inline.replace(/<\/script/gi, "<\\/script")}</script>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style>html,body{margin:0;background:#fff}#chart{padding:8px}</style>
</head>
<body>
<div id="chart" data-chart-view></div>
${runtime}
<script>
(function () {
  var spec = ${scriptJson(toVega(options.spec))};
  var rows = ${scriptJson(options.rows)};
  var view = new vega.View(vega.parse(spec), { renderer: "svg", container: "#chart", hover: true });
  view.data("points", rows);
  view.runAsync().then(function () { document.body.dataset.drawn = "1"; });
})();
</script>
</body>
</html>
`;
}

/** A report's page of one chart, using the report's copy of the Vega runtime. */
export function chartPage(chart: ChartEntry): string {
  return chartPageHtml({
    title: chart.title,
    spec: chart.spec,
    rows: chart.rows,
    runtime: { src: relativeUrl(`${chart.base}.html`, assetPath("vega.min.js")) },
  });
}

/** Every chart of a report, in the order they are written. */
export function allCharts(snapshot: Snapshot): ChartEntry[] {
  return [
    ...snapshot.experiments.flatMap((experiment) => [
      ...experimentCharts(experiment, mainMetricOf(experiment)),
      ...experiment.runs.flatMap(runCharts),
    ]),
    ...(snapshot.comparisons ?? []).flatMap(comparisonCharts),
  ];
}

/** Writes each chart as `<base>.vl.json`, `.svg`, `.png` and `.html`; returns how many. */
export async function writeChartFiles(
  snapshot: Snapshot,
  outDir: string,
  progress: (done: number, total: number) => void = () => {},
): Promise<number> {
  const charts = allCharts(snapshot);
  let done = 0;
  for (const chart of charts) {
    const base = join(outDir, chart.base);
    mkdirSync(dirname(base), { recursive: true });
    writeFileSync(
      `${base}.vl.json`,
      `${JSON.stringify(withData(chart.spec, chart.rows), null, 1)}\n`,
    );
    const svg = await chartSvg(chart.spec, chart.rows);
    writeFileSync(`${base}.svg`, svg);
    writeFileSync(`${base}.png`, svgToPng(svg));
    writeFileSync(`${base}.html`, chartPage(chart));
    done += 1;
    progress(done, charts.length);
  }
  return charts.length;
}
