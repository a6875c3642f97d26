import { asc, eq, sql } from "drizzle-orm";
import { decodeMetricValue } from "./metric-value.ts";
import type { Db } from "./open-db.ts";
import { metricPointTable } from "./schema/index.ts";

/** A metric's points as parallel lists: compact on the wire and cheap to chart. */
export interface MetricHistory {
  steps: number[];
  values: number[];
  timestamps: number[];
}

/** Every point of one series in step order (then time, then logging order). */
export async function metricHistory(db: Db, seriesId: number): Promise<MetricHistory> {
  const rows = await db.orm
    .select({
      step: metricPointTable.step,
      timestamp: metricPointTable.timestamp,
      value: metricPointTable.value,
      special: metricPointTable.special,
    })
    .from(metricPointTable)
    .where(eq(metricPointTable.seriesId, seriesId))
    .orderBy(asc(metricPointTable.step), asc(metricPointTable.timestamp), asc(sql`rowid`));
  const history: MetricHistory = { steps: [], values: [], timestamps: [] };
  for (const row of rows) {
    history.steps.push(row.step);
    history.values.push(decodeMetricValue(row.value, row.special));
    history.timestamps.push(row.timestamp);
  }
  return history;
}
