import { relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { createApp } from "../../api/app.ts";
import { type RunningServer, serve } from "../../api/serve.ts";
import { acquireWriterLock, openDb } from "../../db/index.ts";
import {
  type Champion,
  crownChampion,
  demoComparisonStem,
  type LabbookChild,
  prepareDemoDir,
  runLabbook,
  writeDemoComparison,
} from "../demo-steps.ts";
import { demoSummary } from "../demo-summary.ts";
import { UsageError } from "../usage-error.ts";
import { demoHelp } from "./demo-help.ts";

/** The three runs: the tutorial's values, and two others to compare against. */
export const demoRuns = [
  { batch_size: "128", lr_init: "1e-3" },
  { batch_size: "64", lr_init: "3e-3" },
  { batch_size: "32", lr_init: "1e-2" },
] as const;

export const demoExperiment = "mnist";

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got '${text}')`);
  return value;
}

/** Listens on the port asked for; when the default one is taken, on a free one instead. */
async function listen(
  app: ReturnType<typeof createApp>,
  host: string,
  port: number,
  explicit: boolean,
): Promise<RunningServer> {
  try {
    return await serve(app, { host, port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    if (explicit)
      throw new UsageError(`port ${port} on ${host} is in use; pass --port 0 for a free one`);
    console.error(`labbook demo: port ${port} is in use; listening on a free port instead`);
    return serve(app, { host, port: 0 });
  }
}

export async function demoCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      dir: { type: "string" },
      host: { type: "string" },
      port: { type: "string" },
      epochs: { type: "string" },
      "no-serve": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(demoHelp);
    return;
  }
  const started = performance.now();
  const host = values.host ?? "127.0.0.1";
  const port = wholeNumber("--port", values.port ?? "4000", 0, 65535);
  const epochs = wholeNumber("--epochs", values.epochs ?? "3", 1, 100);
  const dir = resolve(values.dir ?? "labbook-demo");
  const say = (line: string) => console.error(`labbook demo: ${line}`);
  const paths = prepareDemoDir(dir);

  const lock = acquireWriterLock(paths.db);
  let db: Awaited<ReturnType<typeof openDb>> | undefined;
  let running: RunningServer | undefined;
  let child: LabbookChild | undefined;
  let signalled: NodeJS.Signals | undefined;
  const stop = async (code: number) => {
    await running?.close();
    await db?.close();
    lock.release();
    process.exit(code);
  };
  // Ctrl-C reaches a training run too (same process group), which records it KILLED and
  // exits; SIGTERM is passed on. The demo stops once the child has.
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = signal;
    if (child) {
      if (signal === "SIGTERM") child.kill(signal);
    } else void stop(0);
  };
  const stopIfSignalled = () => (signalled ? stop(signalled === "SIGINT" ? 130 : 143) : undefined);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    db = await openDb({
      url: `file:${paths.db}`,
      artifactRoot: pathToFileURL(paths.artifacts).href,
    });
    const app = createApp({ db, report: { dir: paths.report, liveRefreshSeconds: 5 } });
    running = await listen(app, host, port, values.port !== undefined);
    lock.setUrl(running.url);
    const url = running.url;
    say(`server at ${url} (data in ${relative(process.cwd(), dir) || "."}/)`);

    for (const [i, params] of demoRuns.entries()) {
      const label = `[run ${i + 1}/${demoRuns.length} batch_size=${params.batch_size} lr_init=${params.lr_init}]`;
      say(`training ${label.slice(1, -1)}, ${epochs} epochs`);
      child = runLabbook(
        [
          "run",
          "examples/mnist",
          "-P",
          `epochs=${epochs}`,
          "-P",
          `batch_size=${params.batch_size}`,
          "-P",
          `lr_init=${params.lr_init}`,
          "--experiment",
          demoExperiment,
          "--run-name",
          `demo-${params.batch_size}-${params.lr_init}`,
          "--tracking-uri",
          url,
        ],
        label,
      );
      const { code } = await child.done;
      child = undefined;
      if (signalled) return stopIfSignalled();
      if (code !== 0)
        throw new Error(`training run ${i + 1} failed (exit code ${code}); see above`);
    }

    const champion: Champion = await crownChampion(app, demoExperiment);
    say(
      `champion: ${champion.runName} (val_acc ${champion.valAcc.toFixed(4)}) is mnist_classifier version ${champion.version}, alias champion`,
    );

    say(
      `building the report, with the comparison in ${relative(process.cwd(), writeDemoComparison(paths.reports))}`,
    );
    child = runLabbook(
      ["report", "--endpoint", url, "--out", paths.report, "--reports", paths.reports, "--json"],
      "[report]",
    );
    const report = await child.done;
    child = undefined;
    if (signalled) return stopIfSignalled();
    if (report.code !== 0)
      throw new Error(`the report failed (exit code ${report.code}); see above`);

    const serving = !values["no-serve"];
    // With --no-serve the server stops right after: the output names no URL of it.
    const { json, lines } = demoSummary({
      url: serving ? url : undefined,
      dir,
      paths,
      comparisonStem: demoComparisonStem,
      champion,
      experiment: demoExperiment,
      seconds: Math.round((performance.now() - started) / 1000),
      cwd: process.cwd(),
    });
    if (values.json) console.log(JSON.stringify(json));
    else for (const line of lines) console.log(line);
    if (!serving) await stop(0);
  } catch (error) {
    await running?.close();
    await db?.close();
    lock.release();
    throw error;
  }
}

export { demoHelp };
