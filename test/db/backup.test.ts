import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  backupDatabase,
  createExperiment,
  type Db,
  listExperiments,
  openDb,
  StoreError,
} from "../../db/index.ts";
import { fileTarget, sqldTarget } from "../support/db-targets.ts";
import { tempDir } from "../support/temp-dir.ts";

const opened: Db[] = [];

async function open(target = fileTarget): Promise<Db> {
  const db = await target.open();
  opened.push(db);
  return db;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()));
});

async function backupError(
  db: Db,
  path: string,
  options?: { overwrite?: boolean },
): Promise<StoreError> {
  try {
    await backupDatabase(db, path, options);
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error(`expected backing up to ${path} to fail`);
}

describe("closing a database file", () => {
  it("leaves every write in the .db file itself, so a copy of it alone made after a clean stop is whole", async () => {
    const dir = tempDir();
    const db = await openDb({ url: `file:${join(dir, "labbook.db")}`, artifactRoot: "file:///x" });
    await createExperiment(db, { name: "checkpointed" });
    await db.close();
    const copyDir = tempDir();
    copyFileSync(join(dir, "labbook.db"), join(copyDir, "labbook.db"));

    const copy = await openDb({
      url: `file:${join(copyDir, "labbook.db")}`,
      artifactRoot: "file:///x",
    });
    opened.push(copy);
    expect(
      (await listExperiments(copy, { limit: 10, offset: 0 })).experiments.map((e) => e.name),
    ).toContain("checkpointed");
  });
});

describe("backupDatabase", () => {
  it("writes a copy that opens as a labbook database with the same data", async () => {
    const db = await open();
    await createExperiment(db, { name: "kept" });
    const dir = tempDir();
    const result = await backupDatabase(db, join(dir, "copy.db"));
    expect(result.path).toBe(join(dir, "copy.db"));
    expect(result.bytes).toBeGreaterThan(0);
    expect(readdirSync(dir)).toEqual(["copy.db"]);

    const copy = await openDb({ url: `file:${result.path}`, artifactRoot: db.artifactRoot });
    opened.push(copy);
    expect(
      (await listExperiments(copy, { limit: 10, offset: 0 })).experiments.map((e) => e.name).sort(),
    ).toEqual(["Default", "kept"]);
  });

  it("refuses a bad target with a clear kind, writing nothing", async () => {
    const db = await open();
    const dir = tempDir();
    const cases: [string, string, string][] = [
      [join(dir, "missing", "copy.db"), "invalid", "does not exist"],
      [dir, "invalid", "is a directory"],
      [`${dir}/`, "invalid", "names a directory"],
      ["", "invalid", "non-empty"],
      // A directory where no file can be created (SQLite's CANTOPEN), even by root.
      ["/proc/copy.db", "invalid", "no file can be created in /proc"],
      [db.filePath ?? "", "invalid", "is the database being backed up"],
      [`${db.filePath}-wal`, "invalid", "is the database being backed up"],
    ];
    for (const [path, kind, message] of cases) {
      const error = await backupError(db, path);
      expect({ path, kind: error.kind }).toEqual({ path, kind });
      expect(error.message).toContain(message);
    }
    // The database's own file through a symlink is still the database.
    const link = join(dir, "link.db");
    symlinkSync(db.filePath ?? "", link);
    expect((await backupError(db, link, { overwrite: true })).message).toContain(
      "is the database being backed up",
    );
    expect(readdirSync(dir).sort()).toEqual(["link.db"]);
  });

  it("refuses an existing file unless overwrite, and then replaces only a SQLite database", async () => {
    const db = await open();
    const dir = tempDir();
    const text = join(dir, "notes.txt");
    writeFileSync(text, "keep me\n");
    expect((await backupError(db, text)).kind).toBe("already_exists");
    expect((await backupError(db, text, { overwrite: true })).message).toContain(
      "not a SQLite database",
    );
    expect(readFileSync(text, "utf8")).toBe("keep me\n");
    mkdirSync(join(dir, "sub"));
    expect((await backupError(db, join(dir, "sub"), { overwrite: true })).kind).toBe("invalid");

    const copy = join(dir, "copy.db");
    await backupDatabase(db, copy);
    expect((await backupError(db, copy)).kind).toBe("already_exists");
    await createExperiment(db, { name: "later" });
    await backupDatabase(db, copy, { overwrite: true });
    const reopened = await openDb({ url: `file:${copy}`, artifactRoot: db.artifactRoot });
    opened.push(reopened);
    expect(
      (await listExperiments(reopened, { limit: 10, offset: 0 })).experiments.map((e) => e.name),
    ).toContain("later");
  });

  it("refuses a database on a libSQL server: the copy would be written on the server's disk", async () => {
    const db = await open(sqldTarget);
    const target = join(tempDir(), "copy.db");
    const error = await backupError(db, target);
    expect(error.kind).toBe("invalid");
    expect(error.message).toContain("server's disk");
    expect(readdirSync(join(target, ".."))).toEqual([]);
  });
});
