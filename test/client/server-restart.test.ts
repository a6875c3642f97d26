import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startRun } from "../../client/index.ts";
import { tempDir } from "../support/temp-dir.ts";
import { portOf, readHistory, readRun, server, until } from "./support.ts";

const valueAt = (step: number) => Math.sin(step / 100) + step / 1e4;

describe("a server restarted in the middle of training", () => {
  it("costs no point: SIGKILL, a new server on the same file and port, every point arrives", async () => {
    const db = join(tempDir(), "labbook.db");
    const first = await server({ db });
    const port = portOf(first.info.url);
    const run = await startRun({
      trackingUri: first.info.url,
      experiment: "restart",
      batchSize: 500,
      flushIntervalMs: 20,
      maxRetryDelayMs: 200,
    });

    // The training loop: ten points per millisecond of "work", never waiting on the SDK.
    let logged = 0;
    let training = true;
    const loop = (async () => {
      while (training) {
        for (let i = 0; i < 10; i++, logged++)
          run.logMetric("loss", valueAt(logged), { step: logged });
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();

    await until("the first server has points", () => run.stats().sent > 1000);
    await first.stop("SIGKILL");
    const loggedAtKill = logged;
    await until("the SDK has failed to send and retried", () => run.stats().retries > 0);
    expect(run.stats().sent).toBeLessThanOrEqual(loggedAtKill);

    const second = await server({ db, port });
    expect(second.info.url).toBe(first.info.url);
    const sentBefore = run.stats().sent;
    await until("the second server has points too", () => run.stats().sent > sentBefore + 1000);
    training = false;
    await loop;
    await run.end();

    expect(logged).toBeGreaterThan(loggedAtKill);
    expect(run.stats()).toMatchObject({ sent: logged, dropped: 0, queued: 0, spilled: 0 });
    const history = await readHistory(second.info.url, run.id, "loss");
    expect(history.count).toBe(logged);
    expect(history.history.steps).toEqual(Array.from({ length: logged }, (_, step) => step));
    expect(history.history.values).toEqual(
      Array.from({ length: logged }, (_, step) => valueAt(step)),
    );
    expect((await readRun(second.info.url, run.id)).status).toBe("FINISHED");
  });
});
