import {
  createModelVersion,
  deleteModelVersion,
  deleteModelVersionTag,
  getLoggedModel,
  getRun,
  listModelVersions,
  type ModelVersion,
  setModelVersionTag,
  updateModelVersion,
} from "../db/index.ts";
import { parseFilter, SearchSyntaxError } from "../search/index.ts";
import { invalidParameter } from "./errors.ts";
import { decodePageToken, maxResults, nextPageToken } from "./page-token.ts";
import { modelVersionsJson, oneVersionJson, requireVersion, versionOf } from "./registry-view.ts";
import type { RequestParams } from "./request.ts";
import type { MlflowContext, Route } from "./route.ts";
import { fromProxyUri, toProxyUri } from "./uris.ts";

/** The registry's versions (`/model-versions`), on db/model-registry.ts as GraphQL is. */

const nameOf = (params: RequestParams) => params.string("name", { required: true });

/** Where a version's files are, as a URI an MLflow client downloads from. */
async function downloadUri(context: MlflowContext, version: ModelVersion): Promise<string> {
  const root = context.db.artifactRoot;
  const run = /^runs:\/([0-9a-f]{32})\/(.+)$/.exec(version.source);
  if (run?.[1] && run[2]) {
    const found = await getRun(context.db, run[1]);
    if (found) return toProxyUri(`${found.artifactUri}/${run[2]}`, root);
  }
  const model = /^models:\/(m-[0-9a-f]{32})$/.exec(version.source);
  if (model?.[1]) {
    const found = await getLoggedModel(context.db, model[1]);
    if (found) return toProxyUri(found.artifactLocation, root);
  }
  return toProxyUri(version.source, root);
}

/** `name = '<model>'` (or `name='…'`): the one search of versions labbook answers. */
function searchedName(filter: string | undefined): string {
  const fail = () =>
    invalidParameter(
      `Unsupported filter '${filter ?? ""}' for model versions: labbook searches them by name = '<registered model>'`,
    );
  let expression: ReturnType<typeof parseFilter>;
  try {
    expression = parseFilter(filter ?? "");
  } catch (error) {
    if (error instanceof SearchSyntaxError) throw invalidParameter(`filter: ${error.message}`);
    throw error;
  }
  if (
    expression?.type !== "comparison" ||
    expression.identifier.kind !== "attribute" ||
    expression.identifier.key !== "name" ||
    expression.operator !== "=" ||
    typeof expression.value !== "string"
  )
    throw fail();
  return expression.value;
}

async function search(params: RequestParams, context: MlflowContext) {
  const limit = maxResults(params.integer("max_results"), { default: 10_000, max: 200_000 });
  const offset = decodePageToken(params.string("page_token"));
  const name = searchedName(params.string("filter"));
  const { versions, totalCount } = await listModelVersions(context.db, name, { limit, offset });
  return {
    model_versions: await modelVersionsJson(context, versions),
    next_page_token: nextPageToken(offset, versions.length, totalCount),
  };
}

export const modelVersionRoutes: Route[] = [
  {
    method: "POST",
    path: "/model-versions/create",
    async handler(params, context) {
      const version = await createModelVersion(context.db, {
        name: nameOf(params),
        source: fromProxyUri(params.string("source", { required: true }), context.db.artifactRoot),
        runId: params.string("run_id") || undefined,
        description: params.string("description"),
        tags: params.keyValues("tags"),
      });
      return oneVersionJson(context, version);
    },
  },
  {
    method: "GET",
    path: "/model-versions/get",
    async handler(params, context) {
      const version = await requireVersion(context, nameOf(params), { version: versionOf(params) });
      return oneVersionJson(context, version);
    },
  },
  {
    method: "PATCH",
    path: "/model-versions/update",
    async handler(params, context) {
      const name = nameOf(params);
      const number = versionOf(params);
      const description = params.string("description");
      const version =
        description === undefined
          ? await requireVersion(context, name, { version: number })
          : await updateModelVersion(context.db, name, number, { description });
      return oneVersionJson(context, version);
    },
  },
  {
    method: "DELETE",
    path: "/model-versions/delete",
    async handler(params, { db }) {
      await deleteModelVersion(db, nameOf(params), versionOf(params));
      return {};
    },
  },
  {
    method: "POST",
    path: "/model-versions/set-tag",
    async handler(params, { db }) {
      await setModelVersionTag(db, nameOf(params), versionOf(params), {
        key: params.string("key", { required: true }),
        value: params.string("value", { required: true }),
      });
      return {};
    },
  },
  {
    method: "DELETE",
    path: "/model-versions/delete-tag",
    async handler(params, { db }) {
      await deleteModelVersionTag(
        db,
        nameOf(params),
        versionOf(params),
        params.string("key", { required: true }),
      );
      return {};
    },
  },
  {
    method: "GET",
    path: "/model-versions/get-download-uri",
    async handler(params, context) {
      const version = await requireVersion(context, nameOf(params), { version: versionOf(params) });
      return { artifact_uri: await downloadUri(context, version) };
    },
  },
  { method: "GET", path: "/model-versions/search", handler: search },
  { method: "POST", path: "/model-versions/search", handler: search },
];
