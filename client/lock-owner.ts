import { readFileSync } from "node:fs";

/**
 * What `labbook server` writes to `<db>.lock`: its pid, and its URL once it listens.
 *
 * @example
 * const owner: LockOwner = { pid: 4242, url: "http://127.0.0.1:4000", startedAt: Date.now() };
 */
export interface LockOwner {
  pid: number;
  url?: string;
  startedAt?: number;
}

/**
 * Whether a process exists. EPERM means it does but belongs to another user: still alive.
 *
 * @example
 * isAlive(process.pid); // true
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The live server that owns a database file, read from the lock file beside it (the format
 * of `db/writer-lock.ts`, read here again because the SDK imports nothing of the server);
 * undefined when there is no lock or its process is gone.
 *
 * @example
 * const owner = liveOwner("/home/me/project/labbook.db");
 * if (owner?.url) console.log(`the server at ${owner.url} owns it`);
 */
export function liveOwner(dbPath: string): LockOwner | undefined {
  let owner: LockOwner;
  try {
    owner = JSON.parse(readFileSync(`${dbPath}.lock`, "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
  if (typeof owner?.pid !== "number" || !isAlive(owner.pid)) return undefined;
  return owner;
}
