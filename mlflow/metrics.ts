import { metricHistory, metricHistoryWindow, metricSummariesByRunIds } from "../db/index.ts";
import { invalidParameter } from "./errors.ts";
import { decodePageToken, maxResults, nextPageToken } from "./page-token.ts";
import type { RequestParams } from "./request.ts";
import type { MlflowContext, Route } from "./route.ts";
import { requireRunRow, runIdOf } from "./run-view.ts";
import { jsonDouble, metricPointJson } from "./serialize.ts";

async function seriesIdOf(context: MlflowContext, runId: string, key: string) {
  const summaries = (await metricSummariesByRunIds(context.db, [runId])).get(runId) ?? [];
  return summaries.find((summary) => summary.key === key)?.seriesId;
}

/**
 * Every point of a run's metric in step order, all at once, or `max_results` at a time with
 * page tokens.
 */
async function getHistory(params: RequestParams, context: MlflowContext) {
  const runId = runIdOf(params);
  const key = params.string("metric_key", { required: true });
  const limit = params.has("max_results")
    ? maxResults(params.integer("max_results"), { default: 25_000, max: 1_000_000 })
    : undefined;
  const offset = decodePageToken(params.string("page_token"));
  await requireRunRow(context, runId);
  const seriesId = await seriesIdOf(context, runId, key);
  if (seriesId === undefined) return {};
  const history = await metricHistory(context.db, seriesId);
  const end =
    limit === undefined ? history.steps.length : Math.min(offset + limit, history.steps.length);
  const metrics = [];
  for (let i = offset; i < end; i++)
    metrics.push(
      metricPointJson(key, {
        value: history.values[i] ?? Number.NaN,
        timestamp: history.timestamps[i] ?? 0,
        step: history.steps[i] ?? 0,
      }),
    );
  return {
    metrics,
    next_page_token:
      limit === undefined ? undefined : nextPageToken(offset, metrics.length, history.steps.length),
  };
}

/**
 * A metric of several runs between two steps, at most `max_results` points per run (the
 * first, last and extremes kept), as the MLflow UI's charts ask for it.
 */
async function getHistoryBulkInterval(params: RequestParams, context: MlflowContext) {
  const runIds = params.strings("run_ids");
  if (runIds.length === 0)
    throw invalidParameter("Missing value for required parameter 'run_ids'.");
  if (runIds.length > 100)
    throw invalidParameter(`At most 100 run_ids per request (got ${runIds.length}).`);
  const key = params.string("metric_key", { required: true });
  const startStep = params.integer("start_step");
  const endStep = params.integer("end_step");
  if ((startStep === undefined) !== (endStep === undefined))
    throw invalidParameter("start_step and end_step are given together, or neither.");
  const maxPoints = maxResults(params.integer("max_results"), { default: 2500, max: 2500 });
  const summaries = await metricSummariesByRunIds(context.db, runIds);
  const metrics: Record<string, unknown>[] = [];
  for (const runId of runIds) {
    const seriesId = summaries.get(runId)?.find((summary) => summary.key === key)?.seriesId;
    if (seriesId === undefined) continue;
    const history = await metricHistoryWindow(context.db, seriesId, {
      minStep: startStep,
      maxStep: endStep,
      maxPoints: Math.max(2, maxPoints),
    });
    history.steps.forEach((step, i) => {
      metrics.push({
        key,
        value: jsonDouble(history.values[i] ?? Number.NaN),
        timestamp: history.timestamps[i] ?? 0,
        step,
        run_id: runId,
      });
    });
  }
  return { metrics };
}

export const metricRoutes: Route[] = [
  { method: "GET", path: "/metrics/get-history", handler: getHistory },
  { method: "GET", path: "/metrics/get-history-bulk-interval", handler: getHistoryBulkInterval },
];
