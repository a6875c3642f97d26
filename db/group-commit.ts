import {
  type BatchJob,
  type BatchOutcome,
  errorFromWire,
  type LogBatchResult,
} from "./batch-job.ts";
import type { Db } from "./open-db.ts";

type Waiting = {
  job: BatchJob;
  resolve: (result: LogBatchResult) => void;
  reject: (error: unknown) => void;
};

/** Most batches that share one transaction. */
const maxJobsPerCommit = 64;

/**
 * Group commit: batches that arrive while the writer is busy are applied together in the
 * next transaction, each inside its own SAVEPOINT, so one commit (and one fsync) serves
 * several clients. Each batch stays all-or-nothing — a failing one is rolled back to its
 * savepoint and rejected alone — and none is acknowledged before the shared COMMIT.
 */
class GroupCommitter {
  readonly #db: Db;
  #waiting: Waiting[] = [];
  #scheduled = false;

  constructor(db: Db) {
    this.#db = db;
  }

  submit(job: BatchJob): Promise<LogBatchResult> {
    return new Promise<LogBatchResult>((resolve, reject) => {
      this.#waiting.push({ job, resolve, reject });
      if (!this.#scheduled) this.#schedule();
    });
  }

  #schedule(): void {
    this.#scheduled = true;
    // The jobs are taken when the write queue reaches this transaction, not now: everything
    // submitted while earlier writes ran joins it.
    let taken: Waiting[] = [];
    this.#db
      .applyBatches(() => {
        taken = this.#waiting.splice(0, maxJobsPerCommit);
        this.#scheduled = false;
        if (this.#waiting.length > 0) this.#schedule();
        return taken.map((waiting) => waiting.job);
      })
      .then(
        (outcomes: BatchOutcome[]) => {
          taken.forEach((waiting, i) => {
            const outcome = outcomes[i];
            if (!outcome) waiting.reject(new Error("the writer returned no outcome for a batch"));
            else if (outcome.ok) waiting.resolve(outcome.result);
            else waiting.reject(errorFromWire(outcome.error));
          });
        },
        (error: unknown) => {
          // The transaction as a whole failed (busy, disk, commit): nothing of it is stored.
          for (const waiting of taken) waiting.reject(error);
          if (taken.length === 0) {
            const waiting = this.#waiting.splice(0);
            this.#scheduled = false;
            for (const one of waiting) one.reject(error);
          }
        },
      );
  }
}

const committers = new WeakMap<Db, GroupCommitter>();

/** Applies a validated batch in a write transaction shared with other batches of the same database. */
export function groupedBatchWrite(db: Db, job: BatchJob): Promise<LogBatchResult> {
  let committer = committers.get(db);
  if (!committer) {
    committer = new GroupCommitter(db);
    committers.set(db, committer);
  }
  return committer.submit(job);
}
