import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkAgainstRuns } from "../../site/compare/check-against-runs.ts";
import { ComparisonFileError } from "../../site/compare/fields.ts";
import { renderMarkdown } from "../../site/compare/markdown.ts";
import { parseComparison } from "../../site/compare/parse.ts";
import { effectiveSections, historyPointsFor } from "../../site/compare/sections.ts";
import { packRows, unpackRows } from "../../site/lib/packed-rows.ts";
import { paramsDiff } from "../../site/lib/params-diff.ts";
import { repoRoot } from "../support/server-process.ts";

const file = "reports/lr.yaml";
const parse = (text: string) => parseComparison(text, { file, stem: "lr" });

/** The error a file's text makes, as `labbook report` prints it. */
function problem(text: string): string {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ComparisonFileError);
    return (error as Error).message;
  }
  throw new Error("the file was accepted");
}

describe("a comparison file", () => {
  it("reads every section kind, with defaults and keys in either spelling", () => {
    const spec = parse(`
title: LR sweep
description: Which *rate* wins?
runs:
  experiments: mnist
  filter: params.epochs = '5' and metrics.val_acc > 0.5
  ids: [0123456789ABCDEF0123456789abcdef]
  orderBy: metrics.val_acc DESC
  limit: 20
params: [params.lr, batch_size]
metrics: [metrics.val_acc, loss]
sections:
  - markdown: "## Why"
  - table: runs
  - table: params-diff
  - chart: curves
    metric: loss
    x: time
    log: true
  - chart: bands
    metric: val_loss
    groupBy: [lr, tags.seed]
  - chart: parallel
    metric: val_acc
    value: max
  - chart: scatter
    param: params.lr
    metric: val_acc
  - chart: best
    metric: val_loss
  - chart: best
    metric: val_acc
    title: Best accuracy
`);
    expect(spec.title).toBe("LR sweep");
    expect(spec.runs).toEqual({
      experiments: ["mnist"],
      filter: "params.epochs = '5' and metrics.val_acc > 0.5",
      ids: ["0123456789abcdef0123456789abcdef"],
      orderBy: ["metrics.val_acc DESC"],
      limit: 20,
    });
    expect(spec.params).toEqual(["lr", "batch_size"]);
    expect(spec.metrics).toEqual(["val_acc", "loss"]);
    expect(spec.sections).toEqual([
      { kind: "markdown", markdown: "## Why" },
      { kind: "runs-table" },
      { kind: "params-diff" },
      { kind: "curves", metric: "loss", x: "time", logY: true, title: null },
      {
        kind: "bands",
        metric: "val_loss",
        groupBy: ["params.lr", "tags.seed"],
        x: "step",
        logY: false,
        title: null,
      },
      { kind: "parallel", metric: "val_acc", params: [], value: "max", title: null },
      { kind: "scatter", param: "lr", metric: "val_acc", value: "last", title: null },
      // Lower is better for a loss, higher for an accuracy, unless the file says.
      { kind: "best", metric: "val_loss", goal: "min", title: null },
      { kind: "best", metric: "val_acc", goal: "max", title: "Best accuracy" },
    ]);
  });

  it("takes its title from the file's name and selects every run by default", () => {
    expect(parse("metrics: [loss]")).toMatchObject({
      title: "lr",
      runs: { experiments: [], filter: null, ids: [], orderBy: [], limit: 200 },
      sections: [],
    });
    expect(parse("")).toMatchObject({ title: "lr", sections: [] });
  });

  it("names the file, the field and the rule of every mistake", () => {
    expect(problem("title: [a")).toMatch(/^reports\/lr\.yaml: is not valid YAML: /);
    expect(problem("title: a\ntitle: b")).toMatch(
      /^reports\/lr\.yaml: is not valid YAML: .*unique/i,
    );
    expect(problem("- a\n- b")).toBe(
      "reports/lr.yaml: must be a mapping of fields (key: value), not a list",
    );
    expect(problem("titel: x")).toBe(
      "reports/lr.yaml: titel: is not a field here; the fields are title, description, runs, params, metrics, sections",
    );
    expect(problem("runs:\n  filter: metrics.acc >")).toMatch(
      /^reports\/lr\.yaml: runs\.filter: is not a valid filter: at position \d+: expected/,
    );
    expect(problem("runs:\n  filter: params.lr > 3")).toMatch(
      /^reports\/lr\.yaml: runs\.filter: is not a valid filter: .*a quoted string/,
    );
    expect(problem("runs:\n  ids: [abc]")).toBe(
      "reports/lr.yaml: runs.ids[0]: must be a run id (32 hexadecimal characters)",
    );
    expect(problem("runs:\n  limit: 5000")).toBe(
      "reports/lr.yaml: runs.limit: must be from 1 to 1000, not 5000",
    );
    expect(problem("runs:\n  orderBy: [sideways.x]")).toMatch(
      /^reports\/lr\.yaml: runs\.orderBy\[0\]: is not an ordering clause: /,
    );
    expect(problem("runs: mnist")).toBe(
      "reports/lr.yaml: runs: must be a mapping of fields (key: value), not 'mnist'",
    );
    expect(problem("sections: []")).toMatch(/sections: must list at least one section/);
    expect(problem("sections:\n  - chart: pie")).toBe(
      "reports/lr.yaml: sections[0].chart: must be one of curves, bands, parallel, scatter, best, not 'pie'",
    );
    expect(problem("sections:\n  - chart: curves")).toBe(
      "reports/lr.yaml: sections[0].metric: is required",
    );
    expect(problem("sections:\n  - chart: curves\n    metric: loss\n    log: yes please")).toBe(
      "reports/lr.yaml: sections[0].log: must be true or false, not 'yes please'",
    );
    expect(problem("sections:\n  - chart: bands\n    metric: loss")).toMatch(
      /^reports\/lr\.yaml: sections\[0\]\.groupBy: is required/,
    );
    expect(problem("sections:\n  - chart: bands\n    metric: loss\n    groupBy: [metrics.x]")).toBe(
      "reports/lr.yaml: sections[0].groupBy[0]: must be params.<key> or tags.<key>, e.g. params.lr",
    );
    expect(
      problem("sections:\n  - chart: scatter\n    param: lr\n    metric: a\n    metrics: b"),
    ).toMatch(
      /sections\[0\]\.metrics: is not a field here; the fields are chart, param, metric, value, title/,
    );
    expect(problem("sections:\n  - markdown: hi\n    chart: curves")).toBe(
      "reports/lr.yaml: sections[0]: must have exactly one of markdown, chart or table (it has markdown and chart)",
    );
    expect(problem("sections:\n  - title: x")).toMatch(/sections\[0\]: must have exactly one of/);
  });

  it("refuses prose that would load from outside the report or carry a script link", () => {
    expect(problem("description: '![plot](https://example.org/plot.png)'")).toMatch(
      /^reports\/lr\.yaml: description: has an image \(https:\/\/example\.org\/plot\.png\) that is not a data: URI/,
    );
    expect(problem("sections:\n  - markdown: '[x](javascript:alert(1))'")).toMatch(
      /sections\[0\]\.markdown: has a link a page may not carry \(javascript:alert\(1\)\)/,
    );
  });

  it("parses the example shipped in reports/", () => {
    const text = readFileSync(join(repoRoot, "reports", "example.yaml"), "utf8");
    const spec = parseComparison(text, { file: "reports/example.yaml", stem: "example" });
    expect(spec.runs.experiments).toEqual(["mnist"]);
    expect(new Set(spec.sections.map((section) => section.kind))).toEqual(
      new Set([
        "runs-table",
        "params-diff",
        "best",
        "curves",
        "markdown",
        "bands",
        "parallel",
        "scatter",
      ]),
    );
  });
});

