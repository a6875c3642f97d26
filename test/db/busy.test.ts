import { once } from "node:events";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import {
  createExperiment,
  createRun,
  type Db,
  getExperimentByName,
  logBatch,
  metricSummariesByRunIds,
} from "../../db/index.ts";
import { fileTarget } from "../support/db-targets.ts";
import type { LockHolderData } from "./lock-holder.ts";
import { expectStoreError } from "./store-assertions.ts";

/** A second, raw libSQL client on the same file, as another process would have. */
const rawClient = (db: Db) => createClient({ url: pathToFileURL(db.filePath ?? "").href });

/** Metric keys and counts as a brand-new client reads them from the file. */
async function metricsOnDisk(db: Db): Promise<{ key: unknown; count: unknown }[]> {
  const fresh = rawClient(db);
  try {
    const result = await fresh.execute("SELECT key, count FROM metric_series ORDER BY key");
    return result.rows.map((row) => ({ key: row.key, count: row.count }));
  } finally {
    fresh.close();
  }
}

/** Resolves with the worker's next message, or rejects if it fails first. */
function nextMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      worker.off("message", onMessage);
      reject(error);
    };
    const onMessage = (message: unknown) => {
      worker.off("error", onError);
      resolve(message);
    };
    worker.once("message", onMessage);
    worker.once("error", onError);
  });
}

// libsql-client-ts#352: after SQLITE_BUSY, later writes must neither vanish nor keep failing.
describe("store on file: another writer holds the lock", () => {
  it("fails a write with a busy error once the busy timeout passes", async () => {
    const db = await fileTarget.open({ busyTimeoutMs: 100 });
    const other = rawClient(db);
    try {
      const run = await createRun(db, {});
      const held = await other.transaction("write");
      const error = await expectStoreError(
        logBatch(db, { runId: run.id, metrics: [{ key: "while-locked", values: [1] }] }),
        { kind: "busy", message: /locked by another process/ },
      );
      expect(error.cause).toMatchObject({ code: "SQLITE_BUSY" });
      await held.rollback();
    } finally {
      other.close();
      await db.close();
    }
    expect(await metricsOnDisk(db)).toEqual([]);
  });

  it("keeps later writes after a busy error, on disk and not only in its own view", async () => {
    const db = await fileTarget.open({ busyTimeoutMs: 100 });
    const other = rawClient(db);
    let runId = "";
    try {
      const run = await createRun(db, {});
      runId = run.id;
      const held = await other.transaction("write");
      await held.execute(
        "INSERT INTO experiments (name, artifact_location, creation_time, last_update_time) VALUES ('from-other', '', 0, 0)",
      );
      await expectStoreError(
        logBatch(db, { runId, metrics: [{ key: "while-locked", values: [1] }] }),
        { kind: "busy" },
      );
      await held.commit();

      expect(
        await logBatch(db, { runId, metrics: [{ key: "after", values: [1, 2], steps: [0, 1] }] }),
      ).toEqual({ applied: true, points: 2 });
      await createExperiment(db, { name: "after-busy" });
      expect((await getExperimentByName(db, "from-other"))?.name).toBe("from-other");
      const summaries = (await metricSummariesByRunIds(db, [runId])).get(runId) ?? [];
      expect(summaries.map((s) => [s.key, s.count])).toEqual([["after", 2]]);
    } finally {
      other.close();
      await db.close();
    }

    expect(await metricsOnDisk(db)).toEqual([{ key: "after", count: 2 }]);
    const fresh = rawClient(db);
    try {
      const names = await fresh.execute("SELECT name FROM experiments ORDER BY id");
      expect(names.rows.map((row) => row.name)).toEqual(["Default", "from-other", "after-busy"]);
      const runs = await fresh.execute({ sql: "SELECT id FROM runs WHERE id = ?", args: [runId] });
      expect(runs.rows).toHaveLength(1);
    } finally {
      fresh.close();
    }
  });

  it("recovers after several busy errors in a row", async () => {
    const db = await fileTarget.open({ busyTimeoutMs: 50 });
    const other = rawClient(db);
    try {
      const run = await createRun(db, {});
      const held = await other.transaction("write");
      for (const key of ["a", "b", "c"])
        await expectStoreError(logBatch(db, { runId: run.id, metrics: [{ key, values: [1] }] }), {
          kind: "busy",
        });
      await expectStoreError(createExperiment(db, { name: "locked-out" }), { kind: "busy" });
      await held.rollback();
      for (const key of ["d", "e"])
        await logBatch(db, { runId: run.id, metrics: [{ key, values: [1] }] });
    } finally {
      other.close();
      await db.close();
    }
    expect(await metricsOnDisk(db)).toEqual([
      { key: "d", count: 1 },
      { key: "e", count: 1 },
    ]);
  });

  it("waits for the lock instead of failing when the other writer commits within the timeout", async () => {
    const db = await fileTarget.open({ busyTimeoutMs: 10_000 });
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const workerData: LockHolderData = {
      url: pathToFileURL(db.filePath ?? "").href,
      flag,
      experimentName: "from-the-other-writer",
    };
    const worker = new Worker(new URL("./lock-holder.ts", import.meta.url), { workerData });
    const exited = once(worker, "exit");
    try {
      const run = await createRun(db, {});
      expect(await nextMessage(worker)).toBe("locked");

      // The lock is held now. Start the write, then let the other writer commit: this thread
      // blocks in SQLite's busy handler until the worker's commit frees the lock.
      const logged = logBatch(db, { runId: run.id, metrics: [{ key: "waited", values: [1] }] });
      const committed = nextMessage(worker);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);

      expect(await logged).toEqual({ applied: true, points: 1 });
      expect(await committed).toBe("committed");
      expect(await getExperimentByName(db, "from-the-other-writer")).toBeDefined();
    } finally {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      await exited;
      await db.close();
    }
    expect(await metricsOnDisk(db)).toEqual([{ key: "waited", count: 1 }]);
  });
});
