import {
  createRun,
  deleteRun,
  generateRunName,
  type KeyValue,
  type RunStatus,
  restoreRun,
  searchRuns,
  setRunTag,
  updateRun,
} from "../db/index.ts";
import { invalidParameter } from "./errors.ts";
import { parseViewType } from "./experiments.ts";
import { decodePageToken, maxResults, nextPageToken } from "./page-token.ts";
import type { RequestParams } from "./request.ts";
import type { MlflowContext, Route } from "./route.ts";
import { requireRunRow, runIdOf, runsJson } from "./run-view.ts";
import { runInfoJson } from "./serialize.ts";

/** Tags MLflow gives a meaning: the run's name and its parent (nested runs). */
export const runNameTag = "mlflow.runName";
export const parentRunTag = "mlflow.parentRunId";

/**
 * The name of a new run: `run_name`, else its `mlflow.runName` tag, else generated. MLflow
 * keeps the two equal, so the tag is added when absent and a different one is refused.
 */
function nameAndTags(params: RequestParams): { name: string; tags: KeyValue[] } {
  const tags = params.keyValues("tags");
  const tagged = tags.findLast((tag) => tag.key === runNameTag)?.value;
  const given = params.string("run_name") || undefined;
  if (given !== undefined && tagged !== undefined && given !== tagged)
    throw invalidParameter(
      `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${given}', mlflow.runName='${tagged}').`,
    );
  const name = given ?? (tagged || undefined) ?? generateRunName();
  return { name, tags: tagged === undefined ? [...tags, { key: runNameTag, value: name }] : tags };
}

async function create(params: RequestParams, context: MlflowContext) {
  const { name, tags } = nameAndTags(params);
  const run = await createRun(context.db, {
    experimentId: params.string("experiment_id") || "0",
    name,
    startTime: params.integer("start_time"),
    userId: params.string("user_id"),
    tags,
    parentRunId: tags.findLast((tag) => tag.key === parentRunTag)?.value,
  });
  const [json] = await runsJson(context, [run], { outputs: false });
  return { run: json };
}

async function update(params: RequestParams, context: MlflowContext) {
  const runId = runIdOf(params);
  const name = params.string("run_name") || undefined;
  const run = await updateRun(context.db, {
    runId,
    status: params.string("status") as RunStatus | undefined,
    endTime: params.integer("end_time"),
    name,
  });
  if (name !== undefined) await setRunTag(context.db, runId, { key: runNameTag, value: name });
  return { run_info: runInfoJson(run, context.db.artifactRoot) };
}

async function search(params: RequestParams, context: MlflowContext) {
  const limit = maxResults(params.integer("max_results"), { default: 1000, max: 50_000 });
  const offset = decodePageToken(params.string("page_token"));
  const { runs, totalCount } = await searchRuns(context.db, {
    experimentIds: params.strings("experiment_ids"),
    view: parseViewType(params.string("run_view_type"), "run_view_type"),
    filter: params.string("filter"),
    orderBy: params.strings("order_by"),
    limit,
    offset,
  });
  return {
    runs: await runsJson(context, runs),
    next_page_token: nextPageToken(offset, runs.length, totalCount),
  };
}

export const runRoutes: Route[] = [
  { method: "POST", path: "/runs/create", handler: create },
  {
    method: "GET",
    path: "/runs/get",
    async handler(params, context) {
      const run = await requireRunRow(context, runIdOf(params));
      const [json] = await runsJson(context, [run]);
      return { run: json };
    },
  },
  { method: "POST", path: "/runs/update", handler: update },
  {
    method: "POST",
    path: "/runs/delete",
    async handler(params, { db }) {
      await deleteRun(db, runIdOf(params));
      return {};
    },
  },
  {
    method: "POST",
    path: "/runs/restore",
    async handler(params, { db }) {
      await restoreRun(db, runIdOf(params));
      return {};
    },
  },
  { method: "POST", path: "/runs/search", handler: search },
];
