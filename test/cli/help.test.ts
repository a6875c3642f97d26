import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/server-process.ts";

const commandsDir = join(import.meta.dirname, "../../cli/commands");
const commands = [
  ...["server", "experiments", "runs", "artifacts", "run", "models", "report", "chart"],
  ...["backup", "demo", "gc"],
];

describe("each command's --help", { timeout: 60_000 }, () => {
  it.each(commands)(
    "labbook %s --help prints the same as the command's own parser and `labbook help`",
    async (name) => {
      // `--json --help` is not the bare `--help` the entry point answers alone: the command's
      // own option parser prints it, from the command's module.
      const [bare, viaParser, viaHelp] = await Promise.all([
        runCli([name, "--help"]),
        runCli([name, "--json", "--help"]).then((result) =>
          // A command without --json refuses it; its parser still has its own --help for -h.
          result.code === 0 ? result : runCli([name, "-h", "--help"]),
        ),
        runCli(["help", name]),
      ]);
      for (const result of [bare, viaParser, viaHelp]) {
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
      }
      expect(bare.stdout).toMatch(new RegExp(`^Usage: labbook ${name}\\b`));
      expect(viaParser.stdout).toBe(bare.stdout);
      expect(viaHelp.stdout).toBe(bare.stdout);
    },
  );

  it("comes, for the commands that load Astro or libSQL, from a module that imports only the environment's help", () => {
    const helpModules = readdirSync(commandsDir).filter((file) => file.endsWith("-help.ts"));
    expect(helpModules.sort()).toEqual(
      ["backup", "demo", "gc", "report", "server"].map((name) => `${name}-help.ts`),
    );
    for (const file of helpModules) {
      const imports = [
        ...readFileSync(join(commandsDir, file), "utf8").matchAll(/from "([^"]+)"/g),
      ];
      expect(imports.map((match) => match[1]).filter((from) => from !== "../env.ts")).toEqual([]);
    }
  });
});
