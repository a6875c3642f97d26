import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { describe, expect, it } from "vitest";
import {
  artifactsAwaitingSha256,
  getArtifactRecord,
  getExperimentByName,
  getLoggedModelArtifactRecord,
  getRun,
  logBatch,
  metricHistory,
  metricSummariesByRunIds,
  openDb,
  paramsByRunIds,
  recordArtifact,
  recordArtifactSha256,
  recordLoggedModelArtifact,
  tagsByRunIds,
} from "../../db/index.ts";
import { tempDir } from "../support/temp-dir.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const oldRunId = "0123456789abcdef0123456789abcdef";

/**
 * A new database file with the migrations before `tag` applied (the real migrator, on a copy
 * of db/migrations whose journal stops there): the schema an earlier labbook left.
 */
async function databaseBefore(tag: string): Promise<string> {
  const dir = tempDir();
  const migrations = join(dir, "migrations");
  cpSync(join(root, "db/migrations"), migrations, { recursive: true });
  const journalPath = join(migrations, "meta/_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as {
    entries: { idx: number; tag: string }[];
  };
  const stop = journal.entries.findIndex((entry) => entry.tag === tag);
  expect(stop, `db/migrations has ${tag}`).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, stop);
  writeFileSync(journalPath, JSON.stringify(journal));
  const file = join(dir, "labbook.db");
  const client = createClient({ url: `file:${file}` });
  await migrate(drizzle(client), { migrationsFolder: migrations });
  client.close();
  return file;
}

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

  it("makes a pending artifact SHA-256 NULL, keeps recorded ones, and keeps the table's keys", async () => {
    const file = await databaseBefore("0006_artifacts_sha256_nullable");
    const t = 1_700_000_000_000;
    const hashed = "ab".repeat(32);
    const old = createClient({ url: `file:${file}` });
    await old.batch(
      [
        `INSERT INTO experiments (id, name, artifact_location, creation_time, last_update_time) VALUES (1, 'legacy', 'file:///old/artifacts/1', ${t}, ${t})`,
        `INSERT INTO runs (id, experiment_id, name, status, start_time, artifact_uri) VALUES ('${oldRunId}', 1, 'old-run', 'FINISHED', ${t}, 'file:///old/artifacts/1/${oldRunId}/artifacts')`,
        // Before 0006, '' stood for a SHA-256 still being computed.
        `INSERT INTO artifacts VALUES ('${oldRunId}', 'model.bin', 9000000, '', 'application/octet-stream', ${t + 1})`,
        `INSERT INTO artifacts VALUES ('${oldRunId}', 'notes.txt', 5, '${hashed}', 'text/plain', ${t + 2})`,
      ],
      "write",
    );
    // A row whose run is gone: only a connection with foreign keys off could have left it.
    await old.executeMultiple(
      `PRAGMA foreign_keys = OFF; INSERT INTO artifacts VALUES ('${"f".repeat(32)}', 'orphan.bin', 1, '', 'application/octet-stream', ${t});`,
    );
    const indexesOf = async (client: typeof old) =>
      (
        await client.execute(
          "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'artifacts' AND type IN ('index', 'trigger') ORDER BY name",
        )
      ).rows.map((row) => ({ ...row }));
    const indexesBefore = await indexesOf(old);
    expect(indexesBefore.map((row) => row.name)).toEqual(["sqlite_autoindex_artifacts_1"]);
    old.close();

    const db = await openDb({ url: `file:${file}` });
    try {
      const columns = await db.client.execute("PRAGMA table_info(artifacts)");
      expect(columns.rows.find((row) => row.name === "sha256")).toMatchObject({ notnull: 0 });
      const stored = await db.client.execute("SELECT path, sha256 FROM artifacts ORDER BY path");
      expect(stored.rows.map((row) => ({ ...row }))).toEqual([
        { path: "model.bin", sha256: null },
        { path: "notes.txt", sha256: hashed },
      ]);
      expect(await indexesOf(db.client)).toEqual(indexesBefore);
      const leftovers = await db.client.execute(
        "SELECT name FROM sqlite_master WHERE name LIKE '%__new_%'",
      );
      expect(leftovers.rows).toEqual([]);
      expect((await db.client.execute("PRAGMA foreign_key_check")).rows).toEqual([]);
      expect((await db.client.execute("PRAGMA foreign_keys")).rows[0]?.foreign_keys).toBe(1);

      expect(await getArtifactRecord(db, oldRunId, "model.bin")).toMatchObject({ sha256: null });
      expect(await getArtifactRecord(db, oldRunId, "notes.txt")).toMatchObject({
        size: 5,
        sha256: hashed,
        contentType: "text/plain",
        lastModified: t + 2,
      });
      // The pending one is found and finished as any pending upload is.
      const [pending, ...others] = await artifactsAwaitingSha256(db);
      expect(others).toEqual([]);
      expect(pending).toMatchObject({ runId: oldRunId, path: "model.bin", lastModified: t + 1 });
      const finished = { runId: oldRunId, path: "model.bin", lastModified: t + 1 };
      expect(
        await recordArtifactSha256(db, {
          ...finished,
          sha256: "cd".repeat(32),
          crc32: 7,
          size: 9000000,
        }),
      ).toBe(true);
      expect(await getArtifactRecord(db, oldRunId, "model.bin")).toMatchObject({
        sha256: "cd".repeat(32),
      });

      // The rebuilt table still follows its run: deleting the run deletes its rows.
      await db.client.execute({ sql: "DELETE FROM runs WHERE id = ?", args: [oldRunId] });
      expect((await db.client.execute("SELECT count(*) AS n FROM artifacts")).rows[0]?.n).toBe(0);
    } finally {
      await db.close();
    }
  });

  it("adds a CRC-32 column that rows already there keep NULL, and new uploads fill", async () => {
    const file = await databaseBefore("0007_artifacts_crc32");
    const t = 1_700_000_000_000;
    const hashed = "ab".repeat(32);
    const modelId = `m-${"0".repeat(32)}`;
    const old = createClient({ url: `file:${file}` });
    await old.batch(
      [
        `INSERT INTO experiments (id, name, artifact_location, creation_time, last_update_time) VALUES (1, 'legacy', 'file:///old/artifacts/1', ${t}, ${t})`,
        `INSERT INTO runs (id, experiment_id, name, status, start_time, artifact_uri) VALUES ('${oldRunId}', 1, 'old-run', 'FINISHED', ${t}, 'file:///old/artifacts/1/${oldRunId}/artifacts')`,
        `INSERT INTO artifacts VALUES ('${oldRunId}', 'notes.txt', 5, '${hashed}', 'text/plain', ${t + 1})`,
        `INSERT INTO artifacts VALUES ('${oldRunId}', 'model.bin', 9000000, NULL, 'application/octet-stream', ${t + 2})`,
        `INSERT INTO logged_models (id, experiment_id, name, status, artifact_location, creation_time, last_update_time) VALUES ('${modelId}', 1, 'old-model', 'LOGGED_MODEL_READY', 'file:///old/artifacts/1/models/${modelId}/artifacts', ${t}, ${t})`,
        `INSERT INTO logged_model_artifacts VALUES ('${modelId}', 'MLmodel', 3, '${hashed}', 'application/yaml', ${t})`,
      ],
      "write",
    );
    old.close();

    const db = await openDb({ url: `file:${file}` });
    try {
      for (const table of ["artifacts", "logged_model_artifacts"]) {
        const columns = await db.client.execute(`PRAGMA table_info(${table})`);
        expect(columns.rows.find((row) => row.name === "crc32")).toMatchObject({
          type: expect.stringMatching(/^integer$/i),
          notnull: 0,
          dflt_value: null,
        });
      }
      expect(await getArtifactRecord(db, oldRunId, "notes.txt")).toMatchObject({
        size: 5,
        sha256: hashed,
        crc32: null,
        lastModified: t + 1,
      });
      expect(await getLoggedModelArtifactRecord(db, modelId, "MLmodel")).toMatchObject({
        sha256: hashed,
        crc32: null,
      });
      // A file hashed before keeps its SHA-256 and is not read again for its CRC-32; one whose
      // hash was pending gets both when it is finished.
      const pending = await artifactsAwaitingSha256(db);
      expect(pending.map((upload) => upload.path)).toEqual(["model.bin"]);
      const finished = { runId: oldRunId, path: "model.bin", lastModified: t + 2 };
      expect(
        await recordArtifactSha256(db, {
          ...finished,
          sha256: "cd".repeat(32),
          crc32: 0x89abcdef,
          size: 9000000,
        }),
      ).toBe(true);
      expect(await getArtifactRecord(db, oldRunId, "model.bin")).toMatchObject({
        sha256: "cd".repeat(32),
        crc32: 0x89abcdef,
      });

      // A new upload, to a run and to a logged model, is recorded with its CRC-32.
      const bytes = Buffer.from("new weights");
      const upload = {
        path: "weights.bin",
        size: bytes.length,
        sha256: "ef".repeat(32),
        crc32: crc32(bytes),
        contentType: "application/octet-stream",
      };
      expect(await recordArtifact(db, { runId: oldRunId, ...upload })).toMatchObject({
        crc32: crc32(bytes),
      });
      expect(await getArtifactRecord(db, oldRunId, "weights.bin")).toMatchObject({
        crc32: crc32(bytes),
      });
      await recordLoggedModelArtifact(db, { modelId, ...upload });
      expect(await getLoggedModelArtifactRecord(db, modelId, "weights.bin")).toMatchObject({
        crc32: crc32(bytes),
      });
    } finally {
      await db.close();
    }
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
