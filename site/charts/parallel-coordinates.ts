import type { TopLevelSpec } from "vega-lite";
import { baseSpec, type ChartSize } from "./encoding.ts";
import { formatTick } from "./format.ts";
import { wantsLogScale } from "./param-scatter.ts";

/** One run as parallel coordinates read it: a value per axis (params, then the metric). */
export interface ParallelRun {
  id: string;
  name: string;
  /** By axis name; absent when the run lacks it. */
  values: Readonly<Record<string, string | number | undefined>>;
}

/**
 * A row of `parallelCoordinatesSpec`'s data: a run's point on an axis (`line`), a label on an
 * axis (`tick`), or the axis itself (`axis`). Positions run from 0 (bottom) to 1 (top).
 */
export interface ParallelRow {
  kind: "line" | "tick" | "axis";
  axis: string;
  order: number;
  position: number;
  /** The axis's top, for `axis` rows. */
  top?: number;
  label?: string;
  run?: string;
  name?: string;
  /** The metric's value of the run, which colours its line. */
  color?: number;
}

interface AxisScale {
  position(value: string | number): number;
  ticks: { position: number; label: string }[];
}

const byNumberThenText = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });

/** How an axis places values: numbers linearly (or on a log scale when they span decades), text evenly. */
function axisScale(values: readonly (string | number)[]): AxisScale {
  const numbers = values.map(Number);
  const numeric = values.every((value) => value !== "" && Number.isFinite(Number(value)));
  if (numeric) {
    const log = wantsLogScale(numbers);
    const f = (x: number) => (log ? Math.log10(x) : x);
    const low = Math.min(...numbers);
    const high = Math.max(...numbers);
    const span = f(high) - f(low);
    const position = (value: string | number) =>
      span === 0 ? 0.5 : (f(Number(value)) - f(low)) / span;
    const ends = low === high ? [low] : [low, high];
    const middle = log && span >= 2 ? 10 ** Math.round((f(low) + f(high)) / 2) : (low + high) / 2;
    const tickValues = ends.length === 2 ? [low, middle, high] : ends;
    return {
      position,
      ticks: tickValues.map((value) => ({ position: position(value), label: formatTick(value) })),
    };
  }
  const categories = [...new Set(values.map(String))].sort(byNumberThenText);
  const step = categories.length > 1 ? 1 / (categories.length - 1) : 0;
  const position = (value: string | number) =>
    categories.length > 1 ? categories.indexOf(String(value)) * step : 0.5;
  // Past a dozen categories, label every few so the labels stay readable.
  const every = Math.ceil(categories.length / 12);
  return {
    position,
    ticks: categories
      .filter((_, i) => i % every === 0)
      .map((category) => ({ position: position(category), label: category })),
  };
}

/**
 * The rows `parallelCoordinatesSpec` draws, for the runs that have a value on every axis.
 * `colorAxis` (the metric, usually the last axis) colours each run's line.
 */
export function parallelRows(
  runs: readonly ParallelRun[],
  axes: readonly string[],
  colorAxis: string,
): { rows: ParallelRow[]; runs: number } {
  const complete = runs.filter((run) =>
    [...axes, colorAxis].every((axis) => run.values[axis] !== undefined),
  );
  const rows: ParallelRow[] = [];
  axes.forEach((axis, order) => {
    const scale = axisScale(complete.map((run) => run.values[axis] as string | number));
    rows.push({ kind: "axis", axis, order, position: 0, top: 1 });
    for (const tick of complete.length ? scale.ticks : [])
      rows.push({ kind: "tick", axis, order, ...tick });
    for (const run of complete) {
      const value = run.values[axis] as string | number;
      rows.push({
        kind: "line",
        axis,
        order,
        position: scale.position(value),
        label: String(value),
        run: run.id,
        name: run.name,
        color: Number(run.values[colorAxis]),
      });
    }
  });
  return { rows, runs: complete.length };
}

export interface ParallelCoordinatesOptions extends ChartSize {
  /** The metric colouring the lines (and usually the last axis). */
  metric: string;
  /** How many axes, to size the chart. */
  axes: number;
  title?: string;
}

/**
 * Parallel coordinates of a sweep: one vertical axis per param and one for the metric, one line
 * per run across them, coloured by the metric, so the settings of the good runs line up.
 * Reads `parallelRows` from the dataset `points`.
 *
 * @example
 * const { rows } = parallelRows(runs, ["lr", "batch_size", "val_acc"], "val_acc");
 * const spec = parallelCoordinatesSpec({ metric: "val_acc", axes: 3 });
 */
export function parallelCoordinatesSpec(options: ParallelCoordinatesOptions): TopLevelSpec {
  const title = options.title ?? `params → ${options.metric}`;
  const only = (kind: ParallelRow["kind"]) => ({ filter: `datum.kind === '${kind}'` });
  return {
    ...baseSpec(title, { width: Math.max(360, options.axes * 140), ...options }),
    encoding: {
      x: {
        field: "axis",
        type: "nominal",
        sort: { field: "order", op: "min" },
        title: null,
        axis: { orient: "top", labelAngle: 0, domain: false, ticks: false, labelFontWeight: 600 },
        scale: { padding: 0.3 },
      },
      y: {
        field: "position",
        type: "quantitative",
        // A margin above and below, so the top labels clear the axis names.
        scale: { domain: [-0.04, 1.04], nice: false, zero: false },
        axis: null,
      },
    },
    layer: [
      {
        transform: [only("axis")],
        mark: { type: "rule", color: "#9ca3af" },
        encoding: { y2: { field: "top" } },
      },
      {
        transform: [only("line")],
        mark: { type: "line", strokeWidth: 1.5, opacity: 0.75 },
        encoding: {
          detail: { field: "run", type: "nominal" },
          // The stroke channel alone, so the legend is a gradient (Vega draws symbols for a
          // legend shared by stroke and fill).
          stroke: {
            field: "color",
            type: "quantitative",
            title: options.metric,
            scale: { scheme: "viridis" },
          },
        },
      },
      {
        transform: [only("line")],
        // Plain points where a line crosses an axis, to hover for the values.
        mark: { type: "circle", size: 24, opacity: 0.8, color: "#374151" },
        encoding: {
          tooltip: [
            { field: "name", type: "nominal", title: "run" },
            { field: "axis", type: "nominal", title: "axis" },
            { field: "label", type: "nominal", title: "value" },
            { field: "color", type: "quantitative", title: options.metric, format: ".6~g" },
          ],
        },
      },
      {
        transform: [only("tick")],
        mark: { type: "text", align: "left", dx: 5, fontSize: 10, color: "#374151" },
        encoding: { text: { field: "label" } },
      },
    ],
  } as TopLevelSpec;
}
