import {
  createExperiment,
  deleteExperiment,
  deleteExperimentTag,
  type Experiment,
  experimentTagsByIds,
  getExperiment,
  getExperimentByName,
  type LifecycleView,
  listExperiments,
  renameExperiment,
  restoreExperiment,
  setExperimentTag,
} from "../db/index.ts";
import { doesNotExist, invalidParameter } from "./errors.ts";
import { decodePageToken, maxResults, nextPageToken } from "./page-token.ts";
import type { RequestParams } from "./request.ts";
import type { MlflowContext, Route } from "./route.ts";
import { experimentJson } from "./serialize.ts";
import { fromProxyUri } from "./uris.ts";

/** MLflow's `ViewType`, by name or number, as a lifecycle view. */
export function parseViewType(value: string | undefined, name: string): LifecycleView {
  switch (value) {
    case undefined:
    case "ACTIVE_ONLY":
    case "1":
      return "active";
    case "DELETED_ONLY":
    case "2":
      return "deleted";
    case "ALL":
    case "3":
      return "all";
    default:
      throw invalidParameter(
        `Invalid value '${value}' for parameter '${name}': use ACTIVE_ONLY, DELETED_ONLY or ALL.`,
      );
  }
}

async function experimentsJson(context: MlflowContext, experiments: readonly Experiment[]) {
  const tags = await experimentTagsByIds(
    context.db,
    experiments.map((e) => e.id),
  );
  return experiments.map((e) => experimentJson(e, tags.get(e.id), context.db.artifactRoot));
}

const experimentId = (params: RequestParams) => params.string("experiment_id", { required: true });

async function getOne(params: RequestParams, context: MlflowContext) {
  const id = experimentId(params);
  const experiment = await getExperiment(context.db, id);
  if (!experiment) throw doesNotExist(`No Experiment with id=${id} exists`);
  const [json] = await experimentsJson(context, [experiment]);
  return { experiment: json };
}

async function getByName(params: RequestParams, context: MlflowContext) {
  const name = params.string("experiment_name", { required: true });
  const experiment = await getExperimentByName(context.db, name);
  if (!experiment) throw doesNotExist(`Could not find experiment with name '${name}'`);
  const [json] = await experimentsJson(context, [experiment]);
  return { experiment: json };
}

/** Orderings MLflow accepts for experiments; labbook lists them newest first whatever is asked. */
const orderableExperimentFields =
  /^(attributes?\.)?(name|experiment_id|creation_time|last_update_time)(\s+(ASC|DESC))?$/i;

async function search(params: RequestParams, context: MlflowContext) {
  const limit = maxResults(params.integer("max_results"), { default: 1000, max: 50_000 });
  const offset = decodePageToken(params.string("page_token"));
  for (const clause of params.strings("order_by"))
    if (!orderableExperimentFields.test(clause.trim()))
      throw invalidParameter(
        `Invalid order_by clause '${clause}': order experiments by name, experiment_id, creation_time or last_update_time`,
      );
  const { experiments, totalCount } = await listExperiments(context.db, {
    view: parseViewType(params.string("view_type"), "view_type"),
    filter: params.string("filter"),
    limit,
    offset,
  });
  return {
    experiments: await experimentsJson(context, experiments),
    next_page_token: nextPageToken(offset, experiments.length, totalCount),
  };
}

export const experimentRoutes: Route[] = [
  {
    method: "POST",
    path: "/experiments/create",
    async handler(params, { db }) {
      const location = params.string("artifact_location");
      const experiment = await createExperiment(db, {
        name: params.string("name", { required: true }),
        artifactLocation: location ? fromProxyUri(location, db.artifactRoot) : undefined,
        tags: params.keyValues("tags"),
      });
      return { experiment_id: experiment.id };
    },
  },
  { method: "GET", path: "/experiments/get", handler: getOne },
  { method: "GET", path: "/experiments/get-by-name", handler: getByName },
  { method: "POST", path: "/experiments/search", handler: search },
  { method: "GET", path: "/experiments/search", handler: search },
  {
    method: "POST",
    path: "/experiments/update",
    async handler(params, { db }) {
      const id = experimentId(params);
      const name = params.string("new_name");
      if (name !== undefined) await renameExperiment(db, id, name);
      else if (!(await getExperiment(db, id)))
        throw doesNotExist(`No Experiment with id=${id} exists`);
      return {};
    },
  },
  {
    method: "POST",
    path: "/experiments/delete",
    async handler(params, { db }) {
      await deleteExperiment(db, experimentId(params));
      return {};
    },
  },
  {
    method: "POST",
    path: "/experiments/restore",
    async handler(params, { db }) {
      await restoreExperiment(db, experimentId(params));
      return {};
    },
  },
  {
    method: "POST",
    path: "/experiments/set-experiment-tag",
    async handler(params, { db }) {
      await setExperimentTag(db, experimentId(params), {
        key: params.string("key", { required: true }),
        value: params.string("value", { required: true }),
      });
      return {};
    },
  },
  {
    method: "POST",
    path: "/experiments/delete-experiment-tag",
    async handler(params, { db }) {
      await deleteExperimentTag(db, experimentId(params), params.string("key", { required: true }));
      return {};
    },
  },
];
