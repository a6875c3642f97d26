import { describe, expect, it } from "vitest";
import {
  bestValueBarsSpec,
  bestValueRows,
  formatTick,
  groupBandRows,
  groupBandsSpec,
  groupLabel,
  type MetricGroupInput,
  parallelCoordinatesSpec,
  parallelRows,
} from "../../site/charts/index.ts";
import { chartSvg } from "../../site/render/export-chart.ts";
import { countMarks, markItems, renderView } from "../../site/render/vega-view.ts";

/** Two learning rates, three seeds each: what `metricGroups` returns for `groupBy: [params.lr]`. */
function lossGroups(): MetricGroupInput[] {
  return ["0.01", "0.001"].map((lr, g) => ({
    values: [{ key: "params.lr", value: lr }],
    runCount: 3,
    points: Array.from({ length: 20 }, (_, step) => {
      const mean = 1 / (1 + step * (g + 1));
      return { step, mean, min: mean * 0.9, max: mean * 1.1, runs: 3 };
    }),
  }));
}

describe("group bands", () => {
  it("draws a band and a mean line per group, with the group's range on hover", async () => {
    const rows = groupBandRows(lossGroups());
    expect(rows).toHaveLength(40);
    const view = await renderView(groupBandsSpec({ metric: "loss", groupBy: ["params.lr"] }), rows);
    expect(countMarks(view)).toEqual({ area: 2, line: 2, symbol: 40 });
    const [first] = markItems(view, "symbol");
    expect(first?.tooltip).toMatchObject({
      group: "lr=0.01 (3 runs)",
      step: "0",
      "mean loss": "1",
      min: "0.9",
      max: "1.1",
      runs: "3",
    });
  });

  it("leaves out steps without a finite value and names runs lacking the param", async () => {
    const groups = lossGroups();
    groups[0]!.points = groups[0]!.points.map((point, i) =>
      i < 5 ? { ...point, mean: "NaN" } : point,
    );
    groups[1]!.values = [{ key: "params.lr", value: null }];
    const rows = groupBandRows(groups);
    expect(rows).toHaveLength(35);
    expect(groupLabel(groups[1]!)).toBe("lr=— (3 runs)");
    const view = await renderView(
      groupBandsSpec({ metric: "loss", groupBy: ["params.lr"], logY: true }),
      rows,
    );
    expect(countMarks(view)).toEqual({ area: 2, line: 2, symbol: 35 });
    expect(view.scale("y").type).toBe("log");
  });
});

describe("parallel coordinates", () => {
  const runs = [
    { id: "a", name: "a", values: { lr: "0.0001", optimizer: "adam", val_acc: 0.91 } },
    { id: "b", name: "b", values: { lr: "0.001", optimizer: "sgd", val_acc: 0.95 } },
    { id: "c", name: "c", values: { lr: "0.01", optimizer: "adam", val_acc: 0.97 } },
    { id: "d", name: "d", values: { lr: "0.1", optimizer: "sgd", val_acc: 0.6 } },
    { id: "e", name: "e", values: { optimizer: "sgd", val_acc: 0.5 } },
  ];
  const axes = ["lr", "optimizer", "val_acc"];

  it("draws one line per run with every axis, coloured by the metric, with labelled axes", async () => {
    const { rows, runs: drawn } = parallelRows(runs, axes, "val_acc");
    expect(drawn).toBe(4);
    const view = await renderView(parallelCoordinatesSpec({ metric: "val_acc", axes: 3 }), rows);
    const marks = countMarks(view);
    expect(marks.line).toBe(4);
    expect(marks.symbol).toBe(4 * 3);
    expect(marks.rule).toBe(3);
    const labels = markItems(view, "text").map((item) => (item.datum as { label: string }).label);
    // lr spans three decades: a log axis with its middle at a power of ten.
    expect(labels).toEqual(expect.arrayContaining(["1e-4", "0.1", "adam", "sgd", "0.6", "0.97"]));
    expect(view.scale("stroke").type).toMatch(/linear/);
  });

  it("places numbers by value and text evenly, from 0 to 1", () => {
    const { rows } = parallelRows(runs, axes, "val_acc");
    const position = (axis: string, run: string) =>
      rows.find((row) => row.kind === "line" && row.axis === axis && row.run === run)?.position;
    expect(position("lr", "a")).toBe(0);
    expect(position("lr", "d")).toBe(1);
    expect(position("lr", "b")).toBeCloseTo(1 / 3);
    expect(position("optimizer", "a")).toBe(0);
    expect(position("optimizer", "b")).toBe(1);
    expect(position("val_acc", "c")).toBe(1);
  });
});

describe("best value per run", () => {
  const runs = [
    { id: "r1aaaaaaaa", name: "lr-0.1", min: 0.2, max: 0.8 },
    { id: "r2bbbbbbbb", name: "lr-0.01", min: 0.1, max: 0.95 },
    { id: "r3cccccccc", name: "lr-0.01", min: 0.15, max: 0.9 },
    { id: "r4dddddddd", name: "broken", min: null, max: "NaN" },
  ];

  it("draws a bar per run with a value, best first, and labels the bars", async () => {
    const rows = bestValueRows(runs, "max");
    expect(rows.map((row) => [row.label, row.rank])).toEqual([
      ["lr-0.01 (r2bbbbb)", 1],
      ["lr-0.01 (r3ccccc)", 2],
      ["lr-0.1", 3],
    ]);
    const view = await renderView(bestValueBarsSpec({ metric: "val_acc", goal: "max" }), rows);
    expect(countMarks(view)).toEqual({ rect: 3, text: 3 });
    const [top] = markItems(view, "rect");
    expect((top?.datum as { rank: number } | undefined)?.rank).toBe(1);
  });

  it("takes the minimum when lower is better", () => {
    expect(bestValueRows(runs, "min").map((row) => row.value)).toEqual([0.1, 0.15, 0.2]);
  });

  it("renders to SVG in Node like every chart", async () => {
    const svg = await chartSvg(
      bestValueBarsSpec({ metric: "loss", goal: "min" }),
      bestValueRows(runs, "min"),
    );
    expect(svg.match(/<path[^>]*aria-roledescription="bar"/g)?.length).toBe(3);
  });
});

describe("tick labels", () => {
  it("keep four significant digits and write tiny numbers with an exponent", () => {
    expect(formatTick(0.912345)).toBe("0.9123");
    expect(formatTick(0.0001)).toBe("1e-4");
    expect(formatTick(128)).toBe("128");
    expect(formatTick(2_500_000)).toBe("2.5e6");
  });
});
