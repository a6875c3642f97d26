import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Snapshot } from "../../site/snapshot/types.ts";
import { launchChromium } from "../support/chromium.ts";
import { repoRoot } from "../support/server-process.ts";
import { buildFixtureReport } from "./build-report.ts";
import { fixture } from "./fixture.ts";
import { serveStatic } from "./static-server.ts";

/** Screenshots of each page type, kept after the run (the folder is ignored by git). */
const screenshots = join(repoRoot, ".tmp", "site-screenshots");

let report: Awaited<ReturnType<typeof buildFixtureReport>>;
let snapshot: Snapshot;
let server: Awaited<ReturnType<typeof serveStatic>>;
let browser: Browser;
const blocked: string[] = [];

beforeAll(async () => {
  report = await buildFixtureReport();
  snapshot = JSON.parse(readFileSync(join(report.out, "snapshot.json"), "utf8")) as Snapshot;
  server = await serveStatic(report.out, "/team/reports/latest/");
  browser = await launchChromium();
  mkdirSync(screenshots, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A page whose every request outside `allowed` is blocked (and recorded), with its errors. */
async function openPage(
  allowed: string,
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ acceptDownloads: true, timezoneId: "Asia/Tokyo" });
  await context.route("**/*", async (route) => {
    const url = route.request().url();
    if (url.startsWith(allowed)) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return { context, page, errors };
}

const mnist = () => snapshot.experiments.find((one) => one.name === fixture.mnist.name)!;

/** Waits until every chart of the page has drawn, and counts marks inside the chart containers. */
async function chartMarks(page: Page) {
  await page.waitForFunction(() =>
    [...document.querySelectorAll<HTMLElement>("figure[data-chart]")].every(
      (figure) => figure.dataset.drawn,
    ),
  );
  return page.$$eval("[data-chart-view]", (views) =>
    views.map((view) => ({
      lines: view.querySelectorAll("g.mark-line.role-mark path").length,
      points: view.querySelectorAll("g.mark-symbol.role-mark path").length,
    })),
  );
}

const pageTypes = () => {
  const experiment = mnist();
  const run = experiment.runs.find((one) => one.name === "mnist-128-1e-3")!;
  return {
    index: "index.html",
    experiment: `experiments/${experiment.id}.html`,
    run: `runs/${run.id}.html`,
    embed: `charts/experiment-${experiment.id}/metric-val_acc.html`,
    registry: "models.html",
    model: "models/mnist_classifier.html",
    comparison: "compare/lr-sweep/index.html",
  };
};

/** Marks drawn in one section of a comparison page, by mark type. */
async function sectionMarks(page: Page, kind: string) {
  return page.$eval(`[data-section-kind="${kind}"] [data-chart-view]`, (view) => {
    const count = (type: string) =>
      view.querySelectorAll(`g.mark-${type}.role-mark > path, g.mark-${type}.role-mark > line`)
        .length;
    return {
      lines: count("line"),
      areas: count("area"),
      points: count("symbol"),
      bars: count("rect"),
      rules: count("rule"),
    };
  });
}

describe.each([
  ["http://", () => server.url, () => server.url],
  [
    "file://",
    () => `${pathToFileURL(report.out).href}/`,
    () => `${pathToFileURL(report.out).href}/`,
  ],
])("the report over %s", (scheme, base, allowed) => {
  it("loads every page type without a console error, drawing its charts", async () => {
    const { context, page, errors } = await openPage(allowed());
    try {
      const pages = pageTypes();
      await page.goto(`${base()}${pages.index}`);
      expect(await page.locator("table.experiments tbody tr").count()).toBe(4);
      // Times are shown in the viewer's zone (the context's: Tokyo, UTC+9).
      expect(await page.locator("time[data-local-time]").first().textContent()).toMatch(
        /GMT\+9|JST/,
      );
      if (scheme === "http://")
        await page.screenshot({ path: join(screenshots, "index.png"), fullPage: true });

      await page.goto(`${base()}${pages.experiment}`);
      const experimentMarks = await chartMarks(page);
      // loss, val_acc, val_loss curves of five runs; then params against val_acc.
      expect(experimentMarks.slice(0, 3)).toEqual(
        Array(3).fill({ lines: 5, points: 5 * fixture.mnist.epochs }),
      );
      expect(experimentMarks.slice(3).map((marks) => marks.points)).toEqual([5, 5]);
      if (scheme === "http://")
        await page.screenshot({ path: join(screenshots, "experiment.png"), fullPage: true });

      await page.goto(`${base()}${pages.run}`);
      expect(await chartMarks(page)).toEqual(
        Array(3).fill({ lines: 1, points: fixture.mnist.epochs }),
      );
      await expect(page.locator("[data-command]").textContent()).resolves.toContain(
        "node train.ts --batch-size 128",
      );
      if (scheme === "http://")
        await page.screenshot({ path: join(screenshots, "run.png"), fullPage: true });

      await page.goto(`${base()}${pages.embed}`);
      await page.waitForFunction(() => document.body.dataset.drawn === "1");
      expect(await page.locator("#chart g.mark-line.role-mark path").count()).toBe(5);
      if (scheme === "http://") await page.screenshot({ path: join(screenshots, "embed.png") });

      await page.goto(`${base()}${pages.registry}`);
      expect(await page.locator("table.models tbody tr").count()).toBe(3);
      if (scheme === "http://")
        await page.screenshot({ path: join(screenshots, "registry.png"), fullPage: true });

      await page.goto(`${base()}${pages.model}`);
      expect(await page.locator("table.versions tbody tr").count()).toBe(2);
      // A version links to its run's page, and the run's page back to the version.
      await page.locator("tr[data-version='2'] a", { hasText: "mnist-64-1e-2" }).click();
      await page
        .locator("tr[data-model-version='mnist_classifier/2'] a", { hasText: "v2" })
        .click();
      expect(new URL(page.url()).hash).toBe("#v2");
      if (scheme === "http://")
        await page.screenshot({ path: join(screenshots, "model.png"), fullPage: true });

      await page.goto(`${base()}${pages.comparison}`);
      await chartMarks(page);
      expect(await sectionMarks(page, "curves")).toMatchObject({
        lines: 5,
        points: 5 * fixture.mnist.epochs,
      });
      expect(await sectionMarks(page, "bands")).toMatchObject({ areas: 4, lines: 4 });
      expect(await sectionMarks(page, "parallel")).toMatchObject({ lines: 5, rules: 3 });
      expect(await sectionMarks(page, "scatter")).toMatchObject({ points: 5 });
      expect(await sectionMarks(page, "best")).toMatchObject({ bars: 5 });
      if (scheme === "http://")
        await page.screenshot({ path: join(screenshots, "comparison.png"), fullPage: true });

      expect(errors).toEqual([]);
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe("the runs table", () => {
  it("sorts, filters with the search grammar, hides constant columns, and exports CSV", async () => {
    const { context, page, errors } = await openPage(server.url);
    try {
      await page.goto(`${server.url}${pageTypes().experiment}`);
      await chartMarks(page);
      const names = () =>
        page.$$eval("tbody tr[data-run]:not(.filtered-out) td[data-col='0']", (cells) =>
          cells.map((c) => c.textContent?.trim()),
        );

      // Best first by the main metric, as built.
      expect((await names())[0]).toBe("mnist-64-1e-2");
      // A numeric column sorts largest first, then the other way.
      const header = page.locator("th[data-col]", { hasText: "params.batch_size" });
      const sortBy = header.locator("button");
      const batchSizes = () =>
        page.$$eval("tbody tr[data-run]", (rows) =>
          rows.map((row) =>
            Number(row.querySelector<HTMLElement>("td:nth-child(6)")?.dataset.value),
          ),
        );
      await sortBy.click();
      await expect(header.getAttribute("aria-sort")).resolves.toBe("descending");
      expect(await batchSizes()).toEqual([128, 64, 64, 32, 16]);
      await sortBy.click();
      await expect(header.getAttribute("aria-sort")).resolves.toBe("ascending");
      expect(await batchSizes()).toEqual([16, 32, 64, 64, 128]);

      // params.epochs never varies: hidden until asked for.
      await expect(
        page.locator("th[data-col]", { hasText: "params.epochs" }).isVisible(),
      ).resolves.toBe(false);

      const filter = page.locator("[data-filter]");
      await filter.fill("metrics.val_acc > 0.85 and params.batch_size != '128'");
      expect((await names()).sort()).toEqual(["mnist-32-3e-3", "mnist-64-1e-2", "mnist-64-1e-3"]);
      await expect(page.locator("[data-count]").textContent()).resolves.toBe("3 of 5 runs");
      await filter.fill("metrics.val_acc >");
      await expect(page.locator("[data-filter-error]").textContent()).resolves.toMatch(/expected/);
      await filter.fill("params.lr_init IN ('1e-3')");
      expect((await names()).sort()).toEqual(["mnist-128-1e-3", "mnist-64-1e-3"]);

      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "download CSV" }).click(),
      ]);
      const csv = readFileSync((await download.path())!, "utf8")
        .trim()
        .split("\r\n");
      expect(csv[0]).toMatch(/^run_id,name,.*params\.batch_size,.*metrics\.val_acc/);
      expect(csv).toHaveLength(3);

      // Unticking a run takes its curves off the charts.
      await filter.fill("");
      await page.locator("[data-select-run]").first().uncheck();
      await page.waitForFunction(
        () =>
          document
            .querySelectorAll("[data-chart-view]")[0]
            ?.querySelectorAll("g.mark-line.role-mark path").length === 4,
      );
      expect(errors).toEqual([]);
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe("the curves' controls", () => {
  it("smooth, switch x to wall time and y to a log scale, redrawing the marks", async () => {
    const { context, page, errors } = await openPage(server.url);
    try {
      const sweep = snapshot.experiments.find((one) => one.name === fixture.sweep.name)!;
      await page.goto(`${server.url}experiments/${sweep.id}.html`);
      const [loss] = await chartMarks(page);
      // 0.6 by default on long curves: a raw and a smoothed line per run.
      expect(loss?.lines).toBe(2 * fixture.sweep.runs);
      const figure = page.locator("figure[data-chart]").first();
      await figure.locator("[data-control='smoothing']").selectOption("0");
      await page.waitForFunction(
        () =>
          document
            .querySelector("[data-chart-view]")
            ?.querySelectorAll("g.mark-line.role-mark path").length === 3,
      );
      await figure.locator("[data-control='x']").selectOption("time");
      await figure.locator("[data-control='log']").check();
      await page.waitForFunction(
        () => document.querySelector<HTMLElement>("figure[data-chart]")?.dataset.drawn === "3",
      );
      const axis = await figure.locator("[data-chart-view] svg").textContent();
      expect(axis).toContain("wall time");
      // Smoothing stays off across redraws: one line per run.
      expect((await chartMarks(page))[0]?.lines).toBe(fixture.sweep.runs);
      expect(errors).toEqual([]);
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe("the comparison page", () => {
  it("diffs only the params that differ, and draws the curves of the runs ticked", async () => {
    const { context, page, errors } = await openPage(server.url);
    try {
      await page.goto(`${server.url}${pageTypes().comparison}`);
      await chartMarks(page);
      // The prose's raw HTML is text, not a script.
      expect(await page.title()).not.toBe("injected");
      await expect(page.locator(".prose strong").first().textContent()).resolves.toBe(
        "learning rate",
      );

      const diff = page.locator("[data-params-diff]");
      expect(await diff.locator("th[data-param]").allTextContents()).toEqual([
        "batch_size",
        "lr_init",
      ]);
      expect(await diff.locator("tbody tr").count()).toBe(fixture.mnist.runs);
      await expect(diff.locator(".same").textContent()).resolves.toMatch(/epochs\s*=\s*5/);

      // The runs table filters with the search grammar and picks the curves, as elsewhere.
      await page.locator("[data-filter]").fill("params.lr_init = '1e-3'");
      await expect(page.locator("[data-count]").textContent()).resolves.toBe("2 of 5 runs");
      await page.locator("tr[data-run]:not(.filtered-out) [data-select-run]").first().uncheck();
      await page.waitForFunction(
        () =>
          document
            .querySelector('[data-section-kind="curves"] [data-chart-view]')
            ?.querySelectorAll("g.mark-line.role-mark path").length === 4,
      );
      expect(errors).toEqual([]);
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("draws a band and a mean curve per group of runs sharing a learning rate", async () => {
    const { context, page, errors } = await openPage(server.url);
    try {
      await page.goto(`${server.url}${pageTypes().comparison}`);
      await chartMarks(page);
      const bands = page.locator('[data-section-kind="bands"] [data-chart-view] svg');
      const legend = await bands.locator("g.role-legend").textContent();
      expect(legend).toContain("lr_init=1e-3 (2 runs)");
      expect(legend).toContain("lr_init=1e-2 (1 run)");
      expect(await bands.locator("g.mark-area.role-mark path").count()).toBe(4);
      expect(await bands.locator("g.mark-line.role-mark path").count()).toBe(4);
      await page
        .locator('[data-section-kind="bands"] figure')
        .screenshot({ path: join(screenshots, "group-bands.png") });
      expect(errors).toEqual([]);
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
