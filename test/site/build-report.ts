import { join } from "node:path";
import { expect } from "vitest";
import { repoRoot, runCli } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";
import { makeReportDb } from "./fixture.ts";

export interface ReportSummary {
  out: string;
  experiments: number;
  runs: number;
  models: number;
  comparisons: number;
  pages: number;
  charts: number;
}

/** The tests' comparison files: every section kind over the fixture (see fixture.ts). */
export const testComparisons = join(repoRoot, "test", "site", "comparisons");

/**
 * Makes the fixture database and builds a report of it with `labbook report --json`, with the
 * tests' comparison files unless `args` names others.
 */
export async function buildFixtureReport(args: readonly string[] = []) {
  const db = await makeReportDb();
  const out = join(tempDir("labbook-report-out-"), "report");
  const reports = args.includes("--reports") ? [] : ["--reports", testComparisons];
  const result = await runCli(["report", "--db", db, "--out", out, "--json", ...reports, ...args]);
  expect(result.stderr).not.toMatch(/unexpected failure/);
  expect(result.code).toBe(0);
  return { db, out, summary: JSON.parse(result.stdout) as ReportSummary, stderr: result.stderr };
}
