import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import packageJson from "../../package.json" with { type: "json" };
import type { Snapshot } from "../../site/snapshot/types.ts";
import { runCli, type ServerProcess, startServer } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";
import { buildFixtureReport, type ReportSummary, testComparisons } from "./build-report.ts";
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
    // Default, mnist, sweep, empty; the registry and a page per model; two comparisons.
    expect(report.summary).toMatchObject({
      experiments: 4,
      runs: 8,
      models: 3,
      comparisons: 2,
      pages: 1 + 4 + 8 + (1 + 3) + 2,
    });
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
    const again = await runCli([
      "report",
      "--db",
      report.db,
      "--out",
      report.out,
      "--reports",
      testComparisons,
      "--json",
    ]);
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
      "--reports",
      testComparisons,
      "--out",
      out,
      "--json",
    ]);
    expect(result.stderr).not.toMatch(/unexpected/);
    expect(result.code).toBe(0);
    // The sweep's pages, the registry, and the comparisons (whose runs are not on pages).
    expect(JSON.parse(result.stdout)).toMatchObject({
      experiments: 1,
      runs: 3,
      pages: 1 + 1 + 3 + (1 + 3) + 2,
    });
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

/** The text of a report's page, whitespace collapsed and tags kept. */
const page = (path: string) => readFileSync(join(report.out, path), "utf8");

describe("the registry pages", () => {
  it("list every registered model with its latest version and aliases", () => {
    const html = page("models.html");
    const row = (name: string) => html.split(`data-model="${name}"`)[1]?.split("</tr>")[0] ?? "";
    const { classifier, other, empty } = fixture.registry;
    expect(row(classifier.name)).toMatch(
      /mnist_classifier\.html.*v2.*@champion → v2.*@first → v1/s,
    );
    expect(row(other.name)).toMatch(/sweep_model_adam_-[0-9a-f]{8}\.html/);
    expect(row(empty.name)).toContain("—");
    expect(page("index.html")).toMatch(/3 registered models/);
  });

  it("give each model its versions, with status, aliases, tags and the runs they came from", () => {
    const html = page("models/mnist_classifier.html");
    const runs = Object.fromEntries(
      experiment("mnist").runs.map((run) => [run.name, run.id] as const),
    );
    const version = (n: number) => html.split(`data-version="${n}"`)[1]?.split("</tr>")[0] ?? "";
    expect(version(2)).toMatch(/READY.*@champion/s);
    expect(version(2)).toContain(
      `<a href="../runs/${runs["mnist-64-1e-2"]}.html">mnist-64-1e-2</a>`,
    );
    expect(version(2)).toContain(`runs:/${runs["mnist-64-1e-2"]}/model`);
    expect(version(2)).toMatch(/framework<\/code> = tfjs/);
    expect(version(1)).toMatch(/@first.*mnist-128-1e-3/s);
    expect(html).toMatch(/models:\/mnist_classifier@champion/);
    expect(html).toMatch(/task<\/code>.*classification/s);
  });

  it("link each run to the versions made from it", () => {
    const run = experiment("mnist").runs.find((one) => one.name === "mnist-64-1e-2")!;
    const html = page(`runs/${run.id}.html`);
    expect(html).toContain('data-model-version="mnist_classifier/2"');
    expect(html).toContain('<a href="../models/mnist_classifier.html#v2">v2</a>');
    expect(html).toContain("@champion");
  });
});

