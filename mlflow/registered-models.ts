import {
  createRegisteredModel,
  deleteRegisteredModel,
  deleteRegisteredModelAlias,
  deleteRegisteredModelTag,
  latestVersionsByModelIds,
  renameRegisteredModel,
  searchRegisteredModels,
  setRegisteredModelAlias,
  setRegisteredModelTag,
  updateRegisteredModel,
} from "../db/index.ts";
import { decodePageToken, maxResults, nextPageToken } from "./page-token.ts";
import { adaptRegisteredModelFilter, checkRegisteredModelOrder } from "./registry-filter.ts";
import {
  modelVersionsJson,
  oneVersionJson,
  registeredModelsJson,
  requireRegisteredModel,
  requireVersion,
  versionOf,
} from "./registry-view.ts";
import type { RequestParams } from "./request.ts";
import type { MlflowContext, Route } from "./route.ts";

/** The registry's models (`/registered-models`), on db/model-registry.ts as GraphQL is. */

const nameOf = (params: RequestParams) => params.string("name", { required: true });

async function oneModelJson(context: MlflowContext, name: string) {
  const model = await requireRegisteredModel(context, name);
  const [json] = await registeredModelsJson(context, [model]);
  return { registered_model: json };
}

async function search(params: RequestParams, context: MlflowContext) {
  const limit = maxResults(params.integer("max_results"), { default: 100, max: 1000 });
  const offset = decodePageToken(params.string("page_token"));
  checkRegisteredModelOrder(params.strings("order_by"));
  const { models, totalCount } = await searchRegisteredModels(context.db, {
    filter: adaptRegisteredModelFilter(params.string("filter")),
    limit,
    offset,
  });
  return {
    registered_models: await registeredModelsJson(context, models),
    next_page_token: nextPageToken(offset, models.length, totalCount),
  };
}

/** MLflow's latest version per stage; labbook has no stages, so every version is in `None`. */
async function latestVersions(params: RequestParams, context: MlflowContext) {
  const model = await requireRegisteredModel(context, nameOf(params));
  const stages = params.strings("stages").map((stage) => stage.toLowerCase());
  if (stages.length > 0 && !stages.includes("none")) return {};
  const latest = (await latestVersionsByModelIds(context.db, [model])).get(model.id);
  return { model_versions: latest ? await modelVersionsJson(context, [latest]) : [] };
}

export const registeredModelRoutes: Route[] = [
  {
    method: "POST",
    path: "/registered-models/create",
    async handler(params, context) {
      const model = await createRegisteredModel(context.db, {
        name: nameOf(params),
        description: params.string("description"),
        tags: params.keyValues("tags"),
      });
      return oneModelJson(context, model.name);
    },
  },
  {
    method: "GET",
    path: "/registered-models/get",
    handler: (params, context) => oneModelJson(context, nameOf(params)),
  },
  { method: "GET", path: "/registered-models/search", handler: search },
  { method: "POST", path: "/registered-models/search", handler: search },
  {
    method: "PATCH",
    path: "/registered-models/update",
    async handler(params, context) {
      const name = nameOf(params);
      const description = params.string("description");
      if (description !== undefined) await updateRegisteredModel(context.db, name, { description });
      return oneModelJson(context, name);
    },
  },
  {
    method: "POST",
    path: "/registered-models/rename",
    async handler(params, context) {
      const model = await renameRegisteredModel(
        context.db,
        nameOf(params),
        params.string("new_name", { required: true }),
      );
      return oneModelJson(context, model.name);
    },
  },
  {
    method: "DELETE",
    path: "/registered-models/delete",
    async handler(params, { db }) {
      await deleteRegisteredModel(db, nameOf(params));
      return {};
    },
  },
  {
    method: "POST",
    path: "/registered-models/set-tag",
    async handler(params, { db }) {
      await setRegisteredModelTag(db, nameOf(params), {
        key: params.string("key", { required: true }),
        value: params.string("value", { required: true }),
      });
      return {};
    },
  },
  {
    method: "DELETE",
    path: "/registered-models/delete-tag",
    async handler(params, { db }) {
      await deleteRegisteredModelTag(db, nameOf(params), params.string("key", { required: true }));
      return {};
    },
  },
  {
    method: "POST",
    path: "/registered-models/alias",
    async handler(params, { db }) {
      await setRegisteredModelAlias(
        db,
        nameOf(params),
        params.string("alias", { required: true }),
        versionOf(params),
      );
      return {};
    },
  },
  {
    method: "DELETE",
    path: "/registered-models/alias",
    async handler(params, { db }) {
      await deleteRegisteredModelAlias(
        db,
        nameOf(params),
        params.string("alias", { required: true }),
      );
      return {};
    },
  },
  {
    method: "GET",
    path: "/registered-models/alias",
    async handler(params, context) {
      const name = nameOf(params);
      const alias = params.string("alias", { required: true });
      return oneVersionJson(context, await requireVersion(context, name, { alias }));
    },
  },
  { method: "POST", path: "/registered-models/get-latest-versions", handler: latestVersions },
  { method: "GET", path: "/registered-models/get-latest-versions", handler: latestVersions },
];
