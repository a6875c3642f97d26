import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { StoreError } from "./errors.ts";

/**
 * One writer per database file. The server that writes a file holds `<file>.lock` with its pid
 * and URL; any other labbook process that finds a live owner talks to that server instead of
 * opening the file for writing. A lock whose process is gone is stale and is taken over.
 */
export interface WriterLockInfo {
  pid: number;
  /** The owner's base URL, once it listens; absent while it starts. */
  url?: string;
  startedAt: number;
}

export const lockPathFor = (dbFilePath: string): string => `${dbFilePath}.lock`;

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readWriterLock(dbFilePath: string): WriterLockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(lockPathFor(dbFilePath), "utf8")) as WriterLockInfo;
    return typeof info.pid === "number" ? info : undefined;
  } catch {
    return undefined;
  }
}

/** The live owner of a database file, if any. */
export function liveWriter(dbFilePath: string): WriterLockInfo | undefined {
  const info = readWriterLock(dbFilePath);
  return info && isProcessAlive(info.pid) ? info : undefined;
}

export interface WriterLock {
  readonly path: string;
  /** Records the URL the owner serves at, so other processes can reach it. */
  setUrl(url: string): void;
  release(): void;
}

/** Takes the writer lock of a database file, or throws a `conflict` naming the live owner. */
export function acquireWriterLock(dbFilePath: string): WriterLock {
  const path = lockPathFor(dbFilePath);
  const info: WriterLockInfo = { pid: process.pid, startedAt: Date.now() };
  const write = (flag: "wx" | "w") => writeFileSync(path, `${JSON.stringify(info)}\n`, { flag });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      write("wx");
      return {
        path,
        setUrl(url) {
          info.url = url;
          // Write then rename, so a reader never sees half a file.
          writeFileSync(`${path}.${process.pid}.tmp`, `${JSON.stringify(info)}\n`);
          renameSync(`${path}.${process.pid}.tmp`, path);
        },
        release() {
          if (readWriterLock(dbFilePath)?.pid === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = liveWriter(dbFilePath);
      if (owner && owner.pid !== process.pid)
        throw new StoreError(
          "conflict",
          `${dbFilePath} is being written by labbook process ${owner.pid}${owner.url ? ` serving ${owner.url}` : ""}; ` +
            `point LABBOOK_TRACKING_URI at that server, or stop it first`,
        );
      // The owner is gone (or it is us after a crash): the lock is stale.
      rmSync(path, { force: true });
    }
  }
  throw new StoreError(
    "conflict",
    `could not take the writer lock ${path}; another process keeps taking it`,
  );
}
