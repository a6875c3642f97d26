import { type ChildProcess, spawn } from "node:child_process";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { liveOwner } from "./lock-owner.ts";

/** The `labbook` command, found beside this file: the SDK starts it, never imports it. */
const cliPath = fileURLToPath(new URL("../cli/labbook.ts", import.meta.url));

/** How long a server may take to start, or a starting owner to write its URL. */
const startTimeoutMs = 30_000;

interface Spawned {
  child: ChildProcess;
  url: string;
  exited: Promise<void>;
}

/** The server this process started, if any: one per process, shared by all its runs. */
let spawned: Spawned | undefined;
let finding: Promise<string> | undefined;

const running = (server: Spawned | undefined): server is Spawned =>
  server !== undefined && server.child.exitCode === null && server.child.signalCode === null;

/**
 * The URL of the server that owns a database file, starting one when none does. The lock
 * file beside the database names a live owner (one writer per file); otherwise this starts
 * `labbook server --port 0 --json --db <file>` as a child process and reads the URL it prints.
 * Two processes starting at once both try, and the one whose server loses the lock uses the
 * winner's. Call it again after the server went away: it finds (or starts) the next one.
 *
 * @example
 * const url = await embeddedServerUrl(resolve("labbook.db"), undefined);
 */
export function embeddedServerUrl(dbPath: string, token: string | undefined): Promise<string> {
  finding ??= findOrStart(dbPath, token).finally(() => {
    finding = undefined;
  });
  return finding;
}

async function findOrStart(dbPath: string, token: string | undefined): Promise<string> {
  if (running(spawned)) return spawned.url;
  const owner = await ownerUrl(dbPath);
  if (owner) return owner;
  try {
    spawned = await startServer(dbPath, token);
    return spawned.url;
  } catch (error) {
    // Another process may have started its server first and taken the lock: use that one.
    const winner = await ownerUrl(dbPath);
    if (winner) return winner;
    throw error;
  }
}

/** The live owner's URL, waiting while it starts (its lock has a pid but no URL yet). */
async function ownerUrl(dbPath: string): Promise<string | undefined> {
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    const owner = liveOwner(dbPath);
    if (!owner) return undefined;
    if (owner.url) return owner.url;
    if (Date.now() > deadline)
      throw new Error(
        `labbook process ${owner.pid} holds ${dbPath}.lock but has not started serving; stop it or set LABBOOK_TRACKING_URI`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function startServer(dbPath: string, token: string | undefined): Promise<Spawned> {
  const env = { ...process.env };
  // The server reads the token from the environment (not argv, which `ps` shows).
  if (token) env.LABBOOK_TOKEN = token;
  else delete env.LABBOOK_TOKEN;
  const child = spawn(
    process.execPath,
    [cliPath, "server", "--host", "127.0.0.1", "--port", "0", "--json", "--db", dbPath],
    {
      env,
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and
      // the server must outlive the training process long enough to take its final flush.
      detached: true,
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  return new Promise<Spawned>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`labbook server did not start within ${startTimeoutMs / 1000} s: ${stderr}`),
      );
    }, startTimeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`labbook server exited (${code ?? signal}) before listening: ${stderr}`));
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk;
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      let url: string;
      try {
        url = (JSON.parse(stdout.slice(0, newline)) as { url: string }).url;
      } catch {
        child.kill("SIGKILL");
        reject(new Error(`labbook server printed ${stdout.slice(0, newline)}, not its URL`));
        return;
      }
      // From now on the server must not keep this process alive: the training script ends
      // when it is done, and the exit hooks stop the server after the final flush.
      child.stdout?.removeAllListeners("data");
      child.stdout?.resume();
      child.stderr?.removeAllListeners("data");
      child.stderr?.on("data", (more: Buffer) => process.stderr.write(more));
      (child.stdout as Socket | null)?.unref();
      (child.stderr as Socket | null)?.unref();
      child.unref();
      resolve({ child, url, exited });
    });
  });
}

/**
 * Stops the server this process started (gracefully: it answers the requests in flight),
 * after the final flush; does nothing when the server belonged to someone else.
 *
 * @example
 * await flushAll();
 * await stopEmbeddedServer();
 */
export async function stopEmbeddedServer(): Promise<void> {
  const server = spawned;
  spawned = undefined;
  if (!running(server)) return;
  // While it stops, it must keep this process alive: we wait for it on purpose.
  server.child.ref();
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 10_000);
  await server.exited;
  clearTimeout(timer);
}

/**
 * For the `exit` event, where nothing asynchronous runs: signals the server to stop.
 *
 * @example
 * process.on("exit", killEmbeddedServer);
 */
export function killEmbeddedServer(): void {
  if (running(spawned)) spawned.child.kill("SIGTERM");
  spawned = undefined;
}

/**
 * Whether this process started a server that still runs.
 *
 * @example
 * if (ownsEmbeddedServer()) await stopEmbeddedServer();
 */
export const ownsEmbeddedServer = (): boolean => running(spawned);
