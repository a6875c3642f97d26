import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import {
  getExperimentByName,
  getRun,
  logBatch,
  metricHistory,
  metricSummariesByRunIds,
  openDb,
  paramsByRunIds,
  tagsByRunIds,
} from "../../db/index.ts";
import { tempDir } from "../support/temp-dir.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const oldRunId = "0123456789abcdef0123456789abcdef";

describe("migrations", () => {
  it("upgrades a database made by the first migration in place, keeping its data", async () => {
    const dir = tempDir();
    const file = join(dir, "labbook.db");
    copyFileSync(join(root, "test/fixtures/labbook-v0000.db"), file);

    const db = await openDb({ url: `file:${file}` });
    const indexes = await db.client.execute(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'params_key_value_idx'",
    );
    expect(indexes.rows).toHaveLength(1);

    expect((await getExperimentByName(db, "legacy"))?.id).toBe("1");
    const run = await getRun(db, oldRunId);
    expect(run).toMatchObject({ name: "old-run", status: "FINISHED", experimentId: "1" });
    expect((await paramsByRunIds(db, [oldRunId])).get(oldRunId)).toEqual([
      { key: "lr", value: "0.01" },
    ]);
    expect((await tagsByRunIds(db, [oldRunId])).get(oldRunId)).toEqual([
      { key: "team", value: "vision" },
    ]);
    const [loss] = (await metricSummariesByRunIds(db, [oldRunId])).get(oldRunId) ?? [];
    expect(loss).toMatchObject({ key: "loss", count: 3, last: 0.25, min: 0.25, max: 1 });
    const history = await metricHistory(db, loss?.seriesId ?? -1);
    expect(history.steps).toEqual([0, 1, 2]);
    expect(Number.isNaN(history.values[1])).toBe(true);

    // The upgraded database takes new writes on the old series.
    await logBatch(db, { runId: oldRunId, metrics: [{ key: "loss", values: [0.1], steps: [3] }] });
    const [after] = (await metricSummariesByRunIds(db, [oldRunId])).get(oldRunId) ?? [];
    expect(after).toMatchObject({ count: 4, last: 0.1, min: 0.1, lastStep: 3 });
    await db.close();

    // Opening again applies nothing twice.
    const reopened = await openDb({ url: `file:${file}` });
    const applied = await reopened.client.execute("SELECT count(*) AS n FROM __drizzle_migrations");
    expect(applied.rows[0]?.n).toBe(
      readdirSync(join(root, "db/migrations")).filter((f) => f.endsWith(".sql")).length,
    );
    await reopened.close();
  });

  it("has a migration for every change to the table definitions", () => {
    const out = join(tempDir(), "migrations");
    cpSync(join(root, "db/migrations"), out, { recursive: true });
    // drizzle-kit resolves --out relative to the working directory.
    const output = execFileSync(
      process.execPath,
      [
        join(root, "node_modules/drizzle-kit/bin.cjs"),
        "generate",
        "--dialect",
        "sqlite",
        "--schema",
        "./db/schema/index.ts",
        "--out",
        relative(root, out),
      ],
      { cwd: root, encoding: "utf8" },
    );
    expect(output, "run 'npm run db:generate' and commit the migration").toContain(
      "No schema changes",
    );
    expect(readdirSync(out).filter((f) => f.endsWith(".sql"))).toEqual(
      readdirSync(join(root, "db/migrations")).filter((f) => f.endsWith(".sql")),
    );
  });

  it("leaves the fixture untouched (tests work on copies)", async () => {
    const client = createClient({ url: `file:${join(root, "test/fixtures/labbook-v0000.db")}` });
    const applied = await client.execute("SELECT count(*) AS n FROM __drizzle_migrations");
    client.close();
    expect(applied.rows[0]?.n).toBe(1);
  });
});
