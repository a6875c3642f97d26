import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { App } from "../api/app.ts";
import { liveWriter } from "../db/index.ts";
import { UsageError } from "./usage-error.ts";

/** The labbook script and the repository it belongs to (the demo trains its example). */
export const labbookScript = fileURLToPath(new URL("./labbook.ts", import.meta.url));
export const repoRoot = dirname(dirname(labbookScript));

/** A file the demo leaves in its folder, so a later start knows the folder is its own to replace. */
const marker = ".labbook-demo";

/** Empties the demo's folder (refusing one it did not make) and returns its parts. */
export function prepareDemoDir(dir: string) {
  if (existsSync(dir)) {
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes(marker))
      throw new UsageError(
        `${dir} exists and is not a labbook demo folder (no ${marker}); choose another --dir or remove it`,
      );
    const owner = liveWriter(join(dir, "labbook.db"));
    if (owner)
      throw new UsageError(
        `a demo is already serving ${dir} (pid ${owner.pid}, ${owner.url ?? "starting"}); stop it first, or pass another --dir`,
      );
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(join(dir, "artifacts"), { recursive: true });
  mkdirSync(join(dir, "reports"));
  writeFileSync(join(dir, marker), "Made by `labbook demo`; replaced by its next start.\n");
  return {
    db: join(dir, "labbook.db"),
    artifacts: join(dir, "artifacts"),
    reports: join(dir, "reports"),
    report: join(dir, "report"),
  };
}

/** The comparison page the demo builds (`compare/mnist-demo/`), as a file the reader can edit. */
export const demoComparisonStem = "mnist-demo";

const demoComparison = `# The comparison \`labbook demo\` (npm start) builds into compare/mnist-demo/index.html.
# Edit it, then rebuild the report while the demo serves it:
#   npx labbook report --endpoint <the demo's URL> --out labbook-demo/report --reports labbook-demo/reports
# The fields are described in the README ("Comparisons as code").
title: MNIST — the demo's three runs
description: |
  The three runs \`npm start\` trained on the MNIST example: the tutorial's batch size and
  learning rate (128, 1e-3), and two others. The best one by validation accuracy is
  registered as \`mnist_classifier@champion\`.

runs:
  experiments: [mnist]
  orderBy: [metrics.val_acc DESC]

params: [batch_size, lr_init, epochs]
metrics: [val_acc, val_loss, loss]

sections:
  - table: runs
  - table: params-diff
  - chart: best
    metric: val_acc
  - chart: curves
    metric: val_acc
  - chart: curves
    metric: loss
  - chart: parallel
    params: [batch_size, lr_init]
    metric: val_acc
  - chart: scatter
    param: lr_init
    metric: val_acc
`;

/** Writes the demo's comparison file into its reports folder; returns the file's path. */
export function writeDemoComparison(reportsDir: string): string {
  const file = join(reportsDir, `${demoComparisonStem}.yaml`);
  writeFileSync(file, demoComparison);
  return file;
}

/** A `labbook` child process, its output shown line by line after a prefix. */
export interface LabbookChild {
  /** Resolves with the exit code (128 + signal number when killed) and what it printed on stdout. */
  done: Promise<{ code: number; stdout: string }>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Runs `labbook <args>` with the Node running this one (first on PATH too, so an MLproject's
 * `node …` is the same Node 22); its stderr lines are printed with `prefix`, its stdout kept.
 */
export function runLabbook(args: readonly string[], prefix: string): LabbookChild {
  const child = spawn(process.execPath, [labbookScript, ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  // The children's stderr is a pipe, so training prints one line per epoch (no progress bar).
  createInterface({ input: child.stderr }).on("line", (line) => {
    if (line.trim()) process.stderr.write(`${prefix} ${line}\n`);
  });
  const done = new Promise<{ code: number; stdout: string }>((resolve) =>
    child.once("close", (code, signal) =>
      resolve({ code: code ?? (signal === "SIGINT" ? 130 : 143), stdout }),
    ),
  );
  return {
    done,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Sends a GraphQL document to the app in this process; fails with the API's messages. */
export async function askApp<T>(
  app: App,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await app.fetch(
    new Request("http://labbook.demo/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
    }),
  );
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length || !body.data)
    throw new Error(`the API refused the demo's request: ${JSON.stringify(body.errors ?? body)}`);
  return body.data;
}

export interface Champion {
  runId: string;
  runName: string;
  valAcc: number;
  version: number;
}

/** The run with the best validation accuracy; its registered version gets the alias `champion`. */
export async function crownChampion(app: App, experimentName: string): Promise<Champion> {
  const data = await askApp<{
    experiment: {
      runs: { nodes: { id: string; name: string; metric: { last: number | string } | null }[] };
    } | null;
    registeredModel: { versions: { nodes: { version: number; runId: string | null }[] } } | null;
  }>(
    app,
    `query ($experiment: String!) {
      experiment(name: $experiment) {
        runs(orderBy: ["metrics.val_acc DESC"], first: 1) {
          nodes { id name metric(key: "val_acc") { last } } } }
      registeredModel(name: "mnist_classifier") { versions(first: 1000) { nodes { version runId } } }
    }`,
    { experiment: experimentName },
  );
  const best = data.experiment?.runs.nodes[0];
  if (!best) throw new Error(`the demo's runs are missing from experiment '${experimentName}'`);
  const version = data.registeredModel?.versions.nodes.find((one) => one.runId === best.id);
  if (!version) throw new Error(`run ${best.name} registered no version of mnist_classifier`);
  await askApp(
    app,
    `mutation ($version: Int!) { setRegisteredModelAlias(input: {
      name: "mnist_classifier", alias: "champion", version: $version }) { modelVersion { version } } }`,
    { version: version.version },
  );
  return {
    runId: best.id,
    runName: best.name,
    valAcc: Number(best.metric?.last),
    version: version.version,
  };
}
