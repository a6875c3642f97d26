import {
  createLoggedModel,
  deleteLoggedModel,
  deleteLoggedModelTag,
  finalizeLoggedModel,
  getLoggedModel,
  type LoggedModel,
  type LoggedModelStatus,
  loggedModelDataByIds,
  logLoggedModelParams,
  searchLoggedModels,
  setLoggedModelTags,
} from "../db/index.ts";
import { doesNotExist } from "./errors.ts";
import { decodePageToken, maxResults, nextPageToken } from "./page-token.ts";
import type { RequestParams } from "./request.ts";
import type { JsonObject, MlflowContext, Route } from "./route.ts";
import { loggedModelJson } from "./serialize.ts";

/** MLflow 3's logged models (`/logged-models`), what `mlflow.<flavor>.log_model` creates. */

async function modelsJson(
  context: MlflowContext,
  models: readonly LoggedModel[],
): Promise<JsonObject[]> {
  const data = await loggedModelDataByIds(
    context.db,
    models.map((model) => model.id),
  );
  return models.map((model) =>
    loggedModelJson(
      model,
      {
        tags: data.tags.get(model.id),
        params: data.params.get(model.id),
        metrics: data.metrics.get(model.id),
      },
      context.db.artifactRoot,
    ),
  );
}

async function oneModelJson(context: MlflowContext, model: LoggedModel) {
  const [json] = await modelsJson(context, [model]);
  return { model: json };
}

const modelIdOf = (params: RequestParams) =>
  params.path.model_id ?? params.string("model_id", { required: true });

async function search(params: RequestParams, context: MlflowContext) {
  const limit = maxResults(params.integer("max_results"), { default: 50, max: 1000 });
  const offset = decodePageToken(params.string("page_token"));
  const { models, totalCount } = await searchLoggedModels(context.db, {
    experimentIds: params.strings("experiment_ids"),
    filter: params.string("filter"),
    orderBy: params.objects("order_by").map((order) => ({
      field: order.string("field_name", { required: true }),
      ascending: order.raw("ascending") !== false,
    })),
    limit,
    offset,
  });
  return {
    models: await modelsJson(context, models),
    next_page_token: nextPageToken(offset, models.length, totalCount),
  };
}

export const loggedModelRoutes: Route[] = [
  {
    method: "POST",
    path: "/logged-models",
    async handler(params, context) {
      const model = await createLoggedModel(context.db, {
        experimentId: params.string("experiment_id", { required: true }),
        name: params.string("name"),
        modelType: params.string("model_type"),
        sourceRunId: params.string("source_run_id") || undefined,
        params: params.keyValues("params"),
        tags: params.keyValues("tags"),
      });
      return oneModelJson(context, model);
    },
  },
  { method: "POST", path: "/logged-models/search", handler: search },
  {
    method: "GET",
    path: "/logged-models/{model_id}",
    async handler(params, context) {
      const id = modelIdOf(params);
      const model = await getLoggedModel(context.db, id);
      if (!model) throw doesNotExist(`Logged model with ID '${id}' not found.`);
      return oneModelJson(context, model);
    },
  },
  {
    method: "PATCH",
    path: "/logged-models/{model_id}",
    async handler(params, context) {
      const status = params.string("status", { required: true }) as LoggedModelStatus;
      return oneModelJson(
        context,
        await finalizeLoggedModel(context.db, modelIdOf(params), status),
      );
    },
  },
  {
    method: "DELETE",
    path: "/logged-models/{model_id}",
    async handler(params, { db }) {
      await deleteLoggedModel(db, modelIdOf(params));
      return {};
    },
  },
  {
    method: "PATCH",
    path: "/logged-models/{model_id}/tags",
    async handler(params, context) {
      const model = await setLoggedModelTags(
        context.db,
        modelIdOf(params),
        params.keyValues("tags"),
      );
      return oneModelJson(context, model);
    },
  },
  {
    method: "DELETE",
    path: "/logged-models/{model_id}/tags/{tag_key}",
    async handler(params, { db }) {
      await deleteLoggedModelTag(db, modelIdOf(params), params.path.tag_key ?? "");
      return {};
    },
  },
  {
    method: "POST",
    path: "/logged-models/{model_id}/params",
    async handler(params, { db }) {
      await logLoggedModelParams(db, modelIdOf(params), params.keyValues("params"));
      return {};
    },
  },
];
