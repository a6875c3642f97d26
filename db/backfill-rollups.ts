import { sql } from "drizzle-orm";
import { newColumns } from "./batch-job.ts";
import { updateRollups } from "./metric-rollups.ts";
import { decodeMetricValue } from "./metric-value.ts";
import type { Db } from "./open-db.ts";

const pointsPerChunk = 50_000;

/**
 * Builds rollups for series logged before rollups existed (databases from before migration
 * 0002). Every write keeps them current afterwards, so this finds nothing on later starts.
 */
export async function backfillRollups(db: Db): Promise<void> {
  const missing = await db.orm.all<{ id: number }>(
    sql`SELECT s.id AS id FROM metric_series s WHERE NOT EXISTS (SELECT 1 FROM metric_rollups r WHERE r.series_id = s.id)`,
  );
  for (const { id } of missing) {
    let afterRowid = -1;
    for (;;) {
      const rows = await db.orm.all<{
        rowid: number;
        step: number;
        timestamp: number;
        value: number | null;
        special: string | null;
      }>(
        sql`SELECT rowid, step, timestamp, value, special FROM metric_points WHERE series_id = ${id} AND rowid > ${afterRowid} ORDER BY rowid LIMIT ${pointsPerChunk}`,
      );
      if (rows.length === 0) break;
      afterRowid = rows.at(-1)?.rowid ?? afterRowid;
      const columns = newColumns(rows.length);
      rows.forEach((row, i) => {
        columns.steps[i] = row.step;
        columns.timestamps[i] = row.timestamp;
        columns.values[i] = decodeMetricValue(row.value, row.special);
      });
      await db.writeSql((tx) => updateRollups(tx, id, columns));
    }
  }
}
