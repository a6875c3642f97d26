import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, startServer } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";

function reportDir(): string {
  const dir = join(tempDir("labbook-served-report-"), "report");
  mkdirSync(dir);
  writeFileSync(
    join(dir, "index.html"),
    "<html><head><title>r</title></head><body>hi</body></html>",
  );
  return dir;
}

describe("labbook server --report", () => {
  it("serves the report at / with the live marker, and says where", async () => {
    const dir = reportDir();
    const server = await startServer({ args: ["--report", dir, "--live-refresh", "2.5"] });
    try {
      const info = server.info as typeof server.info & { report: string; reportDir: string };
      expect(info.report).toBe(`${info.url}/`);
      expect(info.reportDir).toBe(dir);
      const page = await (await fetch(info.report)).text();
      expect(page).toContain(
        '<meta name="labbook-live" content="graphql" data-refresh-seconds="2.5"></head>',
      );
    } finally {
      await server.stop();
    }
  });

  it("serves it unmarked with --live-refresh 0, and not at all with --no-report", async () => {
    const dir = reportDir();
    const plain = await startServer({ args: ["--report", dir, "--live-refresh", "0"] });
    try {
      expect(await (await fetch(`${plain.info.url}/`)).text()).not.toContain("labbook-live");
    } finally {
      await plain.stop();
    }
    const none = await startServer({ args: ["--no-report"] });
    try {
      expect((none.info as typeof none.info & { report: null }).report).toBeNull();
      expect((await fetch(`${none.info.url}/`)).status).toBe(404);
    } finally {
      await none.stop();
    }
  });

  it("refuses a bad --live-refresh and --report with --no-report", async () => {
    const bad = await runCli(["server", "--port", "0", "--live-refresh", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--live-refresh must be a number of seconds from 0 (off) to 3600");
    const both = await runCli(["server", "--port", "0", "--report", "x", "--no-report"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give --report or --no-report, not both");
  });
});
