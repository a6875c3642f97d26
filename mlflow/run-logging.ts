import {
  deleteRunTag,
  type KeyValue,
  linkModelMetrics,
  logBatch,
  logRunInputs,
  logRunOutputs,
  type MetricColumns,
  metricHistoryWindow,
  metricSummariesByRunIds,
  setRunTag,
  tagsByRunIds,
  updateRun,
} from "../db/index.ts";
import { invalidParameter } from "./errors.ts";
import type { RequestParams } from "./request.ts";
import type { MlflowContext, Route } from "./route.ts";
import { runIdOf } from "./run-view.ts";
import { runNameTag } from "./runs.ts";

/** One metric point as MLflow sends it (`Metric`), with the model and dataset it may name. */
interface MetricPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  modelId: string | undefined;
  datasetName: string | undefined;
  datasetDigest: string | undefined;
}

/** A double as protobuf JSON carries it: a number, or "NaN", "Infinity", "-Infinity" (or a numeric string). */
function metricValue(raw: unknown, name: string): number {
  if (typeof raw === "number") return raw;
  if (typeof raw === "string") {
    const special = { NaN: Number.NaN, Infinity: Infinity, "-Infinity": -Infinity }[raw];
    if (special !== undefined) return special;
    if (raw.trim() !== "" && Number.isFinite(Number(raw))) return Number(raw);
  }
  if (raw === undefined || raw === null)
    throw invalidParameter(`Missing value for required parameter '${name}'.`);
  throw invalidParameter(
    `Invalid value ${JSON.stringify(raw)} for parameter '${name}' supplied: it must be a number.`,
  );
}

function metricPoint(params: RequestParams, prefix: string): MetricPoint {
  return {
    key: params.string("key", { required: true }),
    value: metricValue(params.raw("value"), `${prefix}value`),
    timestamp: params.integer("timestamp", { required: true }),
    step: params.integer("step") ?? 0,
    modelId: params.string("model_id") || undefined,
    datasetName: params.string("dataset_name") || undefined,
    datasetDigest: params.string("dataset_digest") || undefined,
  };
}

/** Points as the store's columns, one entry per key in the order they came. */
function toColumns(points: readonly MetricPoint[]): MetricColumns[] {
  const byKey = new Map<string, { values: number[]; steps: number[]; timestamps: number[] }>();
  for (const point of points) {
    let columns = byKey.get(point.key);
    if (!columns) {
      columns = { values: [], steps: [], timestamps: [] };
      byKey.set(point.key, columns);
    }
    columns.values.push(point.value);
    columns.steps.push(point.step);
    columns.timestamps.push(point.timestamp);
  }
  return [...byKey].map(([key, columns]) => ({ key, ...columns }));
}

/**
 * Points that name a logged model and are already in the run's history. `log_model` logs the
 * run's points of its step again with the model's id, to link them to the model: MLflow keeps
 * one copy of a point in the run, and so does this.
 */
async function alreadyInHistory(
  context: MlflowContext,
  runId: string,
  points: readonly MetricPoint[],
): Promise<Set<MetricPoint>> {
  const linked = points.filter((point) => point.modelId !== undefined);
  const found = new Set<MetricPoint>();
  if (linked.length === 0) return found;
  const series = new Map(
    ((await metricSummariesByRunIds(context.db, [runId])).get(runId) ?? []).map((s) => [
      s.key,
      s.seriesId,
    ]),
  );
  for (const point of linked) {
    const seriesId = series.get(point.key);
    if (seriesId === undefined) continue;
    const history = await metricHistoryWindow(context.db, seriesId, {
      minStep: point.step,
      maxStep: point.step,
    });
    const same = history.values.some(
      (value, i) =>
        history.timestamps[i] === point.timestamp &&
        (Object.is(value, point.value) || value === point.value),
    );
    if (same) found.add(point);
  }
  return found;
}

/** Logs points (and params and tags) to a run, and links the points that name a model to it. */
async function logPoints(
  context: MlflowContext,
  runId: string,
  input: { metrics: MetricPoint[]; params?: KeyValue[]; tags?: KeyValue[] },
): Promise<void> {
  const logged = await alreadyInHistory(context, runId, input.metrics);
  const fresh = input.metrics.filter((point) => !logged.has(point));
  if (fresh.length > 0 || input.params?.length || input.tags?.length)
    await logBatch(
      context.db,
      { runId, metrics: toColumns(fresh), params: input.params, tags: input.tags },
      context.batchLimits,
    );
  const linked = input.metrics.flatMap((point) =>
    point.modelId === undefined
      ? []
      : [
          {
            ...point,
            modelId: point.modelId,
            runId,
            datasetName: point.datasetName ?? null,
            datasetDigest: point.datasetDigest ?? null,
          },
        ],
  );
  await linkModelMetrics(context.db, linked);
  // Setting the run-name tag renames the run, as in MLflow.
  const renamed = input.tags?.findLast((tag) => tag.key === runNameTag);
  if (renamed) await updateRun(context.db, { runId, name: renamed.value });
}

