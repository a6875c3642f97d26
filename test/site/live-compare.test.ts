import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExperiment, createRun, logBatch, openDb, updateRun } from "../../db/index.ts";
import { type PackedRows, unpackRows } from "../../site/lib/packed-rows.ts";
import { createRunDoc, logBatchDoc } from "../api/operations.ts";
import { launchChromium, openRecordingPage } from "../support/chromium.ts";
import { gqlData } from "../support/gql.ts";
import { repoRoot, runCli, type ServerProcess, startServer } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";
import { serveStatic } from "./static-server.ts";

/** A screenshot of the page once refreshed, kept after the run (the folder is ignored by git). */
const screenshots = join(repoRoot, ".tmp", "site-screenshots");

const steps = [0, 1, 2, 3, 4];
const curve = (offset: number, at: readonly number[] = steps) => ({
  key: "val_loss",
  steps: [...at],
  values: at.map((s) => 1 / (s + 1) + offset),
});

/**
 * A sweep by a filter, every section kind: what the page shows and refreshes. The second
 * parallel chart draws the params that vary (its layout changes with them); no run has logged
 * `accuracy` when the report is built.
 */
const sweepFile = `title: Live sweep
runs:
  experiments: [sweep]
  filter: params.lr IN ('0.1', '0.01')
sections:
  - table: runs
  - table: params-diff
  - chart: curves
    metric: val_loss
  - chart: bands
    metric: val_loss
    groupBy: [params.lr]
  - chart: parallel
    params: [lr, seed]
    metric: val_loss
    value: min
  - chart: scatter
    param: lr
    metric: val_loss
    value: min
  - chart: best
    metric: val_loss
  - chart: parallel
    metric: val_loss
  - chart: curves
    metric: accuracy
`;

/**
 * A sweep: two finished runs and one still running (lr 0.1 and 0.01), one run the filter
 * leaves out; a report of it with the sweep's comparison, and one of two finished runs by id.
 */
