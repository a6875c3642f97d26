import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Db, type OpenDbOptions, openDb } from "../../db/index.ts";
import { startSqld } from "./sqld.ts";
import { tempDir } from "./temp-dir.ts";

/**
 * The database kinds every store and API test runs against. Each `open()` gives a fresh, empty
 * database with the real migrator applied: a libSQL file in a temp dir, or a libSQL server
 * (sqld) of its own, stopped when the Db is closed.
 */
export interface DbTarget {
  name: "file" | "sqld";
  open(options?: Omit<OpenDbOptions, "url">): Promise<Db>;
}

const artifactRootFor = (dir: string) => pathToFileURL(join(dir, "artifacts")).href;

export const fileTarget: DbTarget = {
  name: "file",
  async open(options = {}) {
    const dir = tempDir();
    return openDb({
      artifactRoot: artifactRootFor(dir),
      ...options,
      url: `file:${join(dir, "labbook.db")}`,
    });
  },
};

export const sqldTarget: DbTarget = {
  name: "sqld",
  async open(options = {}) {
    const server = await startSqld();
    const db = await openDb({
      artifactRoot: artifactRootFor(tempDir()),
      ...options,
      url: server.url,
    });
    const close = db.close.bind(db);
    return {
      ...db,
      async close() {
        await close();
        await server.stop();
      },
    };
  },
};

export const dbTargets: readonly DbTarget[] = [fileTarget, sqldTarget];
