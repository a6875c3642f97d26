import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import { gqlData } from "../support/gql.ts";
import {
  cliEnv,
  type Env,
  type ServerProcess,
  type StartServerOptions,
  startServer,
} from "../support/server-process.ts";

/** A run as the API returns it, with what the tests compare. */
export interface RunData {
  id: string;
  status: string;
  experimentId: string;
  endTime: number | null;
  params: { key: string; value: string }[];
  tags: { key: string; value: string }[];
  metrics: { key: string; count: number }[];
}

export interface History {
  count: number;
  history: { steps: number[]; values: (number | string)[]; timestamps: number[] };
}

const runDoc = `query ($id: ID!) { run(id: $id) {
  id status experimentId endTime params { key value } tags { key value } metrics { key count }
} }`;
const historyDoc = `query ($id: ID!, $key: String!) { run(id: $id) {
  metric(key: $key) { count history { steps values timestamps } }
} }`;

/** Reads a run through GraphQL. */
export async function readRun(url: string, id: string): Promise<RunData> {
  const { run } = await gqlData<{ run: RunData | null }>(url, runDoc, { id });
  if (!run) throw new Error(`no run ${id} at ${url}`);
  return run;
}

/** Reads every point of a metric through GraphQL. */
export async function readHistory(url: string, id: string, key: string): Promise<History> {
  const { run } = await gqlData<{ run: { metric: History | null } | null }>(url, historyDoc, {
    id,
    key,
  });
  if (!run?.metric) throw new Error(`run ${id} has no metric ${key}`);
  return run.metric;
}

/** `{key: value}` of a list of key-value pairs, for comparing params and tags. */
export const asRecord = (pairs: { key: string; value: string }[]): Record<string, string> =>
  Object.fromEntries(pairs.map(({ key, value }) => [key, value]));

/** How the API returns a value: numbers as they are, NaN and ±Infinity as strings. */
export const asApiValue = (value: number): number | string =>
  Number.isFinite(value) ? value : String(value);

/** Polls `condition` until it holds, every `everyMs`, for at most `timeoutMs`. */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

const started: ServerProcess[] = [];

/** A real `labbook server` child process (port 0, temp db unless told), killed after the test. */
export async function server(options: StartServerOptions = {}): Promise<ServerProcess> {
  const running = await startServer(options);
  started.push(running);
  return running;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop("SIGKILL")));
});

/** The port a server listens on, from its URL. */
export const portOf = (url: string): string => new URL(url).port;

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));

export interface FixtureResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The JSON lines the script printed. */
  lines: Record<string, unknown>[];
}

export interface FixtureProcess {
  /** Resolves with the first JSON line the script prints. */
  firstLine: Promise<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): void;
  done: Promise<FixtureResult>;
}

/**
 * Runs `test/client/fixtures/<name>` with the Node running the tests, in `cwd`, with no
 * LABBOOK_* variable but those in `env`.
 */
export function runFixture(
  name: string,
  options: { args?: string[]; env?: Env; cwd?: string } = {},
): FixtureProcess {
  const child = spawn(process.execPath, [join(fixtures, name), ...(options.args ?? [])], {
    cwd: options.cwd ?? fixtures,
    env: cliEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let resolveFirst: (line: Record<string, unknown>) => void = () => {};
  const firstLine = new Promise<Record<string, unknown>>((resolve) => {
    resolveFirst = resolve;
  });
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
    const newline = stdout.indexOf("\n");
    if (newline >= 0) resolveFirst(JSON.parse(stdout.slice(0, newline)));
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  const done = new Promise<FixtureResult>((resolve) =>
    child.once("close", (code, signal) =>
      resolve({
        code,
        signal,
        stdout,
        stderr,
        lines: stdout
          .split("\n")
          .filter((line) => line.startsWith("{"))
          .map((line) => JSON.parse(line) as Record<string, unknown>),
      }),
    ),
  );
  // A script that exits before printing rejects `firstLine` with its output.
  done.then((result) => {
    if (!stdout.includes("\n"))
      resolveFirst(Promise.reject(new Error(`${name} printed nothing: ${result.stderr}`)) as never);
  });
  return { firstLine, kill: (signal) => child.kill(signal), done };
}
