import type { Db } from "./open-db.ts";
import type { SqlTx } from "./sync-connection.ts";

type Job = {
  work: (tx: SqlTx) => Promise<unknown>;
  resolve: (value: unknown) => void;
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
  #pending: Job[] = [];
  #scheduled = false;

  constructor(db: Db) {
    this.#db = db;
  }

  submit<T>(work: (tx: SqlTx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) this.#schedule();
    });
  }

  #schedule(): void {
    this.#scheduled = true;
    // The jobs are taken when the write queue reaches this transaction, not now: everything
    // submitted while earlier writes ran joins it.
    let jobs: Job[] = [];
    const outcomes: { job: Job; ok: boolean; value: unknown }[] = [];
    this.#db
      .writeSql(async (tx) => {
        jobs = this.#pending.splice(0, maxJobsPerCommit);
        this.#scheduled = false;
        if (this.#pending.length > 0) this.#schedule();
        for (const job of jobs) {
          await tx.execute({ sql: "SAVEPOINT batch", args: [] });
          try {
            const value = await job.work(tx);
            await tx.execute({ sql: "RELEASE batch", args: [] });
            outcomes.push({ job, ok: true, value });
          } catch (error) {
            await tx.execute({ sql: "ROLLBACK TO batch", args: [] });
            await tx.execute({ sql: "RELEASE batch", args: [] });
            outcomes.push({ job, ok: false, value: error });
          }
        }
      })
      .then(
        () => {
          for (const { job, ok, value } of outcomes) (ok ? job.resolve : job.reject)(value);
        },
        (error: unknown) => {
          // The transaction as a whole failed (busy, disk, commit): nothing of it is stored.
          for (const job of jobs) job.reject(error);
          if (jobs.length === 0) {
            const waiting = this.#pending.splice(0);
            this.#scheduled = false;
            for (const job of waiting) job.reject(error);
          }
        },
      );
  }
}

const committers = new WeakMap<Db, GroupCommitter>();

/** Runs `work` in a write transaction shared with other grouped writes of the same database. */
export function groupedWrite<T>(db: Db, work: (tx: SqlTx) => Promise<T>): Promise<T> {
  let committer = committers.get(db);
  if (!committer) {
    committer = new GroupCommitter(db);
    committers.set(db, committer);
  }
  return committer.submit(work);
}
