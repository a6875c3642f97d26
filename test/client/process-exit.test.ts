import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sendUnsent } from "../../client/index.ts";
import { gqlData } from "../support/gql.ts";
import { tempDir } from "../support/temp-dir.ts";
import { readHistory, readRun, runFixture, server, until } from "./support.ts";

const stepsUpTo = (count: number) => Array.from({ length: count }, (_, step) => step);

/** Every point the fixture logs is `step * 0.5`, at steps 0, 1, 2, …: none missing. */
async function expectAllPoints(url: string, runId: string, count: number) {
  const { count: stored, history } = await readHistory(url, runId, "m");
  expect(stored).toBe(count);
  expect(history.steps).toEqual(stepsUpTo(count));
  expect(history.values).toEqual(stepsUpTo(count).map((step) => step * 0.5));
}

describe("how a run ends with its process", () => {
  it("FINISHED on end(), and on a normal exit without end()", async () => {
    const { info } = await server();
    for (const mode of ["end", "exit"]) {
      const script = runFixture("train.ts", {
        args: [mode, "7000"],
        env: { LABBOOK_TRACKING_URI: info.url, LABBOOK_EXPERIMENT: "exits" },
      });
      const result = await script.done;
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const runId = result.lines[0]?.runId as string;
      expect(result.lines[0]?.owned).toBe(true);
      expect((await readRun(info.url, runId)).status).toBe("FINISHED");
      await expectAllPoints(info.url, runId, 7000);
    }
  });

  it("FAILED when the script exits with an exit code set", async () => {
    const { info } = await server();
    const result = await runFixture("train.ts", {
      args: ["exit-code", "100"],
      env: { LABBOOK_TRACKING_URI: info.url },
    }).done;
    expect(result.code).toBe(3);
    const runId = result.lines[0]?.runId as string;
    expect((await readRun(info.url, runId)).status).toBe("FAILED");
    await expectAllPoints(info.url, runId, 100);
  });

  it("keeps what process.exit() left unsent in a file, which sendUnsent delivers", async () => {
    const { info } = await server();
    const spillDir = tempDir("labbook-spill-");
    const result = await runFixture("train.ts", {
      args: ["hard-exit", "4000", spillDir],
      env: { LABBOOK_TRACKING_URI: info.url },
    }).done;
    expect(result.code).toBe(0);
    const runId = result.lines[0]?.runId as string;
    const [kept] = readdirSync(spillDir);
    expect(result.stderr).toContain(`4000 points of run ${runId} could not be sent`);
    expect(result.stderr).toContain(join(spillDir, kept ?? "?"));
    expect(await sendUnsent(join(spillDir, kept ?? "?"), { trackingUri: info.url })).toBe(4000);
    await expectAllPoints(info.url, runId, 4000);
    const stored = await readRun(info.url, runId);
    expect(stored.params).toEqual([{ key: "mode", value: "hard-exit" }]);
    expect(stored.status).toBe("RUNNING");
  });

  it("FAILED on an uncaught exception and on an unhandled rejection, after a flush; exit 1", async () => {
    const { info } = await server();
    for (const [mode, message] of [
      ["throw", "boom from training"],
      ["reject", "rejected in training"],
    ] as const) {
      const result = await runFixture("train.ts", {
        args: [mode, "7000"],
        env: { LABBOOK_TRACKING_URI: info.url },
      }).done;
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(message);
      const runId = result.lines[0]?.runId as string;
      const stored = await readRun(info.url, runId);
      expect(stored.status).toBe("FAILED");
      expect(stored.params).toEqual([{ key: "mode", value: mode }]);
      await expectAllPoints(info.url, runId, 7000);
    }
  });

  it("KILLED on SIGTERM (exit 143) and SIGINT (exit 130), with every point logged until then", async () => {
    const { info } = await server();
    for (const [signal, code] of [
      ["SIGTERM", 143],
      ["SIGINT", 130],
    ] as const) {
      const script = runFixture("train.ts", {
        args: ["until-signal", "3000"],
        env: { LABBOOK_TRACKING_URI: info.url },
      });
      const { runId } = (await script.firstLine) as { runId: string };
      // It flushed its first 3,000 points and now logs in its loop.
      await until("the script's first points arrived", async () => {
        const stored = await readRun(info.url, runId);
        return (stored.metrics[0]?.count ?? 0) >= 3000;
      });
      script.kill(signal);
      const result = await script.done;
      expect(result.code).toBe(code);
      expect(result.signal).toBe(null);
      const stored = await readRun(info.url, runId);
      expect(stored.status).toBe("KILLED");
      const count = stored.metrics[0]?.count ?? 0;
      expect(count).toBeGreaterThanOrEqual(3000);
      await expectAllPoints(info.url, runId, count);
    }
  });

  it("never ends a run attached through LABBOOK_RUN_ID: end(), exit and a crash leave it RUNNING", async () => {
    const { info } = await server();
    const { createRun } = await gqlData<{ createRun: { run: { id: string } } }>(
      info.url,
      'mutation { createRun(input: { name: "parent-process" }) { run { id } } }',
    );
    const runId = createRun.run.id;
    let total = 0;
    for (const mode of ["end", "exit", "throw"]) {
      // Each logs the same steps again; a metric keeps every point, so count them all.
      const result = await runFixture("train.ts", {
        args: [mode, "2500"],
        env: { LABBOOK_TRACKING_URI: info.url, LABBOOK_RUN_ID: runId },
      }).done;
      expect(result.code).toBe(mode === "throw" ? 1 : 0);
      expect(result.lines[0]).toMatchObject({ runId, owned: false });
      total += 2500;
      const stored = await readRun(info.url, runId);
      expect(stored.status).toBe("RUNNING");
      expect(stored.metrics).toEqual([{ key: "m", count: total }]);
    }
  });
});
