import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildSite } from "../../site/build.ts";
import { ComparisonFileError } from "../../site/compare/fields.ts";
import type { Snapshot } from "../../site/snapshot/types.ts";
import { snapshotVersion } from "../../site/snapshot/types.ts";
import { openGraphQLTarget } from "../graphql-target.ts";
import { printJson } from "../output.ts";
import { UsageError } from "../usage-error.ts";
import { type ComparisonFile, comparisonsDir, readComparisonFiles } from "./report-comparisons.ts";
import { reportHelp } from "./report-help.ts";
import { readSnapshot } from "./report-snapshot.ts";

export { readSnapshot } from "./report-snapshot.ts";

/** A folder `labbook report` may replace: absent, empty, or a report it wrote before. */
function checkReplaceable(out: string): void {
  if (!existsSync(out)) return;
  const entries = readdirSync(out);
  if (entries.length === 0 || entries.includes("snapshot.json")) return;
  throw new UsageError(
    `${out} exists and is not a labbook report (no snapshot.json); choose another --out or remove it`,
  );
}

/**
 * Puts a built folder in place of `out`: the old report moves aside first, so `out` is either
 * the old report or the new one (never half of one) but for the instant between two renames.
 */
function swapIn(built: string, out: string, workDir: string): void {
  const old = join(workDir, "previous");
  if (existsSync(out)) renameSync(out, old);
  try {
    renameSync(built, out);
  } catch (error) {
    if (existsSync(old)) renameSync(old, out);
    throw error;
  }
}

export async function reportCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: "string" },
      endpoint: { type: "string" },
      "tracking-uri": { type: "string" },
      db: { type: "string" },
      "db-auth-token": { type: "string" },
      token: { type: "string" },
      experiment: { type: "string", multiple: true },
      "max-points": { type: "string" },
      snapshot: { type: "string" },
      reports: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(reportHelp);
    return;
  }
  if (values.endpoint && values.db)
    throw new UsageError("give --endpoint or --db, not both: the report reads from one of them");
  const maxPoints = Number(values["max-points"] ?? 1000);
  if (!Number.isInteger(maxPoints) || maxPoints < 2)
    throw new UsageError(
      `--max-points must be a whole number of at least 2, not '${values["max-points"]}'`,
    );
  const out = resolve(values.out ?? "report");
  checkReplaceable(out);
  const log = (line: string) => console.error(`labbook: ${line}`);
  if (values.snapshot && values.reports)
    throw new UsageError(
      "give --snapshot or --reports, not both: a snapshot holds its comparisons already",
    );
  // The files are checked before any data is read: a typo fails at once.
  let comparisons: ComparisonFile[] = [];
  try {
    const dir = values.snapshot ? undefined : comparisonsDir(values.reports);
    if (dir) comparisons = readComparisonFiles(dir);
  } catch (error) {
    if (error instanceof ComparisonFileError) throw new UsageError(error.message);
    throw error;
  }

  let snapshot: Snapshot;
  if (values.snapshot) {
    snapshot = JSON.parse(readFileSync(values.snapshot, "utf8")) as Snapshot;
    if (snapshot.version !== snapshotVersion)
      throw new UsageError(
        `${values.snapshot} is not a labbook snapshot of version ${snapshotVersion}`,
      );
  } else {
    const endpoint = values.endpoint ?? values["tracking-uri"];
    const target = await openGraphQLTarget({
      "tracking-uri": endpoint,
      token: values.token,
      db: values.db,
      "db-auth-token": values["db-auth-token"],
    });
    try {
      log(`reading ${target.description}`);
      const remote = /^https?:/.test(target.description);
      snapshot = await readSnapshot(target, {
        experiments: values.experiment,
        maxPoints,
        source: remote ? target.description : "a labbook database",
        artifactBaseUrl: remote ? target.description.replace(/\/graphql\/?$/, "/artifacts") : null,
        comparisons,
        log,
      });
    } finally {
      await target.close();
    }
  }

  mkdirSync(dirname(out), { recursive: true });
  const workDir = join(dirname(out), `.${basename(out)}.building-${process.pid}`);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir);
  try {
    const snapshotPath = join(workDir, "snapshot.json");
    writeFileSync(snapshotPath, JSON.stringify(snapshot));
    const built = join(workDir, "site");
    const result = await buildSite({ snapshotPath, snapshot, outDir: built, log });
    writeFileSync(join(built, "snapshot.json"), readFileSync(snapshotPath));
    swapIn(built, out, workDir);
    const runs = snapshot.experiments.reduce((sum, experiment) => sum + experiment.runs.length, 0);
    const summary = {
      out,
      experiments: snapshot.experiments.length,
      runs,
      models: snapshot.registry?.length ?? 0,
      comparisons: snapshot.comparisons?.length ?? 0,
      pages: result.pages,
      charts: result.charts,
    };
    if (values.json) printJson(summary);
    else
      log(
        `report written to ${out}: ${summary.experiments} experiments, ${runs} runs, ${result.pages} pages, ${result.charts} charts (open ${join(out, "index.html")})`,
      );
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

export { reportHelp };
