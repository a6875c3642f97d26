import { type BatchJob, type BatchOutcome, errorToWire, type LogBatchResult } from "./batch-job.ts";
import { conflict } from "./errors.ts";
import {
  findLoggedBatch,
  recordLoggedBatch,
  requireActiveRun,
  writeMetrics,
  writeParams,
  writeTags,
} from "./log-batch-write.ts";
import type { SqlTx } from "./sync-connection.ts";
import { nowMs } from "./time.ts";

/** Writes one validated batch in the caller's transaction; an earlier batch id is only acknowledged. */
export async function applyBatchJob(tx: SqlTx, job: BatchJob): Promise<LogBatchResult> {
  const { runId, batchId } = job;
  if (batchId !== undefined) {
    const earlier = await findLoggedBatch(tx, batchId);
    if (earlier) {
      if (earlier.payloadHash !== job.payloadHash || earlier.runId !== runId)
        throw conflict(
          `batchId '${batchId}' was already used for a different batch; give every batch its own id`,
          "batchId",
        );
      return { applied: false, points: job.points };
    }
  }
  await requireActiveRun(tx, runId);
  await writeParams(tx, runId, job.params);
  await writeTags(tx, runId, job.tags);
  await writeMetrics(tx, runId, job.metrics);
  if (batchId !== undefined)
    await recordLoggedBatch(tx, {
      batchId,
      runId,
      payloadHash: job.payloadHash,
      loggedAt: nowMs(),
    });
  return { applied: true, points: job.points };
}

/**
 * Applies several batches in one transaction (group commit), each inside its own SAVEPOINT:
 * a failing batch is rolled back to its savepoint and reported alone, the others stay. None
 * is durable before the caller's COMMIT.
 */
export async function applyBatchJobs(
  tx: SqlTx,
  jobs: readonly BatchJob[],
): Promise<BatchOutcome[]> {
  const outcomes: BatchOutcome[] = [];
  for (const job of jobs) {
    await tx.execute({ sql: "SAVEPOINT batch", args: [] });
    try {
      const result = await applyBatchJob(tx, job);
      await tx.execute({ sql: "RELEASE batch", args: [] });
      outcomes.push({ ok: true, result });
    } catch (error) {
      await tx.execute({ sql: "ROLLBACK TO batch", args: [] });
      await tx.execute({ sql: "RELEASE batch", args: [] });
      outcomes.push({ ok: false, error: errorToWire(error) });
    }
  }
  return outcomes;
}

/**
 * Applies a group commit in a transaction of its own (`transaction` runs BEGIN … COMMIT).
 * First without savepoints — each costs the batch a sub-journal copy of every page it
 * changes, a quarter of its insert time — since batches rarely fail once validated. If one
 * does, that transaction is rolled back whole and the group is applied again with a
 * savepoint per batch, so only the failing ones are refused.
 */
export async function applyBatchGroup(
  transaction: <T>(work: (tx: SqlTx) => Promise<T>) => Promise<T>,
  jobs: readonly BatchJob[],
): Promise<BatchOutcome[]> {
  let aBatchFailed = false;
  try {
    return await transaction(async (tx) => {
      const outcomes: BatchOutcome[] = [];
      for (const job of jobs) {
        try {
          outcomes.push({ ok: true, result: await applyBatchJob(tx, job) });
        } catch (error) {
          aBatchFailed = true;
          throw error;
        }
      }
      return outcomes;
    });
  } catch (error) {
    // BEGIN or COMMIT failed (busy, disk): nothing is stored, and trying again would not help.
    if (!aBatchFailed) throw error;
    if (jobs.length === 1) return [{ ok: false, error: errorToWire(error) }];
    return transaction((tx) => applyBatchJobs(tx, jobs));
  }
}
