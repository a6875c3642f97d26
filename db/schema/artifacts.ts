import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { runTable } from "./runs.ts";

/**
 * The index of a run's artifacts: one row per file uploaded through labbook, with what was
 * measured while it streamed in. The files themselves are in the run's artifact store.
 */
export const artifactTable = sqliteTable(
  "artifacts",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runTable.id, { onDelete: "cascade" }),
    /** Relative to the run's artifact folder: `model/weights.bin`. */
    path: text("path").notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256"),
    /**
     * CRC-32/IEEE of the content (as S3's CRC32 checksum), unsigned: a check of a transfer
     * far cheaper than the SHA-256. Recorded with the SHA-256, so null while that is; null
     * too for files indexed before labbook recorded it.
     */
    crc32: integer("crc32"),
    contentType: text("content_type").notNull(),
    /** Milliseconds UTC of the last upload. */
    lastModified: integer("last_modified").notNull(),
  },
  (table) => [primaryKey({ columns: [table.runId, table.path] })],
);

/**
 * Runs that garbage collection has started to delete for good (a tombstone): their files are
 * being removed, so they can no longer be restored or written to. The run's rows, this one
 * included, are deleted only once its files are gone; an interrupted collection finds its
 * runs here and finishes them.
 */
export const runPurgeTable = sqliteTable("run_purges", {
  runId: text("run_id").primaryKey(),
  artifactUri: text("artifact_uri").notNull(),
  startedTime: integer("started_time").notNull(),
});

export type ArtifactRow = typeof artifactTable.$inferSelect;
export type RunPurgeRow = typeof runPurgeTable.$inferSelect;
