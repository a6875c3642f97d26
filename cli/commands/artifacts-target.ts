import type { ArtifactTarget } from "../../client/artifacts.ts";
import { artifactPathProblem } from "../../client/artifacts.ts";
import { GraphQLClient } from "../../client/graphql-client.ts";
import { trackingBaseUrl } from "../../client/tracking-uri.ts";
import { flagOrEnv } from "../env.ts";
import { GraphQLRequestError } from "../graphql-request-error.ts";
import { findOrStartServer } from "../tracking-server.ts";
import { UsageError } from "../usage-error.ts";

/** The flags that say where the server is (as `labbook run`'s: files need one over HTTP). */
export const artifactTargetHelp = `Where the data is:
  --tracking-uri <url>    A labbook server (else the server that owns the database file,
                          else one started on it for this command).
  --token <t>             API token for that server.
  --db <url>              Database (default ./labbook.db).
  --db-auth-token <t>     Auth token for a libSQL server.
  --artifacts <dir|uri>   Artifact root of a server started for this command (default
                          ./artifacts); it stores uploads under that root only.`;

/** A server that takes artifact requests, and how to let go of it. */
export interface OpenedArtifactTarget {
  target: ArtifactTarget;
  /** Stops the server when this command started it. */
  close(): Promise<void>;
}

/**
 * Files travel over HTTP, so a database without a server gets one for the command's
 * duration (as `labbook run` does); a server named or owning the file is used as it is.
 *
 * @example
 * const { target, close } = await openArtifactTarget({ "tracking-uri": "http://127.0.0.1:4000" });
 */
export async function openArtifactTarget(values: {
  "tracking-uri"?: string | undefined;
  token?: string | undefined;
  db?: string | undefined;
  "db-auth-token"?: string | undefined;
  artifacts?: string | undefined;
}): Promise<OpenedArtifactTarget> {
  const named = flagOrEnv(values["tracking-uri"], "LABBOOK_TRACKING_URI");
  if (named) {
    try {
      trackingBaseUrl(named);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const server = await findOrStartServer(values);
  const client = new GraphQLClient({ url: server.url, token: server.token });
  // A command is watched by someone: a server that stays away fails it within seconds, not
  // after the minute a training script waits.
  return { target: { client, retryForMs: 10_000, maxRetryDelayMs: 2000 }, close: server.close };
}

/**
 * An artifact path as typed: a trailing `/` (as shells complete folders) is dropped, and the
 * server's rules are checked here so a bad path is a usage error, not a round trip.
 *
 * @example
 * artifactPathArg("model/"); // "model"
 */
export function artifactPathArg(typed: string | undefined): string {
  if (typed === undefined) return "";
  const path = typed.length > 1 ? typed.replace(/\/+$/, "") : typed;
  const problem = artifactPathProblem(path);
  if (problem) throw new UsageError(problem);
  return path;
}

/**
 * Fails with one line when the run does not exist (or the server cannot be reached) before
 * anything is sent.
 *
 * @example
 * await requireRun(target, runId);
 */
export async function requireRun(target: ArtifactTarget, runId: string): Promise<void> {
  const { run } = await target.client.request<{ run: { id: string } | null }>(
    "query ($id: ID!) { run(id: $id) { id } }",
    { id: runId },
  );
  if (!run) throw noRun(target, runId);
}

/** The error for a run id the server does not know, with where to find the right one. */
export const noRun = (target: ArtifactTarget, runId: string): GraphQLRequestError =>
  new GraphQLRequestError(
    `no run with id '${runId}' at ${target.client.url}; see 'labbook runs list'`,
    "NOT_FOUND",
  );
