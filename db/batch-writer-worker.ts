/**
 * The writer thread of a database file: applies group commits of logBatch jobs on a
 * connection of its own (db/batch-writer.ts sends them). The driver is synchronous, so on the
 * main thread every statement of a batch stopped the server from parsing the next request;
 * here SQLite writes while the main thread handles HTTP and GraphQL.
 */
import { parentPort, workerData } from "node:worker_threads";
import { applyBatchGroup } from "./apply-batches.ts";
import { type BatchJob, type BatchOutcome, errorToWire } from "./batch-job.ts";
import { SyncConnection } from "./sync-connection.ts";

export interface BatchWriterData {
  dbPath: string;
  busyTimeoutMs: number;
}

export type BatchWriterRequest =
  | { type: "apply"; id: number; jobs: BatchJob[] }
  | { type: "reopen"; id: number };

export type BatchWriterReply =
  | { id: number; ok: true; outcomes: BatchOutcome[] }
  | { id: number; ok: false; error: ReturnType<typeof errorToWire> };

const { dbPath, busyTimeoutMs } = workerData as BatchWriterData;
const connection = new SyncConnection(dbPath, busyTimeoutMs);
const port = parentPort;
if (!port) throw new Error("batch-writer-worker.ts runs as a worker thread");

port.on("message", async (request: BatchWriterRequest) => {
  let reply: BatchWriterReply;
  try {
    if (request.type === "reopen") {
      connection.reopen();
      reply = { id: request.id, ok: true, outcomes: [] };
    } else {
      const { jobs } = request;
      const outcomes = await applyBatchGroup((work) => connection.transaction(work), jobs);
      reply = { id: request.id, ok: true, outcomes };
    }
  } catch (error) {
    // The transaction as a whole failed (busy, disk, commit): none of its jobs is stored.
    reply = { id: request.id, ok: false, error: errorToWire(error) };
  }
  port.postMessage(reply);
});
