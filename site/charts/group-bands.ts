import type { TopLevelSpec } from "vega-lite";
import { type MetricValue, toNumber } from "./data.ts";
import { baseSpec, type ChartSize, hoverLayer, xEncoding, yEncoding } from "./encoding.ts";

/** One group as the API's `metricGroups` returns it: runs sharing the values of some params. */
export interface MetricGroupInput {
  values: readonly { key: string; value: string | null }[];
  runCount: number;
  points: readonly {
    step: number | string;
    mean: MetricValue | null;
    min: MetricValue | null;
    max: MetricValue | null;
    runs: number;
  }[];
}

/** A row of `groupBandsSpec`'s data: one step of one group. */
export interface GroupBandRow {
  group: string;
  step: number;
  mean: number;
  min: number;
  max: number;
  runs: number;
}

/** A group's name for the legend: `lr=0.01, batch=64 (3 runs)`; `—` for runs without the param. */
export function groupLabel(group: Pick<MetricGroupInput, "values" | "runCount">): string {
  const values = group.values
    .map(({ key, value }) => `${key.replace(/^params\./, "")}=${value ?? "—"}`)
    .join(", ");
  return `${values} (${group.runCount} run${group.runCount === 1 ? "" : "s"})`;
}

/** The rows `groupBandsSpec` draws: each group's steps whose mean, min and max are finite. */
export function groupBandRows(groups: readonly MetricGroupInput[]): GroupBandRow[] {
  return groups.flatMap((group) => {
    const label = groupLabel(group);
    return group.points.flatMap((point) => {
      const [mean, min, max] = [point.mean, point.min, point.max].map(toNumber);
      if (!Number.isFinite(mean) || !Number.isFinite(min) || !Number.isFinite(max)) return [];
      return [
        {
          group: label,
          step: Number(point.step),
          mean,
          min,
          max,
          runs: point.runs,
        } as GroupBandRow,
      ];
    });
  });
}

export interface GroupBandsOptions extends ChartSize {
  metric: string;
  /** The params the groups are made by, for the title. */
  groupBy: readonly string[];
  title?: string;
  logY?: boolean;
}

/**
 * Runs grouped by params (a seed, a learning rate): each group's mean curve over a band from
 * its min to its max at each step, with the step's mean, range and run count on hover. Reads
 * `groupBandRows` from the dataset `points`.
 *
 * @example
 * const spec = groupBandsSpec({ metric: "val_loss", groupBy: ["params.lr"] });
 */
export function groupBandsSpec(options: GroupBandsOptions): TopLevelSpec {
  const by = options.groupBy.map((key) => key.replace(/^params\./, "")).join(", ");
  const title = options.title ?? `${options.metric}: mean and min–max by ${by}`;
  const y = yEncoding("mean", options.metric, options.logY);
  return {
    ...baseSpec(title, options),
    transform: options.logY ? [{ filter: "datum.min > 0" }] : [],
    encoding: {
      x: xEncoding("step"),
      color: {
        field: "group",
        type: "nominal",
        title: "group",
        legend: { orient: "bottom", columns: 2, labelLimit: 320 },
      },
    },
    layer: [
      {
        mark: { type: "area", opacity: 0.18, interpolate: "linear" },
        encoding: { y: { ...y, field: "min" }, y2: { field: "max" } },
      },
      { mark: { type: "line", strokeWidth: 1.8, interpolate: "linear" }, encoding: { y } },
      hoverLayer(y, [
        { field: "group", type: "nominal", title: "group" },
        { field: "step", type: "quantitative", title: "step", format: "," },
        { field: "mean", type: "quantitative", title: `mean ${options.metric}`, format: ".6~g" },
        { field: "min", type: "quantitative", title: "min", format: ".6~g" },
        { field: "max", type: "quantitative", title: "max", format: ".6~g" },
        { field: "runs", type: "quantitative", title: "runs" },
      ]),
    ],
  } as TopLevelSpec;
}
