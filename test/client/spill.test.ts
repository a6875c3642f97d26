import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startRun } from "../../client/index.ts";
import { tempDir } from "../support/temp-dir.ts";
import { asApiValue, portOf, readHistory, readRun, server, until } from "./support.ts";

const valueAt = (step: number) => (step % 1000 === 999 ? Number.NaN : step * 0.25);

describe("spilling to disk", () => {
  it("keeps batches past the memory bound in a file while the server is down, and sends them all when it is back", async () => {
    const db = join(tempDir(), "labbook.db");
    const spillDir = tempDir("labbook-spill-");
    const first = await server({ db });
    const maxBufferedPoints = 2000;
    const run = await startRun({
      trackingUri: first.info.url,
      spillDir,
      maxBufferedPoints,
      batchSize: 500,
      maxRetryDelayMs: 200,
    });
    run.logParam("bound", maxBufferedPoints);
    await first.stop("SIGKILL");

    const points = 20_000;
    for (let step = 0; step < points; step++) run.logMetric("x", valueAt(step), { step });
    await until("the SDK has tried the absent server", () => run.stats().retries > 0);

    const stats = run.stats();
    expect(stats.queued).toBeLessThanOrEqual(maxBufferedPoints);
    expect(stats.queued + stats.spilled + stats.buffered).toBe(points);
    expect(stats.spilled).toBeGreaterThanOrEqual(points - maxBufferedPoints);
    // The file is JSON lines, one batch each, in the order they were cut.
    expect(readdirSync(spillDir)).toHaveLength(1);
    const lines = readFileSync(stats.spillPath ?? "", "utf8")
      .trimEnd()
      .split("\n");
    const seqs = lines.map((line) => (JSON.parse(line) as { seq: number }).seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(lines.length * 500).toBe(stats.spilled);

    await server({ db, port: portOf(first.info.url) });
    await run.end();

    expect(run.stats()).toMatchObject({ sent: points, queued: 0, spilled: 0, dropped: 0 });
    expect(readdirSync(spillDir)).toEqual([]);
    const history = await readHistory(first.info.url, run.id, "x");
    expect(history.count).toBe(points);
    expect(history.history.steps).toEqual(Array.from({ length: points }, (_, step) => step));
    expect(history.history.values).toEqual(
      Array.from({ length: points }, (_, step) => asApiValue(valueAt(step))),
    );
    const stored = await readRun(first.info.url, run.id);
    expect(stored).toMatchObject({ status: "FINISHED", params: [{ key: "bound", value: "2000" }] });
  });

  it("writes what it cannot send before end() gives up to a file that sendUnsent delivers later", async () => {
    const db = join(tempDir(), "labbook.db");
    const spillDir = tempDir("labbook-spill-");
    const first = await server({ db });
    const messages: string[] = [];
    const run = await startRun({
      trackingUri: first.info.url,
      spillDir,
      flushTimeoutMs: 300,
      maxRetryDelayMs: 50,
      onError: (error) => messages.push(error.message),
    });
    await first.stop("SIGKILL");
    for (let step = 0; step < 1234; step++) run.logMetric("y", step, { step });
    await run.end();

    const [kept] = readdirSync(spillDir);
    expect(kept).toBeDefined();
    const path = join(spillDir, kept ?? "");
    expect(messages.at(-1)).toContain(path);
    expect(messages.at(-1)).toContain("1234 points");

    const second = await server({ db, port: portOf(first.info.url) });
    const { sendUnsent } = await import("../../client/index.ts");
    expect(await sendUnsent(path, { trackingUri: second.info.url })).toBe(1234);
    // Sending again is harmless: each batch keeps its id. The file is gone now, though.
    expect(readdirSync(spillDir)).toEqual([]);
    expect((await readHistory(second.info.url, run.id, "y")).count).toBe(1234);
    // The run was never marked: the server was away when it ended.
    expect((await readRun(second.info.url, run.id)).status).toBe("RUNNING");
  });
});
