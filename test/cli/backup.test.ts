import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createExperiment, createRun, logBatch, openDb } from "../../db/index.ts";
import { operations } from "../api/operations.ts";
import {
  numberedBatch,
  pointsPerBatch,
  presenceOf,
  runContentsViaApi,
  runContentsViaStore,
  startBatchStream,
} from "../support/batch-stream.ts";
import {
  type CliResult,
  runCli,
  type ServerProcess,
  type StartServerOptions,
  startServer,
} from "../support/server-process.ts";
import { startSqld } from "../support/sqld.ts";
import { tempDir } from "../support/temp-dir.ts";

interface BackupJson {
  path: string;
  bytes: number;
  db: string;
  via: "server" | "direct";
  server?: string;
}

const servers: ServerProcess[] = [];

async function server(options: StartServerOptions = {}): Promise<ServerProcess> {
  const started = await startServer(options);
  servers.push(started);
  return started;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop("SIGKILL")));
});

const freshDbPath = () => join(tempDir(), "labbook.db");
const lockOf = (dbPath: string) =>
  JSON.parse(readFileSync(`${dbPath}.lock`, "utf8")) as { pid: number; url?: string };
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

function parseJson<T>(result: CliResult): T {
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** Opens a copy with the store, checks SQLite's integrity check, and hands it to `look`. */
async function inspectCopy<T>(
  path: string,
  look: (db: Awaited<ReturnType<typeof openDb>>) => Promise<T>,
) {
  const copy = await openDb({ url: `file:${path}`, artifactRoot: "file:///unused" });
  try {
    const check = await copy.client.execute("PRAGMA integrity_check");
    expect(check.rows.map((row) => row[0])).toEqual(["ok"]);
    return await look(copy);
  } finally {
    await copy.close();
  }
}

async function newRun(url: string): Promise<string> {
  const ops = operations(url);
  const experimentId = await ops.createExperiment("backed-up");
  return (await ops.createRun(experimentId, "logging")).id;
}

describe("labbook backup", () => {
  it("copies a file a server is writing, through the server, while a client keeps logging", async () => {
    const dbPath = freshDbPath();
    const running = await server({ db: dbPath });
    const runId = await newRun(running.info.url);
    const stream = startBatchStream(running.info.url, runId, 2);
    await stream.whenAcked(20);
    const ackedBefore = [...stream.acked];
    const target = join(tempDir(), "copy.db");

    const backup = await runCli(["backup", target, "--db", dbPath, "--json"]);
    const ackedDuring = stream.acked.size - ackedBefore.length;
    await stream.stop();

    // The server answered every request while the backup ran, and went on acknowledging.
    expect(stream.failed).toEqual(new Map());
    expect(ackedDuring).toBeGreaterThan(0);
    const result = parseJson<BackupJson>(backup);
    expect(result).toEqual({
      path: target,
      bytes: statSync(target).size,
      db: dbPath,
      via: "server",
      server: running.info.url,
    });
    // The CLI did not open the file as a second writer: the server still owns it.
    expect(lockOf(dbPath)).toMatchObject({ pid: running.info.pid, url: running.info.url });
    // The copy is written beside the target and moved into place: nothing else is left there.
    expect(readdirSync(join(target, ".."))).toEqual(["copy.db"]);

    const copied = await inspectCopy(target, (copy) => runContentsViaStore(copy, runId));
    for (const i of ackedBefore) expect(presenceOf(copied, i)).toBe("whole");
    // A snapshot: each batch sent is in the copy whole or not at all.
    const whole = stream.sent.filter((i) => presenceOf(copied, i) === "whole");
    expect(stream.sent.filter((i) => presenceOf(copied, i) === "partial")).toEqual([]);
    expect(copied.summaryCount).toBe(whole.length * pointsPerBatch);
    expect(copied.historyLength).toBe(whole.length * pointsPerBatch);
    expect(copied.stepsUnique).toBe(true);

    // The server still has everything it acknowledged, after as before the backup.
    const live = await runContentsViaApi(running.info.url, runId);
    for (const i of stream.acked) expect(presenceOf(live, i)).toBe("whole");
    expect(live.summaryCount).toBe(stream.acked.size * pointsPerBatch);
  });

  it("refuses an existing target without --force and leaves it untouched; --force replaces an older backup", async () => {
    const dbPath = freshDbPath();
    const running = await server({ db: dbPath });
    const runId = await newRun(running.info.url);
    await operations(running.info.url).logBatch(numberedBatch(runId, 0));
    const dir = tempDir();

    const precious = join(dir, "notes.txt");
    writeFileSync(precious, "not a database\n");
    const before = sha256(precious);
    const refused = await runCli(["backup", precious, "--db", dbPath]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${precious} already exists`);
    expect(refused.stderr).toContain("--force");
    expect(sha256(precious)).toBe(before);
    // Even with --force, only a SQLite database (an older backup) is replaced.
    const forcedText = await runCli(["backup", precious, "--db", dbPath, "--force"]);
    expect(forcedText.code).toBe(1);
    expect(forcedText.stderr).toContain("not a SQLite database");
    expect(sha256(precious)).toBe(before);

    const target = join(dir, "copy.db");
    const first = await runCli(["backup", target, "--db", dbPath]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`through the labbook server at ${running.info.url}`);
    expect(first.stdout).toContain(`wrote ${target} (${statSync(target).size} bytes)`);
    const firstHash = sha256(target);

    await operations(running.info.url).logBatch(numberedBatch(runId, 1));
    const again = await runCli(["backup", target, "--db", dbPath]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
    expect(sha256(target)).toBe(firstHash);

    const forced = await runCli(["backup", target, "--db", dbPath, "--force", "--json"]);
    expect(parseJson<BackupJson>(forced).path).toBe(target);
    const copied = await inspectCopy(target, (copy) => runContentsViaStore(copy, runId));
    expect([presenceOf(copied, 0), presenceOf(copied, 1)]).toEqual(["whole", "whole"]);
    // No temporary file is left (the -wal and -shm are those of inspectCopy's connection).
    const left = readdirSync(dir).filter((name) => !/^copy\.db-(wal|shm)$/.test(name));
    expect(left.sort()).toEqual(["copy.db", "notes.txt"]);
  });

  it("through a server started with --token needs that token, as the API does", async () => {
    const dbPath = freshDbPath();
    const token = "backup-secret";
    const running = await server({ db: dbPath, args: ["--token", token] });
    const target = join(tempDir(), "copy.db");

    const anonymous = await fetch(`${running.info.url}/admin/backup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: target }),
    });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({
      errors: [{ extensions: { code: "UNAUTHENTICATED" } }],
    });
    const refused = await runCli(["backup", target, "--db", dbPath]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Bearer");
    expect(existsSync(target)).toBe(false);

    const relative = await fetch(`${running.info.url}/admin/backup`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ path: "copy.db" }),
    });
    expect(relative.status).toBe(400);
    expect(await relative.json()).toMatchObject({
      errors: [{ extensions: { code: "BAD_USER_INPUT" } }],
    });

    const withEnv = await runCli(["backup", target, "--db", dbPath, "--json"], {
      LABBOOK_TOKEN: token,
    });
    expect(parseJson<BackupJson>(withEnv)).toMatchObject({ path: target, via: "server" });
    await inspectCopy(target, async () => undefined);
  });

  it("opens the file itself, under the writer lock, when no server owns it", async () => {
    const dbPath = freshDbPath();
    const db = await openDb({ url: `file:${dbPath}`, artifactRoot: "file:///unused" });
    const experiment = await createExperiment(db, { name: "offline" });
    const run = await createRun(db, { experimentId: experiment.id });
    for (const i of [0, 1, 2]) await logBatch(db, numberedBatch(run.id, i));
    await db.close();
    const target = join(tempDir(), "copy.db");

    const result = parseJson<BackupJson>(
      await runCli(["backup", target, "--db", dbPath, "--json"]),
    );
    expect(result).toEqual({
      path: target,
      bytes: statSync(target).size,
      db: dbPath,
      via: "direct",
    });
    expect(existsSync(`${dbPath}.lock`)).toBe(false);

    const copied = await inspectCopy(target, (copy) => runContentsViaStore(copy, run.id));
    expect([0, 1, 2].map((i) => presenceOf(copied, i))).toEqual(["whole", "whole", "whole"]);
    expect(copied.summaryCount).toBe(3 * pointsPerBatch);

    const missing = await runCli(["backup", join(tempDir(), "x.db"), "--db", freshDbPath()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("there is no database at");
  });

  it("refuses a database on a libSQL server: VACUUM INTO would write on the server's disk", async () => {
    const sqld = await startSqld();
    try {
      const target = join(tempDir(), "copy.db");
      const result = await runCli(["backup", target, "--db", sqld.url]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("libSQL server");
      expect(result.stderr).toContain("server's disk");
      expect(existsSync(target)).toBe(false);
    } finally {
      await sqld.stop();
    }
  });

  it("has --help, is listed by labbook --help, and needs a file (exit 2)", async () => {
    const [help, main, noFile] = await Promise.all([
      runCli(["backup", "--help"]),
      runCli(["--help"]),
      runCli(["backup"]),
    ]);
    expect(help.code).toBe(0);
    expect(help.stderr).toBe("");
    expect(help.stdout).toContain("Usage: labbook backup <file>");
    expect(help.stdout).toContain("--force");
    expect(main.stdout).toMatch(/^ {2}backup /m);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain("labbook backup <file>");
  });
});
