import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stopEmbeddedServer } from "../../client/embedded-server.ts";
import { startRun } from "../../client/index.ts";
import { isAlive } from "../../client/lock-owner.ts";
import { tempDir } from "../support/temp-dir.ts";
import { readHistory, readRun, runFixture, server } from "./support.ts";

interface FirstLine {
  runId: string;
  trackingUri: string;
  lock: { pid: number; url: string } | null;
}

describe("no tracking URI: the embedded store ./labbook.db", () => {
  it("starts its own labbook server on ./labbook.db, logs through it, and stops it at exit", async () => {
    const cwd = tempDir();
    const result = await runFixture("train.ts", { args: ["end", "6000"], cwd }).done;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const first = result.lines[0] as unknown as FirstLine;
    // The server the SDK started held the lock while the script ran, and served its URL.
    expect(first.lock?.url).toBe(first.trackingUri);
    expect(first.lock?.pid).not.toBe(undefined);
    // It is gone, and so is its lock: the SDK stopped it after the final flush.
    expect(isAlive(first.lock?.pid ?? 0)).toBe(false);
    expect(existsSync(join(cwd, "labbook.db.lock"))).toBe(false);

    const reader = await server({ db: join(cwd, "labbook.db") });
    const stored = await readRun(reader.info.url, first.runId);
    expect(stored.status).toBe("FINISHED");
    expect(stored.params).toEqual([{ key: "mode", value: "end" }]);
    expect((await readHistory(reader.info.url, first.runId, "m")).count).toBe(6000);
  });

  it("uses the server that already owns ./labbook.db instead of starting a second writer", async () => {
    const cwd = tempDir();
    const owner = await server({ db: join(cwd, "labbook.db") });
    for (const mode of ["end", "exit"]) {
      const result = await runFixture("train.ts", { args: [mode, "3000"], cwd }).done;
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const first = result.lines[0] as unknown as FirstLine;
      expect(first.trackingUri).toBe(owner.info.url);
      expect(first.lock?.pid).toBe(owner.info.pid);
      // The owner was not the SDK's to stop.
      expect(owner.child.exitCode).toBe(null);
      expect((await readRun(owner.info.url, first.runId)).status).toBe("FINISHED");
      expect((await readHistory(owner.info.url, first.runId, "m")).count).toBe(3000);
    }
  });

  it("starts the next server when the one it started dies, and every point arrives", async () => {
    const cwd = tempDir();
    const home = process.cwd();
    process.chdir(cwd);
    try {
      const run = await startRun({ experiment: "embedded", maxRetryDelayMs: 200 });
      const lock = () =>
        JSON.parse(readFileSync(join(cwd, "labbook.db.lock"), "utf8")) as { pid: number };
      const firstPid = lock().pid;
      for (let step = 0; step < 3000; step++) run.logMetric("m", step, { step });
      await run.flush();
      process.kill(firstPid, "SIGKILL");
      for (let step = 3000; step < 6000; step++) run.logMetric("m", step, { step });
      await run.end();

      expect(run.stats()).toMatchObject({ sent: 6000, dropped: 0 });
      const secondPid = lock().pid;
      expect(secondPid).not.toBe(firstPid);
      const history = await readHistory(run.trackingUri, run.id, "m");
      expect(history.history.steps).toEqual(Array.from({ length: 6000 }, (_, step) => step));
      expect((await readRun(run.trackingUri, run.id)).status).toBe("FINISHED");
      await stopEmbeddedServer();
      expect(isAlive(secondPid)).toBe(false);
    } finally {
      process.chdir(home);
    }
  });
});
