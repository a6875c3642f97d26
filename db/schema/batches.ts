import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Batches already applied, by the client's batch id: a retried batch is acknowledged again
 * without being applied twice. The payload hash tells a retry from a different batch that
 * reuses an id.
 */
export const loggedBatchTable = sqliteTable("logged_batches", {
  batchId: text("batch_id").primaryKey(),
  runId: text("run_id").notNull(),
  payloadHash: text("payload_hash").notNull(),
  loggedAt: integer("logged_at").notNull(),
});
