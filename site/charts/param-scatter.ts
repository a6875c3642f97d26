import type { TopLevelSpec } from "vega-lite";
import { baseSpec, type ChartSize, runColor, tooltip, yEncoding } from "./encoding.ts";

/** What a param-against-metric scatter plots. */
export interface ParamScatterOptions extends ChartSize {
  param: string;
  metric: string;
  /** Whether the param's values are numbers (else they are categories). */
  numeric: boolean;
  /** A log scale on x (numeric params spanning orders of magnitude, like a learning rate). */
  logX?: boolean;
}

/**
 * One point per run: a param on x, a metric's final value on y, with the run on hover.
 * Reads `paramPointRows` from the dataset `points`.
 *
 * @example
 * const spec = paramScatterSpec({ param: "lr", metric: "val_acc", numeric: true, logX: true });
 */
export function paramScatterSpec(options: ParamScatterOptions): TopLevelSpec {
  return {
    ...baseSpec(`${options.metric} by ${options.param}`, { height: 220, ...options }),
    mark: { type: "point", filled: true, size: 60, opacity: 0.85 },
    encoding: {
      x: options.numeric
        ? {
            field: "param",
            type: "quantitative",
            title: options.param,
            scale: options.logX ? { type: "log" } : { zero: false },
          }
        : { field: "param", type: "nominal", title: options.param, sort: "ascending" },
      y: yEncoding("value", options.metric),
      color: runColor(false),
      tooltip: tooltip([
        {
          field: "param",
          title: options.param,
          type: options.numeric ? "quantitative" : "nominal",
        },
        { field: "value", title: options.metric, format: ".6~g" },
      ]),
    },
  } as TopLevelSpec;
}

/** Whether positive numbers span enough orders of magnitude to want a log axis. */
export function wantsLogScale(values: readonly number[]): boolean {
  if (values.length < 2 || values.some((value) => !(value > 0))) return false;
  return Math.max(...values) / Math.min(...values) >= 100;
}