describe("a comparison page", () => {
  const comparison = (stem: string) => {
    const found = snapshot.comparisons?.find((one) => one.stem === stem);
    if (!found) throw new Error(`no comparison ${stem} in the snapshot`);
    return found;
  };

  it("is built from each file of --reports at compare/<file name>/index.html", () => {
    expect(existsSync(join(report.out, "compare", "lr-sweep", "index.html"))).toBe(true);
    expect(existsSync(join(report.out, "compare", "top-two", "index.html"))).toBe(true);
    expect(page("index.html")).toMatch(
      /<a href="compare\/lr-sweep\/index\.html">Learning rates on MNIST<\/a>/,
    );
  });

  it("records what it was built from: the file and its hash, the runs, the build, labbook's version", () => {
    const source = readFileSync(join(testComparisons, "lr-sweep.yaml"));
    const html = page("compare/lr-sweep/index.html");
    const json = html.split("data-provenance>")[1]?.split("</script>")[0] ?? "";
    const provenance = JSON.parse(json);
    const mnistRuns = experiment("mnist").runs;
    // Read again: an earlier test builds the report anew.
    const built = JSON.parse(page("snapshot.json")) as Snapshot;
    expect(provenance).toMatchObject({
      file: "test/site/comparisons/lr-sweep.yaml",
      sha256: createHash("sha256").update(source).digest("hex"),
      labbookVersion: packageJson.version,
      dataReadAt: new Date(built.generatedAt).toISOString(),
      source: "a labbook database",
    });
    expect(new Date(provenance.builtAt).getTime()).toBeGreaterThanOrEqual(built.generatedAt);
    expect([...provenance.runIds].sort()).toEqual(mnistRuns.map((run) => run.id).sort());
    // Best val_acc first, as the file orders them.
    expect(provenance.runIds[0]).toBe(mnistRuns.find((run) => run.name === "mnist-64-1e-2")?.id);
    expect(html).toMatch(new RegExp(`<code data-sha256[^>]*>${provenance.sha256}</code>`));
    expect(html).toContain(
      "Which learning rate wins?".replace("learning rate", "<strong>learning rate</strong>"),
    );
  });

  it("renders the prose's Markdown, with raw HTML as text", () => {
    const html = page("compare/lr-sweep/index.html");
    expect(html).toContain("&lt;script&gt;document.title");
    expect(html).not.toContain('<script>document.title = "injected"');
    expect(html).toMatch(/<h2>Verdict<\/h2>.*<td>best<\/td>/s);
  });

  it("reads the group bands from the API, aggregated over every run of each group", () => {
    const { bands } = comparison("lr-sweep");
    const groups = bands[0]?.groups ?? [];
    expect(bands[0]?.section).toBe(3);
    const byLr = Object.fromEntries(groups.map((group) => [group.values[0]?.value, group]));
    expect(Object.keys(byLr).sort()).toEqual(["1e-2", "1e-3", "1e-4", "3e-3"]);
    // lr_init 1e-3: mnist-128-1e-3 (i = 0) and mnist-64-1e-3 (i = 2); val_loss = 1.2/(e+1) + 0.02 i.
    const shared = byLr["1e-3"]!;
    expect(shared.runCount).toBe(2);
    expect(shared.points[0]).toMatchObject({ step: 0, runs: 2 });
    expect(shared.points[0]?.mean).toBeCloseTo(1.22);
    expect(shared.points[0]?.min).toBeCloseTo(1.2);
    expect(shared.points[0]?.max).toBeCloseTo(1.24);
  });

  it("keeps the first runs its limit allows and says how many matched", () => {
    const topTwo = comparison("top-two");
    expect(topTwo.matched).toBe(3);
    expect(topTwo.runs.map((run) => run.name)).toEqual(["mnist-64-1e-2", "mnist-64-1e-3"]);
    // No sections in the file: the runs table, the params that differ, the file's metric's curves.
    expect(topTwo.spec.sections.map((section) => section.kind)).toEqual([
      "runs-table",
      "params-diff",
      "curves",
    ]);
    expect(page("compare/top-two/index.html")).toMatch(/2 runs\s*\(the first 2 of 3 that match\)/);
    expect(report.stderr).toMatch(
      /top-two\.yaml: runs\.limit: 3 runs match; the page shows the first 2/,
    );
  });

  it("writes its charts' files beside the others", () => {
    for (const name of [
      "curves-val_acc",
      "bands-val_loss-by-lr_init",
      "parallel-val_acc",
      "scatter-batch_size-vs-val_acc",
      "best-loss",
    ])
      for (const extension of [".vl.json", ".svg", ".png", ".html"])
        expect(
          existsSync(join(report.out, "charts", "compare-lr-sweep", `${name}${extension}`)),
          `${name}${extension}`,
        ).toBe(true);
    const bands = page("charts/compare-lr-sweep/bands-val_loss-by-lr_init.svg");
    // A band per learning rate.
    expect(bands.match(/class="mark-area/g)?.length).toBe(4);
  });
});

describe("comparison files", () => {
  const reportsDir = (files: Record<string, string>) => {
    const dir = tempDir("labbook-reports-");
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
  const build = (reports: string, ...more: string[]) =>
    runCli([
      "report",
      "--db",
      report.db,
      "--out",
      join(tempDir(), "out"),
      "--reports",
      reports,
      "--json",
      ...more,
    ]);

  it("stop the build on a mistake, naming the file, the field and the rule", async () => {
    const dir = reportsDir({ "ok.yaml": "title: fine", "bad.yml": "sections:\n  - chart: pie\n" });
    const result = await build(dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `${join(dir, "bad.yml")}: sections[0].chart: must be one of curves, bands, parallel, scatter, best, not 'pie'`,
    );
    expect(result.stderr).not.toMatch(/building pages/);
  });

  it("select runs by id, and warn of what the runs lack without stopping", async () => {
    const runs = experiment("mnist").runs;
    const dir = reportsDir({
      "picked.yaml": [
        "runs:",
        `  ids: [${runs[0]!.id}, ${runs[1]!.id}]`,
        "  experiments: [mnist, nowhere]",
        "sections:",
        "  - chart: curves",
        "    metric: val_accuracy",
        "  - table: params-diff",
      ].join("\n"),
    });
    const result = await build(dir);
    expect(result.stderr).not.toMatch(/unexpected/);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /picked\.yaml: runs\.experiments\[1\]: no experiment named or numbered 'nowhere'; it adds no runs/,
    );
    expect(result.stderr).toMatch(
      /picked\.yaml: sections\[0\]\.metric: no selected run logged the metric 'val_accuracy' \(they logged loss, val_acc, val_loss\)/,
    );
    const out = JSON.parse(result.stdout).out as string;
    const built = JSON.parse(readFileSync(join(out, "snapshot.json"), "utf8")) as Snapshot;
    expect(built.comparisons?.[0]?.runs.map((run) => run.id).sort()).toEqual(
      [runs[0]!.id, runs[1]!.id].sort(),
    );
    expect(readFileSync(join(out, "compare", "picked", "index.html"), "utf8")).toContain(
      "No selected run logged val_accuracy.",
    );
  });

  it("come from ./reports when there is one and --reports is not given", async () => {
    // The tests run in the repository, whose reports/ holds the example.
    const result = await runCli([
      "report",
      "--db",
      report.db,
      "--out",
      join(tempDir(), "out"),
      "--json",
    ]);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout).out as string;
    expect(existsSync(join(out, "compare", "example", "index.html"))).toBe(true);
    expect(result.stderr).not.toMatch(/warning/);
  });
});
