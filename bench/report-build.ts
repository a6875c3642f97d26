import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createExperiment,
  createRun,
  type Db,
  logBatch,
  metricGroups,
  openDb,
  updateRun,
} from "../db/index.ts";
import { benchDir, bestOf, format, root } from "./support.ts";

const metricKeys = ["loss", "acc", "val_loss", "val_acc", "lr"] as const;
const steps = 10_000;
/** Runs per experiment: the build time of each shows how it grows with the number of runs. */
const defaultSizes = [50, 100, 200] as const;
const t0 = 1_700_000_000_000;
const megabyte = 1024 * 1024;

/** A training-like curve per metric, different for every run. */
function curve(key: (typeof metricKeys)[number], run: number, step: number): number {
  const progress = step / steps;
  const noise = 0.02 * Math.sin(step * 0.37 + run);
  switch (key) {
    case "loss":
      return 2 * Math.exp(-4 * progress) + 0.05 + noise + run * 0.001;
    case "val_loss":
      return 2.2 * Math.exp(-3.5 * progress) + 0.1 + noise + run * 0.001;
    case "acc":
      return 1 - 0.9 * Math.exp(-5 * progress) - run * 0.0005 + noise / 4;
    case "val_acc":
      return 0.97 - 0.8 * Math.exp(-4 * progress) - run * 0.0005 + noise / 4;
    default:
      return 1e-3 * 0.5 ** Math.floor(progress * 4);
  }
}

/** One experiment of `runs` finished runs, each with 5 metrics × 10,000 steps and 3 params. */
async function logExperiment(db: Db, name: string, runs: number): Promise<string> {
  const experiment = await createExperiment(db, { name });
  const allSteps = Array.from({ length: steps }, (_, step) => step);
  for (let i = 0; i < runs; i++) {
    const start = t0 + i * 3_600_000;
    const run = await createRun(db, {
      experimentId: experiment.id,
      name: `${name}-run-${i}`,
      startTime: start,
    });
    // Two batches of 25,000 points (the server's default limit is 50,000 per batch).
    for (const keys of [metricKeys.slice(0, 3), metricKeys.slice(3)])
      await logBatch(db, {
        runId: run.id,
        params: [
          { key: "lr", value: String([1e-3, 3e-3, 1e-2][i % 3]) },
          { key: "batch_size", value: String([32, 64, 128, 256][i % 4]) },
          { key: "seed", value: String(i) },
        ],
        metrics: keys.map((key) => ({
          key,
          steps: allSteps,
          values: allSteps.map((step) => curve(key, i, step)),
          timestamps: allSteps.map((step) => start + step * 100),
        })),
      });
    await updateRun(db, { runId: run.id, status: "FINISHED", endTime: start + steps * 100 });
  }
  return experiment.id;
}

interface BuildTiming {
  ms: number;
  /** Reading the data through GraphQL into the snapshot (until "building pages"). */
  readMs: number;
  /** From then until Astro's pages and the assets are written. */
  pagesMs: number;
  /** From the same start until every chart's files (.vl.json, .svg, .png, .html) are written. */
  chartsMs: number;
  /** The process's peak resident memory, all threads. */
  peakBytes: number;
}

/** `labbook report` as a user runs it, in a child process, timed by the lines it prints. */
function buildReport(dbFile: string, out: string, experiment: string): Promise<BuildTiming> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      "--import",
      join(root, "bench/peak-memory.ts"),
      join(root, "cli/labbook.ts"),
      "report",
      "--db",
      dbFile,
      "--out",
      out,
      "--experiment",
      experiment,
      "--json",
    ],
    // Run from the bench's folder: no ./reports there, so no comparison pages.
    { cwd: join(out, ".."), stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  let buildAt: number | undefined;
  let pagesAt: number | undefined;
  let chartsAt: number | undefined;
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    const now = performance.now();
    if (buildAt === undefined && stderr.includes("building pages")) buildAt = now;
    if (pagesAt === undefined && stderr.includes("pages: built")) pagesAt = now;
    if (chartsAt === undefined && /charts' files written/.test(stderr)) chartsAt = now;
  });
  return new Promise((resolve, reject) =>
    child.once("close", (code) => {
      const end = performance.now();
      if (code !== 0) return reject(new Error(`labbook report exited with ${code}: ${stderr}`));
      const build = buildAt ?? started;
      resolve({
        ms: end - started,
        readMs: build - started,
        pagesMs: (pagesAt ?? end) - build,
        chartsMs: (chartsAt ?? end) - build,
        // maxRSS is in kilobytes.
        peakBytes: Number(/peak-memory (\d+)/.exec(stderr)?.[1] ?? 0) * 1024,
      });
    }),
  );
}

interface Sizes {
  total: number;
  files: number;
  /** Bytes of the chart files, by extension. */
  charts: Record<string, number>;
  largestPage: { path: string; bytes: number };
  /** HTML files over 1 MB, relative to the report. */
  overLimit: string[];
}

const chartExtensions = [".vl.json", ".svg", ".png", ".html"];

