import { describe, expect, it } from "vitest";
import { runCli } from "../support/server-process.ts";

describe("the artifact flags and commands", () => {
  it("lists gc among the commands and explains it", async () => {
    const main = await runCli(["--help"]);
    expect(main.stdout).toMatch(/^ {2}gc +Delete deleted runs for good/m);
    const help = await runCli(["gc", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: labbook gc [options]");
    expect(help.stdout).toContain("--older-than <time>");
  });

  it("refuses a size it cannot read and arguments gc does not take", async () => {
    const size = await runCli(["server", "--port", "0", "--max-artifact-size", "lots"]);
    expect(size.code).toBe(2);
    expect(size.stderr).toContain(
      "--max-artifact-size must be a size such as 1048576, 500MB or 20GB",
    );
    const extra = await runCli(["gc", "some-run-id"]);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain("name runs with --run <id>");
  });
});
