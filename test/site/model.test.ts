import { describe, expect, it } from "vitest";
import { mainMetricOf, rankRuns } from "../../site/lib/main-metric.ts";
import { relativeUrl, slug } from "../../site/lib/paths.ts";
import { reproductionOf } from "../../site/lib/reproduce.ts";
import { runsTable } from "../../site/lib/runs-table.ts";
import type { SnapshotExperiment, SnapshotRun } from "../../site/snapshot/types.ts";

const run = (
  name: string,
  metrics: Record<string, number>,
  params: Record<string, string> = {},
): SnapshotRun => ({
  id: name,
  name,
  status: "FINISHED",
  startTime: 0,
  endTime: 1000,
  parentRunId: null,
  artifactUri: "",
  params: Object.entries(params).map(([key, value]) => ({ key, value })),
  tags: [],
  metrics: Object.entries(metrics).map(([key, last]) => ({
    key,
    last,
    count: 1,
    lastStep: 0,
    lastTimestamp: 0,
    min: last,
    max: last,
    history: null,
  })),
});

const experiment = (
  runs: SnapshotRun[],
  tags: Record<string, string> = {},
): SnapshotExperiment => ({
  id: "1",
  name: "e",
  creationTime: 0,
  lastUpdateTime: 0,
  tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
  runs,
});

describe("the main metric", () => {
  it("comes from the experiment's tag when it names a metric", () => {
    const e = experiment([run("a", { loss: 1, acc: 0.5 })], {
      "labbook.mainMetric": "metrics.loss ASC",
    });
    expect(mainMetricOf(e)).toEqual({ key: "loss", maximize: false, from: "tag" });
  });

  it("is otherwise a validation accuracy maximized, else a loss minimized", () => {
    expect(mainMetricOf(experiment([run("a", { loss: 1, acc: 0.5, val_acc: 0.4 })]))).toMatchObject(
      {
        key: "val_acc",
        maximize: true,
      },
    );
    expect(mainMetricOf(experiment([run("a", { train_loss: 1, lr: 0.1 })]))).toMatchObject({
      key: "train_loss",
      maximize: false,
    });
    expect(mainMetricOf(experiment([run("a", { lr: 0.1 })]))).toBeUndefined();
  });

  it("ranks runs best first, runs without the metric last", () => {
    const runs = [run("low", { loss: 0.1 }), run("none", {}), run("high", { loss: 0.5 })];
    expect(
      rankRuns(runs, { key: "loss", maximize: false, from: "name" }).map((r) => r.name),
    ).toEqual(["low", "high", "none"]);
  });
});

describe("the runs table", () => {
  it("hides columns that never vary, and metric min and max", () => {
    const { columns } = runsTable([
      run("a", { acc: 0.5 }, { lr: "0.1", epochs: "5" }),
      run("b", { acc: 0.6 }, { lr: "0.01", epochs: "5" }),
    ]);
    const hidden = Object.fromEntries(columns.map((column) => [column.id, column.hidden]));
    expect(hidden).toMatchObject({
      "params.lr": false,
      "params.epochs": true,
      "metrics.acc": false,
      "metrics.acc:min": true,
      status: true,
    });
  });
});

describe("reproduction", () => {
  it("gives the commands that rerun a labbook run, and nothing for other runs", () => {
    const info = reproductionOf([
      { key: "labbook.command", value: "node train.ts --lr 0.1" },
      { key: "labbook.projectDir", value: "/work/my project" },
      { key: "labbook.git.commit", value: "abc123" },
      { key: "labbook.git.dirty", value: "true" },
    ]);
    expect(info?.script).toBe(
      "cd '/work/my project'\ngit checkout abc123  # the run had uncommitted changes on top of it\nnode train.ts --lr 0.1",
    );
    expect(reproductionOf([{ key: "team", value: "x" }])).toBeUndefined();
  });
});

describe("paths", () => {
  it("links relatively, so a report works under any base path and from disk", () => {
    expect(relativeUrl("runs/abc.html", "experiments/1.html")).toBe("../experiments/1.html");
    expect(relativeUrl("index.html", "runs/abc.html")).toBe("runs/abc.html");
    expect(relativeUrl("charts/run-a/metric-loss.html", "assets/vega.min.js")).toBe(
      "../../assets/vega.min.js",
    );
    expect(slug("val/acc top 1")).toBe("val_acc_top_1");
  });
});
