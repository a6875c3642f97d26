/**
 * Runs `VACUUM INTO` for db/backup.ts on a connection of its own, in a worker thread: the
 * local driver is synchronous, and a copy of a large database would otherwise stop the
 * server's event loop for as long as it takes. In WAL mode the copy is a read transaction,
 * so the server goes on writing meanwhile; the copy is the database as of its start.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "libsql";

export interface BackupWorkerData {
  dbPath: string;
  targetPath: string;
  busyTimeoutMs: number;
}

export type BackupWorkerReply = { ok: true } | { ok: false; code: string; message: string };

const { dbPath, targetPath, busyTimeoutMs } = workerData as BackupWorkerData;
let reply: BackupWorkerReply;
try {
  const connection = new Database(dbPath, { timeout: busyTimeoutMs });
  try {
    connection.prepare("VACUUM INTO ?").run([targetPath]);
    reply = { ok: true };
  } finally {
    connection.close();
  }
} catch (error) {
  const { code, message } = error as { code?: unknown; message?: unknown };
  reply = { ok: false, code: String(code ?? ""), message: String(message ?? error) };
}
parentPort?.postMessage(reply);
