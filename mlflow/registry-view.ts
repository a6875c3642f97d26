import {
  getModelVersion,
  getRegisteredModel,
  latestVersionsByModelIds,
  type ModelVersion,
  modelVersionTagsByKeys,
  type RegisteredModel,
  registeredModelAliasesByIds,
  registeredModelTagsByIds,
} from "../db/index.ts";
import { doesNotExist, invalidParameter } from "./errors.ts";
import type { RequestParams } from "./request.ts";
import type { JsonObject, MlflowContext } from "./route.ts";
import { modelVersionJson, registeredModelJson } from "./serialize.ts";

/** Reading the registry into MLflow's JSON, shared by the registered-model and version routes. */

export const modelNotFound = (name: string) =>
  doesNotExist(`Registered Model with name=${name} not found`);

export async function requireRegisteredModel(
  context: MlflowContext,
  name: string,
): Promise<RegisteredModel> {
  const model = await getRegisteredModel(context.db, name);
  if (!model) throw modelNotFound(name);
  return model;
}

/** A version number as MLflow sends it: a string of digits (or a number). */
export function versionOf(params: RequestParams): number {
  const text = params.string("version", { required: true });
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1)
    throw invalidParameter(`Parameter 'version' must be an integer, got '${text}'.`);
  return Number(text);
}

export async function registeredModelsJson(
  context: MlflowContext,
  models: readonly RegisteredModel[],
): Promise<JsonObject[]> {
  const ids = models.map((model) => model.id);
  const [latest, tags, aliases] = await Promise.all([
    latestVersionsByModelIds(context.db, models),
    registeredModelTagsByIds(context.db, ids),
    registeredModelAliasesByIds(context.db, ids),
  ]);
  return models.map((model) =>
    registeredModelJson(
      model,
      {
        latest: latest.get(model.id),
        tags: tags.get(String(model.id)),
        aliases: aliases.get(String(model.id)),
      },
      context.db.artifactRoot,
    ),
  );
}

export async function modelVersionsJson(
  context: MlflowContext,
  versions: readonly ModelVersion[],
): Promise<JsonObject[]> {
  const [tags, aliases] = await Promise.all([
    modelVersionTagsByKeys(context.db, versions),
    registeredModelAliasesByIds(context.db, [...new Set(versions.map((v) => v.modelId))]),
  ]);
  return versions.map((version) =>
    modelVersionJson(
      version,
      {
        tags: tags.get(`${version.modelId}/${version.version}`),
        aliases: (aliases.get(String(version.modelId)) ?? [])
          .filter((alias) => alias.version === version.version)
          .map((alias) => alias.alias),
      },
      context.db.artifactRoot,
    ),
  );
}

export async function requireVersion(
  context: MlflowContext,
  name: string,
  ref: { version: number } | { alias: string },
): Promise<ModelVersion> {
  const version = await getModelVersion(context.db, name, ref);
  if (version) return version;
  await requireRegisteredModel(context, name);
  throw doesNotExist(
    "version" in ref
      ? `Model Version (name=${name}, version=${ref.version}) not found`
      : `Registered model alias ${ref.alias} not found.`,
  );
}

export async function oneVersionJson(context: MlflowContext, version: ModelVersion) {
  const [json] = await modelVersionsJson(context, [version]);
  return { model_version: json };
}
