import { existsSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createApp, defaultMaxArtifactBytes } from "../../api/app.ts";
import { resumeArtifactHashing } from "../../api/artifact-hashing.ts";
import { serve } from "../../api/serve.ts";
import { ArtifactStores } from "../../artifact-store/index.ts";
import {
  acquireWriterLock,
  dbFilePath,
  defaultBatchLimits,
  normalizeDbUrl,
  openDb,
  type WriterLock,
} from "../../db/index.ts";
import { ensureArtifactDir, storageConfig, storageOptions } from "../db-options.ts";
import { flagOrEnv } from "../env.ts";
import { UsageError } from "../usage-error.ts";
import { serverHelp } from "./server-help.ts";

function positiveInt(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1)
    throw new UsageError(`${flag} must be a whole number of at least 1 (got '${text}')`);
  return value;
}

const units: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `1048576`, `500MB`, `20GB`, `1.5GiB`: a size in bytes (units are powers of 1024). */
export function parseSize(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  const bytes = match
    ? Math.floor(Number(match[1]) * (units[(match[2] ?? "").toLowerCase()] ?? 1))
    : NaN;
  if (!(bytes > 0) || !Number.isSafeInteger(bytes))
    throw new UsageError(`${flag} must be a size such as 1048576, 500MB or 20GB (got '${text}')`);
  return bytes;
}

/** Where `labbook report` writes by default (its `--out`), served when it holds a report. */
const defaultReportDir = "report";

function reportOption(values: {
  report?: string | undefined;
  "no-report"?: boolean | undefined;
  "live-refresh"?: string | undefined;
}): { dir: string; liveRefreshSeconds: number } | undefined {
  const text = values["live-refresh"] ?? "5";
  const liveRefreshSeconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || liveRefreshSeconds > 3600)
    throw new UsageError(
      `--live-refresh must be a number of seconds from 0 (off) to 3600 (got '${text}')`,
    );
  if (values["no-report"]) {
    if (values.report !== undefined) throw new UsageError("give --report or --no-report, not both");
    return undefined;
  }
  // Looked at on every request: a report built (or rebuilt) after the server starts is served.
  return { dir: resolve(values.report ?? defaultReportDir), liveRefreshSeconds };
}

const isLoopback = (host: string) =>
  host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));

export async function serverCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      token: { type: "string" },
      "max-batch-points": { type: "string" },
      "max-batch-params": { type: "string" },
      "max-batch-tags": { type: "string" },
      json: { type: "boolean" },
      "max-artifact-size": { type: "string" },
      report: { type: "string" },
      "no-report": { type: "boolean" },
      "live-refresh": { type: "string" },
      help: { type: "boolean", short: "h" },
      ...storageOptions,
    },
  });
  if (values.help) {
    console.log(serverHelp);
    return;
  }
  const host = flagOrEnv(values.host, "LABBOOK_HOST", "127.0.0.1") ?? "127.0.0.1";
  const portText = flagOrEnv(values.port, "LABBOOK_PORT", "4000") ?? "4000";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535)
    throw new UsageError(`--port must be a number from 0 to 65535 (got '${portText}')`);
  const token = flagOrEnv(values.token, "LABBOOK_TOKEN");
  if (!isLoopback(host) && !token)
    throw new UsageError(
      `refusing to listen on ${host} without a token: anyone who reaches it could read and change your runs. ` +
        "Pass --token <secret> (or set LABBOOK_TOKEN), or listen on 127.0.0.1.",
    );
  const batchLimits = {
    metricPoints: positiveInt(
      "--max-batch-points",
      values["max-batch-points"],
      defaultBatchLimits.metricPoints,
    ),
    params: positiveInt(
      "--max-batch-params",
      values["max-batch-params"],
      defaultBatchLimits.params,
    ),
    tags: positiveInt("--max-batch-tags", values["max-batch-tags"], defaultBatchLimits.tags),
  };
  const maxArtifactBytes =
    values["max-artifact-size"] === undefined
      ? defaultMaxArtifactBytes
      : parseSize("--max-artifact-size", values["max-artifact-size"]);
  const report = reportOption(values);
  const storage = storageConfig(values);
  const dbUrl = normalizeDbUrl(storage.dbUrl);
  const filePath = dbFilePath(dbUrl);
  const lock: WriterLock | undefined = filePath ? acquireWriterLock(filePath) : undefined;
  try {
    ensureArtifactDir(storage);
    const db = await openDb({
      url: dbUrl,
      authToken: storage.dbAuthToken,
      artifactRoot: storage.artifactRoot,
    });
    const stores = new ArtifactStores();
    const app = createApp({ db, token, batchLimits, stores, maxArtifactBytes, report });
    const running = await serve(app, { host, port }).catch((error: NodeJS.ErrnoException) => {
      throw error.code === "EADDRINUSE"
        ? new UsageError(
            `port ${port} on ${host} is in use; pass --port 0 for a free one, or another port`,
          )
        : error;
    });
    // Large uploads whose SHA-256 a stopped server did not record get it now, in the background.
    void resumeArtifactHashing({ db, stores, logger: console });
    // Handle the signals before telling anyone where we listen: a client may stop us at once.
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      if (!values.json) console.log(`${signal}: finishing requests in flight, then stopping`);
      await running.close();
      stores.close();
      await db.close();
      lock?.release();
      process.exit(0);
    };
    process.on("SIGTERM", () => void stop("SIGTERM"));
    process.on("SIGINT", () => void stop("SIGINT"));
    lock?.setUrl(running.url);
    const info = {
      url: running.url,
      graphql: `${running.url}/graphql`,
      db: filePath ?? dbUrl,
      artifacts: storage.artifactDir ?? storage.artifactRoot,
      pid: process.pid,
      report: report ? `${running.url}/` : null,
      reportDir: report?.dir ?? null,
    };
    if (values.json) console.log(JSON.stringify(info));
    else {
      console.log(`labbook server listening on ${info.url}`);
      console.log(`  GraphQL API and GraphiQL: ${info.graphql}`);
      console.log(`  database: ${info.db}`);
      console.log(`  artifacts: ${info.artifacts}`);
      if (report) {
        const built = existsSync(join(report.dir, "index.html"));
        const live = report.liveRefreshSeconds
          ? `live: runs in progress refresh every ${report.liveRefreshSeconds} s`
          : "live refresh off";
        console.log(
          built
            ? `  report: ${info.report} (${report.dir}; ${live}${token ? "; open it once with ?token=<token>" : ""})`
            : `  report: none in ${report.dir} yet; 'labbook report --out ${report.dir}' builds one, served at ${info.report}`,
        );
      }
    }
  } catch (error) {
    lock?.release();
    throw error;
  }
}

export { serverHelp };
