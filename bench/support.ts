import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));

export function benchDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "labbook-bench-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Milliseconds a piece of work takes. */
export async function time<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await work();
  return { ms: performance.now() - start, result };
}

/** The best of several timings: the least disturbed by other load on a shared machine. */
export async function bestOf<T>(
  runs: number,
  work: () => Promise<T>,
): Promise<{ ms: number; result: T }> {
  let best: { ms: number; result: T } | undefined;
  for (let i = 0; i < runs; i++) {
    const timing = await time(work);
    if (!best || timing.ms < best.ms) best = timing;
  }
  if (!best) throw new Error("bestOf needs at least one run");
  return best;
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A real `labbook server` child process on 127.0.0.1, port 0. */
export async function startServer(dbFile: string, artifacts: string): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [
      join(root, "cli/labbook.ts"),
      "server",
      "--port",
      "0",
      "--json",
      "--db",
      dbFile,
      "--artifacts",
      artifacts,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`labbook server exited with ${code}`)));
    lines.once("line", (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners("exit");
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export async function graphql<T>(url: string, query: string, variables?: unknown): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data as T;
}

export const format = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
