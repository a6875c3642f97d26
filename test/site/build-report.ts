import { join } from "node:path";
import { expect } from "vitest";
import { runCli } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";
import { makeReportDb } from "./fixture.ts";

export interface ReportSummary {
  out: string;
  experiments: number;
  runs: number;
  pages: number;
  charts: number;
}

/** Makes the fixture database and builds a report of it with `labbook report --json`. */
export async function buildFixtureReport(args: readonly string[] = []) {
  const db = await makeReportDb();
  const out = join(tempDir("labbook-report-out-"), "report");
  const result = await runCli(["report", "--db", db, "--out", out, "--json", ...args]);
  expect(result.stderr).not.toMatch(/unexpected failure/);
  expect(result.code).toBe(0);
  return { db, out, summary: JSON.parse(result.stdout) as ReportSummary, stderr: result.stderr };
}