/** The run tag where MLflow 2 clients record each model a run logged (`runs/log-model`). */
export const modelHistoryTag = "mlflow.log-model.history";

/**
 * `runs/log-model` (MLflow 2's `log_model` metadata; MLflow 3 clients still send it): appends
 * the model's MLmodel, as JSON, to the run's model history tag.
 */
async function logModelMetadata(params: RequestParams, context: MlflowContext) {
  const runId = params.string("run_id", { required: true });
  const text = params.string("model_json", { required: true });
  let model: unknown;
  try {
    model = JSON.parse(text);
  } catch {
    throw invalidParameter("Parameter 'model_json' is not valid JSON.");
  }
  if (typeof model !== "object" || model === null || Array.isArray(model))
    throw invalidParameter("Parameter 'model_json' must be a JSON object.");
  const missing = ["artifact_path", "flavors", "utc_time_created", "run_id"].filter(
    (field) => !(field in model),
  );
  if (missing.length > 0)
    throw invalidParameter(`Model json is missing mandatory fields: ${missing.join(", ")}`);
  const tags = (await tagsByRunIds(context.db, [runId])).get(runId) ?? [];
  const earlier = tags.find((tag) => tag.key === modelHistoryTag)?.value;
  let history: unknown[] = [];
  try {
    const parsed: unknown = earlier ? JSON.parse(earlier) : [];
    if (Array.isArray(parsed)) history = parsed;
  } catch {
    // A history someone overwrote by hand starts again.
  }
  await setRunTag(context.db, runId, {
    key: modelHistoryTag,
    value: JSON.stringify([...history, model]),
  });
  return {};
}

export const runLoggingRoutes: Route[] = [
  { method: "POST", path: "/runs/log-model", handler: logModelMetadata },
  {
    method: "POST",
    path: "/runs/log-metric",
    async handler(params, context) {
      await logPoints(context, runIdOf(params), { metrics: [metricPoint(params, "")] });
      return {};
    },
  },
  {
    method: "POST",
    path: "/runs/log-parameter",
    async handler(params, context) {
      const param = {
        key: params.string("key", { required: true }),
        value: params.string("value", { required: true }),
      };
      await logBatch(context.db, { runId: runIdOf(params), params: [param] }, context.batchLimits);
      return {};
    },
  },
  {
    method: "POST",
    path: "/runs/log-batch",
    async handler(params, context) {
      const metrics = params
        .objects("metrics")
        .map((metric, i) => metricPoint(metric, `metrics[${i}].`));
      await logPoints(context, params.string("run_id", { required: true }), {
        metrics,
        params: params.keyValues("params"),
        tags: params.keyValues("tags"),
      });
      return {};
    },
  },
  {
    method: "POST",
    path: "/runs/set-tag",
    async handler(params, context) {
      const runId = runIdOf(params);
      const tag = {
        key: params.string("key", { required: true }),
        value: params.string("value", { required: true }),
      };
      await setRunTag(context.db, runId, tag);
      if (tag.key === runNameTag) await updateRun(context.db, { runId, name: tag.value });
      return {};
    },
  },
  {
    method: "POST",
    path: "/runs/delete-tag",
    async handler(params, { db }) {
      await deleteRunTag(db, runIdOf(params), params.string("key", { required: true }));
      return {};
    },
  },
  {
    method: "POST",
    path: "/runs/log-inputs",
    async handler(params, { db }) {
      const datasets = params.objects("datasets").map((input) => {
        const dataset = input.object("dataset", { required: true });
        if (!dataset) throw invalidParameter("Missing value for required parameter 'dataset'.");
        return {
          dataset: {
            name: dataset.string("name", { required: true }),
            digest: dataset.string("digest", { required: true }),
            sourceType: dataset.string("source_type", { required: true }),
            source: dataset.string("source", { required: true }),
            schema: dataset.string("schema"),
            profile: dataset.string("profile"),
          },
          tags: input.keyValues("tags"),
        };
      });
      const models = params
        .objects("models")
        .map((model) => ({ modelId: model.string("model_id", { required: true }), step: 0 }));
      await logRunInputs(db, params.string("run_id", { required: true }), { datasets, models });
      return {};
    },
  },
  {
    method: "POST",
    path: "/runs/outputs",
    async handler(params, { db }) {
      const models = params.objects("models").map((model) => ({
        modelId: model.string("model_id", { required: true }),
        step: model.integer("step") ?? 0,
      }));
      await logRunOutputs(db, params.string("run_id", { required: true }), models);
      return {};
    },
  },
];
