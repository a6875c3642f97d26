import { Resvg } from "@resvg/resvg-js";
import type { TopLevelSpec } from "vega-lite";
import { chartFonts } from "./fonts.ts";
import { encodePng } from "./png.ts";
import { renderView } from "./vega-view.ts";

/** A chart drawn as SVG in Node (fonts fall back to what the machine has). */
export async function chartSvg(spec: TopLevelSpec, rows: readonly object[]): Promise<string> {
  // A new view per drawing: a view given new data draws it well, but holds on to some of the
  // old (hundreds of kilobytes a chart).
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
    font: chartFonts(),
  });
  const image = resvg.render();
  // resvg's pixels are premultiplied; on an opaque background that is plain RGBA.
  return encodePng(image.pixels, image.width, image.height);
}
