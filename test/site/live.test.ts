import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExperiment, createRun, logBatch, openDb, updateRun } from "../../db/index.ts";
import { createRunDoc, logBatchDoc, updateRunDoc } from "../api/operations.ts";
import { launchChromium, openRecordingPage } from "../support/chromium.ts";
import { gqlData } from "../support/gql.ts";
import { runCli, type ServerProcess, startServer } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";
import { serveStatic } from "./static-server.ts";

const token = "live-test-token";
const steps = [0, 1, 2, 3, 4];

/** A database with one finished run and one still running, and a report built from it. */
async function makeReport() {
  const dir = tempDir("labbook-live-");
  const db = join(dir, "labbook.db");
  const store = await openDb({
    url: `file:${db}`,
    artifactRoot: `file://${join(dir, "artifacts")}`,
  });
  let experimentId: string;
  let finishedId: string;
  let runningId: string;
  let watchedId: string;
  try {
    experimentId = (await createExperiment(store, { name: "live" })).id;
    const finished = await createRun(store, { experimentId, name: "finished-run" });
    finishedId = finished.id;
    await logBatch(store, {
      runId: finished.id,
      params: [{ key: "lr", value: "0.1" }],
      metrics: [{ key: "val_acc", steps, values: steps.map((s) => 0.5 + s / 20) }],
    });
    await updateRun(store, { runId: finished.id, status: "FINISHED" });
    const running = await createRun(store, { experimentId, name: "running-run" });
    runningId = running.id;
    await logBatch(store, {
      runId: running.id,
      params: [{ key: "lr", value: "0.01" }],
      metrics: [{ key: "val_acc", steps: [0, 1], values: [0.4, 0.45] }],
    });
    const watched = await createRun(store, { experimentId, name: "watched-run" });
    watchedId = watched.id;
    await logBatch(store, {
      runId: watched.id,
      metrics: [{ key: "loss", steps: [0, 1], values: [2, 1.5] }],
    });
  } finally {
    await store.close();
  }
  const out = join(dir, "report");
  const built = await runCli(["report", "--db", db, "--out", out, "--json"]);
  expect(built.stderr).not.toMatch(/unexpected failure/);
  expect(built.code).toBe(0);
  return { dir, db, out, experimentId, finishedId, runningId, watchedId };
}

let report: Awaited<ReturnType<typeof makeReport>>;
let browser: Browser;

beforeAll(async () => {
  report = await makeReport();
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
});

/** A page that records its console errors and every request it makes. */
const openPage = () => openRecordingPage(browser);

/** How many lines a metric's curves draw (-1 until drawn). */
const curveLines = (page: Page, metric: string) =>
  page.evaluate((key) => {
    const figure = [...document.querySelectorAll<HTMLElement>("figure[data-chart]")].find(
      (one) =>
        one.dataset.kind === "metric" &&
        one.dataset.drawn &&
        JSON.parse(one.querySelector("[data-chart-data]")?.textContent ?? "{}").names?.metric ===
          key,
    );
    return figure?.querySelectorAll("g.mark-line.role-mark path").length ?? -1;
  }, metric);

/** expect.poll's default second is short for a page that refreshes every second on a busy machine. */
const patiently = { timeout: 30_000, interval: 100 };

