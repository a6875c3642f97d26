import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  acquireWriterLock,
  type BackupResult,
  backupDatabase,
  dbFilePath,
  liveWriter,
  normalizeDbUrl,
  openDb,
  remoteBackupError,
  StoreError,
} from "../../db/index.ts";
import { storageConfig } from "../db-options.ts";
import { flagOrEnv } from "../env.ts";
import { GraphQLRequestError } from "../graphql-target.ts";
import { printJson } from "../output.ts";
import { postJson } from "../post-json.ts";
import { UsageError } from "../usage-error.ts";
import { backupHelp } from "./backup-help.ts";

interface ErrorBody {
  errors?: { message?: string; extensions?: { code?: string } }[];
}

/** Asks the server that owns the file to write the copy (it is the file's only writer). */
async function backupThroughServer(
  serverUrl: string,
  target: string,
  overwrite: boolean,
  token: string | undefined,
): Promise<BackupResult> {
  const url = `${serverUrl.replace(/\/+$/, "")}/admin/backup`;
  const response = await postJson(url, { path: target, overwrite }, token);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.ok) return body as BackupResult;
  const first = (body as ErrorBody | undefined)?.errors?.[0];
  throw new GraphQLRequestError(
    first?.message ?? `the server answered HTTP ${response.status}: ${text.slice(0, 200)}`,
    first?.extensions?.code,
  );
}

export async function backupCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: "string" },
      token: { type: "string" },
      force: { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(backupHelp);
    return;
  }
  const [file, ...extra] = positionals;
  if (!file) throw new UsageError("labbook backup needs the file to write: labbook backup <file>");
  if (extra.length > 0)
    throw new UsageError(`labbook backup takes one file; got also ${extra.join(" ")}`);
  const target = resolve(file);
  const overwrite = values.force === true;
  const storage = storageConfig(values);
  const dbUrl = normalizeDbUrl(storage.dbUrl);
  const filePath = dbFilePath(dbUrl);
  if (!filePath) throw remoteBackupError(dbUrl);
  const say = (line: string) => {
    if (!values.json) console.log(line);
  };

  const owner = liveWriter(filePath);
  let result: BackupResult;
  let via: "server" | "direct";
  if (owner?.url) {
    via = "server";
    say(`backing up ${filePath} to ${target} through the labbook server at ${owner.url}…`);
    result = await backupThroughServer(
      owner.url,
      target,
      overwrite,
      flagOrEnv(values.token, "LABBOOK_TOKEN"),
    );
  } else {
    via = "direct";
    if (!existsSync(filePath))
      throw new StoreError("not_found", `there is no database at ${filePath}; check --db`);
    // Throws, naming the owner, if a server is starting on the file right now.
    const lock = acquireWriterLock(filePath);
    try {
      say(`backing up ${filePath} to ${target}…`);
      const db = await openDb({ url: dbUrl, artifactRoot: storage.artifactRoot });
      try {
        result = await backupDatabase(db, target, { overwrite });
      } finally {
        await db.close();
      }
    } finally {
      lock.release();
    }
  }
  if (values.json)
    printJson({ ...result, db: filePath, via, ...(owner?.url && { server: owner.url }) });
  else say(`wrote ${result.path} (${result.bytes} bytes)`);
}

export { backupHelp };
