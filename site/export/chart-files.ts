import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { dataName } from "../charts/encoding.ts";
import { chartSvg, svgToPng } from "../render/export-chart.ts";
import { chartPageHtml } from "./chart-page.ts";

/** One chart's files to write: what a chart thread is sent (plain data, no functions). */
export interface ChartFilesTask {
  /** Where the files go, without the extension: `/…/report/charts/run-abc/metric-loss`. */
  path: string;
  title: string;
  /** The spec of `.vl.json` and `.html`. */
  spec: TopLevelSpec;
  /** The spec `.svg` and `.png` are drawn from. */
  drawing: TopLevelSpec;
  rows: object[];
  /** The report's `assets/` folder, relative to the chart's `.html` (`../../assets/`). */
  assets: string;
}

/**
 * A spec with its data inside, as `.vl.json` (for the Vega editor): the spec indented, then a
 * row per line, which reads and diffs as well as a field per line at a third of the size.
 */
export function specWithDataJson(spec: TopLevelSpec, rows: readonly object[]): string {
  const marker = "\u0000rows\u0000";
  const text = JSON.stringify({ ...spec, datasets: { [dataName]: marker } }, null, 1);
  const lines = rows.map((row) => JSON.stringify(row)).join(",\n  ");
  // A function, so that a `$` in the rows is not read as a replacement pattern.
  return `${text.replace(JSON.stringify(marker), () => (rows.length ? `[\n  ${lines}\n ]` : "[]"))}\n`;
}

/** Writes a chart as `<path>.vl.json`, `.svg`, `.png` and `.html`. */
export async function writeChartFilesOf(task: ChartFilesTask): Promise<void> {
  mkdirSync(dirname(task.path), { recursive: true });
  writeFileSync(`${task.path}.vl.json`, specWithDataJson(task.spec, task.rows));
  const svg = await chartSvg(task.drawing, task.rows);
  writeFileSync(`${task.path}.svg`, svg);
  writeFileSync(`${task.path}.png`, svgToPng(svg));
  writeFileSync(
    `${task.path}.html`,
    chartPageHtml({
      title: task.title,
      spec: task.spec,
      rows: task.rows,
      runtime: { assets: task.assets },
    }),
  );
}
