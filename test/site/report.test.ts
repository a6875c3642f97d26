import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Snapshot } from "../../site/snapshot/types.ts";
import { runCli, type ServerProcess, startServer } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";
import { buildFixtureReport, type ReportSummary } from "./build-report.ts";
import { fixture } from "./fixture.ts";

let report: Awaited<ReturnType<typeof buildFixtureReport>>;
let snapshot: Snapshot;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  report = await buildFixtureReport(["--max-points", "500"]);
  snapshot = JSON.parse(readFileSync(join(report.out, "snapshot.json"), "utf8")) as Snapshot;
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

const htmlFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".html"))
    .map((name) => join(dir, name));

const experiment = (name: string) => {
  const found = snapshot.experiments.find((one) => one.name === name);
  if (!found) throw new Error(`no experiment ${name} in the snapshot`);
  return found;
};

describe("labbook report", () => {
  it("writes a page per experiment and per run, an index, and says so", () => {
    // Default, mnist, sweep, empty.
    expect(report.summary).toMatchObject({ experiments: 4, runs: 8, pages: 1 + 4 + 8 });
    expect(report.stderr).toMatch(/mnist: 5\/5 runs read/);
    expect(report.stderr).toMatch(/building pages/);
    expect(existsSync(join(report.out, "index.html"))).toBe(true);
    for (const one of snapshot.experiments) {
      expect(existsSync(join(report.out, "experiments", `${one.id}.html`))).toBe(true);
      for (const run of one.runs)
        expect(existsSync(join(report.out, "runs", `${run.id}.html`))).toBe(true);
    }
  });

  it("reads histories downsampled with the extremes kept", () => {
    const long = experiment("sweep").runs.find((run) => run.name === "sweep-0");
    const loss = long?.metrics.find((metric) => metric.key === "loss");
    expect(loss?.count).toBe(fixture.longRun.points);
    const values = (loss?.history?.values ?? []) as number[];
    expect(values.length).toBeGreaterThanOrEqual(250);
    expect(values.length).toBeLessThanOrEqual(500);
    expect(Math.max(...values)).toBe(loss?.max);
    expect(Math.min(...values)).toBe(loss?.min);
  });

  it("writes every chart as .vl.json, .svg, .png and .html at its documented path", () => {
    const mnist = experiment("mnist");
    const bases = [
      `charts/experiment-${mnist.id}/metric-val_acc`,
      `charts/experiment-${mnist.id}/batch_size-vs-val_acc`,
      `charts/run-${mnist.runs[0]?.id}/metric-loss`,
    ];
    for (const base of bases)
      for (const extension of [".vl.json", ".svg", ".png", ".html"])
        expect(existsSync(join(report.out, `${base}${extension}`)), `${base}${extension}`).toBe(
          true,
        );
    const spec = JSON.parse(readFileSync(join(report.out, `${bases[0]}.vl.json`), "utf8"));
    expect(spec.data).toEqual({ name: "points" });
    expect(spec.datasets.points.length).toBe(5 * fixture.mnist.epochs);
    const svg = readFileSync(join(report.out, `${bases[0]}.svg`), "utf8");
    expect(svg.match(/class="mark-line/g)?.length).toBe(5);
    expect(
      readFileSync(join(report.out, `${bases[0]}.png`))
        .subarray(1, 4)
        .toString(),
    ).toBe("PNG");
    expect(report.summary.charts).toBeGreaterThan(8 * 2);
  });

  it("makes no absolute link and loads nothing from outside the report", () => {
    for (const file of htmlFiles(report.out)) {
      const html = readFileSync(file, "utf8");
      const urls = [...html.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((match) => match[1] ?? "");
      for (const url of urls) {
        expect(url, `${file}: ${url}`).not.toMatch(/^(\/|[a-z][a-z0-9+.-]*:)/i);
        const target = join(dirname(file), url.split("#")[0] ?? "");
        expect(existsSync(target), `${file} links to ${url}`).toBe(true);
      }
      expect(html).not.toMatch(/type="module"/);
    }
  });

  it("shows the main metric from the tag, and one found by name", () => {
    const index = readFileSync(join(report.out, "index.html"), "utf8");
    const row = (id: string) => index.split(`data-experiment="${id}"`)[1]?.split("</tr>")[0] ?? "";
    expect(row(experiment("mnist").id)).toMatch(/val_acc ↑.*0\.89.*mnist-64-1e-2/s);
    expect(row(experiment("sweep").id)).toMatch(/accuracy ↑.*0\.9\b.*sweep-2/s);
  });

  it("shows how to rerun a run made by labbook run", () => {
    const run = experiment("mnist").runs.find((one) => one.name === "mnist-128-1e-3");
    const html = readFileSync(join(report.out, "runs", `${run?.id}.html`), "utf8");
    expect(html).toContain(
      "cd /home/me/labbook/examples/mnist\ngit checkout 9e49990f00dfeed\nnode train.ts --batch-size 128 --epochs 5 --lr-init 1e-3",
    );
  });

  it("replaces an earlier report whole, and refuses a folder that is not one", async () => {
    const again = await runCli(["report", "--db", report.db, "--out", report.out, "--json"]);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as ReportSummary).pages).toBe(report.summary.pages);
    expect(readdirSync(dirname(report.out))).toEqual(["report"]);

    const other = join(tempDir(), "notes");
    mkdirSync(other);
    writeFileSync(join(other, "todo.txt"), "keep me");
    const refused = await runCli(["report", "--db", report.db, "--out", other]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is not a labbook report/);
    expect(readdirSync(other)).toEqual(["todo.txt"]);
  });

  it("reads from a running server with --endpoint, one experiment at a time", async () => {
    const server = await startServer({ db: report.db });
    servers.push(server);
    const out = join(tempDir(), "remote");
    const result = await runCli([
      "report",
      "--endpoint",
      server.info.url,
      "--experiment",
      "sweep",
      "--out",
      out,
      "--json",
    ]);
    expect(result.stderr).not.toMatch(/unexpected/);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ experiments: 1, runs: 3, pages: 1 + 1 + 3 });
    const remote = JSON.parse(readFileSync(join(out, "snapshot.json"), "utf8")) as Snapshot;
    expect(remote.source).toBe(server.info.graphql);
  });

  it("builds again from a snapshot alone, showing artifacts and model versions when it has them", async () => {
    const changed = structuredClone(snapshot);
    changed.artifactBaseUrl = "https://labbook.example.org/artifacts";
    const run = changed.experiments.find((one) => one.name === "mnist")!.runs[0]!;
    run.artifacts = [
      { path: "model", isDir: true, size: 1_500_000, lastModified: 0, contentType: null },
      {
        path: "model/weights.bin",
        isDir: false,
        size: 1_500_000,
        lastModified: 0,
        contentType: "application/octet-stream",
      },
    ];
    run.modelVersions = [
      { model: "mnist-classifier", version: "3", aliases: ["champion"], runId: run.id },
    ];
    const input = join(tempDir(), "snapshot.json");
    writeFileSync(input, JSON.stringify(changed));
    const out = join(tempDir(), "from-snapshot");
    const result = await runCli(["report", "--snapshot", input, "--out", out, "--json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ pages: report.summary.pages });
    const html = readFileSync(join(out, "runs", `${run.id}.html`), "utf8");
    expect(html).toContain(
      `<a href="https://labbook.example.org/artifacts/${run.id}/model/weights.bin" rel="noopener">model/weights.bin</a>`,
    );
    expect(html).toContain("1.5 MB");
    expect(html).toMatch(/mnist-classifier.*3.*champion/s);
  });
});
