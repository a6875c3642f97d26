import type { TopLevelSpec } from "vega-lite";
import { type MetricValue, toNumber } from "./data.ts";
import { baseSpec, type ChartSize } from "./encoding.ts";

/** A row of `bestValueBarsSpec`'s data: one run's best value, and its place (1: the best). */
export interface BestValueRow {
  run: string;
  name: string;
  /** The name shown on the axis: the run's name, with its id's start when names repeat. */
  label: string;
  value: number;
  rank: number;
}

/**
 * Each run's best value of a metric (its max when higher is better, else its min), best first.
 * Runs without a finite value are left out.
 */
export function bestValueRows(
  runs: readonly { id: string; name: string; min: MetricValue | null; max: MetricValue | null }[],
  goal: "max" | "min",
): BestValueRow[] {
  const counts = new Map<string, number>();
  for (const run of runs) counts.set(run.name, (counts.get(run.name) ?? 0) + 1);
  return runs
    .map((run) => ({
      run: run.id,
      name: run.name,
      label: (counts.get(run.name) ?? 0) > 1 ? `${run.name} (${run.id.slice(0, 7)})` : run.name,
      value: toNumber(goal === "max" ? run.max : run.min),
    }))
    .filter((row) => Number.isFinite(row.value))
    .sort((a, b) => (goal === "max" ? b.value - a.value : a.value - b.value))
    .map((row, i) => ({ ...row, rank: i + 1 }));
}

export interface BestValueBarsOptions extends Omit<ChartSize, "height"> {
  metric: string;
  goal: "max" | "min";
  title?: string;
}

/**
 * A bar per run of its best value, best run on top, the value at each bar's end. The height
 * grows with the runs (a step per bar). Reads `bestValueRows` from the dataset `points`.
 *
 * @example
 * const spec = bestValueBarsSpec({ metric: "val_acc", goal: "max" });
 */
export function bestValueBarsSpec(options: BestValueBarsOptions): TopLevelSpec {
  const best = options.goal === "max" ? "highest" : "lowest";
  const title = options.title ?? `best ${options.metric} per run (${best})`;
  // Narrower than the others: run names on the left and values past the bars' ends.
  const base = baseSpec(title, { width: 400, ...options });
  return {
    ...base,
    height: { step: 18 },
    encoding: {
      y: {
        field: "label",
        type: "nominal",
        title: null,
        sort: { field: "rank", op: "min" },
        axis: { labelLimit: 220 },
      },
      x: {
        field: "value",
        type: "quantitative",
        title: `${options.metric} (${best})`,
      },
      tooltip: [
        { field: "name", type: "nominal", title: "run" },
        { field: "value", type: "quantitative", title: options.metric, format: ".6~g" },
        { field: "rank", type: "quantitative", title: "rank" },
      ],
    },
    layer: [
      { mark: { type: "bar", color: "#2563eb", opacity: 0.85, height: { band: 0.75 } } },
      {
        mark: { type: "text", align: "left", dx: 3, fontSize: 10, color: "#374151" },
        encoding: { text: { field: "value", type: "quantitative", format: ".4~g" } },
      },
    ],
  } as TopLevelSpec;
}
