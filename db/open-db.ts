import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  type Client,
  createClient,
  type InArgs,
  type InStatement,
  type InValue,
  type TransactionMode,
} from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { applyBatchGroup } from "./apply-batches.ts";
import { backfillRollups } from "./backfill-rollups.ts";
import type { BatchJob, BatchOutcome } from "./batch-job.ts";
import { BatchWriterThread } from "./batch-writer.ts";
import { translateBusy } from "./busy.ts";
import { dbFilePath, normalizeDbUrl } from "./db-url.ts";
import { isStoreError } from "./errors.ts";
import { ensureDefaultExperiment } from "./experiments.ts";
import * as schema from "./schema/index.ts";
import { type SqlRow, type SqlTx, SyncConnection } from "./sync-connection.ts";
import { WriteQueue } from "./write-queue.ts";

export { dbFilePath, defaultDbPath, normalizeDbUrl } from "./db-url.ts";

export type Orm = LibSQLDatabase<typeof schema>;
/** A write transaction: the same query API as the database, bound to one transaction. */
export type WriteTx = Parameters<Parameters<Orm["transaction"]>[0]>[0];

export interface OpenDbOptions {
  /** `file:` URL or plain path (default `./labbook.db`), or `http://`/`https://`/`libsql://` of a libSQL server. */
  url?: string;
  /** Auth token for a libSQL server (Turso, sqld with JWT auth). */
  authToken?: string;
  /** Where new experiments put their artifacts, as a URI; default `./artifacts` as a `file:` URI. */
  artifactRoot?: string;
  /** How long a write waits for another connection's lock before failing (file databases). */
  busyTimeoutMs?: number;
  /** Called with every SQL statement sent, e.g. to count statements per request in tests and benchmarks. */
  onStatement?: (sql: string) => void;
}

export interface Db {
  readonly url: string;
  readonly isFile: boolean;
  /** Absolute path of the database file, for `file:` URLs. */
  readonly filePath: string | undefined;
  readonly artifactRoot: string;
  readonly client: Client;
  readonly orm: Orm;
  /** Runs `work` in one write transaction, after every write queued before it. */
  write<T>(work: (tx: WriteTx) => Promise<T>): Promise<T>;
  /** The same, with the driver's transaction for hand-written SQL on hot paths (logBatch). */
  writeSql<T>(work: (tx: SqlTx) => Promise<T>): Promise<T>;
  /**
   * Applies logBatch jobs in one write transaction (group commit), after every write queued
   * before it; `takeJobs` is called when the queue gets there, so late arrivals join. On a
   * file, the transaction runs on the writer thread.
   */
  applyBatches(takeJobs: () => BatchJob[]): Promise<BatchOutcome[]>;
  /** Runs one read statement of hand-written SQL (hot read paths); committed data only. */
  query(sql: string, args?: InValue[]): Promise<SqlRow[]>;
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL("./migrations", import.meta.url));

export function defaultArtifactRoot(): string {
  return pathToFileURL(resolve("artifacts")).href;
}

/**
 * Opens a labbook database, applies pending migrations and makes sure the `Default`
 * experiment exists.
 *
 * @example
 * const db = await openDb({ url: "file:./labbook.db" });
 * const experiment = await createExperiment(db, { name: "mnist" });
 */
