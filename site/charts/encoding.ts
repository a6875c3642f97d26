import type { TopLevelSpec } from "vega-lite";

/** The name of the dataset every chart reads; the data is attached beside the spec. */
export const dataName = "points";

/** Options every chart takes. */
export interface ChartSize {
  width?: number | "container";
  height?: number;
}

/** Shared look: sizes, fonts and axes, so every chart reads the same. */
export function baseSpec(title: string, size: ChartSize = {}) {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, anchor: "start", fontSize: 13 },
    width: size.width ?? 480,
    height: size.height ?? 260,
    data: { name: dataName },
    config: {
      font: "system-ui, -apple-system, 'Segoe UI', sans-serif",
      axis: { labelFontSize: 11, titleFontSize: 11, gridColor: "#e5e7eb", domainColor: "#9ca3af" },
      // The raw line fades when smoothed; the legend keeps full colour.
      legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 160, symbolOpacity: 1 },
      view: { stroke: null },
    },
  } as const;
}

/** An x axis: steps are counts, wall time is a date in the viewer's zone. */
export function xEncoding(x: "step" | "time") {
  return x === "step"
    ? ({ field: "step", type: "quantitative", title: "step", axis: { tickMinStep: 1 } } as const)
    : ({ field: "time", type: "temporal", title: "wall time" } as const);
}

/** A y axis over a value field, linear or log. */
export function yEncoding(field: string, title: string, log = false) {
  return {
    field,
    type: "quantitative",
    title,
    scale: log ? { type: "log" } : { zero: false },
  } as const;
}

/** One colour per run, named by the run's name (runs with equal names stay apart by id). */
export function runColor(legend = true) {
  return {
    field: "name",
    type: "nominal",
    title: "run",
    legend: legend ? { orient: "bottom", columns: 3 } : null,
  } as const;
}

/** Tooltip fields: the run's name first, then what the point says. */
export function tooltip(
  fields: readonly { field: string; title: string; type?: string; format?: string }[],
) {
  return [
    { field: "name", type: "nominal", title: "run" },
    ...fields.map((field) => ({ type: "quantitative", ...field })),
  ] as const;
}

/**
 * Circles, invisible until the pointer is nearest, that carry a chart's tooltip: one layer
 * the curves and the group bands share (and that drawings leave out).
 */
export function hoverLayer(y: object, tooltipFields: readonly object[]) {
  return {
    params: [
      {
        name: "hover",
        select: { type: "point", on: "pointerover", nearest: true, clear: "pointerout" },
      },
    ],
    mark: { type: "circle", size: 36 },
    encoding: {
      y,
      opacity: { condition: { param: "hover", empty: false, value: 1 }, value: 0 },
      tooltip: tooltipFields,
    },
  };
}

/** A spec with its data inside, as `<name>.vl.json` files and the Vega-Lite editor want it. */
export function withData(spec: TopLevelSpec, rows: readonly object[]): TopLevelSpec {
  return { ...spec, datasets: { [dataName]: rows as Record<string, unknown>[] } } as TopLevelSpec;
}
