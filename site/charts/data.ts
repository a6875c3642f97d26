import { smooth, smoothedField, smoothingWeights } from "./smoothing.ts";

/** A metric value as the API returns it: a number, or "NaN" / "Infinity" / "-Infinity". */
export type MetricValue = number | string;

/** Reads an API metric value as a number (non-finite strings become NaN or ±Infinity). */
export const toNumber = (value: MetricValue | null | undefined): number =>
  value == null ? Number.NaN : typeof value === "number" ? value : Number(value);

/** One metric of one run, as parallel lists (what `metric.history` returns). */
export interface MetricSeries {
  runId: string;
  runName: string;
  steps: readonly number[];
  values: readonly MetricValue[];
  timestamps: readonly number[];
}

/** A row of `metricLinesSpec`'s data: one point, with its smoothed values beside it. */
export interface MetricPointRow {
  run: string;
  name: string;
  step: number;
  time: number;
  value: number | null;
  [smoothed: `smoothed_${number}`]: number | null;
}

/**
 * The rows `metricLinesSpec` draws: one per point with a finite value, each carrying the
 * series smoothed at every weight the chart offers.
 */
export function metricPointRows(
  series: readonly MetricSeries[],
  weights: readonly number[] = smoothingWeights,
): MetricPointRow[] {
  return series.flatMap((one) => {
    const values = one.values.map(toNumber);
    const smoothed = weights
      .filter((weight) => weight > 0)
      .map((weight) => [smoothedField(weight), smooth(values, weight)] as const);
    const rows: MetricPointRow[] = [];
    values.forEach((value, i) => {
      if (!Number.isFinite(value)) return;
      const row: MetricPointRow = {
        run: one.runId,
        name: one.runName,
        step: one.steps[i] ?? i,
        time: one.timestamps[i] ?? 0,
        value,
      };
      for (const [field, list] of smoothed) row[field as `smoothed_${number}`] = list[i] ?? null;
      rows.push(row);
    });
    return rows;
  });
}

/** A row of `paramScatterSpec`'s data: one run, its param and its metric. */
export interface ParamPointRow {
  run: string;
  name: string;
  param: number | string;
  value: number;
}

/** The runs that have both the param and a finite metric value, as scatter rows. */
export function paramPointRows(
  runs: readonly {
    id: string;
    name: string;
    param: string | undefined;
    metric: MetricValue | undefined;
  }[],
): { rows: ParamPointRow[]; numeric: boolean } {
  const present = runs.filter(
    (run) => run.param !== undefined && Number.isFinite(toNumber(run.metric)),
  );
  const numeric =
    present.length > 0 &&
    present.every((run) => run.param !== "" && Number.isFinite(Number(run.param)));
  return {
    numeric,
    rows: present.map((run) => ({
      run: run.id,
      name: run.name,
      param: numeric ? Number(run.param) : (run.param as string),
      value: toNumber(run.metric),
    })),
  };
}