export async function openDb(options: OpenDbOptions = {}): Promise<Db> {
  const url = normalizeDbUrl(options.url);
  const filePath = dbFilePath(url);
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
  if (filePath) mkdirSync(dirname(filePath), { recursive: true });
  const client = createClient({
    url: filePath ? pathToFileURL(filePath).href : url,
    authToken: options.authToken,
    timeout: busyTimeoutMs,
  });
  if (options.onStatement) watchStatements(client, options.onStatement);
  try {
    if (filePath) {
      // WAL lets readers go on while the single writer writes; it is stored in the file.
      // synchronous stays FULL (per connection, the default): an acknowledged batch survives
      // a power cut, not only a crash.
      await client.execute("PRAGMA journal_mode = WAL");
    }
    const orm = drizzle(client, { schema });
    await migrate(orm, { migrationsFolder });
    const queue = new WriteQueue();
    const syncWriter = filePath
      ? new SyncConnection(filePath, busyTimeoutMs, options.onStatement)
      : undefined;
    const syncReader = filePath
      ? new SyncConnection(filePath, busyTimeoutMs, options.onStatement)
      : undefined;
    const batchThread = filePath ? new BatchWriterThread(filePath, busyTimeoutMs) : undefined;
    // Fresh table statistics let the planner start a filtered search from the selective side
    // (e.g. a param index instead of every run); SQLite decides what needs analyzing. The
    // 0x10000 bit makes it look at every table, not only those this connection queried: the
    // hot tables are written by the batch writer thread's own connection.
    let writesSinceOptimize = 0;
    const optimizeNow = () => {
      writesSinceOptimize = 0;
      try {
        syncWriter?.exec("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002");
      } catch {
        // Statistics are an optimization; a busy database can skip a round.
      }
    };
    optimizeNow();
    /** Runs one write transaction after those queued before it; a busy database is a `busy` error. */
    const guardedWrite = <T>(transaction: () => Promise<T>): Promise<T> =>
      queue.run(() =>
        transaction().then(
          (result) => {
            if (++writesSinceOptimize >= 2000) optimizeNow();
            return result;
          },
          async (error: unknown) => {
            const translated = translateBusy(error);
            // After SQLITE_BUSY a local libSQL connection keeps the failed statement pending:
            // every later commit on it fails, and an autocommit write on it reports success but
            // never lands (libsql-client-ts#352). Replace the connections before the next write.
            if (filePath && isStoreError(translated) && translated.kind === "busy") {
              await client.reconnect();
              syncWriter?.reopen();
              syncReader?.reopen();
              await batchThread?.reopen();
            }
            throw translated;
          },
        ),
      );
    const db: Db = {
      url,
      isFile: filePath !== undefined,
      filePath,
      artifactRoot: options.artifactRoot ?? defaultArtifactRoot(),
      client,
      orm,
      write: (work) => guardedWrite(() => orm.transaction(work)),
      query: async (sql, args = []) =>
        syncReader
          ? syncReader.run(sql, args)
          : ((await client.execute({ sql, args })).rows as SqlRow[]),
      writeSql: (work) =>
        guardedWrite(() =>
          syncWriter ? syncWriter.transaction(work) : clientTransaction(client, work),
        ),
      applyBatches: (takeJobs) =>
        guardedWrite(async () => {
          const jobs = takeJobs();
          if (jobs.length === 0) return [];
          if (batchThread) return batchThread.apply(jobs);
          return applyBatchGroup((work) => clientTransaction(client, work), jobs);
        }),
      async close() {
        await queue.drain();
        await queue.run(async () => optimizeNow());
        await batchThread?.close();
        // The driver closes a connection only once its prepared statements are collected, so
        // SQLite's checkpoint-on-last-close does not happen and the data would stay in the
        // -wal file: a copy of the .db file alone, made after a clean stop, would lack it.
        if (filePath)
          await client.execute("PRAGMA wal_checkpoint(TRUNCATE)").catch(() => undefined);
        syncWriter?.close();
        syncReader?.close();
        client.close();
      },
    };
    await ensureDefaultExperiment(db);
    await backfillRollups(db);
    return db;
  } catch (error) {
    client.close();
    throw error;
  }
}

/** A write transaction on the client, for databases on a libSQL server. */
async function clientTransaction<T>(client: Client, work: (tx: SqlTx) => Promise<T>): Promise<T> {
  const tx = await client.transaction("write");
  try {
    const result = await work(tx);
    await tx.commit();
    return result;
  } catch (error) {
    await tx.rollback().catch(() => {});
    throw error;
  } finally {
    tx.close();
  }
}

/** Reports each statement a client sends, including those inside transactions and batches. */
function watchStatements(client: Client, onStatement: (sql: string) => void): void {
  const textOf = (statement: InStatement) =>
    typeof statement === "string" ? statement : statement.sql;
  const execute = client.execute.bind(client);
  const batch = client.batch.bind(client);
  const transaction = client.transaction.bind(client);
  client.execute = ((statement: InStatement, args?: InArgs) => {
    onStatement(textOf(statement));
    return args === undefined ? execute(statement) : execute(textOf(statement), args);
  }) as Client["execute"];
  client.batch = ((statements: InStatement[], mode?: TransactionMode) => {
    for (const statement of statements) onStatement(textOf(statement));
    return batch(statements, mode);
  }) as Client["batch"];
  client.transaction = (async (mode?: TransactionMode) => {
    const tx = await transaction(mode);
    const txExecute = tx.execute.bind(tx);
    tx.execute = ((statement: InStatement) => {
      onStatement(textOf(statement));
      return txExecute(statement);
    }) as typeof tx.execute;
    return tx;
  }) as Client["transaction"];
}
