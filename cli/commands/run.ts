import { constants } from "node:os";
import { parseArgs } from "node:util";
import { uploadArtifact } from "../../client/artifacts.ts";
import { GraphQLClient } from "../../client/graphql-client.ts";
import { limits } from "../../db/validation.ts";
import {
  type CommandResult,
  ProjectError,
  type ProjectPlan,
  planProjectRun,
  provenanceTags,
  startCommand,
} from "../../projects/index.ts";
import { envHelp } from "../env.ts";
import { GraphQLRequestError, type GraphQLTarget, openGraphQLTarget } from "../graphql-target.ts";
import { userEnv } from "../node-env.ts";
import { printJson } from "../output.ts";
import { OutputCopy } from "../output-copy.ts";
import { findOrStartServer, type TrackingServer } from "../tracking-server.ts";
import { UsageError } from "../usage-error.ts";

export const runHelp = `Usage: labbook run <dir> [options]

Runs an entry point of the project in <dir> (its MLproject file, MLflow's format) as a run:
creates the run, logs the parameters, records how to reproduce it (entry point, command,
git commit/branch/dirty state, Node version, OS, lockfile hash) as tags, runs the command
in <dir> with LABBOOK_RUN_ID and LABBOOK_TRACKING_URI set, shows its output as it comes and
keeps it (the artifact logs/output.txt; its end also in the tag labbook.output.tail), and
ends the run FINISHED (exit 0), FAILED (any other exit; labbook run exits with the same
code) or KILLED (Ctrl-C or SIGTERM: passed on to the command, then recorded).

Options:
  -e, --entry-point <name>  Entry point (default main).
  -P, --param <key=value>   A parameter (repeatable). Values are checked against their
                            declared type (string, int, float, path, uri); undeclared ones
                            are appended to the command as --key value.
  --experiment <name|id>    Experiment (default Default); created when no experiment has
                            that name.
  --run-name <name>         The run's name (default: generated).
${targetHelp()}
  --json                    Print a JSON summary on stdout (the command's output then goes
                            to stderr).
  -h, --help                Show this help.

The command needs a server to log to: the one named, else the one that owns the database
file, else labbook starts one on the database for the duration of the run.

Environment (flags override):
${envHelp(["LABBOOK_TRACKING_URI", "LABBOOK_TOKEN", "LABBOOK_DB_URL"])}`;

function targetHelp(): string {
  return `  --tracking-uri <url>      A labbook server (else the server that owns the database
                            file, else one started for this run).
  --token <t>               API token for that server (passed on as LABBOOK_TOKEN).
  --db <url>                Database (default ./labbook.db).
  --db-auth-token <t>       Auth token for a libSQL server.
  --artifacts <dir|uri>     Artifact root for a server started for this run.`;
}

/** What `labbook run --json` prints. */
export interface RunSummary {
  runId: string;
  runName: string;
  experimentId: string;
  experimentName: string;
  status: "FINISHED" | "FAILED" | "KILLED";
  exitCode: number | null;
  signal: string | null;
  entryPoint: string;
  command: string;
  projectDir: string;
  trackingUri: string;
  params: Record<string, string>;
}

/** MLflow's key alphabet (db/validation.ts), checked before a run is created. */
const keyPattern = /^[\p{L}\p{N}_\-./ :]+$/u;

function checkLoggable(plan: ProjectPlan): void {
  const problems: string[] = [];
  for (const { name, value } of [...plan.parameters, ...plan.extra]) {
    if (
      !keyPattern.test(name) ||
      name.length > limits.keyLength ||
      name.split("/").some((s) => s === "" || s === "." || s === "..")
    )
      problems.push(
        `'${name}' cannot be logged as a param: keys hold letters, digits, '_ - . / : space', at most ${limits.keyLength} characters`,
      );
    if (value.length > limits.paramValueLength)
      problems.push(
        `the value of '${name}' is ${value.length} characters; params hold at most ${limits.paramValueLength}`,
      );
  }
  if (problems.length) throw new UsageError(problems.join("; "));
}

const clip = (value: string) =>
  value.length > limits.tagValueLength ? `${value.slice(0, limits.tagValueLength - 1)}…` : value;
const keyValues = (record: Record<string, string>) =>
  Object.entries(record).map(([key, value]) => ({ key, value: clip(value) }));

