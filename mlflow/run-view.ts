import {
  getRun,
  metricSummariesByRunIds,
  paramsByRunIds,
  type Run,
  runInputsByRunIds,
  tagsByRunIds,
} from "../db/index.ts";
import { doesNotExist } from "./errors.ts";
import type { RequestParams } from "./request.ts";
import type { JsonObject, MlflowContext } from "./route.ts";
import { runJson } from "./serialize.ts";

/** The run a request names: `run_id`, or the deprecated `run_uuid` older clients send. */
export function runIdOf(params: RequestParams): string {
  return params.string("run_id") ?? params.string("run_uuid", { required: true });
}

export const runNotFound = (runId: string) => doesNotExist(`Run with id=${runId} not found`);

export async function requireRunRow(context: MlflowContext, runId: string): Promise<Run> {
  const run = await getRun(context.db, runId);
  if (!run) throw runNotFound(runId);
  return run;
}

/** Whole runs as MLflow's JSON, a fixed number of statements for any number of runs. */
export async function runsJson(
  context: MlflowContext,
  runs: readonly Run[],
  options: { outputs: boolean } = { outputs: true },
): Promise<JsonObject[]> {
  const ids = runs.map((run) => run.id);
  const [params, tags, metrics, io] = await Promise.all([
    paramsByRunIds(context.db, ids),
    tagsByRunIds(context.db, ids),
    metricSummariesByRunIds(context.db, ids),
    runInputsByRunIds(context.db, ids),
  ]);
  return runs.map((run) =>
    runJson(
      run,
      {
        params: params.get(run.id),
        tags: tags.get(run.id),
        metrics: metrics.get(run.id),
        io: io.get(run.id),
      },
      context.db.artifactRoot,
      options,
    ),
  );
}
