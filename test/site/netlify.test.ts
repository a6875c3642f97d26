import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";
import { makeReportDb } from "./fixture.ts";

/** `[build]`'s command and publish folder, read from netlify.toml. */
function netlifyBuild(): { command: string; publish: string } {
  const toml = readFileSync(join(repoRoot, "netlify.toml"), "utf8");
  const field = (name: string) => {
    const match = new RegExp(`^\\s*${name}\\s*=\\s*("(?:[^"\\\\]|\\\\.)*")`, "m").exec(toml);
    if (!match?.[1]) throw new Error(`netlify.toml has no ${name}`);
    return JSON.parse(match[1]) as string;
  };
  return { command: field("command"), publish: field("publish") };
}

describe("netlify.toml", () => {
  it("builds the report from a clean checkout with a database file in the repository", async () => {
    // A checkout: the files git knows (committed or not, minus ignored ones), and the
    // installed packages, as Netlify has them after its install step.
    const clone = tempDir("labbook-netlify-");
    const files = execFileSync(
      "git",
      ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
      {
        cwd: repoRoot,
        encoding: "utf8",
      },
    )
      .split("\0")
      .filter((file) => file && existsSync(join(repoRoot, file)));
    for (const file of files) {
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      copyFileSync(join(repoRoot, file), join(clone, file));
    }
    symlinkSync(join(repoRoot, "node_modules"), join(clone, "node_modules"));
    // reports/ holds the comparison files (reports/example.yaml) and here the database too.
    mkdirSync(join(clone, "reports"), { recursive: true });
    copyFileSync(await makeReportDb(), join(clone, "reports", "labbook.db"));

    const { command, publish } = netlifyBuild();
    const result = spawnSync("bash", ["-c", command], {
      cwd: clone,
      encoding: "utf8",
      env: {
        ...process.env,
        PATH: `${join(clone, "node_modules", ".bin")}:${process.env.PATH}`,
        LABBOOK_ENDPOINT: "",
        LABBOOK_TRACKING_URI: "",
      },
      timeout: 240_000,
    });
    expect(result.stderr).not.toMatch(/unexpected failure/);
    expect(result.status).toBe(0);
    expect(readFileSync(join(clone, publish, "index.html"), "utf8")).toContain("mnist");
    // The example comparison is built from the repository's reports/ folder.
    expect(
      readFileSync(join(clone, publish, "compare", "example", "index.html"), "utf8"),
    ).toContain("MNIST — batch size and learning rate");
  }, 300_000);
});
