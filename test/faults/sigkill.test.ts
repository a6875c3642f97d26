import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { operations } from "../api/operations.ts";
import {
  numberedBatch,
  pointsPerBatch,
  presenceOf,
  runContentsViaApi,
  sendBatch,
  startBatchStream,
} from "../support/batch-stream.ts";
import { type ServerProcess, startServer } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";

const servers: ServerProcess[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop("SIGKILL")));
});

async function server(dbPath: string, artifacts: string): Promise<ServerProcess> {
  const started = await startServer({ db: dbPath, artifacts });
  servers.push(started);
  return started;
}

/** Batches acknowledged before the kill; the stream keeps this many requests in flight. */
const ackedBeforeKill = 40;
const concurrency = 8;

describe("SIGKILL in the middle of a stream of batches", () => {
  it("keeps every acknowledged batch whole, no batch in part, and applies resent batches once", async () => {
    const dir = tempDir();
    const dbPath = join(dir, "labbook.db");
    const artifacts = join(dir, "artifacts");
    const first = await server(dbPath, artifacts);
    const ops = operations(first.info.url);
    const runId = (await ops.createRun(await ops.createExperiment("killed"), "run")).id;

    const stream = startBatchStream(first.info.url, runId, concurrency);
    await stream.whenAcked(ackedBeforeKill);
    const inFlightAtKill = stream.inFlight();
    first.child.kill("SIGKILL");
    await stream.stop();
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });

    // The kill came with requests in flight, and some of them never got an answer.
    expect(inFlightAtKill).toBeGreaterThan(0);
    const acked = [...stream.acked].sort((a, b) => a - b);
    const unacked = [...stream.failed.keys()].sort((a, b) => a - b);
    expect(acked.length).toBeGreaterThanOrEqual(ackedBeforeKill);
    expect(unacked.length).toBeGreaterThan(0);
    expect([...acked, ...unacked].sort((a, b) => a - b)).toEqual(
      [...stream.sent].sort((a, b) => a - b),
    );

    // A new server takes over the stale lock the killed one left.
    const second = await server(dbPath, artifacts);
    const lock = JSON.parse(readFileSync(`${dbPath}.lock`, "utf8")) as { pid: number };
    expect(lock.pid).toBe(second.info.pid);

    const after = await runContentsViaApi(second.info.url, runId);
    for (const i of acked) expect(presenceOf(after, i), `acknowledged batch ${i}`).toBe("whole");
    const partial = stream.sent.filter((i) => presenceOf(after, i) === "partial");
    expect(partial).toEqual([]);
    const committed = new Set(stream.sent.filter((i) => presenceOf(after, i) === "whole"));
    expect(after.summaryCount).toBe(committed.size * pointsPerBatch);
    expect(after.historyLength).toBe(committed.size * pointsPerBatch);
    expect(after.stepsUnique).toBe(true);
    // Nothing but the numbered batches is there (no stray params or tags).
    expect(after.params.size).toBe(committed.size);
    expect(after.tags.size).toBe(committed.size);

    // Resent with the same ids, an unacknowledged batch is applied if it was lost, and only
    // acknowledged if it had been committed before the kill; a second resend applies nothing.
    for (const i of unacked)
      expect(await sendBatch(second.info.url, numberedBatch(runId, i)), `resent batch ${i}`).toBe(
        !committed.has(i),
      );
    for (const i of unacked)
      expect(await sendBatch(second.info.url, numberedBatch(runId, i))).toBe(false);

    const final = await runContentsViaApi(second.info.url, runId);
    for (const i of stream.sent) expect(presenceOf(final, i), `batch ${i}`).toBe("whole");
    expect(final.summaryCount).toBe(stream.sent.length * pointsPerBatch);
    expect(final.historyLength).toBe(stream.sent.length * pointsPerBatch);
    expect(final.stepsUnique).toBe(true);
    expect(final.params.size).toBe(stream.sent.length);
  });
});
