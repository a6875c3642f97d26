import { Resvg } from "@resvg/resvg-js";
import type { TopLevelSpec } from "vega-lite";
import { renderView } from "./vega-view.ts";

/** A chart drawn as SVG in Node (fonts fall back to what the machine has). */
export async function chartSvg(spec: TopLevelSpec, rows: readonly object[]): Promise<string> {
  const view = await renderView(spec, rows);
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** An SVG rasterized to PNG at twice its size, on a white background. */
export function svgToPng(svg: string): Uint8Array {
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: 2 },
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}
