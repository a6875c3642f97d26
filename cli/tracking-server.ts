import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { trackingBaseUrl } from "../client/tracking-uri.ts";
import { dbFilePath, normalizeDbUrl } from "../db/db-url.ts";
import { liveWriter } from "../db/writer-lock.ts";
import { storageConfig } from "./db-options.ts";
import { flagOrEnv } from "./env.ts";

/** A labbook server to talk to, and to hand to child processes as LABBOOK_TRACKING_URI. */
export interface TrackingServer {
  /** Base URL, e.g. `http://127.0.0.1:4000`. */
  url: string;
  token: string | undefined;
  /** How it was found: named by the user, owner of the database file, or started here. */
  via: "tracking-uri" | "owner" | "started";
  /** Stops the server when it was started here (SIGTERM, then waits for its exit). */
  close(): Promise<void>;
}

const labbookScript = fileURLToPath(new URL("./labbook.ts", import.meta.url));

/**
 * Loaded into the server it starts: the server stops (as on SIGTERM) when its standard input
 * closes, that is when the process that started it is gone, even killed with SIGKILL. It
 * runs in a process group of its own, so a Ctrl-C in the terminal reaches the command, and
 * the server stays up to record how the run ended. Worker threads load it too (they inherit
 * `--import`), and their standard input ends at once: only the main thread may listen.
 */
const exitWithParent = `data:text/javascript,${encodeURIComponent(
  'import{isMainThread}from"node:worker_threads";if(isMainThread){process.stdin.on("error",()=>{});process.stdin.on("end",()=>process.kill(process.pid,"SIGTERM"));process.stdin.resume();}',
)}`;

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
  });
}

/**
 * A server for a command that needs one reachable over HTTP: the one named by
 * `--tracking-uri` / LABBOOK_TRACKING_URI, else the server that owns the database file,
 * else a `labbook server --port 0` started here as a child process on the database (stopped
 * by `close`).
 *
 * @example
 * const server = await findOrStartServer({ db: "labbook.db" });
 * try {
 *   console.log(server.url); // http://127.0.0.1:41237
 * } finally {
 *   await server.close();
 * }
 */
export async function findOrStartServer(values: {
  "tracking-uri"?: string | undefined;
  token?: string | undefined;
  db?: string | undefined;
  "db-auth-token"?: string | undefined;
  artifacts?: string | undefined;
}): Promise<TrackingServer> {
  const token = flagOrEnv(values.token, "LABBOOK_TOKEN");
  const named = flagOrEnv(values["tracking-uri"], "LABBOOK_TRACKING_URI");
  const closeNothing = async () => {};
  if (named)
    return { url: trackingBaseUrl(named), token, via: "tracking-uri", close: closeNothing };
  const storage = storageConfig(values);
  const filePath = dbFilePath(normalizeDbUrl(storage.dbUrl));
  const owner = () => (filePath ? liveWriter(filePath) : undefined);
  const found = owner();
  if (found?.url) return { url: found.url, token, via: "owner", close: closeNothing };
  try {
    return await startServer(values, storage.dbUrl, token);
  } catch (error) {
    // Another server may have taken the file meanwhile: then use that one.
    const lateOwner = owner();
    if (lateOwner?.url) return { url: lateOwner.url, token, via: "owner", close: closeNothing };
    throw error;
  }
}

async function startServer(
  values: { "db-auth-token"?: string | undefined; artifacts?: string | undefined },
  dbUrl: string,
  token: string | undefined,
): Promise<TrackingServer> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Secrets go through the environment, not the command line (which `ps` shows).
  if (token) env.LABBOOK_TOKEN = token;
  if (values["db-auth-token"]) env.LABBOOK_DB_AUTH_TOKEN = values["db-auth-token"];
  const args = [
    ...process.execArgv,
    "--import",
    exitWithParent,
    labbookScript,
    "server",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--json",
    "--db",
    dbUrl,
    ...(values.artifacts ? ["--artifacts", values.artifacts] : []),
  ];
  const child = spawn(process.execPath, args, {
    env,
    stdio: ["pipe", "pipe", "pipe"],
    detached: process.platform !== "win32",
    windowsHide: true,
  });
  const exited = exitOf(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  let stdout = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk;
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      try {
        resolve((JSON.parse(stdout.slice(0, newline)) as { url: string }).url);
      } catch {
        reject(
          new Error(`labbook server printed '${stdout.slice(0, newline)}' instead of its URL`),
        );
      }
    });
    child.once("error", reject);
    exited.then(() =>
      reject(
        new Error(
          `could not start a labbook server on ${dbUrl}: ${stderr.trim() || `it exited with ${child.exitCode ?? child.signalCode}`}`,
        ),
      ),
    );
  });
  // From now on, whatever it has to say (errors it logs) goes to our standard error.
  child.stderr?.removeAllListeners("data");
  if (stderr) process.stderr.write(stderr);
  child.stderr?.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  child.stdout?.removeAllListeners("data");
  child.stdout?.resume();
  return {
    url,
    token,
    via: "started",
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      child.stdin?.destroy();
    },
  };
}