describe("rendering prose", () => {
  it("renders GitHub Markdown and shows raw HTML as text", () => {
    const { html } = renderMarkdown(
      "Runs with **lr** <script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    );
    expect(html).toContain("<strong>lr</strong>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>");
    expect(html).toContain("<td>1</td>");
  });
});

describe("the page of a comparison", () => {
  const run = (id: string, params: Record<string, string>, metrics: Record<string, number>) => ({
    id,
    name: id,
    params: Object.entries(params).map(([key, value]) => ({ key, value })),
    metrics: Object.entries(metrics).map(([key, last]) => ({
      key,
      last,
      count: 10,
      lastStep: 9,
      lastTimestamp: 0,
      min: last,
      max: last,
      history: null,
    })),
  });

  it("shows the runs table, the params diff and the file's curves when it names no sections", () => {
    const spec = parse("metrics: [loss, acc]");
    expect(effectiveSections(spec, [run("a", {}, { loss: 1, acc: 2, lr: 3 })])).toEqual([
      { kind: "runs-table" },
      { kind: "params-diff" },
      { kind: "curves", metric: "loss", x: "step", logY: false, title: null },
      { kind: "curves", metric: "acc", x: "step", logY: false, title: null },
    ]);
    expect(
      effectiveSections(parse(""), [run("a", {}, { loss: 1, acc: 2 })]).map((s) => s.kind),
    ).toEqual(["runs-table", "params-diff", "curves", "curves"]);
  });

  it("shares a budget of points between runs and curves", () => {
    expect(historyPointsFor(5, 2, 1000)).toBe(1000);
    expect(historyPointsFor(200, 2, 1000)).toBe(37);
    expect(historyPointsFor(1000, 5, 1000)).toBe(12);
    expect(historyPointsFor(0, 0, 1000)).toBe(1000);
  });

  it("warns of metrics and params no selected run has, naming the field", () => {
    const spec = parse(
      "params: [lr]\nsections:\n  - chart: scatter\n    param: seed\n    metric: acc\n  - chart: curves\n    metric: los",
    );
    const problems = checkAgainstRuns({
      file,
      sections: spec.sections,
      params: spec.params,
      metrics: spec.metrics,
      runs: [run("a", { lr: "1" }, { loss: 1, acc: 1 })],
    });
    expect(problems).toEqual([
      "reports/lr.yaml: sections[0].param: no selected run has the param 'seed' (they have lr)",
      "reports/lr.yaml: sections[1].metric: no selected run logged the metric 'los' (they logged acc, loss)",
    ]);
  });

  it("diffs only the params that differ, a missing param counting as different", () => {
    const diff = paramsDiff([
      run("a", { lr: "0.1", epochs: "5", seed: "1" }, {}),
      run("b", { lr: "0.01", epochs: "5" }, {}),
    ]);
    expect(diff.keys).toEqual(["lr", "seed"]);
    expect(diff.same).toEqual([{ key: "epochs", value: "5" }]);
    expect(diff.rows[1]?.values).toEqual({ lr: "0.01", seed: undefined });
  });

  it("packs chart rows by column and unpacks them to the same rows", () => {
    const rows = [
      { run: "abc", name: "a", step: 0, time: 1_717_236_000_000, value: 0.123456789 },
      { run: "abc", name: "a", step: 1, time: 1_717_236_060_000, value: 2 },
      { run: "def", name: "b", step: 0, time: 1_717_236_000_500, value: -1.5 },
    ];
    const packed = packRows(rows);
    expect(packed.columns.run).toEqual({ texts: ["abc", "def"], index: [0, 0, 1] });
    expect(packed.columns.time).toEqual({ delta: [1_717_236_000_000, 60_000, -59_500] });
    expect(unpackRows(packed)).toEqual(
      rows.map((row) => ({ ...row, value: Number(row.value.toPrecision(6)) })),
    );
    // A long series: one run, steps going up by ten; repeats are stored once with a count.
    const series = Array.from({ length: 1000 }, (_, i) => ({ run: "abc", step: i * 10 }));
    const long = packRows(series);
    expect(long.columns.run).toEqual({ texts: ["abc"], index: { repeats: [0, 1000] } });
    expect(long.columns.step).toEqual({ delta: { repeats: [0, 1, 10, 999] } });
    expect(unpackRows(long)).toEqual(series);
  });
});
