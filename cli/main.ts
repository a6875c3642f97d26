import { envHelp, envVars } from "./env.ts";
import { reportFailure } from "./report-failure.ts";

interface LoadedCommand {
  run: (args: string[]) => Promise<void>;
  help: string;
}

interface Command {
  load: () => Promise<LoadedCommand>;
  /** The help text alone, for a command whose module takes long to load (Astro, libSQL). */
  loadHelp?: () => Promise<string>;
  summary: string;
}

const helpOf = async (command: Command) =>
  command.loadHelp ? command.loadHelp() : (await command.load()).help;

/**
 * Each command's module is imported when it runs: `labbook server` should not load Astro and
 * TF.js, and `labbook --help` nothing at all.
 */
const commands: Record<string, Command> = {
  server: {
    load: async () => {
      const { serverCommand, serverHelp } = await import("./commands/server.ts");
      return { run: serverCommand, help: serverHelp };
    },
    loadHelp: async () => (await import("./commands/server-help.ts")).serverHelp,
    summary: "Serve the GraphQL API (and GraphiQL) over the tracking data.",
  },
  experiments: {
    load: async () => {
      const { experimentsCommand, experimentsHelp } = await import("./commands/experiments.ts");
      return { run: experimentsCommand, help: experimentsHelp };
    },
    summary: "List, create, delete and restore experiments.",
  },
  runs: {
    load: async () => {
      const { runsCommand, runsHelp } = await import("./commands/runs.ts");
      return { run: runsCommand, help: runsHelp };
    },
    summary: "List runs with their params and final metrics; show one run.",
  },
  artifacts: {
    load: async () => {
      const { artifactsCommand, artifactsHelp } = await import("./commands/artifacts.ts");
      return { run: artifactsCommand, help: artifactsHelp };
    },
    summary: "List, download and upload a run's artifact files.",
  },
  run: {
    load: async () => {
      const { runCommand, runHelp } = await import("./commands/run.ts");
      return { run: runCommand, help: runHelp };
    },
    summary: "Run a project's entry point (MLproject) as a tracked run.",
  },
  models: {
    load: async () => {
      const { modelsCommand, modelsHelp } = await import("./commands/models.ts");
      return { run: modelsCommand, help: modelsHelp };
    },
    summary: "The model registry: list models and versions, set aliases, serve a model.",
  },
  report: {
    load: async () => {
      const { reportCommand, reportHelp } = await import("./commands/report.ts");
      return { run: reportCommand, help: reportHelp };
    },
    loadHelp: async () => (await import("./commands/report-help.ts")).reportHelp,
    summary: "Build a static report (pages, charts, embeds) that works offline and from disk.",
  },
  chart: {
    load: async () => {
      const { chartCommand, chartHelp } = await import("./commands/chart.ts");
      return { run: chartCommand, help: chartHelp };
    },
    summary: "Write one chart of a metric (SVG, PNG, Vega-Lite JSON or HTML) for docs.",
  },
  backup: {
    load: async () => {
      const { backupCommand, backupHelp } = await import("./commands/backup.ts");
      return { run: backupCommand, help: backupHelp };
    },
    loadHelp: async () => (await import("./commands/backup-help.ts")).backupHelp,
    summary: "Write a consistent copy of the database, even while a server writes it.",
  },
  demo: {
    load: async () => {
      const { demoCommand, demoHelp } = await import("./commands/demo.ts");
      return { run: demoCommand, help: demoHelp };
    },
    loadHelp: async () => (await import("./commands/demo-help.ts")).demoHelp,
    summary: "Train MNIST three ways, crown a champion, build and serve the report (npm start).",
  },
  gc: {
    load: async () => {
      const { gcCommand, gcHelp } = await import("./commands/gc.ts");
      return { run: gcCommand, help: gcHelp };
    },
    loadHelp: async () => (await import("./commands/gc-help.ts")).gcHelp,
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
    const command = topic ? commands[topic] : undefined;
    console.log(command ? await helpOf(command) : mainHelp);
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
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    console.log(await helpOf(command));
    return;
  }
  await (await command.load()).run(args);
}

/** Runs the `labbook` command line with the given arguments (without `node` and the script). */
export async function runCli(argv: string[]): Promise<void> {
  await main(argv).catch(reportFailure);
}
