import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { MetricSeries } from "../../site/charts/index.ts";
import { ChartPool } from "../../site/export/chart-pool.ts";
import { chartFilesTask } from "../../site/export/write-charts.ts";
import { filePoints, metricChart } from "../../site/lib/chart-catalog.ts";
import { thinIndexes } from "../../site/lib/downsample.ts";
import { type PackedRows, unpackRows } from "../../site/lib/packed-rows.ts";
import { encodePng } from "../../site/render/png.ts";
import { tempDir } from "../support/temp-dir.ts";

/** A long noisy loss curve with one spike, as a run logs it. */
function longSeries(runId: string, points: number, spikeAt: number): MetricSeries {
  const steps = Array.from({ length: points }, (_, i) => i);
  return {
    runId,
    runName: `run-${runId}`,
    steps,
    values: steps.map((i) => (i === spikeAt ? 50 : 2 * Math.exp(-i / 1000) + 0.01 * Math.sin(i))),
    timestamps: steps.map((i) => 1_700_000_000_000 + i * 100),
  };
}

const curves = (series: MetricSeries[]) =>
  metricChart({
    base: "charts/experiment-1/metric-loss",
    key: "loss",
    exported: series,
    page: series,
    selected: series.map((one) => one.runId),
    legend: true,
  });

describe("a chart's files", () => {
  it("carry at most filePoints points a series, the extremes kept, with one smoothing", () => {
    const chart = curves([longSeries("a", 5000, 1234), longSeries("b", 300, 7)]);
    const rows = chart.fileRows() as Record<string, number | string>[];
    const ofRun = (run: string) => rows.filter((row) => row.run === run);
    expect(ofRun("a").length).toBeLessThanOrEqual(filePoints);
    expect(ofRun("a").some((row) => row.step === 1234 && row.value === 50)).toBe(true);
    expect(ofRun("a").at(-1)?.step).toBe(4999);
    expect(ofRun("b")).toHaveLength(300);
    // The one weight drawn (0.6 on long curves), smoothed over the whole series.
    expect(Object.keys(rows[0] ?? {}).sort()).toEqual(
      ["name", "run", "smoothed_60", "step", "time", "value"].sort(),
    );
    // The page's rows carry no smoothing: its script smooths them at every weight offered.
    expect(Object.keys(chart.pageRows()[0] ?? {})).not.toContain("smoothed_60");
  });

  it("are written on threads: a spec with its rows, a drawing without hover points, a packed embed page", async () => {
    const out = tempDir();
    const chart = curves([longSeries("a", 5000, 1234), longSeries("b", 2000, 7)]);
    const task = chartFilesTask(chart, out);
    const pool = new ChartPool(2);
    try {
      await pool.write(task);
    } finally {
      await pool.close();
    }
    const base = join(out, chart.base);
    const spec = JSON.parse(readFileSync(`${base}.vl.json`, "utf8"));
    expect(spec.datasets.points).toEqual(JSON.parse(JSON.stringify(task.rows)));

    const svg = readFileSync(`${base}.svg`, "utf8");
    // A raw and a smoothed line per run, and nothing for a pointer: no points, no hover cells.
    expect(svg.match(/class="mark-line/g)).toHaveLength(4);
    expect(svg).not.toMatch(/mark-symbol role-mark|_voronoi/);

    const png = readFileSync(`${base}.png`);
    const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    const svgWidth = Number(/<svg[^>]* width="(\d+)"/.exec(svg)?.[1]);
    expect(width).toBe(2 * svgWidth);
    expect(height).toBeGreaterThan(0);

    const html = readFileSync(`${base}.html`, "utf8");
    expect(html).toContain('<script src="../../assets/vega.min.js"></script>');
    expect(html).toContain('<script src="../../assets/chart-embed.js"></script>');
    const payload = JSON.parse(
      /<script type="application\/json" data-chart-data>(.*?)<\/script>/s.exec(html)?.[1] ?? "{}",
    ) as { spec: { marks?: unknown[] }; packed: PackedRows };
    expect(unpackRows(payload.packed)).toHaveLength(task.rows.length);
    expect(payload.spec.marks?.length).toBeGreaterThan(0);
  });

  it("fail with the renderer's message, and the threads go on with the next chart", async () => {
    const out = tempDir();
    const good = chartFilesTask(curves([longSeries("a", 100, 3)]), out);
    const bad = {
      ...good,
      path: join(out, "bad"),
      drawing: { mark: "point", transform: [{ filter: "nosuch(datum.value)" }] } as never,
    };
    const pool = new ChartPool(1);
    try {
      await expect(pool.write(bad)).rejects.toThrow(/nosuch/);
      await expect(pool.write(good)).resolves.toBeUndefined();
    } finally {
      await pool.close();
    }
  });
});

describe("thinning", () => {
  it("keeps the first, last, lowest and highest point of each stretch", () => {
    const values = Array.from({ length: 10_000 }, (_, i) => Math.sin(i / 50));
    values[4321] = -9;
    values[777] = 9;
    const kept = thinIndexes(values.length, 400, (i) => values[i] ?? 0);
    expect(kept.length).toBeLessThanOrEqual(400);
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    for (const index of [0, 777, 4321, 9999]) expect(kept).toContain(index);
    expect(thinIndexes(5, 400, () => 0)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("PNG", () => {
  it("holds the pixels given, row by row, each row unfiltered", () => {
    const [width, height] = [3, 2];
    const rgba = Uint8Array.from({ length: width * height * 4 }, (_, i) => (i * 37) % 256);
    const png = encodePng(rgba, width, height);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.subarray(12, 16).toString("latin1")).toBe("IHDR");
    expect([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]]).toEqual([3, 2, 8, 6]);
    const idatLength = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString("latin1")).toBe("IDAT");
    const raw = inflateSync(png.subarray(41, 41 + idatLength));
    const rows = [0, 1].map((y) => raw.subarray(y * 13, (y + 1) * 13));
    expect(rows.map((row) => row[0])).toEqual([0, 0]);
    expect(Buffer.concat(rows.map((row) => row.subarray(1)))).toEqual(Buffer.from(rgba));
    expect(png.subarray(-8, -4).toString("latin1")).toBe("IEND");
    expect(() => encodePng(rgba, 4, 2)).toThrow(/not 4 × 2 RGBA pixels/);
  });
});
