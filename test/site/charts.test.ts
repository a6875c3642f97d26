import type { TopLevelSpec } from "vega-lite";
import { describe, expect, it } from "vitest";
import {
  type MetricSeries,
  metricLinesSpec,
  metricPointRows,
  paramPointRows,
  paramScatterSpec,
  smooth,
  wantsLogScale,
  withData,
} from "../../site/charts/index.ts";
import { chartSvg, svgToPng } from "../../site/render/export-chart.ts";
import { countMarks, markItems, renderView } from "../../site/render/vega-view.ts";

/** Three runs of a training curve: loss falling with noise, one with a NaN and an Infinity. */
function lossSeries(): MetricSeries[] {
  return [0.001, 0.01, 0.1].map((lr, r) => {
    const steps = Array.from({ length: 50 }, (_, i) => i * 10);
    const values: (number | string)[] = steps.map(
      (step) => 2 / (1 + lr * step) + 0.05 * Math.sin(step + r),
    );
    if (r === 2) {
      values[5] = "NaN";
      values[6] = "Infinity";
    }
    return {
      runId: `run${r}`,
      runName: `lr-${lr}`,
      steps,
      values,
      timestamps: steps.map((step) => Date.UTC(2024, 5, 1, 12) + step * 1000 + r * 60_000),
    };
  });
}

const finitePoints = 50 * 3 - 2;

describe("metric curves", () => {
  it("draws one raw line per run, one point per finite value, and no smoothed line at 0", async () => {
    const view = await renderView(
      metricLinesSpec({ metric: "loss" }),
      metricPointRows(lossSeries()),
    );
    expect(countMarks(view)).toEqual({ line: 3, symbol: finitePoints });
  });

  it("adds a smoothed line per run when the smoothing param is set", async () => {
    const spec = metricLinesSpec({ metric: "loss", smoothing: 0.6 });
    const rows = metricPointRows(lossSeries());
    expect(countMarks(await renderView(spec, rows))).toEqual({ line: 6, symbol: finitePoints });
    const changed = await renderView(metricLinesSpec({ metric: "loss" }), rows, { smoothing: 0.9 });
    expect(countMarks(changed).line).toBe(6);
  });

  it("draws by wall time and on a log scale, leaving out values at or below zero", async () => {
    const series = lossSeries();
    series[0]!.values = series[0]!.values.map((value, i) => (i < 10 ? 0 : value));
    const spec = metricLinesSpec({ metric: "loss", x: "time", logY: true, smoothing: 0.8 });
    const rows = metricPointRows(series);
    const positive = rows.filter((row) => (row.value ?? 0) > 0).length;
    expect(positive).toBeLessThanOrEqual(finitePoints - 10);
    const view = await renderView(spec, rows);
    expect(countMarks(view)).toEqual({ line: 6, symbol: positive });
    expect(view.scale("x").type).toBe("time");
    expect(view.scale("y").type).toBe("log");
  });

  it("names the run, step and value in each point's tooltip", async () => {
    const view = await renderView(
      metricLinesSpec({ metric: "loss" }),
      metricPointRows(lossSeries()),
    );
    const [first] = markItems(view, "symbol");
    expect(first?.tooltip).toMatchObject({ run: "lr-0.001", step: "0", loss: "2" });
  });

  it("smooths like TensorBoard: debiased, so the first value stays itself", () => {
    const smoothed = smooth([1, 2, 3, Number.NaN, 4], 0.6);
    expect(smoothed[0]).toBeCloseTo(1);
    expect(smoothed[1]).toBeCloseTo((0.6 * 0.4 + 0.4 * 2) / (1 - 0.36));
    expect(smoothed[3]).toBeNaN();
    expect(smooth([1, 2], 0)).toEqual([1, 2]);
  });
});

describe("param against metric", () => {
  const runs = [
    { id: "a", name: "a", param: "0.001", metric: 0.9 },
    { id: "b", name: "b", param: "0.01", metric: 0.93 },
    { id: "c", name: "c", param: "0.1", metric: "NaN" },
    { id: "d", name: "d", param: "1", metric: 0.5 },
    { id: "e", name: "e", param: undefined, metric: 0.7 },
  ];

  it("draws one point per run with both values, on a log axis for a wide numeric param", async () => {
    const { rows, numeric } = paramPointRows(runs);
    expect(numeric).toBe(true);
    const logX = wantsLogScale(rows.map((row) => row.param as number));
    const view = await renderView(
      paramScatterSpec({ param: "lr", metric: "acc", numeric, logX }),
      rows,
    );
    expect(countMarks(view)).toEqual({ symbol: 3 });
    expect(view.scale("x").type).toBe("log");
  });

  it("treats text params as categories", async () => {
    const { rows, numeric } = paramPointRows([
      { id: "a", name: "a", param: "adam", metric: 1 },
      { id: "b", name: "b", param: "sgd", metric: 2 },
    ]);
    expect(numeric).toBe(false);
    const view = await renderView(paramScatterSpec({ param: "opt", metric: "acc", numeric }), rows);
    expect(countMarks(view)).toEqual({ symbol: 2 });
    expect(view.scale("x").type).toBe("point");
  });
});

describe("exports", () => {
  it("renders SVG and PNG in Node, and embeds the data for a standalone spec", async () => {
    const spec: TopLevelSpec = metricLinesSpec({ metric: "loss", smoothing: 0.6 });
    const rows = metricPointRows(lossSeries());
    const svg = await chartSvg(spec, rows);
    // Three runs, each drawn raw and smoothed.
    expect(svg.match(/class="mark-line/g)?.length).toBe(6);
    const png = svgToPng(svg);
    expect([...png.slice(1, 4)].map((c) => String.fromCharCode(c)).join("")).toBe("PNG");
    const standalone = withData(spec, rows) as { datasets: Record<string, unknown[]> };
    expect(standalone.datasets.points).toHaveLength(finitePoints);
  });
});
