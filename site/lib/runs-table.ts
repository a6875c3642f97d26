import { type MetricValue, toNumber } from "../charts/data.ts";
import type { SnapshotRun } from "../snapshot/types.ts";

/** A column of the runs table. */
export interface RunColumn {
  id: string;
  label: string;
  kind: "attribute" | "param" | "metric";
  /** Numbers sort as numbers. */
  numeric: boolean;
  /** Hidden until the reader shows it: values that never vary, and metric min/max. */
  hidden: boolean;
}

/** One run as the page's script filters it (the search grammar's view of a run). */
export interface RunRecord {
  id: string;
  name: string;
  status: string;
  startTime: number;
  endTime: number | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, MetricValue>;
  /** Cell values by column id, as shown and as written to CSV. */
  cells: Record<string, string | number | null>;
}

const distinct = (values: readonly unknown[]) =>
  new Set(values.map((v) => JSON.stringify(v ?? null))).size;

/** Params whose value differs between runs (a run without the param counts as different). */
export function varyingParamKeys(runs: readonly Pick<SnapshotRun, "params">[]): string[] {
  const keys = [...new Set(runs.flatMap((run) => run.params.map((p) => p.key)))].sort();
  return keys.filter(
    (key) => distinct(runs.map((run) => run.params.find((p) => p.key === key)?.value)) > 1,
  );
}

const cell = (value: MetricValue | null | undefined): number | string | null => {
  if (value == null) return null;
  const number = toNumber(value);
  return Number.isFinite(number) ? number : String(value);
};

/**
 * The runs table: columns (params, then metric summaries) and a record per run. With
 * `extremes`, each metric also has its min and max columns (hidden until shown).
 */
export function runsTable(
  runs: readonly SnapshotRun[],
  options: { extremes?: boolean } = {},
): {
  columns: RunColumn[];
  records: RunRecord[];
} {
  const paramKeys = [...new Set(runs.flatMap((run) => run.params.map((p) => p.key)))].sort();
  const metricKeys = [...new Set(runs.flatMap((run) => run.metrics.map((m) => m.key)))].sort();
  const records: RunRecord[] = runs.map((run) => {
    const cells: RunRecord["cells"] = {
      name: run.name,
      status: run.status,
      start_time: run.startTime,
      duration: run.endTime == null ? null : (run.endTime - run.startTime) / 1000,
    };
    for (const param of run.params) cells[`params.${param.key}`] = param.value;
    for (const metric of run.metrics) {
      cells[`metrics.${metric.key}`] = cell(metric.last);
      cells[`metrics.${metric.key}:min`] = cell(metric.min);
      cells[`metrics.${metric.key}:max`] = cell(metric.max);
    }
    return {
      id: run.id,
      name: run.name,
      status: run.status,
      startTime: run.startTime,
      endTime: run.endTime,
      params: Object.fromEntries(run.params.map((p) => [p.key, p.value])),
      tags: Object.fromEntries(run.tags.map((t) => [t.key, t.value])),
      metrics: Object.fromEntries(run.metrics.map((m) => [m.key, m.last])),
      cells,
    };
  });
  const constant = (id: string) =>
    records.length > 1 && distinct(records.map((r) => r.cells[id])) <= 1;
  const columns: RunColumn[] = [
    { id: "name", label: "run", kind: "attribute", numeric: false, hidden: false },
    {
      id: "status",
      label: "status",
      kind: "attribute",
      numeric: false,
      hidden: constant("status"),
    },
    { id: "start_time", label: "started", kind: "attribute", numeric: true, hidden: false },
    { id: "duration", label: "duration (s)", kind: "attribute", numeric: true, hidden: false },
    ...paramKeys.map((key) => {
      const id = `params.${key}`;
      const numeric = records.every(
        (r) => r.cells[id] == null || Number.isFinite(Number(r.cells[id])),
      );
      return { id, label: id, kind: "param" as const, numeric, hidden: constant(id) };
    }),
    ...metricKeys.flatMap((key) =>
      (options.extremes === false ? ([""] as const) : (["", ":min", ":max"] as const)).map(
        (suffix) => {
          const id = `metrics.${key}${suffix}`;
          return {
            id,
            label: suffix ? `${key} ${suffix.slice(1)}` : id,
            kind: "metric" as const,
            numeric: true,
            hidden: suffix !== "" || constant(id),
          };
        },
      ),
    ),
  ];
  return { columns, records };
}
