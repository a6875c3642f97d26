import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { compile, type TopLevelSpec } from "vega-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countMarks, renderView } from "../../site/render/vega-view.ts";
import { fixture, fixtureRunIds, makeReportDb } from "../site/fixture.ts";
import { launchChromium } from "../support/chromium.ts";
import { runCli, type ServerProcess, startServer } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";

let db: string;
let runs: Map<string, string>;
let out: string;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  db = await makeReportDb();
  runs = await fixtureRunIds(db);
  out = tempDir("labbook-chart-");
});

afterAll(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

const twoRuns = () => ["--run", runs.get("mnist-128-1e-3")!, "--run", runs.get("mnist-64-1e-2")!];

/** `labbook chart … --out <file> --json` for the two runs, checked to succeed. */
async function chart(file: string, ...more: string[]) {
  const path = join(out, file);
  const result = await runCli([
    "chart",
    "--db",
    db,
    ...twoRuns(),
    "--metric",
    "val_acc",
    "--out",
    path,
    "--json",
    ...more,
  ]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return { path, summary: JSON.parse(result.stdout) };
}

describe("labbook chart", () => {
  it("writes an SVG with a line and a point per run and epoch", async () => {
    const { path, summary } = await chart("val_acc.svg");
    expect(summary).toMatchObject({ format: "svg", runs: 2, points: 2 * fixture.mnist.epochs });
    const svg = readFileSync(path, "utf8");
    expect(svg).toMatch(/^<svg /);
    expect(svg.match(/class="mark-line/g)?.length).toBe(2);
    expect(svg).toContain("mnist-64-1e-2");
  });

  it("writes a PNG at twice the chart's size", async () => {
    const { path, summary } = await chart("val_acc.png", "--width", "300", "--height", "200");
    const png = readFileSync(path);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(summary.bytes).toBe(png.byteLength);
    // IHDR: width and height, big-endian, after the signature and the chunk's length and type.
    const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    expect(width).toBeGreaterThan(2 * 300);
    expect(height).toBeGreaterThan(2 * 200);
  });

  it("writes a Vega-Lite spec with its data that compiles and draws the curves", async () => {
    const { path } = await chart("val_acc.json", "--x", "time", "--log", "--smoothing", "0.6");
    const spec = JSON.parse(readFileSync(path, "utf8")) as TopLevelSpec & {
      datasets: { points: object[] };
    };
    expect(spec.$schema).toBe("https://vega.github.io/schema/vega-lite/v6.json");
    expect(spec.datasets.points).toHaveLength(2 * fixture.mnist.epochs);
    expect(() => compile(spec)).not.toThrow();
    const view = await renderView(spec, spec.datasets.points);
    // Raw and smoothed line per run, a point per value; wall time on x, log on y.
    expect(countMarks(view)).toEqual({ line: 4, symbol: 2 * fixture.mnist.epochs });
    expect(view.scale("x").type).toBe("time");
    expect(view.scale("y").type).toBe("log");
  });

  it("writes an HTML page that draws the chart with nothing loaded from outside it", async () => {
    const { path } = await chart("val_acc.html", "--title", "Validation accuracy");
    const html = readFileSync(path, "utf8");
    expect(html).not.toMatch(/\s(src|href)=/);
    const browser = await launchChromium();
    try {
      const context = await browser.newContext();
      const requests: string[] = [];
      const page = await context.newPage();
      const self = pathToFileURL(path).href;
      await context.route("**/*", (route) => {
        const url = route.request().url();
        if (url === self) return route.continue();
        requests.push(url);
        return route.abort();
      });
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      await page.goto(self);
      await page.waitForFunction(() => document.body.dataset.drawn === "1");
      expect(await page.locator("#chart g.mark-line.role-mark path").count()).toBe(2);
      await expect(page.locator("#chart svg").textContent()).resolves.toContain(
        "Validation accuracy",
      );
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it("prints an SVG on standard output, reading from a server with --endpoint", async () => {
    const server = await startServer({ db });
    servers.push(server);
    const result = await runCli([
      "chart",
      "--endpoint",
      server.info.url,
      "--run",
      runs.get("sweep-1")!,
      "--metric",
      "loss",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^<svg /);
    expect(result.stdout.match(/class="mark-line/g)?.length).toBe(1);
  });

  it("names an unknown run, and the metrics a run has when the metric is unknown", async () => {
    const unknownRun = await runCli([
      "chart",
      "--db",
      db,
      "--run",
      "0123456789abcdef0123456789abcdef",
      "--metric",
      "loss",
    ]);
    expect(unknownRun.code).toBe(1);
    expect(unknownRun.stderr).toContain("no run with id '0123456789abcdef0123456789abcdef'");
    const unknownMetric = await runCli([
      "chart",
      "--db",
      db,
      ...twoRuns(),
      "--metric",
      "val_accuracy",
    ]);
    expect(unknownMetric.code).toBe(1);
    expect(unknownMetric.stderr).toContain(
      "has no metric 'val_accuracy'; it logged loss, val_acc, val_loss",
    );
  });

  it("explains a call it cannot make", async () => {
    const cases: [string[], RegExp][] = [
      [["--metric", "loss"], /needs --run/],
      [[...twoRuns()], /needs --metric/],
      [[...twoRuns(), "--metric", "loss", "--format", "gif"], /--format must be one of svg, png/],
      [[...twoRuns(), "--metric", "loss", "--smoothing", "1.5"], /--smoothing must be/],
      [[...twoRuns(), "--metric", "loss", "--json"], /give --out/],
      [[...twoRuns(), "--metric", "loss", "--x", "epoch"], /--x must be step or time/],
    ];
    const results = await Promise.all(
      cases.map(([args]) => runCli(["chart", "--db", db, ...args])),
    );
    results.forEach((result, i) => {
      const [args, message] = cases[i]!;
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
    });
    const help = await runCli(["chart", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--format <f>\s+svg, png, json/);
  });
});
