import type { MetricSeriesRow } from "./schema/index.ts";
import { intOf, intOrNull, realOrNull, type SqlRow, specialOrNull, textOf } from "./sql-text.ts";

/** A `metric_series` row read with hand-written SQL (`SELECT *`), typed as the table defines it. */
export function seriesFromRow(row: SqlRow): MetricSeriesRow {
  return {
    id: intOf(row, "id"),
    runId: textOf(row, "run_id"),
    key: textOf(row, "key"),
    count: intOf(row, "count"),
    lastValue: realOrNull(row, "last_value"),
    lastSpecial: specialOrNull(row, "last_special"),
    lastStep: intOf(row, "last_step"),
    lastTimestamp: intOf(row, "last_timestamp"),
    minValue: realOrNull(row, "min_value"),
    minSpecial: specialOrNull(row, "min_special"),
    minStep: intOrNull(row, "min_step"),
    maxValue: realOrNull(row, "max_value"),
    maxSpecial: specialOrNull(row, "max_special"),
    maxStep: intOrNull(row, "max_step"),
  };
}
