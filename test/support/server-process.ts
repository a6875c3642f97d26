import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./temp-dir.ts";

/** The repository root: the CLI runs from here, as `node cli/labbook.ts`. */
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** What `labbook server --json` prints once it listens. */
export interface ServerInfo {
  url: string;
  graphql: string;
  db: string;
  artifacts: string;
  pid: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  info: ServerInfo;
  child: ChildProcess;
  /** Everything the server wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process exits. */
  exited: Promise<Exit>;
  /** Sends a signal (SIGTERM by default) and resolves on the exit event. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

export type Env = Record<string, string | undefined>;

/** The test runner's environment without any LABBOOK_* variable, plus `extra`. */
export function cliEnv(extra: Env = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.startsWith("LABBOOK_")) env[name] = value;
  for (const [name, value] of Object.entries(extra))
    if (value === undefined) delete env[name];
    else env[name] = value;
  return env;
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Spawns `node cli/labbook.ts <args>` with the Node running the tests. */
export function spawnCli(args: readonly string[], env: Env = {}): ChildProcess {
  const child = spawn(process.execPath, ["cli/labbook.ts", ...args], {
    cwd: repoRoot,
    env: cliEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
}

export interface CliResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs a labbook command to its end and returns its exit and output. */
export async function runCli(args: readonly string[], env: Env = {}): Promise<CliResult> {
  const child = spawnCli(args, env);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  // 'close' fires once the process has exited and its output streams are drained.
  const code = await new Promise<number | null>((resolve) =>
    child.once("close", (exitCode) => resolve(exitCode)),
  );
  return { code, signal: child.signalCode, stdout, stderr };
}

export interface StartServerOptions {
  /** `--db`; omitted when null (e.g. to use LABBOOK_DB_URL). A fresh temp file by default. */
  db?: string | null;
  /** `--artifacts`; a fresh temp dir by default. */
  artifacts?: string;
  /** `--port`; omitted when null. 0 by default. */
  port?: string | null;
  /** More arguments after the others. */
  args?: readonly string[];
  env?: Env;
}

/**
 * Starts `labbook server --port 0 --json --db <file> --artifacts <dir>` and resolves with the
 * JSON line it prints once listening; rejects with its stderr if it exits before that.
 */
export async function startServer(options: StartServerOptions = {}): Promise<ServerProcess> {
  const db = options.db === undefined ? join(tempDir(), "labbook.db") : options.db;
  const artifacts = options.artifacts ?? join(tempDir(), "artifacts");
  const port = options.port === undefined ? "0" : options.port;
  const args = [
    "server",
    "--json",
    ...(port === null ? [] : ["--port", port]),
    ...(db === null ? [] : ["--db", db]),
    "--artifacts",
    artifacts,
    ...(options.args ?? []),
  ];
  const child = spawnCli(args, options.env);
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = exitOf(child);
  const firstLine = new Promise<string>((resolve) => {
    const onData = (chunk: Buffer) => {
      stdout += chunk;
      const newline = stdout.indexOf("\n");
      if (newline >= 0) {
        child.stdout?.off("data", onData);
        child.stdout?.on("data", (more) => {
          stdout += more;
        });
        resolve(stdout.slice(0, newline));
      }
    };
    child.stdout?.on("data", onData);
  });
  const line = await new Promise<string>((resolve, reject) => {
    firstLine.then(resolve);
    // Once the line has come, this rejects nothing: a settled promise stays settled.
    exited.then((exit) =>
      reject(
        new Error(
          `labbook server exited (${exit.code ?? exit.signal}) before listening: ${stderr}${stdout}`,
        ),
      ),
    );
  });
  const info = JSON.parse(line) as ServerInfo;
  return {
    info,
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
