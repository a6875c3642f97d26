import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import type { BackupWorkerData, BackupWorkerReply } from "./backup-worker.ts";
import { translateBusy } from "./busy.ts";
import { StoreError } from "./errors.ts";
import type { Db } from "./open-db.ts";

export interface BackupOptions {
  /** Replace an existing target (only another SQLite database, e.g. an older backup). */
  overwrite?: boolean | undefined;
  /** How long the copy waits for a lock held by another connection. */
  busyTimeoutMs?: number | undefined;
}

export interface BackupResult {
  /** Absolute path of the copy. */
  path: string;
  /** Its size. */
  bytes: number;
}

const sqliteHeader = "SQLite format 3\u0000";

const invalidPath = (message: string) => new StoreError("invalid", message, { field: "path" });

/** The refusal for a database on a libSQL server: `VACUUM INTO` would write on its disk. */
export function remoteBackupError(url: string): StoreError {
  const shown = url.replace(/[?#].*$/, "");
  return new StoreError(
    "invalid",
    `cannot back up ${shown}: it is a libSQL server, and VACUUM INTO would write the copy on that ` +
      "server's disk, not here. Back it up where it runs (sqld snapshots, or 'turso db shell <db> .dump').",
    { field: "db" },
  );
}

/** The file at a path (following symlinks), or undefined when there is none. */
function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function startsWithSqliteHeader(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(sqliteHeader.length);
    const read = readSync(fd, head, 0, head.length, 0);
    return read === head.length && head.toString("latin1") === sqliteHeader;
  } finally {
    closeSync(fd);
  }
}

function fsyncPath(path: string, flags: "r" | "r+"): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Checks the target and says why it cannot be written, before any copying starts. */
function checkTarget(dbFile: string, target: string, overwrite: boolean): void {
  const dir = dirname(target);
  const dirStat = statOrUndefined(dir);
  if (!dirStat) throw invalidPath(`cannot write ${target}: the directory ${dir} does not exist`);
  if (!dirStat.isDirectory())
    throw invalidPath(`cannot write ${target}: ${dir} is not a directory`);
  const existing = statOrUndefined(target);
  const real = existing ? realpathSync(target) : join(realpathSync(dir), basename(target));
  const live = realpathSync(dbFile);
  const own = [live, `${live}-wal`, `${live}-shm`, `${live}-journal`, `${live}.lock`];
  if (own.includes(real))
    throw invalidPath(
      `${target} is the database being backed up (or one of its files); give another path`,
    );
  if (!existing) return;
  if (existing.isDirectory())
    throw invalidPath(`${target} is a directory; give the path of the file to write`);
  if (!overwrite)
    throw new StoreError(
      "already_exists",
      `${target} already exists; give a new file, or replace it with --force (overwrite)`,
      { field: "path" },
    );
  if (!existing.isFile())
    throw invalidPath(`${target} is not a regular file; refusing to replace it`);
  if (existing.size > 0 && !startsWithSqliteHeader(target))
    throw invalidPath(
      `${target} is not a SQLite database; refusing to replace it (only an older backup can be)`,
    );
}

/** Copies the database into `temp`; errors name `target`, the path the user gave. */
function vacuumInto(
  dbFile: string,
  temp: string,
  target: string,
  busyTimeoutMs: number,
): Promise<void> {
  const workerData: BackupWorkerData = { dbPath: dbFile, targetPath: temp, busyTimeoutMs };
  return new Promise((done, fail) => {
    const worker = new Worker(new URL("./backup-worker.ts", import.meta.url), { workerData });
    let replied = false;
    worker.once("message", (reply: BackupWorkerReply) => {
      replied = true;
      if (reply.ok) return done();
      const cause = Object.assign(new Error(reply.message), { code: reply.code });
      const busy = translateBusy(cause);
      if (busy !== cause) return fail(busy);
      if (reply.code.startsWith("SQLITE_CANTOPEN") || reply.code.startsWith("SQLITE_READONLY"))
        return fail(
          new StoreError(
            "invalid",
            `cannot write ${target}: no file can be created in ${dirname(target)} (${reply.code}); check its permissions`,
            { cause, field: "path" },
          ),
        );
      fail(new Error(`VACUUM INTO ${target} failed: ${reply.message}`, { cause }));
    });
    worker.once("error", fail);
    worker.once("exit", (code) => {
      if (!replied) fail(new Error(`the backup worker exited (${code}) without an answer`));
    });
  });
}

/**
 * Writes a consistent copy of a database file to `targetPath` while others go on writing:
 * `VACUUM INTO` copies one snapshot (a read transaction in WAL mode, so writers do not wait)
 * into a temporary file beside the target, which is synced and then moved into place, so the
 * target is never a half-written copy. An existing target is refused unless `overwrite`
 * (and then only another SQLite database is replaced). A database on a libSQL server cannot be
 * copied this way (`VACUUM INTO` writes on the server's disk): an `invalid` error.
 *
 * @example
 * const { path, bytes } = await backupDatabase(db, "/backups/labbook-2024-06-01.db");
 */
export async function backupDatabase(
  db: Db,
  targetPath: string,
  options: BackupOptions = {},
): Promise<BackupResult> {
  if (!db.filePath) throw remoteBackupError(db.url);
  if (typeof targetPath !== "string" || targetPath.trim() === "" || targetPath.includes("\u0000"))
    throw invalidPath("the backup path must be a non-empty file path");
  if (/[/\\]$/.test(targetPath))
    throw invalidPath(`${targetPath} names a directory; give the path of the file to write`);
  const target = resolve(targetPath);
  const overwrite = options.overwrite === true;
  checkTarget(db.filePath, target, overwrite);

  const temp = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
  try {
    await vacuumInto(db.filePath, temp, target, options.busyTimeoutMs ?? 10_000);
    fsyncPath(temp, "r+");
    if (overwrite) renameSync(temp, target);
    else {
      // A link fails if the target appeared meanwhile, where a rename would replace it.
      const appeared = () =>
        new StoreError(
          "already_exists",
          `${target} appeared while the backup ran; it was left as it is`,
          { field: "path" },
        );
      try {
        linkSync(temp, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") throw appeared();
        // A file system without hard links: check, then rename.
        if (statOrUndefined(target)) throw appeared();
        renameSync(temp, target);
      }
    }
    fsyncPath(dirname(target), "r");
  } finally {
    rmSync(temp, { force: true });
    rmSync(`${temp}-journal`, { force: true });
  }
  return { path: target, bytes: statSync(target).size };
}