async function makeReport() {
  const dir = tempDir("labbook-live-compare-");
  const db = join(dir, "labbook.db");
  const store = await openDb({
    url: `file:${db}`,
    artifactRoot: `file://${join(dir, "artifacts")}`,
  });
  const ids: Record<string, string> = {};
  let experimentId: string;
  try {
    experimentId = (await createExperiment(store, { name: "sweep" })).id;
    const runs = [
      { name: "fast-1", lr: "0.1", seed: "1", offset: 0.2, finished: true },
      { name: "slow-1", lr: "0.01", seed: "1", offset: 0.1, finished: true },
      { name: "slow-2", lr: "0.01", seed: "2", offset: 0.15, finished: false },
      { name: "other", lr: "0.5", seed: "1", offset: 0.3, finished: true },
    ];
    for (const run of runs) {
      const { id } = await createRun(store, { experimentId, name: run.name });
      ids[run.name] = id;
      await logBatch(store, {
        runId: id,
        params: [
          { key: "lr", value: run.lr },
          { key: "seed", value: run.seed },
        ],
        metrics: [curve(run.offset, run.finished ? steps : [0, 1])],
      });
      if (run.finished) await updateRun(store, { runId: id, status: "FINISHED" });
    }
  } finally {
    await store.close();
  }
  const reports = join(dir, "reports");
  mkdirSync(reports);
  writeFileSync(join(reports, "live-sweep.yaml"), sweepFile);
  writeFileSync(
    join(reports, "pair.yaml"),
    `runs:\n  ids: [${ids["fast-1"]}, ${ids["slow-1"]}]\nmetrics: val_loss\n`,
  );
  const out = join(dir, "report");
  const built = await runCli(["report", "--db", db, "--out", out, "--reports", reports, "--json"]);
  expect(built.stderr).not.toMatch(/unexpected failure/);
  expect(built.code).toBe(0);
  return { db, out, experimentId, ids };
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

const allDrawn = (page: Page) =>
  page.waitForFunction(() =>
    [...document.querySelectorAll<HTMLElement>("figure[data-chart]")].every(
      (figure) => figure.dataset.drawn,
    ),
  );

/** The rows a section's chart was last drawn from (the page's own data, unpacked). */
async function sectionRows(page: Page, kind: string) {
  const text = await page.evaluate(
    (sectionKind) =>
      document.querySelector(`[data-section-kind="${sectionKind}"] figure [data-chart-data]`)
        ?.textContent ?? "{}",
    kind,
  );
  const payload = JSON.parse(text) as { packed?: PackedRows };
  return payload.packed ? unpackRows(payload.packed) : [];
}

/** A run's points in the curves' data. */
const curvePoints = async (page: Page, runId: string) =>
  (await sectionRows(page, "curves")).filter((row) => row.run === runId).length;

/** The group bands' legend entries and last step per group. */
async function bandGroups(page: Page) {
  const groups = new Map<string, number>();
  for (const row of await sectionRows(page, "bands"))
    groups.set(String(row.group), Math.max(groups.get(String(row.group)) ?? 0, Number(row.step)));
  return Object.fromEntries(groups);
}

/**
 * Runs a test's steps; a failure also tells what the page's live badge and the server said,
 * which a timeout alone does not.
 */
async function explained(page: Page, server: ServerProcess, steps: () => Promise<void>) {
  try {
    await steps();
  } catch (error) {
    const badge = await page
      .locator("[data-live]")
      .evaluate((element) => `${element.textContent} (${element.getAttribute("title")})`)
      .catch(() => "none");
    const detail = `live badge: ${badge}\nserver stderr: ${server.stderr().slice(-2000)}`;
    throw Object.assign(error as Error, { message: `${(error as Error).message}\n${detail}` });
  }
}

/** expect.poll's default second is short for a page that refreshes every second on a busy machine. */
const patiently = { timeout: 30_000, interval: 100 };

describe("a comparison page served by labbook server", () => {
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

  it("follows its running run, and shows a new run the filter matches without reloading", async () => {
    const api = server.info.url;
    const { context, page, errors } = await openPage();
    try {
      await explained(page, server, async () => {
        await page.goto(`${api}/compare/live-sweep/`);
        expect(await page.locator('meta[name="labbook-live"]').getAttribute("content")).toBe(
          "../../graphql",
        );
        await page.waitForFunction(() => document.querySelector("[data-live]") !== null);
        await allDrawn(page);
        const slow2 = report.ids["slow-2"] as string;
        expect(await page.locator("[data-runs-table] tbody tr[data-run]").count()).toBe(3);
        expect(await curvePoints(page, slow2)).toBe(2);
        expect(await bandGroups(page)).toEqual({ "lr=0.01 (2 runs)": 4, "lr=0.1 (1 run)": 4 });

        // The running run logs more: its curve grows, its row and the bands follow.
        await gqlData(api, logBatchDoc, {
          input: { runId: slow2, metrics: [curve(0.15, [2, 3, 4, 5, 6])] },
        });
        await expect.poll(() => curvePoints(page, slow2), patiently).toBe(7);
        await expect
          .poll(() => bandGroups(page), patiently)
          .toEqual({ "lr=0.01 (2 runs)": 6, "lr=0.1 (1 run)": 4 });
        const slowRow = page.locator(`[data-runs-table] tr[data-run="${slow2}"]`);
        expect(await slowRow.locator(".status").textContent()).toBe("RUNNING");

        // Two runs start: one the filter leaves out, then one it matches.
        const start = async (name: string, lr: string) => {
          const created = await gqlData<{ createRun: { run: { id: string } } }>(api, createRunDoc, {
            experimentId: report.experimentId,
            name,
          });
          const id = created.createRun.run.id;
          await gqlData(api, logBatchDoc, {
            input: {
              runId: id,
              params: [
                { key: "lr", value: lr },
                { key: "seed", value: "3" },
                { key: "momentum", value: "0.9" },
              ],
              metrics: [
                curve(0.05, [0, 1, 2, 3, 4, 5, 6, 7, 8]),
                { key: "accuracy", steps: [0, 1, 2], values: [0.5, 0.6, 0.7] },
              ],
            },
          });
          return id;
        };
        const outside = await start("outside", "0.5");
        const late = await start("late-run", "0.01");
        await page.waitForFunction(
          (id) => document.querySelector(`[data-runs-table] tr[data-run="${id}"]`) !== null,
          late,
        );
        // In the legend of the curves, drawn (new runs start picked).
        await page.waitForFunction(() =>
          (
            document.querySelector('[data-section-kind="curves"] [data-chart-view]')?.textContent ??
            ""
          ).includes("late-run"),
        );
        expect(await curvePoints(page, late)).toBe(9);
        // In the bands: its group has three runs now, and reaches its last step.
        await expect
          .poll(() => bandGroups(page), patiently)
          .toEqual({ "lr=0.01 (3 runs)": 8, "lr=0.1 (1 run)": 4 });
        // In the sweep charts and the params diff, and the summary counts it.
        await expect
          .poll(async () => (await sectionRows(page, "best")).map((row) => row.name), patiently)
          .toContain("late-run");
        expect((await sectionRows(page, "scatter")).map((row) => row.run)).toContain(late);
        expect(
          (await sectionRows(page, "parallel")).filter((row) => row.run === late).length,
        ).toBeGreaterThan(0);
        expect(await page.locator(`[data-params-diff] tr[data-run="${late}"]`).count()).toBe(1);
        expect(await page.locator('[data-params-diff] th[data-param="momentum"]').count()).toBe(1);
        // A metric first logged now gets its curves where the page said there were none.
        await page.waitForFunction(
          () =>
            document.querySelector('[data-section="8"] figure[data-chart][data-drawn]') !== null,
        );
        expect(await page.locator('[data-section="8"] .no-data').count()).toBe(0);
        // The parallel chart of the params that vary now has a third axis: the page has no
        // compiler to lay it out again, so it stays as built and says so.
        expect(await page.locator('[data-section="7"] figure[data-live-stale]').count()).toBe(1);
        expect(await page.locator('[data-section="4"] figure[data-live-stale]').count()).toBe(0);
        expect(await page.locator("[data-summary-text]").textContent()).toBe("4 runs from sweep");
        // Its name has no link (no page of its own until the next build); the filter kept the other out.
        expect(await page.locator(`[data-runs-table] tr[data-run="${late}"] a`).count()).toBe(0);
        expect(await page.locator(`[data-run="${outside}"]`).count()).toBe(0);
        expect(await page.locator("[data-runs-table] tbody tr[data-run]").count()).toBe(4);
        expect(await page.locator("[data-live]").getAttribute("data-live-state")).toBe("ok");
        await allDrawn(page);
        mkdirSync(screenshots, { recursive: true });
        await page.screenshot({ path: join(screenshots, "comparison-live.png"), fullPage: true });
        expect(errors).toEqual([]);
      });
    } finally {
      await context.close();
    }
  }, 120_000);

  it("stops asking once every run of a comparison by ids has ended", async () => {
    const { context, page, errors } = await openPage();
    try {
      await explained(page, server, async () => {
        await page.goto(`${server.info.url}/compare/pair/`);
        const state = page.locator("[data-live]");
        await expect.poll(() => state.getAttribute("data-live-state"), patiently).toBe("stopped");
        expect(await state.textContent()).toContain("every run has ended");
        expect(errors).toEqual([]);
      });
    } finally {
      await context.close();
    }
  }, 60_000);
});

describe("the same comparison page elsewhere", () => {
  it("stays static on another host: no request to any API, no console error", async () => {
    const site = await serveStatic(report.out, "/reports/");
    const { context, page, errors, requests } = await openPage();
    try {
      await page.goto(`${site.url}compare/live-sweep/index.html`);
      await allDrawn(page);
      expect(await page.locator("figure[data-chart]").count()).toBe(6);
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
