/**
 * The script of a chart's embed page (`<name>.html`, for an iframe): it draws the one chart the
 * page carries — a compiled Vega spec and its rows packed by column — with the Vega runtime,
 * and marks the body `data-drawn="1"` once drawn. Bundled as a classic script (file:// runs no
 * module script): a report's pages share `assets/chart-embed.js`, a page that stands alone
 * (`labbook chart --format html`) has it inside.
 */
import type * as Vega from "vega";
import { dataName } from "../charts/encoding.ts";
import { type PackedRows, unpackRows } from "../lib/packed-rows.ts";

declare const vega: typeof Vega;

/** What the page's `<script type="application/json" data-chart-data>` holds. */
export interface EmbedPayload {
  spec: Vega.Spec;
  packed: PackedRows;
}

const data = document.querySelector("[data-chart-data]");
const container = document.querySelector<HTMLElement>("[data-chart-view]");
if (data && container && typeof vega !== "undefined") {
  const payload = JSON.parse(data.textContent ?? "{}") as EmbedPayload;
  const view = new vega.View(vega.parse(payload.spec), { renderer: "svg", container, hover: true });
  view.data(dataName, unpackRows(payload.packed));
  void view.runAsync().then(() => {
    document.body.dataset.drawn = "1";
  });
}