describe("live report pages served by labbook server", () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer({
      db: report.db,
      args: ["--report", report.out, "--live-refresh", "1"],
    });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("shows a run logged while the experiment page is open, and the running one's progress", async () => {
    const { context, page, errors } = await openPage();
    try {
      await page.goto(`${server.info.url}/experiments/${report.experimentId}.html`);
      expect(await page.locator('meta[name="labbook-live"]').getAttribute("content")).toBe(
        "../graphql",
      );
      await page.waitForFunction(() => document.querySelector("[data-live]") !== null);
      await page.waitForFunction(() =>
        [...document.querySelectorAll<HTMLElement>("figure[data-chart]")].every(
          (figure) => figure.dataset.drawn,
        ),
      );
      expect(await page.locator("tbody tr[data-run]").count()).toBe(3);
      const linesBefore = await curveLines(page, "val_acc");
      expect(linesBefore).toBeGreaterThan(0);

      // A new run, logged through the API while the page is open.
      const api = server.info.url;
      const created = await gqlData<{ createRun: { run: { id: string } } }>(api, createRunDoc, {
        experimentId: report.experimentId,
        name: "late-run",
      });
      const lateId = created.createRun.run.id;
      await gqlData(api, logBatchDoc, {
        input: {
          runId: lateId,
          params: [{ key: "lr", value: "0.05" }],
          metrics: [{ key: "val_acc", steps, values: steps.map((s) => 0.6 + s / 20) }],
        },
      });
      await page.waitForFunction(
        (id) => document.querySelector(`tbody tr[data-run="${id}"]`) !== null,
        lateId,
      );
      const lateRow = page.locator(`tbody tr[data-run="${lateId}"]`);
      await expect.poll(() => lateRow.locator(".status").textContent(), patiently).toBe("RUNNING");
      // Its curve is drawn beside the others (new runs start picked), and its name has no link:
      // it has no page in this report.
      await expect.poll(() => curveLines(page, "val_acc"), patiently).toBe(linesBefore + 1);
      expect(await lateRow.locator("a").count()).toBe(0);
      expect(await page.locator("[data-count]").textContent()).toBe("4 runs");

      // The run that was running logs more, then finishes.
      await gqlData(api, logBatchDoc, {
        input: {
          runId: report.runningId,
          metrics: [{ key: "val_acc", steps: [2, 3], values: [0.5, 0.55] }],
        },
      });
      await gqlData(api, updateRunDoc, { runId: report.runningId, status: "FINISHED" });
      const runningRow = page.locator(`tbody tr[data-run="${report.runningId}"]`);
      await expect
        .poll(() => runningRow.locator(".status").textContent(), patiently)
        .toBe("FINISHED");
      const points = await page.evaluate((id) => {
        const data = JSON.parse(
          document.querySelector("[data-runs-data]")?.textContent ?? "{}",
        ) as { records: { id: string; metrics: Record<string, number> }[] };
        return data.records.find((record) => record.id === id)?.metrics.val_acc;
      }, report.runningId);
      expect(points).toBe(0.55);

      // The table still works: filtering with the search grammar hides the others.
      await page.locator("[data-filter]").fill("params.lr = '0.05'");
      await expect
        .poll(() => page.locator("tbody tr[data-run]:not(.filtered-out)").count(), patiently)
        .toBe(1);
      expect(await page.locator("[data-live]").getAttribute("data-live-state")).toBe("ok");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it("follows a running run's page until it ends", async () => {
    const api = server.info.url;
    const { context, page, errors } = await openPage();
    try {
      await page.goto(`${api}/runs/${report.watchedId}.html`);
      await page.waitForFunction(() => document.querySelector("[data-live]") !== null);
      await gqlData(api, logBatchDoc, {
        input: {
          runId: report.watchedId,
          metrics: [
            { key: "loss", steps: [2, 3, 4], values: [1.2, 1, 0.9] },
            { key: "acc", steps: [0, 1], values: [0.3, 0.6] },
          ],
        },
      });
      // The metrics table and the curves follow: loss now has 5 points, acc is new.
      const lossCount = page
        .locator("table.metrics tbody tr", { hasText: "loss" })
        .locator("td")
        .last();
      await expect.poll(() => lossCount.textContent(), patiently).toBe("5");
      await expect
        .poll(() => page.locator("figure[data-chart][data-drawn]").count(), patiently)
        .toBe(2);
      await gqlData(api, updateRunDoc, { runId: report.watchedId, status: "FINISHED" });
      const state = page.locator("[data-live]");
      await expect.poll(() => state.getAttribute("data-live-state"), patiently).toBe("stopped");
      expect(await page.locator("table.attributes .status").textContent()).toBe("FINISHED");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});

describe("the same report elsewhere", () => {
  it("stays static on another host: no request to any API, no console error", async () => {
    const site = await serveStatic(report.out, "/reports/");
    const { context, page, errors, requests } = await openPage();
    try {
      await page.goto(`${site.url}experiments/${report.experimentId}.html`);
      await page.waitForFunction(() =>
        [...document.querySelectorAll<HTMLElement>("figure[data-chart]")].every(
          (figure) => figure.dataset.drawn,
        ),
      );
      expect(await page.locator("[data-live]").count()).toBe(0);
      expect(requests.filter((url) => !url.startsWith(site.url))).toEqual([]);
      expect(requests.filter((url) => url.includes("graphql"))).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await site.close();
    }
  }, 60_000);
});

describe("live pages of a server with a token", () => {
  it("refresh once the browser came in with ?token=", async () => {
    const server = await startServer({
      db: report.db,
      args: ["--report", report.out, "--live-refresh", "1", "--token", token],
    });
    const { context, page, errors } = await openPage();
    try {
      const path = `/experiments/${report.experimentId}.html`;
      const refused = await page.goto(`${server.info.url}${path}`);
      expect(refused?.status()).toBe(401);
      await page.goto(`${server.info.url}${path}?token=${token}`);
      expect(new URL(page.url()).search).toBe("");
      const created = await gqlData<{ createRun: { run: { id: string } } }>(
        server.info.url,
        createRunDoc,
        { experimentId: report.experimentId, name: "token-run" },
        { headers: { authorization: `Bearer ${token}` } },
      );
      await page.waitForFunction(
        (id) => document.querySelector(`tbody tr[data-run="${id}"]`) !== null,
        created.createRun.run.id,
      );
      expect(await page.locator("[data-live]").getAttribute("data-live-state")).toBe("ok");
      expect(errors.filter((error) => !error.includes("401"))).toEqual([]);
    } finally {
      await context.close();
      await server.stop();
    }
  }, 120_000);
});
