import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";

/**
 * Writes test/fixtures/labbook-v0000.db: a database made by the first migration only, with
 * a little data, as an earlier labbook left it. The migration test upgrades a copy in place.
 * Run once per fixture; the fixture is committed.
 */
const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "test/fixtures/labbook-v0000.db");
const work = mkdtempSync(join(tmpdir(), "labbook-fixture-"));
const migrations = join(work, "migrations");
cpSync(join(root, "db/migrations"), migrations, { recursive: true });
const journalPath = join(migrations, "meta/_journal.json");
const journal = JSON.parse(readFileSync(journalPath, "utf8"));
journal.entries = journal.entries.filter((entry: { idx: number }) => entry.idx === 0);
writeFileSync(journalPath, JSON.stringify(journal));

rmSync(out, { force: true });
const client = createClient({ url: `file:${out}` });
await migrate(drizzle(client), { migrationsFolder: migrations });
const t = 1_700_000_000_000;
await client.batch(
  [
    `INSERT INTO experiments VALUES (0, 'Default', 'file:///old/artifacts/0', 'active', ${t}, ${t}, NULL)`,
    `INSERT INTO experiments VALUES (1, 'legacy', 'file:///old/artifacts/1', 'active', ${t}, ${t}, NULL)`,
    `INSERT INTO runs VALUES ('0123456789abcdef0123456789abcdef', 1, 'old-run', 'FINISHED', ${t}, ${t + 60_000}, 'active', NULL, NULL, 'file:///old/artifacts/1/0123456789abcdef0123456789abcdef/artifacts')`,
    `INSERT INTO params VALUES ('0123456789abcdef0123456789abcdef', 'lr', '0.01')`,
    `INSERT INTO run_tags VALUES ('0123456789abcdef0123456789abcdef', 'team', 'vision')`,
    `INSERT INTO metric_series VALUES (1, '0123456789abcdef0123456789abcdef', 'loss', 3, 0.25, NULL, 2, ${t + 3}, 0.25, NULL, 2, 1.0, NULL, 0)`,
    `INSERT INTO metric_points VALUES (1, 0, ${t + 1}, 1.0, NULL), (1, 1, ${t + 2}, NULL, 'NaN'), (1, 2, ${t + 3}, 0.25, NULL)`,
  ],
  "write",
);
client.close();
rmSync(work, { recursive: true, force: true });
console.log(`wrote ${out}`);
