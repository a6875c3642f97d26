import { parseArgs } from "node:util";
import { collectGarbage, type GcResult } from "../../api/garbage-collection.ts";
import { ArtifactStores } from "../../artifact-store/index.ts";
import { trackingBaseUrl } from "../../client/tracking-uri.ts";
import {
  acquireWriterLock,
  dbFilePath,
  liveWriter,
  normalizeDbUrl,
  openDb,
} from "../../db/index.ts";
import { storageConfig } from "../db-options.ts";
import { flagOrEnv } from "../env.ts";
import { GraphQLRequestError, targetOptions } from "../graphql-target.ts";
import { printJson } from "../output.ts";
import { postJson } from "../post-json.ts";
import { UsageError } from "../usage-error.ts";
import { gcHelp } from "./gc-help.ts";

const unitMs: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** `30d`, `12h`, `1d12h`, `90m`, `45s`, `0`: milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "0") return 0;
  const parts = [...trimmed.matchAll(/(\d+)([dhms])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== trimmed)
    throw new UsageError(
      `--older-than takes a duration such as 30d, 12h, 1d12h, 90m or 45s (got '${text}')`,
    );
  return parts.reduce((ms, [, n, unit]) => ms + Number(n) * (unitMs[unit ?? "s"] ?? 1000), 0);
}

interface ErrorBody {
  errors?: { message?: string; extensions?: { code?: string } }[];
}

async function gcThroughServer(
  serverUrl: string,
  body: { olderThanMs: number; runIds?: string[]; dryRun: boolean },
  token: string | undefined,
): Promise<GcResult> {
  const response = await postJson(`${trackingBaseUrl(serverUrl)}/admin/gc`, body, token);
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (response.ok) return parsed as GcResult;
  const first = (parsed as ErrorBody | undefined)?.errors?.[0];
  throw new GraphQLRequestError(
    first?.message ?? `the server answered HTTP ${response.status}: ${text.slice(0, 200)}`,
    first?.extensions?.code,
  );
}

export function formatBytes(bytes: number): string {
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

const plural = (n: number, word: string) =>
  `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;

function printResult(result: GcResult): void {
  const verb = result.dryRun ? "would free" : "freed";
  const { freed } = result;
  console.log(
    `${verb} ${plural(freed.runs, "run")}: ${plural(freed.files, "artifact file")} (${formatBytes(freed.bytes)}), ` +
      `${plural(freed.metricPoints, "metric point")}, ${plural(freed.params, "param")}, ${plural(freed.tags, "tag")}`,
  );
  for (const run of result.runs)
    console.log(
      `  run ${run.runId} (${run.name}, experiment ${run.experimentId}): ${plural(run.files, "file")}, ` +
        `${formatBytes(run.bytes)}, ${plural(run.metricPoints, "metric point")}${run.resumed ? " (finishing an earlier gc)" : ""}`,
    );
  for (const experiment of result.experiments)
    console.log(
      `${result.dryRun ? "would remove" : "removed"} experiment ${experiment.id} (${experiment.name}): no run left`,
    );
  for (const failure of result.failed)
    console.error(`labbook: run ${failure.runId} not collected: ${failure.error}`);
  if (result.failed.length > 0 && !result.dryRun)
    console.error(
      `labbook: ${plural(result.failed.length, "run")} not collected; they stay deleted and cannot be restored. Run labbook gc again to finish.`,
    );
}

export async function gcCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...targetOptions,
      "older-than": { type: "string" },
      run: { type: "string", multiple: true },
      "dry-run": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(gcHelp);
    return;
  }
  if (positionals.length > 0)
    throw new UsageError(
      `labbook gc takes no arguments (got ${positionals.join(" ")}); name runs with --run <id>`,
    );
  const request = {
    olderThanMs: values["older-than"] === undefined ? 0 : parseDuration(values["older-than"]),
    ...(values.run && { runIds: values.run }),
    dryRun: values["dry-run"] === true,
  };
  const token = flagOrEnv(values.token, "LABBOOK_TOKEN");
  const trackingUri = flagOrEnv(values["tracking-uri"], "LABBOOK_TRACKING_URI");
  const storage = storageConfig(values);
  const dbUrl = normalizeDbUrl(storage.dbUrl);
  const filePath = dbFilePath(dbUrl);
  const serverUrl = trackingUri ?? (filePath ? liveWriter(filePath)?.url : undefined);

  let result: GcResult;
  if (serverUrl) result = await gcThroughServer(serverUrl, request, token);
  else {
    // Throws, naming the owner, if a server is starting on the file right now.
    const lock = filePath ? acquireWriterLock(filePath) : undefined;
    const stores = new ArtifactStores();
    try {
      const db = await openDb({
        url: dbUrl,
        authToken: storage.dbAuthToken,
        artifactRoot: storage.artifactRoot,
      });
      try {
        result = await collectGarbage(db, stores, request);
      } finally {
        await db.close();
      }
    } finally {
      stores.close();
      lock?.release();
    }
  }
  if (values.json) printJson(result);
  else printResult(result);
  if (result.failed.length > 0) process.exitCode = 1;
}

export { gcHelp };
