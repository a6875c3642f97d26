import type { TopLevelSpec } from "vega-lite";
import {
  baseSpec,
  type ChartSize,
  hoverLayer,
  runColor,
  tooltip,
  xEncoding,
  yEncoding,
} from "./encoding.ts";
import { smoothedField, smoothingWeights } from "./smoothing.ts";

/** How a metric's curves are drawn. */
export interface MetricLinesOptions extends ChartSize {
  /** The metric's key, for the title and the y axis. */
  metric: string;
  /** Step (default) or wall time on x. */
  x?: "step" | "time";
  /** A log scale on y; points at or below zero are left out. */
  logY?: boolean;
  /** The smoothing weight drawn first (0: none); the chart's `smoothing` param changes it. */
  smoothing?: number;
  /** The weights precomputed in the data (`metricPointRows`). */
  weights?: readonly number[];
  /** Whether to show the legend of runs (off for a single run). */
  legend?: boolean;
  /** The chart's title; the metric's key by default. */
  title?: string;
  /**
   * The nearest point and its tooltip under the pointer (default true). A drawing (SVG, PNG)
   * leaves them out: it has no pointer, and their invisible points and hover cells would make
   * up nine tenths of its bytes and three quarters of the time to draw it.
   */
  hover?: boolean;
}

/**
 * A metric's curves, one line per run, like TensorBoard's scalars: the smoothed line over the
 * raw one (faint once smoothed), and the nearest point's run, step and value on hover. Reads
 * `metricPointRows` from the dataset `points`; the param `smoothing` picks the weight.
 *
 * @example
 * const spec = metricLinesSpec({ metric: "loss", x: "step", logY: true });
 */
export function metricLinesSpec(options: MetricLinesOptions): TopLevelSpec {
  const x = xEncoding(options.x ?? "step");
  const y = yEncoding("value", options.metric, options.logY);
  const color = runColor(options.legend ?? true);
  const weights = (options.weights ?? smoothingWeights).filter((weight) => weight > 0);
  const smoothed = weights.map(smoothedField);
  // Without hover (a drawing), the lines carry no description for assistive technology: Vega
  // would format one per point for a line that is one path, a quarter of the time to draw it.
  const aria = options.hover === false ? { aria: false } : {};
  const hover = hoverLayer(
    y,
    tooltip([
      { field: "step", title: "step", format: "," },
      { field: "value", title: options.metric, format: ".6~g" },
      { field: "time", title: "time", type: "temporal", format: "%Y-%m-%d %H:%M:%S" },
    ]),
  );
  return {
    ...baseSpec(options.title ?? options.metric, options),
    params: [{ name: "smoothing", value: options.smoothing ?? 0 }],
    transform: options.logY ? [{ filter: "datum.value > 0" }] : [],
    encoding: { x, color },
    layer: [
      {
        mark: {
          type: "line",
          ...aria,
          strokeWidth: 1.5,
          // The stroke's opacity, not the mark's: the same look for a line, but a renderer
          // (resvg, a browser) draws it straight on the chart rather than on a layer of its own.
          strokeOpacity: { expr: "smoothing > 0 ? 0.25 : 1" },
          interpolate: "linear",
        },
        encoding: { y },
      },
      {
        transform: [
          { fold: smoothed, as: ["weight", "smoothed"] },
          { filter: "datum.weight == 'smoothed_' + round(smoothing * 100)" },
        ],
        mark: { type: "line", ...aria, strokeWidth: 1.5 },
        encoding: { y: { ...y, field: "smoothed" } },
      },
      ...(options.hover === false ? [] : [hover]),
    ],
  } as TopLevelSpec;
}
