import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { withData } from "../charts/encoding.ts";
import { type ChartEntry, experimentCharts, runCharts } from "../lib/chart-catalog.ts";
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

/** A page that shows one chart and nothing else, for an `<iframe>`. */
export function chartPage(chart: ChartEntry): string {
  const file = `${chart.base}.html`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(chart.title)}</title>
<style>html,body{margin:0;background:#fff}#chart{padding:8px}</style>
</head>
<body>
<div id="chart" data-chart-view></div>
<script src="${relativeUrl(file, assetPath("vega.min.js"))}"></script>
<script>
(function () {
  var spec = ${scriptJson(toVega(chart.spec))};
  var rows = ${scriptJson(chart.rows)};
  var view = new vega.View(vega.parse(spec), { renderer: "svg", container: "#chart", hover: true });
  view.data("points", rows);
  view.runAsync().then(function () { document.body.dataset.drawn = "1"; });
})();
</script>
</body>
</html>
`;
}

/** Every chart of a report, in the order they are written. */
export function allCharts(snapshot: Snapshot): ChartEntry[] {
  return snapshot.experiments.flatMap((experiment) => [
    ...experimentCharts(experiment, mainMetricOf(experiment)),
    ...experiment.runs.flatMap(runCharts),
  ]);
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
