import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { TopLevelSpec } from "vega-lite";
import { type MetricSeries, metricPointRows } from "../../site/charts/data.ts";
import { withData } from "../../site/charts/encoding.ts";
import { metricLinesSpec } from "../../site/charts/metric-lines.ts";
import { chartPageHtml } from "../../site/export/write-charts.ts";
import { chartSvg, svgToPng } from "../../site/render/export-chart.ts";
import { vegaBrowserBuild } from "../../site/render/vega-runtime.ts";
import { envHelp } from "../env.ts";
import {
  GraphQLRequestError,
  type GraphQLTarget,
  openGraphQLTarget,
  targetHelp,
  targetOptions,
} from "../graphql-target.ts";
import { printJson } from "../output.ts";
import { UsageError } from "../usage-error.ts";

export const chartHelp = `Usage: labbook chart --run <id> --metric <key> [--run <id> ...] [options]

Writes one chart of a metric's curves (a line per run) for a docs pipeline, with the chart
functions and renderers of 'labbook report': the same chart as the report's
charts/run-<id>/metric-<key>.* files.

Options:
  --run <id>              A run to draw (repeatable: a line each).
  --metric <key>          The metric.
  --format <f>            svg, png, json (the Vega-Lite spec with its data inside) or html (a
                          page with the chart and the Vega runtime inside: it loads nothing).
                          Default: from --out's extension, else svg.
  --out <file>            Where to write it (default: standard output; png needs --out or a
                          pipe).
  --x <step|time>         What x is: the step (default) or wall time.
  --log                   A log scale on y.
  --smoothing <w>         TensorBoard's smoothing, from 0 (none, the default) to 0.99.
  --title <text>          The chart's title (default: the metric's key).
  --width <px>            Default 480.
  --height <px>           Default 260.
  --max-points <n>        Points per run, downsampled with the extremes kept (default 1000).
  --endpoint <url>        A labbook server to read from (same as --tracking-uri).
${targetHelp}
  --json                  Print a summary as JSON: { out, format, bytes, runs, points }.
  -h, --help              Show this help.

Environment (flags override):
${envHelp(["LABBOOK_TRACKING_URI", "LABBOOK_TOKEN", "LABBOOK_DB_URL"])}

Example:
  labbook chart --run 0f3a… --run 9b1c… --metric val_acc --out docs/val_acc.svg`;

const formats = ["svg", "png", "json", "html"] as const;
type ChartFormat = (typeof formats)[number];

/** The format a file name asks for, from its extension. */
function formatOf(out: string | undefined): ChartFormat | undefined {
  const extension = /\.(svg|png|json|html?)$/i.exec(out ?? "")?.[1]?.toLowerCase();
  if (!extension) return undefined;
  return extension === "htm" ? "html" : (extension as ChartFormat);
}

/** A whole number flag within bounds, or its fallback. */
function wholeNumber(value: string | undefined, flag: string, min: number, fallback: number) {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min)
    throw new UsageError(`${flag} must be a whole number of at least ${min}, not '${value}'`);
  return number;
}

interface RunMetric {
  run: {
    id: string;
    name: string;
    metrics: { key: string }[];
    metric: {
      history: {
        steps: (number | string)[];
        values: (number | string)[];
        timestamps: (number | string)[];
      };
    } | null;
  } | null;
}

/** Each run's history of the metric, failing clearly on an unknown run or metric. */
async function readSeries(
  target: GraphQLTarget,
  runIds: readonly string[],
  metric: string,
  maxPoints: number,
): Promise<MetricSeries[]> {
  const series: MetricSeries[] = [];
  for (const id of runIds) {
    const { run } = await target.request<RunMetric>(
      `query ($id: ID!, $key: String!, $maxPoints: Int) { run(id: $id) { id name metrics { key }
        metric(key: $key) { history(maxPoints: $maxPoints) { steps values timestamps } } } }`,
      { id, key: metric, maxPoints },
    );
    if (!run)
      throw new GraphQLRequestError(`no run with id '${id}'; see 'labbook runs list'`, "NOT_FOUND");
    if (!run.metric) {
      const logged = run.metrics.map((one) => one.key).sort();
      throw new GraphQLRequestError(
        `run '${run.name}' (${run.id}) has no metric '${metric}'; it logged ${logged.length ? logged.join(", ") : "no metrics"}`,
        "NOT_FOUND",
      );
    }
    series.push({
      runId: run.id,
      runName: run.name,
      steps: run.metric.history.steps.map(Number),
      values: run.metric.history.values,
      timestamps: run.metric.history.timestamps.map(Number),
    });
  }
  return series;
}

