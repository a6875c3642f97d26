import { readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { type Batch, batchInput } from "./batch.ts";
import { logBatchBody } from "./documents.ts";
import { embeddedServerUrl } from "./embedded-server.ts";
import { type LabbookError, report } from "./errors.ts";
import { installExitHooks } from "./exit-hooks.ts";
import { GraphQLClient } from "./graphql-client.ts";

/**
 * Where to send a file of unsent batches.
 *
 * @example
 * await sendUnsent(path, { trackingUri: "http://127.0.0.1:4000", token } satisfies SendUnsentOptions);
 */
export interface SendUnsentOptions {
  /** A labbook server (`LABBOOK_TRACKING_URI`); else the owner of `./labbook.db`. */
  trackingUri?: string;
  /** API token (`LABBOOK_TOKEN`). */
  token?: string;
  /** Told about batches the server refuses (they are skipped); `console.warn` by default. */
  onError?: (error: LabbookError) => void;
}

/**
 * Sends the batches a run could not deliver before its process ended (the file the warning
 * named), in order, and deletes the file. Each batch keeps its id, so sending a file twice,
 * or one whose batches partly arrived, applies every batch once. Rejects when the server
 * cannot be reached; run it again later.
 *
 * @example
 * import { sendUnsent } from "labbook";
 *
 * const points = await sendUnsent("/tmp/labbook-spill-….jsonl", { trackingUri: "http://127.0.0.1:4000" });
 */
export async function sendUnsent(path: string, options: SendUnsentOptions = {}): Promise<number> {
  const token = options.token ?? (process.env.LABBOOK_TOKEN?.trim() || undefined);
  const trackingUri =
    options.trackingUri ?? (process.env.LABBOOK_TRACKING_URI?.trim() || undefined);
  // A server started here is stopped when the process ends, by the exit hooks.
  if (!trackingUri) installExitHooks();
  const url = trackingUri ?? (await embeddedServerUrl(resolve("labbook.db"), token));
  const client = new GraphQLClient({ url, token });
  let points = 0;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line) continue;
    const batch = JSON.parse(line) as Batch;
    try {
      await client.post(logBatchBody(batchInput(batch)));
      points += batch.points;
    } catch (error) {
      const failure = error as LabbookError;
      if (failure.kind !== "rejected") throw failure;
      failure.message = `batch ${batch.batchId} (${batch.points} points) skipped: ${failure.message}`;
      report(options.onError, failure);
    }
  }
  rmSync(path, { force: true });
  return points;
}
