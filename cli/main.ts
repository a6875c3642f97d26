import { backupCommand, backupHelp } from "./commands/backup.ts";
import { experimentsCommand, experimentsHelp } from "./commands/experiments.ts";
import { gcCommand, gcHelp } from "./commands/gc.ts";
import { modelsCommand, modelsHelp } from "./commands/models.ts";
import { reportCommand, reportHelp } from "./commands/report.ts";
import { runCommand, runHelp } from "./commands/run.ts";
import { runsCommand, runsHelp } from "./commands/runs.ts";
import { serverCommand, serverHelp } from "./commands/server.ts";
import { envHelp, envVars } from "./env.ts";
import { reportFailure } from "./report-failure.ts";

const commands: Record<
  string,
  { run: (args: string[]) => Promise<void>; help: string; summary: string }
> = {
  server: {
    run: serverCommand,
    help: serverHelp,
    summary: "Serve the GraphQL API (and GraphiQL) over the tracking data.",
  },
  experiments: {
    run: experimentsCommand,
    help: experimentsHelp,
    summary: "List, create, delete and restore experiments.",
  },
  runs: {
    run: runsCommand,
    help: runsHelp,
    summary: "List runs with their params and final metrics; show one run.",
  },
  run: {
    run: runCommand,
    help: runHelp,
    summary: "Run a project's entry point (MLproject) as a tracked run.",
  },
  models: {
    run: modelsCommand,
    help: modelsHelp,
    summary: "The model registry: list models and versions, set aliases, serve a model.",
  },
  report: {
    run: reportCommand,
    help: reportHelp,
    summary: "Build a static report (pages, charts, embeds) that works offline and from disk.",
  },
  backup: {
    run: backupCommand,
    help: backupHelp,
    summary: "Write a consistent copy of the database, even while a server writes it.",
  },
  gc: {
    run: gcCommand,
    help: gcHelp,
    summary: "Delete deleted runs for good: their data and their artifact files.",
  },
};

const mainHelp = `labbook — experiment tracking for machine learning

Usage: labbook <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, command]) => `  ${name.padEnd(12)} ${command.summary}`)
  .join("\n")}

Run 'labbook <command> --help' for a command's options.

Environment (a command's flags override these):
${envHelp(Object.keys(envVars) as (keyof typeof envVars)[])}`;

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? args[0] : undefined;
    console.log((topic && commands[topic]?.help) || mainHelp);
    return;
  }
  if (name === "--version" || name === "-v") {
    const { default: pkg } = await import("../package.json", { with: { type: "json" } });
    console.log(pkg.version);
    return;
  }
  const command = commands[name];
  if (!command) {
    console.error(
      `labbook: unknown command '${name}'. Commands: ${Object.keys(commands).join(", ")}; see 'labbook --help'.`,
    );
    process.exitCode = 2;
    return;
  }
  await command.run(args);
}

/** Runs the `labbook` command line with the given arguments (without `node` and the script). */
export async function runCli(argv: string[]): Promise<void> {
  await main(argv).catch(reportFailure);
}
