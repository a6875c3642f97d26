/**
 * A worker thread that plays another writer of a database file: it takes the write lock
 * (BEGIN IMMEDIATE), writes a row, says "locked", and commits once the test flips the shared
 * flag. A worker has its own thread, so it can commit while the test's thread is blocked inside
 * SQLite's busy handler (libSQL's local driver waits synchronously).
 */
import { parentPort, workerData } from "node:worker_threads";
import { createClient } from "@libsql/client";

export interface LockHolderData {
  url: string;
  /** Int32Array over a SharedArrayBuffer; the holder commits when slot 0 becomes non-zero. */
  flag: Int32Array;
  /** Name of the experiment the holder inserts inside its transaction. */
  experimentName: string;
}

const { url, flag, experimentName } = workerData as LockHolderData;
const client = createClient({ url });
const tx = await client.transaction("write");
await tx.execute({
  sql: "INSERT INTO experiments (name, artifact_location, creation_time, last_update_time) VALUES (?, '', 0, 0)",
  args: [experimentName],
});
parentPort?.postMessage("locked");
Atomics.wait(flag, 0, 0);
await tx.commit();
client.close();
parentPort?.postMessage("committed");
