import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build as astroBuild } from "astro";
import { build as esbuild } from "esbuild";
import { astroConfig, siteRoot } from "./astro-options.ts";
import { pageScriptBundle } from "./export/bundle-options.ts";
import { embedScript } from "./export/embed-script.ts";
import { writeChartFiles } from "./export/write-charts.ts";
import { templateSpecs } from "./lib/spec-templates.ts";
import { vegaBrowserBuild } from "./render/vega-runtime.ts";
import { toVega } from "./render/vega-view.ts";
import { handOverSnapshot, withdrawSnapshot } from "./snapshot/handover.ts";
import type { Snapshot } from "./snapshot/types.ts";

export interface BuildSiteOptions {
  /** The JSON snapshot to build from. */
  snapshotPath: string;
  /** The same snapshot when the caller holds it parsed already: it is not read again. */
  snapshot?: Snapshot;
  /** An empty or absent folder to build into. */
  outDir: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface BuildSiteResult {
  pages: number;
  charts: number;
}

/** The pages' script as one classic (IIFE) file: no module scripts, which file:// refuses. */
async function clientScript(): Promise<string> {
  const result = await esbuild(pageScriptBundle("main.ts"));
  return result.outputFiles[0]?.text ?? "";
}

/** The compiled chart templates every page draws with, as a classic script. */
function chartSpecsScript(): string {
  const compiled = Object.fromEntries(
    Object.entries(templateSpecs()).map(([name, variants]) => [
      name,
      Object.fromEntries(
        Object.entries(variants).map(([variant, spec]) => [variant, toVega(spec)]),
      ),
    ]),
  );
  return `window.labbookChartSpecs = ${JSON.stringify(compiled).replace(/</g, "\\u003c")};\n`;
}

const countPages = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true, recursive: true }).filter(
    (entry) =>
      entry.isFile() &&
      entry.name.endsWith(".html") &&
      !entry.parentPath.includes(`${join(dir, "charts")}`),
  ).length;

/**
 * Builds a report from a snapshot: the Astro pages, their script and the Vega runtime under
 * `assets/`, and every chart's files under `charts/`.
 *
 * @example
 * await buildSite({ snapshotPath: "snapshot.json", outDir: "report" });
 */
export async function buildSite(options: BuildSiteOptions): Promise<BuildSiteResult> {
  const log = options.log ?? (() => {});
  const outDir = resolve(options.outDir);
  const snapshotPath = resolve(options.snapshotPath);
  const snapshot = options.snapshot ?? (JSON.parse(readFileSync(snapshotPath, "utf8")) as Snapshot);
  const started = performance.now();
  const seconds = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  log("building pages (Astro) and chart files");
  mkdirSync(outDir, { recursive: true });
  // The charts' files are drawn on threads of their own while Astro renders the pages here:
  // Astro keeps one core busy, the charts every core.
  const stopCharts = new AbortController();
  const charts = writeChartFiles(snapshot, outDir, {
    signal: stopCharts.signal,
    progress: (done, total) => {
      if (done === total || done % 100 === 0) log(`charts: ${done}/${total} written`);
    },
  });
  // Handled below; until then a failure must not count as an unhandled rejection.
  charts.catch(() => {});
  try {
    handOverSnapshot(snapshotPath, snapshot);
    try {
      await buildPages(snapshotPath, outDir);
    } finally {
      withdrawSnapshot(snapshotPath);
    }
    const assets = join(outDir, "assets");
    mkdirSync(assets, { recursive: true });
    writeFileSync(join(assets, "labbook.js"), await clientScript());
    writeFileSync(join(assets, "vega.min.js"), vegaBrowserBuild());
    writeFileSync(join(assets, "chart-specs.js"), chartSpecsScript());
    writeFileSync(join(assets, "chart-embed.js"), embedScript());
    log(`pages: built in ${seconds()}`);
  } catch (error) {
    stopCharts.abort();
    await charts.catch(() => {});
    throw error;
  }
  const written = await charts;
  log(`charts: ${written} charts' files written in ${seconds()}`);
  return { pages: countPages(outDir), charts: written };
}

/** Astro renders the pages from the snapshot file into `outDir`. */
async function buildPages(snapshotPath: string, outDir: string): Promise<void> {
  // Astro bundles the pages' server code under the working directory when the output is
  // outside it, and runs it from there: work in a folder of our own beside node_modules.
  const workDir = join(siteRoot, ".work", String(process.pid));
  mkdirSync(workDir, { recursive: true });
  const cwd = process.cwd();
  process.chdir(workDir);
  try {
    await astroBuild(astroConfig({ snapshotPath, outDir, cacheDir: join(workDir, "vite") }));
  } finally {
    process.chdir(cwd);
    rmSync(workDir, { recursive: true, force: true });
  }
}
