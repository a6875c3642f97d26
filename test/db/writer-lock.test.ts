import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  acquireWriterLock,
  liveWriter,
  lockPathFor,
  readWriterLock,
  StoreError,
  type WriterLockInfo,
} from "../../db/index.ts";
import { tempDir } from "../support/temp-dir.ts";

const children: ChildProcess[] = [];

/** A live process that is not this one: an idle node child. */
async function liveProcess(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
    stdio: "ignore",
  });
  children.push(child);
  await once(child, "spawn");
  const { pid } = child;
  if (pid === undefined) throw new Error("the child process has no pid");
  return Object.assign(child, { pid });
}

/** Kills a child and waits until it has exited (and been reaped), so its pid is dead. */
async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

afterEach(async () => {
  for (const child of children.splice(0)) await killAndWait(child);
});

function writeLockFile(dbFile: string, info: WriterLockInfo): void {
  writeFileSync(lockPathFor(dbFile), `${JSON.stringify(info)}\n`);
}

function acquireError(dbFile: string): StoreError {
  try {
    acquireWriterLock(dbFile).release();
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error("expected acquireWriterLock to throw a StoreError");
}

describe("writer lock", () => {
  it("writes <file>.lock with this process's pid", () => {
    const dbFile = join(tempDir(), "labbook.db");
    const before = Date.now();
    const lock = acquireWriterLock(dbFile);
    expect(lock.path).toBe(`${dbFile}.lock`);
    const info = JSON.parse(readFileSync(`${dbFile}.lock`, "utf8")) as WriterLockInfo;
    expect(info.pid).toBe(process.pid);
    expect(info.url).toBeUndefined();
    expect(info.startedAt).toBeGreaterThanOrEqual(before);
    expect(liveWriter(dbFile)).toEqual(info);
    lock.release();
  });

  it("records the URL the owner serves at, leaving no temp file behind", () => {
    const dir = tempDir();
    const dbFile = join(dir, "labbook.db");
    const lock = acquireWriterLock(dbFile);
    lock.setUrl("http://127.0.0.1:5000");
    expect(readWriterLock(dbFile)).toMatchObject({
      pid: process.pid,
      url: "http://127.0.0.1:5000",
    });
    expect(readdirSync(dir)).toEqual(["labbook.db.lock"]);
    lock.release();
  });

  it("refuses the lock while another live process owns it, naming its URL", async () => {
    const dbFile = join(tempDir(), "labbook.db");
    const owner = await liveProcess();
    const info = { pid: owner.pid, url: "http://127.0.0.1:4321", startedAt: 1 };
    writeLockFile(dbFile, info);

    expect(liveWriter(dbFile)).toEqual(info);
    const error = acquireError(dbFile);
    expect(error.kind).toBe("conflict");
    expect(error.message).toContain(`labbook process ${owner.pid}`);
    expect(error.message).toContain("serving http://127.0.0.1:4321");
    expect(error.message).toContain("LABBOOK_TRACKING_URI");
    expect(readWriterLock(dbFile)).toEqual(info);
  });

  it("refuses the lock to a live owner that has not published a URL yet", async () => {
    const dbFile = join(tempDir(), "labbook.db");
    const owner = await liveProcess();
    writeLockFile(dbFile, { pid: owner.pid, startedAt: 1 });
    const error = acquireError(dbFile);
    expect(error.kind).toBe("conflict");
    expect(error.message).toContain(`labbook process ${owner.pid}`);
    expect(error.message).not.toContain("serving");
  });

  it("takes over the lock once its owner has exited", async () => {
    const dbFile = join(tempDir(), "labbook.db");
    const owner = await liveProcess();
    writeLockFile(dbFile, { pid: owner.pid, url: "http://127.0.0.1:4321", startedAt: 1 });
    expect(acquireError(dbFile).kind).toBe("conflict");

    await killAndWait(owner);
    expect(liveWriter(dbFile)).toBeUndefined();
    expect(readWriterLock(dbFile)?.pid).toBe(owner.pid);

    const lock = acquireWriterLock(dbFile);
    expect(readWriterLock(dbFile)).toMatchObject({ pid: process.pid });
    expect(readWriterLock(dbFile)?.url).toBeUndefined();
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it("returns no live writer for a dead pid, a missing lock or an unreadable one", async () => {
    const dbFile = join(tempDir(), "labbook.db");
    expect(liveWriter(dbFile)).toBeUndefined();
    expect(readWriterLock(dbFile)).toBeUndefined();

    const gone = await liveProcess();
    await killAndWait(gone);
    writeLockFile(dbFile, { pid: gone.pid, startedAt: 1 });
    expect(readWriterLock(dbFile)?.pid).toBe(gone.pid);
    expect(liveWriter(dbFile)).toBeUndefined();

    writeFileSync(lockPathFor(dbFile), "{ half a");
    expect(readWriterLock(dbFile)).toBeUndefined();
    expect(liveWriter(dbFile)).toBeUndefined();
    const lock = acquireWriterLock(dbFile);
    expect(readWriterLock(dbFile)?.pid).toBe(process.pid);
    lock.release();
  });

  it("treats a lock with this process's own pid as stale and takes it over", () => {
    // A lock file left with our pid can only come from an earlier life of this pid.
    const dbFile = join(tempDir(), "labbook.db");
    writeLockFile(dbFile, { pid: process.pid, url: "http://127.0.0.1:1", startedAt: 1 });
    const lock = acquireWriterLock(dbFile);
    const info = readWriterLock(dbFile);
    expect(info?.pid).toBe(process.pid);
    expect(info?.url).toBeUndefined();
    expect(info?.startedAt).not.toBe(1);
    lock.release();
  });

  it("releases its own lock", () => {
    const dbFile = join(tempDir(), "labbook.db");
    const lock = acquireWriterLock(dbFile);
    expect(existsSync(lock.path)).toBe(true);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it("does not remove a lock that another process has taken since", async () => {
    const dbFile = join(tempDir(), "labbook.db");
    const lock = acquireWriterLock(dbFile);
    const other = await liveProcess();
    const theirs = { pid: other.pid, url: "http://127.0.0.1:9", startedAt: 2 };
    writeLockFile(dbFile, theirs);
    lock.release();
    expect(readWriterLock(dbFile)).toEqual(theirs);
  });
});