/** The chart in the format asked for. */
async function render(
  format: ChartFormat,
  options: { spec: TopLevelSpec; rows: readonly object[]; title: string },
): Promise<Uint8Array | string> {
  switch (format) {
    case "json":
      return `${JSON.stringify(withData(options.spec, options.rows), null, 1)}\n`;
    case "html":
      return chartPageHtml({ ...options, runtime: { inline: vegaBrowserBuild() } });
    case "svg":
      return chartSvg(options.spec, options.rows);
    case "png":
      return svgToPng(await chartSvg(options.spec, options.rows));
  }
}

export async function chartCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      run: { type: "string", multiple: true },
      metric: { type: "string" },
      format: { type: "string" },
      out: { type: "string" },
      x: { type: "string" },
      log: { type: "boolean" },
      smoothing: { type: "string" },
      title: { type: "string" },
      width: { type: "string" },
      height: { type: "string" },
      "max-points": { type: "string" },
      endpoint: { type: "string" },
      ...targetOptions,
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(chartHelp);
    return;
  }
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument '${positionals[0]}'; runs are given with --run <id>`);
  const runIds = values.run ?? [];
  if (runIds.length === 0) throw new UsageError("labbook chart needs --run <id> (one or more)");
  if (!values.metric) throw new UsageError("labbook chart needs --metric <key>");
  if (values.format !== undefined && !formats.includes(values.format as ChartFormat))
    throw new UsageError(`--format must be one of ${formats.join(", ")}, not '${values.format}'`);
  const format = (values.format as ChartFormat | undefined) ?? formatOf(values.out) ?? "svg";
  if (values.x !== undefined && values.x !== "step" && values.x !== "time")
    throw new UsageError(`--x must be step or time, not '${values.x}'`);
  const smoothing = Number(values.smoothing ?? 0);
  if (!(smoothing >= 0 && smoothing < 1))
    throw new UsageError(`--smoothing must be a number from 0 to 0.99, not '${values.smoothing}'`);
  const width = wholeNumber(values.width, "--width", 50, 480);
  const height = wholeNumber(values.height, "--height", 50, 260);
  const maxPoints = wholeNumber(values["max-points"], "--max-points", 2, 1000);
  if (!values.out && values.json)
    throw new UsageError("--json prints a summary on standard output: give --out for the chart");
  if (!values.out && format === "png" && process.stdout.isTTY)
    throw new UsageError("a PNG is not for a terminal: give --out <file>, or pipe it");
  if ((values.endpoint || values["tracking-uri"]) && values.db)
    throw new UsageError("give --endpoint or --db, not both: the chart reads from one of them");
  if (values.endpoint && values["tracking-uri"])
    throw new UsageError("--endpoint and --tracking-uri name the same thing: give one");

  const target = await openGraphQLTarget({
    ...values,
    "tracking-uri": values.endpoint ?? values["tracking-uri"],
  });
  let series: MetricSeries[];
  try {
    series = await readSeries(target, [...new Set(runIds)], values.metric, maxPoints);
  } finally {
    await target.close();
  }
  const x = (values.x ?? "step") as "step" | "time";
  const spec = metricLinesSpec({
    metric: values.metric,
    x,
    logY: values.log ?? false,
    smoothing,
    weights: [smoothing],
    legend: series.length > 1,
    width,
    height,
    // A drawing has no pointer: without the invisible hover marks an SVG is a tenth the size.
    hover: format === "json" || format === "html",
    ...(values.title && { title: values.title }),
  });
  const rows = metricPointRows(series, [smoothing]);
  const output = await render(format, { spec, rows, title: values.title ?? values.metric });
  const bytes = typeof output === "string" ? Buffer.byteLength(output) : output.byteLength;
  if (!values.out) {
    process.stdout.write(output);
    return;
  }
  const out = resolve(values.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, output);
  const summary = { out, format, bytes, runs: series.length, points: rows.length };
  if (values.json) printJson(summary);
  else
    console.error(
      `labbook: ${format} of ${values.metric} (${series.length} run${series.length === 1 ? "" : "s"}, ${rows.length} points) written to ${out}`,
    );
}
