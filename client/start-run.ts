import { Pause, retryDelay } from "./backoff.ts";
import { runConfig, type StartRunOptions } from "./config.ts";
import {
  type CreateExperimentData,
  type CreateRunData,
  createExperimentDoc,
  createRunDoc,
  type ExperimentByNameData,
  experimentByNameDoc,
  type RunByIdData,
  runByIdDoc,
} from "./documents.ts";
import { embeddedServerUrl } from "./embedded-server.ts";
import { LabbookError } from "./errors.ts";
import { installExitHooks } from "./exit-hooks.ts";
import { GraphQLClient, isConnectionRefused } from "./graphql-client.ts";
import { Run } from "./run.ts";
import { textValue } from "./validation.ts";

/**
 * Starts a run (or attaches to the one `LABBOOK_RUN_ID` names) and resolves with it.
 *
 * Where the data goes: `trackingUri` / `LABBOOK_TRACKING_URI`; without one, the server that
 * owns `./labbook.db` (the lock file beside it names it), started as a child process
 * (`labbook server --port 0`) when none runs and stopped after the final flush. The SDK never
 * opens the database itself: one writer per file. The experiment (`experiment` /
 * `LABBOOK_EXPERIMENT`, else Default) is created when missing.
 *
 * Unlike logging, this rejects when it cannot do its job (no server, a bad token, an unknown
 * run id): nothing has been logged yet, and training without tracking is rarely what was meant.
 *
 * @example
 * import { startRun } from "labbook";
 *
 * const run = await startRun({ experiment: "mnist", name: "baseline", tags: { team: "vision" } });
 * run.logParams({ lr: 0.001, epochs: 10 });
 * run.logMetric("loss", 0.42, { step: 1 });
 * await run.end();
 */
export async function startRun(options: StartRunOptions = {}): Promise<Run> {
  const config = runConfig(options);
  // Before a server may be started: it must be stopped even if no run is ever created.
  installExitHooks();
  const client = config.trackingUri
    ? new GraphQLClient({
        url: config.trackingUri,
        token: config.token,
        requestTimeoutMs: config.requestTimeoutMs,
      })
    : new GraphQLClient({
        url: await embeddedServerUrl(config.dbPath, config.token),
        token: config.token,
        requestTimeoutMs: config.requestTimeoutMs,
        rediscover: () => embeddedServerUrl(config.dbPath, config.token),
      });
  const request = <T>(query: string, variables: Record<string, unknown>) =>
    setupRequest<T>(client, query, variables, config.connectTimeoutMs);
  const init = { client, config, onError: options.onError };

  if (config.runId) {
    const { run } = await request<RunByIdData>(runByIdDoc, { id: config.runId });
    if (!run)
      throw new LabbookError(
        `LABBOOK_RUN_ID names run '${config.runId}', which ${client.url} does not have`,
        "NOT_FOUND",
        "rejected",
      );
    const attached = new Run({ ...init, id: run.id, experimentId: run.experimentId, owned: false });
    if (options.tags) attached.setTags(options.tags);
    return attached;
  }

  const experimentId = config.experiment
    ? await experimentIdFor(config.experiment, request)
    : undefined;
  const { createRun } = await request<CreateRunData>(createRunDoc, {
    input: {
      experimentId,
      name: options.name,
      parentRunId: options.parentRunId,
      tags: options.tags
        ? Object.entries(options.tags).map(([key, value]) => ({ key, value: textValue(value) }))
        : undefined,
    },
  });
  return new Run({
    ...init,
    id: createRun.run.id,
    experimentId: createRun.run.experimentId,
    owned: true,
  });
}

type Request = <T>(query: string, variables: Record<string, unknown>) => Promise<T>;

/**
 * The experiment's id, creating it when missing. Two processes may create it at once: the
 * loser gets a CONFLICT and reads the winner's.
 */
async function experimentIdFor(name: string, request: Request): Promise<string> {
  const found = await request<ExperimentByNameData>(experimentByNameDoc, { name });
  if (found.experiment) return found.experiment.id;
  try {
    const created = await request<CreateExperimentData>(createExperimentDoc, { input: { name } });
    return created.createExperiment.experiment.id;
  } catch (error) {
    if (!(error instanceof LabbookError) || error.code !== "CONFLICT") throw error;
    const again = await request<ExperimentByNameData>(experimentByNameDoc, { name });
    if (again.experiment) return again.experiment.id;
    // Taken by a deleted experiment: names stay unique among those too.
    throw error;
  }
}

/**
 * A setup request, tried again while the server refuses connections (it may be starting or
 * restarting): a refused connection carried nothing, so even createRun cannot happen twice.
 */
async function setupRequest<T>(
  client: GraphQLClient,
  query: string,
  variables: Record<string, unknown>,
  connectTimeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + connectTimeoutMs;
  const pause = new Pause();
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.request<T>(query, variables);
    } catch (error) {
      const wait = retryDelay(attempt, 100, 2000);
      if (!isConnectionRefused(error) || Date.now() + wait > deadline) throw error;
      const keepAlive = setTimeout(() => {}, wait + 1000);
      await pause.sleep(wait);
      clearTimeout(keepAlive);
    }
  }
}
