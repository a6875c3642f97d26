import Database from "libsql";

/**
 * The ingestion baseline, frozen: the same rows inserted straight into the same table with
 * the synchronous `libsql` driver — 1000-row multi-VALUES statements, one transaction per
 * batch, no validation, no summaries, no HTTP. What labbook's logBatch is measured against.
 *
 * Each batch names its series: the benchmark's four clients log to four runs, and rows of
 * four series interleaved cost about twice as much to index as rows of one (the
 * (series_id, step) index grows at four places instead of at its end).
 */
export function rawInsertPoints(
  dbFile: string,
  batches: readonly {
    seriesId: number;
    steps: number[];
    values: number[];
    timestamps: number[];
  }[],
): number {
  const db = new Database(dbFile);
  db.exec("PRAGMA journal_mode = WAL");
  const placeholders = Array.from({ length: 1000 }, () => "(?, ?, ?, ?, NULL)").join(", ");
  const insert = db.prepare(
    `INSERT INTO metric_points (series_id, step, timestamp, value, special) VALUES ${placeholders}`,
  );
  const start = performance.now();
  for (const batch of batches) {
    const args: number[] = [];
    for (let i = 0; i < batch.steps.length; i++)
      args.push(
        batch.seriesId,
        batch.steps[i] ?? 0,
        batch.timestamps[i] ?? 0,
        batch.values[i] ?? 0,
      );
    db.exec("BEGIN IMMEDIATE");
    insert.run(args);
    db.exec("COMMIT");
  }
  const ms = performance.now() - start;
  db.close();
  return ms;
}