async function findOrCreateExperiment(
  target: GraphQLTarget,
  nameOrId: string,
): Promise<{ id: string; name: string }> {
  const find = async () => {
    const data = await target.request<{
      byName: { id: string; name: string } | null;
      byId: { id: string; name: string } | null;
    }>(
      "query ($name: String!, $id: ID) { byName: experiment(name: $name) { id name } byId: experiment(id: $id) { id name } }",
      { name: nameOrId, id: /^\d{1,15}$/.test(nameOrId) ? nameOrId : null },
    );
    return data.byName ?? data.byId;
  };
  const found = await find();
  if (found) return found;
  try {
    const data = await target.request<{
      createExperiment: { experiment: { id: string; name: string } };
    }>(
      "mutation ($name: String!) { createExperiment(input: { name: $name }) { experiment { id name } } }",
      { name: nameOrId },
    );
    return data.createExperiment.experiment;
  } catch (error) {
    // Someone created it between our look and our create: use theirs.
    if (error instanceof GraphQLRequestError && error.code === "CONFLICT") {
      const again = await find();
      if (again) return again;
    }
    throw error;
  }
}

const signalNumber = (signal: NodeJS.Signals) => constants.signals[signal] ?? 0;

/** Where `labbook run` keeps the command's whole output, as an artifact of the run. */
export const outputArtifactPath = "logs/output.txt";

/** Stores the command's output with the run; a failure is reported, and the run goes on. */
async function keepOutput(
  output: OutputCopy,
  server: TrackingServer,
  runId: string,
  say: (line: string) => void,
): Promise<void> {
  try {
    await output.close();
    const client = new GraphQLClient({ url: server.url, token: server.token });
    await uploadArtifact(
      { client, retryForMs: 10_000, maxRetryDelayMs: 2000 },
      runId,
      outputArtifactPath,
      {
        file: output.path,
      },
    );
  } catch (error) {
    say(
      `the command's output could not be kept as ${outputArtifactPath}: ${(error as Error).message}`,
    );
  } finally {
    output.remove();
  }
}