/** The report's size on disk, and its largest HTML page (chart embed pages included). */
function measure(out: string): Sizes {
  let total = 0;
  let files = 0;
  const charts: Record<string, number> = Object.fromEntries(chartExtensions.map((e) => [e, 0]));
  let largestPage = { path: "", bytes: 0 };
  const overLimit: string[] = [];
  for (const entry of readdirSync(out, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const bytes = statSync(path).size;
    total += bytes;
    files += 1;
    const extension = chartExtensions.find((one) => entry.name.endsWith(one));
    if (extension && relative(out, path).startsWith("charts"))
      charts[extension] = (charts[extension] ?? 0) + bytes;
    if (!entry.name.endsWith(".html")) continue;
    if (bytes > megabyte) overLimit.push(`${relative(out, path)} (${format(bytes / 1024, 0)} KB)`);
    if (bytes > largestPage.bytes) largestPage = { path: relative(out, path), bytes };
  }
  return { total, files, charts, largestPage, overLimit };
}

const mb = (bytes: number) => `${format(bytes / megabyte, 2)} MB`;

/**
 * `labbook report` over 200 runs × 5 metrics × 10,000 steps (10 million points), and over 50
 * and 100 such runs, each built by the command in a child process from a database file:
 * build time, peak memory, the report's total size, its largest page, and how the time grows
 * with runs. `sizes` other than those make a quicker variant (`node bench/report-build.ts 10 40`).
 */
export async function benchReportBuild(sizes: readonly number[] = defaultSizes): Promise<string[]> {
  const { dir, cleanup } = benchDir();
  try {
    const dbFile = join(dir, "labbook.db");
    const db = await openDb({ url: `file:${dbFile}` });
    const logStart = performance.now();
    const groupLines: string[] = [];
    try {
      let largest = "";
      for (const runs of sizes) {
        largest = await logExperiment(db, `runs-${runs}`, runs);
        console.error(
          `  report-build: logged ${runs} runs × ${metricKeys.length} metrics × ${format(steps)} steps (${format((performance.now() - logStart) / 1000, 1)} s so far)`,
        );
      }
      // The aggregate a comparison's group bands ask for, over the largest experiment.
      for (const maxPoints of [500, undefined]) {
        const timing = await bestOf(3, () =>
          metricGroups(db, {
            key: "val_loss",
            groupBy: ["params.lr"],
            experimentIds: [largest],
            maxPoints,
          }),
        );
        const points = timing.result.reduce((sum, group) => sum + group.points.length, 0);
        groupLines.push(
          `report-build: metricGroups(val_loss by params.lr${maxPoints ? `, maxPoints: ${maxPoints}` : ""}) over ${sizes.at(-1)} runs × ${format(steps)} steps (${format((sizes.at(-1) ?? 0) * steps)} points): ${format(timing.ms, 0)} ms (best of 3), ${timing.result.length} groups, ${format(points)} points`,
        );
      }
    } finally {
      await db.close();
    }
    const results: ({ runs: number; sizes: Sizes } & BuildTiming)[] = [];
    for (const runs of sizes) {
      const out = join(dir, `report-${runs}`);
      const timing = await buildReport(dbFile, out, `runs-${runs}`);
      results.push({ runs, sizes: measure(out), ...timing });
      console.error(`  report-build: ${runs} runs built in ${format(timing.ms / 1000, 1)} s`);
    }
    const seconds = (ms: number) => `${format(ms / 1000, 1)} s`;
    const lines = results.map(({ runs, ms, readMs, pagesMs, chartsMs, peakBytes, sizes: s }) => {
      const charts = chartExtensions.map((e) => `${e} ${mb(s.charts[e] ?? 0)}`).join(", ");
      return `report-build: ${runs} runs × ${metricKeys.length} metrics × ${format(steps)} steps (${format(runs * metricKeys.length * steps)} points): built in ${seconds(ms)} (${format(ms / runs, 0)} ms/run: reading ${seconds(readMs)}, then pages ${seconds(pagesMs)} and chart files ${seconds(chartsMs)} side by side); peak memory ${mb(peakBytes)}; ${format(s.files)} files, ${mb(s.total)} (charts: ${charts}); largest page ${s.largestPage.path} ${format(s.largestPage.bytes / 1024, 0)} KB; pages over 1 MB: ${s.overLimit.length ? s.overLimit.join(", ") : "none"}`;
    });
    const small = results[0];
    const large = results.at(-1);
    if (small && large && large !== small) {
      const ratio = large.ms / small.ms;
      const perRun = (large.ms - small.ms) / (large.runs - small.runs);
      const fixed = small.ms - perRun * small.runs;
      lines.push(
        `report-build: growth ${small.runs} → ${large.runs} runs (×${large.runs / small.runs}): build time ×${format(ratio, 2)} (linear would be ×${large.runs / small.runs} at most; fixed cost ≈ ${format(fixed / 1000, 1)} s, then ≈ ${format(perRun, 0)} ms per run)`,
      );
      lines.push(
        `report-build: target: no page over 1 MB: ${results.every((r) => r.sizes.overLimit.length === 0) ? "yes" : "NO"}; time grows no faster than linear: ${ratio <= (large.runs / small.runs) * 1.1 ? "yes" : "NO"}`,
      );
    }
    return [...lines, ...groupLines];
  } finally {
    cleanup();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = process.argv.slice(2).map(Number);
  if (sizes.some((size) => !Number.isInteger(size) || size < 1))
    throw new Error("usage: node bench/report-build.ts [runs per experiment]...");
  for (const line of await benchReportBuild(sizes.length ? sizes : defaultSizes)) console.log(line);
}
