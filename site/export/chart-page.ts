import type { TopLevelSpec } from "vega-lite";
import type { EmbedPayload } from "../client/embed.ts";
import { packRows } from "../lib/packed-rows.ts";
import { toVega } from "../render/vega-view.ts";
import { inlineJson } from "../src/data/page-data.ts";
import { embedScript } from "./embed-script.ts";

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"]/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[char] ?? char,
  );
const inlineScript = (code: string) =>
  `<script>${code.replace(/<\/script/gi, "<\\/script")}</script>`;

/**
 * Where a chart page gets its scripts (the Vega runtime and `site/client/embed.ts`): the folder
 * of a report's `assets/`, as a URL relative to the page, or inside the page (the Vega runtime's
 * text given), for a file that stands alone.
 */
export type VegaRuntime = { assets: string } | { inline: string };

/**
 * A page that shows one chart and nothing else, for an `<iframe>`: the compiled spec and the
 * rows inside (packed by column, as the report's pages carry them), the scripts beside it (a
 * report's `assets/`) or inside it (a file that stands alone). It loads nothing else.
 */
export function chartPageHtml(options: {
  title: string;
  spec: TopLevelSpec;
  rows: readonly object[];
  runtime: VegaRuntime;
}): string {
  const { runtime } = options;
  const scripts =
    "assets" in runtime
      ? ["vega.min.js", "chart-embed.js"]
          .map((name) => `<script src="${escapeHtml(`${runtime.assets}${name}`)}"></script>`)
          .join("\n")
      : `${inlineScript(runtime.inline)}\n${inlineScript(embedScript())}`;
  const payload: EmbedPayload = { spec: toVega(options.spec), packed: packRows(options.rows) };
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
<script type="application/json" data-chart-data>${inlineJson(payload)}</script>
${scripts}
</body>
</html>
`;
}