export async function runCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      "tracking-uri": { type: "string" },
      token: { type: "string" },
      db: { type: "string" },
      "db-auth-token": { type: "string" },
      artifacts: { type: "string" },
      "entry-point": { type: "string", short: "e" },
      param: { type: "string", short: "P", multiple: true },
      experiment: { type: "string" },
      "run-name": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(runHelp);
    return;
  }
  const [dir, ...more] = positionals;
  if (!dir) throw new UsageError("labbook run needs a project directory, e.g. 'labbook run .'");
  if (more.length)
    throw new UsageError(
      `labbook run takes one project directory (got also ${more.map((m) => `'${m}'`).join(", ")}); parameters go with -P key=value`,
    );

  // Everything about the project is checked before anything is recorded.
  let plan: ProjectPlan;
  try {
    plan = planProjectRun({
      dir,
      entryPoint: values["entry-point"],
      parameters: values.param ?? [],
    });
  } catch (error) {
    if (error instanceof ProjectError) throw new UsageError(error.message);
    throw error;
  }
  checkLoggable(plan);
  for (const warning of plan.project.warnings) console.error(`labbook: ${warning}`);
  const say = (line: string) => console.error(`labbook: ${line}`);

  // From here a signal is ours to handle: passed on to the command, then recorded.
  let interrupted: NodeJS.Signals | undefined;
  let forward: ((signal: NodeJS.Signals) => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    const first = interrupted === undefined;
    interrupted ??= signal;
    // A second signal does not wait for the command's good will.
    forward?.(first ? signal : "SIGKILL");
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, onSignal);

  let server: TrackingServer | undefined;
  let target: GraphQLTarget | undefined;
  try {
    server = await findOrStartServer(values);
    target = await openGraphQLTarget({ "tracking-uri": server.url, token: server.token });
    const tracking = target;
    if (interrupted) {
      say(`${interrupted} before the run started; no run was created`);
      process.exitCode = 128 + signalNumber(interrupted);
      return;
    }
    const experiment = await findOrCreateExperiment(tracking, values.experiment ?? "Default");
    const tags = await provenanceTags({
      projectDir: plan.project.dir,
      entryPoint: plan.entryPoint.name,
      command: plan.command,
    });
    const created = await tracking.request<{ createRun: { run: { id: string; name: string } } }>(
      "mutation ($input: CreateRunInput!) { createRun(input: $input) { run { id name } } }",
      {
        input: {
          experimentId: experiment.id,
          ...(values["run-name"] !== undefined && { name: values["run-name"] }),
          tags: keyValues(tags),
        },
      },
    );
    const run = created.createRun.run;
    say(
      `run ${run.id} (${run.name}) in experiment '${experiment.name}' (${experiment.id}), logging to ${server.url}`,
    );
    const end = async (status: RunSummary["status"], extraTags: Record<string, string>) => {
      await tracking.request(
        "mutation ($input: LogBatchInput!) { logBatch(input: $input) { applied } }",
        { input: { runId: run.id, tags: keyValues(extraTags) } },
      );
      await tracking.request(
        "mutation ($runId: ID!, $status: RunStatus!) { updateRun(input: { runId: $runId, status: $status }) { run { id } } }",
        { runId: run.id, status },
      );
    };

    let result: CommandResult | undefined;
    let output: OutputCopy | undefined;
    try {
      const params = [...plan.parameters, ...plan.extra].map((p) => ({
        key: p.name,
        value: p.value,
      }));
      // A batch holds at most 100 params; the run's name tag goes with the first.
      for (let i = 0; i === 0 || i < params.length; i += 100)
        await tracking.request(
          "mutation ($input: LogBatchInput!) { logBatch(input: $input) { applied } }",
          {
            input: {
              runId: run.id,
              batchId: `${run.id}-params-${i}`,
              params: params.slice(i, i + 100),
              ...(i === 0 && { tags: [{ key: "mlflow.runName", value: run.name }] }),
            },
          },
        );
      if (!interrupted) {
        say(`$ ${plan.command}`);
        output = new OutputCopy();
        const running = startCommand({
          command: plan.command,
          cwd: plan.project.dir,
          env: {
            ...userEnv(),
            LABBOOK_RUN_ID: run.id,
            LABBOOK_TRACKING_URI: server.url,
            ...(server.token && { LABBOOK_TOKEN: server.token }),
          },
          stdout: output.tee(values.json ? process.stderr : process.stdout),
          stderr: output.tee(process.stderr),
        });
        forward = (signal) => running.kill(signal);
        result = await running.finished;
        forward = undefined;
      }
    } catch (error) {
      output?.remove();
      // The run exists: it must not stay RUNNING because logging its start failed.
      await end("FAILED", { "labbook.error": String((error as Error).message) }).catch(() => {});
      throw error;
    }
    if (output) await keepOutput(output, server, run.id, say);

    const status: RunSummary["status"] = interrupted
      ? "KILLED"
      : result?.code === 0
        ? "FINISHED"
        : "FAILED";
    const endTags: Record<string, string> = {};
    if (result) {
      endTags["labbook.output.tail"] = result.tail.text(limits.tagValueLength);
      if (result.code !== null) endTags["labbook.exitCode"] = String(result.code);
      if (result.signal) endTags["labbook.exitSignal"] = result.signal;
      if (result.error)
        endTags["labbook.error"] = `could not start the command: ${result.error.message}`;
    }
    await end(status, endTags);

    const exitCode = interrupted
      ? 128 + signalNumber(interrupted)
      : (result?.code ?? (result?.signal ? 128 + signalNumber(result.signal) : 1));
    const how =
      status === "FINISHED"
        ? "FINISHED"
        : status === "KILLED"
          ? `KILLED (${interrupted})`
          : result?.error
            ? `FAILED (could not start the command: ${result.error.message})`
            : result?.signal
              ? `FAILED (the command was ended by ${result.signal})`
              : `FAILED (exit code ${result?.code})`;
    if (values.json) {
      const summary: RunSummary = {
        runId: run.id,
        runName: run.name,
        experimentId: experiment.id,
        experimentName: experiment.name,
        status,
        exitCode: result?.code ?? null,
        signal: interrupted ?? result?.signal ?? null,
        entryPoint: plan.entryPoint.name,
        command: plan.command,
        projectDir: plan.project.dir,
        trackingUri: server.url,
        params: Object.fromEntries(
          [...plan.parameters, ...plan.extra].map((p) => [p.name, p.value]),
        ),
      };
      printJson(summary);
    }
    say(`run ${run.id} ${how}`);
    if (exitCode !== 0) process.exitCode = exitCode;
  } finally {
    // Signals stay ours until the server we may have started is stopped.
    await target?.close();
    await server?.close();
    for (const signal of signals) process.off(signal, onSignal);
  }
}
