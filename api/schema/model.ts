import DataLoader from "dataloader";
import {
  createModelVersion,
  createRegisteredModel,
  type Db,
  deleteModelVersion,
  deleteModelVersionTag,
  deleteRegisteredModel,
  deleteRegisteredModelAlias,
  deleteRegisteredModelTag,
  getModelVersion,
  getRegisteredModel,
  type KeyValue,
  latestVersionsByModelIds,
  listModelVersionsOf,
  type ModelAlias,
  type ModelVersion,
  modelVersionTagsByKeys,
  type RegisteredModel,
  registeredModelAliasesByIds,
  registeredModelTagsByIds,
  renameRegisteredModel,
  searchRegisteredModels,
  setModelVersionTag,
  setRegisteredModelAlias,
  setRegisteredModelTag,
  updateModelVersion,
  updateRegisteredModel,
} from "../../db/index.ts";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { connectionType, pageWindow } from "./connection.ts";
import { KeyValueInput, RunRef, TagRef } from "./refs.ts";

export const RegisteredModelRef = builder.objectRef<RegisteredModel>("RegisteredModel");
export const ModelVersionRef = builder.objectRef<ModelVersion>("ModelVersion");
const ModelAliasRef = builder.objectRef<ModelAlias>("ModelAlias");

/** This request's loaders for the registry's per-model lists (one statement per kind per page). */
const loaderSets = new WeakMap<object, ReturnType<typeof createRegistryLoaders>>();

function createRegistryLoaders(db: Db) {
  const byModel = <T>(load: (ids: readonly number[]) => Promise<Map<string, T[]>>) =>
    new DataLoader<number, T[]>(async (ids) => {
      const groups = await load(ids);
      return ids.map((id) => groups.get(String(id)) ?? []);
    });
  return {
    tags: byModel<KeyValue>((ids) => registeredModelTagsByIds(db, ids)),
    aliases: byModel<ModelAlias>((ids) => registeredModelAliasesByIds(db, ids)),
    latest: new DataLoader<RegisteredModel, ModelVersion | null, number>(
      async (models) => {
        const found = await latestVersionsByModelIds(db, models);
        return models.map((m) => found.get(m.id) ?? null);
      },
      { cacheKeyFn: (m) => m.id },
    ),
    versionTags: new DataLoader<ModelVersion, KeyValue[], string>(
      async (versions) => {
        const found = await modelVersionTagsByKeys(db, versions);
        return versions.map((v) => found.get(`${v.modelId}/${v.version}`) ?? []);
      },
      { cacheKeyFn: (v) => `${v.modelId}/${v.version}` },
    ),
  };
}

function registryLoaders(ctx: Context) {
  let loaders = loaderSets.get(ctx);
  if (!loaders) {
    loaders = createRegistryLoaders(ctx.db);
    loaderSets.set(ctx, loaders);
  }
  return loaders;
}

ModelAliasRef.implement({
  description: "A name (`champion`, `staging`) pointing at one version of a registered model.",
  fields: (t) => ({
    alias: t.exposeString("alias", { description: "The alias: letters, digits, `_` and `-`." }),
    version: t.exposeInt("version", { description: "The version it points at." }),
  }),
});

const ModelVersionConnection = connectionType(
  "ModelVersion",
  ModelVersionRef,
  "A page of model versions.",
);

RegisteredModelRef.implement({
  description:
    "A named model in the registry (MLflow's RegisteredModel): numbered versions, each a model a run logged, tags and aliases.",
  fields: (t) => ({
    name: t.exposeString("name", {
      description: "Unique; no `/` nor `@` (it appears in `models:/<name>/<version>` URIs).",
    }),
    description: t.exposeString("description", { description: "Free text; empty by default." }),
    creationTime: t.field({
      type: "Long",
      description: "Milliseconds UTC.",
      resolve: (m) => m.creationTime,
    }),
    lastUpdateTime: t.field({
      type: "Long",
      description: "Milliseconds UTC of the last change (rename, tag, alias, new version).",
      resolve: (m) => m.lastUpdateTime,
    }),
    tags: t.field({
      type: [TagRef],
      description: "The model's tags, by key.",
      resolve: (m, _args, ctx) => registryLoaders(ctx).tags.load(m.id),
    }),
    aliases: t.field({
      type: [ModelAliasRef],
      description: "The model's aliases, by name (`latest` is implicit and not listed).",
      resolve: (m, _args, ctx) => registryLoaders(ctx).aliases.load(m.id),
    }),
    latestVersion: t.field({
      type: ModelVersionRef,
      nullable: true,
      description: "The highest version (what `models:/<name>@latest` means); null before any.",
      resolve: (m, _args, ctx) => registryLoaders(ctx).latest.load(m),
    }),
    version: t.field({
      type: ModelVersionRef,
      nullable: true,
      description: "One version by number or by alias (`latest`: the highest); null when none.",
      args: {
        version: t.arg.int({ description: "The version number." }),
        alias: t.arg.string({ description: "An alias, or `latest`." }),
      },
      resolve: async (m, args, ctx) => {
        if (args.version != null)
          return (await getModelVersion(ctx.db, m.name, { version: args.version })) ?? null;
        if (args.alias != null)
          return (await getModelVersion(ctx.db, m.name, { alias: args.alias })) ?? null;
        return null;
      },
    }),
    versions: t.field({
      type: ModelVersionConnection,
      description: "The model's versions, highest first.",
      args: {
        first: t.arg.int({ description: "Page size: 100 by default, at most 1000." }),
        after: t.arg.string({ description: "The `endCursor` of the previous page." }),
      },
      resolve: async (m, args, ctx) => {
        const window = pageWindow(args);
        const { versions, totalCount } = await listModelVersionsOf(ctx.db, m, window);
        return { items: versions, offset: window.offset, totalCount };
      },
    }),
  }),
});

ModelVersionRef.implement({
  description: "One version of a registered model: a model a run logged (MLflow's ModelVersion).",
  fields: (t) => ({
    name: t.exposeString("name", { description: "The registered model's name." }),
    version: t.exposeInt("version", { description: "1, 2, 3… in order of registration." }),
    source: t.exposeString("source", {
      description: "Where the model's files are: `runs:/<run id>/<artifact path>`.",
    }),
    runId: t.exposeString("runId", {
      nullable: true,
      description: "The run that logged the model.",
    }),
    run: t.field({
      type: RunRef,
      nullable: true,
      description: "The run that logged the model; null once it is collected.",
      resolve: (v, _args, ctx) => (v.runId ? ctx.loaders.run.load(v.runId) : null),
    }),
    status: t.exposeString("status", {
      description:
        "READY once registered (PENDING_REGISTRATION and FAILED_REGISTRATION are MLflow's others).",
    }),
    description: t.exposeString("description", { description: "Free text; empty by default." }),
    creationTime: t.field({
      type: "Long",
      description: "Milliseconds UTC.",
      resolve: (v) => v.creationTime,
    }),
    lastUpdateTime: t.field({
      type: "Long",
      description: "Milliseconds UTC of the last change.",
      resolve: (v) => v.lastUpdateTime,
    }),
    tags: t.field({
      type: [TagRef],
      description: "The version's tags, by key.",
      resolve: (v, _args, ctx) => registryLoaders(ctx).versionTags.load(v),
    }),
    aliases: t.stringList({
      description: "The aliases pointing at this version.",
      resolve: async (v, _args, ctx) =>
        (await registryLoaders(ctx).aliases.load(v.modelId))
          .filter((a) => a.version === v.version)
          .map((a) => a.alias),
    }),
    uri: t.string({
      description: "`models:/<name>/<version>`, for `loadModel` and `labbook models serve`.",
      resolve: (v) => `models:/${v.name}/${v.version}`,
    }),
  }),
});

const RegisteredModelConnection = connectionType(
  "RegisteredModel",
  RegisteredModelRef,
  "A page of registered models.",
);

builder.queryFields((t) => ({
  registeredModel: t.field({
    type: RegisteredModelRef,
    nullable: true,
    description: "One registered model by name; null when there is none.",
    args: { name: t.arg.string({ required: true, description: "The model's name." }) },
    resolve: async (_root, args, ctx) => (await getRegisteredModel(ctx.db, args.name)) ?? null,
  }),
  registeredModels: t.field({
    type: RegisteredModelConnection,
    description: "Registered models by name (A→Z).",
    args: {
      filter: t.arg.string({
        description:
          "The search language over `name`, `creation_time`, `last_update_time` and `tags.<key>`, e.g. `name LIKE 'mnist%' and tags.team = 'vision'`.",
      }),
      first: t.arg.int({ description: "Page size: 100 by default, at most 1000." }),
      after: t.arg.string({ description: "The `endCursor` of the previous page." }),
    },
    resolve: async (_root, args, ctx) => {
      const window = pageWindow(args);
      const { models, totalCount } = await searchRegisteredModels(ctx.db, {
        filter: args.filter ?? undefined,
        ...window,
      });
      return { items: models, offset: window.offset, totalCount };
    },
  }),
  modelVersion: t.field({
    type: ModelVersionRef,
    nullable: true,
    description:
      "One version of a registered model, by number or by alias (`latest`: the highest); null when there is none.",
    args: {
      name: t.arg.string({ required: true, description: "The registered model's name." }),
      version: t.arg.int({ description: "The version number." }),
      alias: t.arg.string({ description: "An alias (`champion`), or `latest`." }),
    },
    resolve: async (_root, args, ctx) => {
      if (args.version != null)
        return (await getModelVersion(ctx.db, args.name, { version: args.version })) ?? null;
      if (args.alias != null)
        return (await getModelVersion(ctx.db, args.name, { alias: args.alias })) ?? null;
      return null;
    },
  }),
}));

const RegisteredModelPayload = builder.objectRef<{ registeredModel: RegisteredModel }>(
  "RegisteredModelPayload",
);
RegisteredModelPayload.implement({
  description: "The registered model a mutation created or changed (or deleted).",
  fields: (t) => ({
    registeredModel: t.field({
      type: RegisteredModelRef,
      description: "The model as it is now (as it was, after a delete).",
      resolve: (p) => p.registeredModel,
    }),
  }),
});

const ModelVersionPayload = builder.objectRef<{ modelVersion: ModelVersion }>(
  "ModelVersionPayload",
);
ModelVersionPayload.implement({
  description: "The model version a mutation created or changed (or deleted).",
  fields: (t) => ({
    modelVersion: t.field({
      type: ModelVersionRef,
      description: "The version as it is now (as it was, after a delete).",
      resolve: (p) => p.modelVersion,
    }),
  }),
});

const CreateRegisteredModelInput = builder.inputType("CreateRegisteredModelInput", {
  description: "A new registered model.",
  fields: (t) => ({
    name: t.string({ required: true, description: "Unique name, up to 256 characters." }),
    description: t.string({ description: "Free text." }),
    tags: t.field({ type: [KeyValueInput], description: "Tags to set at creation." }),
  }),
});

const RegisteredModelNameInput = builder.inputType("RegisteredModelNameInput", {
  description: "Names one registered model.",
  fields: (t) => ({ name: t.string({ required: true, description: "The model's name." }) }),
});

const RenameRegisteredModelInput = builder.inputType("RenameRegisteredModelInput", {
  description: "A new name for a registered model.",
  fields: (t) => ({
    name: t.string({ required: true, description: "The model's current name." }),
    newName: t.string({ required: true, description: "The new, unique name." }),
  }),
});

const UpdateRegisteredModelInput = builder.inputType("UpdateRegisteredModelInput", {
  description: "A new description for a registered model.",
  fields: (t) => ({
    name: t.string({ required: true, description: "The model's name." }),
    description: t.string({ required: true, description: "The new description." }),
  }),
});

const SetRegisteredModelTagInput = builder.inputType("SetRegisteredModelTagInput", {
  description: "A tag to set (or overwrite) on a registered model.",
  fields: (t) => ({
    name: t.string({ required: true, description: "The model's name." }),
    key: t.string({ required: true, description: "Tag key." }),
    value: t.string({ required: true, description: "Tag value." }),
  }),
});

const DeleteRegisteredModelTagInput = builder.inputType("DeleteRegisteredModelTagInput", {
  description: "A tag to remove from a registered model.",
  fields: (t) => ({
    name: t.string({ required: true, description: "The model's name." }),
    key: t.string({ required: true, description: "Tag key." }),
  }),
});

const CreateModelVersionInput = builder.inputType("CreateModelVersionInput", {
  description: "A run's logged model to register as the next version of a registered model.",
  fields: (t) => ({
    name: t.string({
      required: true,
      description: "The registered model; created when it does not exist yet.",
    }),
    source: t.string({
      required: true,
      description:
        "`runs:/<run id>/<artifact path>`: a folder of the run's artifacts with an `MLmodel` file.",
    }),
    runId: t.string({ description: "The run of `source`, checked when given." }),
    description: t.string({ description: "Free text." }),
    tags: t.field({ type: [KeyValueInput], description: "Tags to set on the version." }),
  }),
});

const ModelVersionRefInput = builder.inputType("ModelVersionInput", {
  description: "Names one version of a registered model.",
  fields: (t) => ({
    name: t.string({ required: true, description: "The registered model's name." }),
    version: t.int({ required: true, description: "The version number." }),
  }),
});

const UpdateModelVersionInput = builder.inputType("UpdateModelVersionInput", {
  description: "A new description for a model version.",
  fields: (t) => ({
    name: t.string({ required: true, description: "The registered model's name." }),
    version: t.int({ required: true, description: "The version number." }),
    description: t.string({ required: true, description: "The new description." }),
  }),
});

const SetModelVersionTagInput = builder.inputType("SetModelVersionTagInput", {
  description: "A tag to set (or overwrite) on a model version.",
  fields: (t) => ({
    name: t.string({ required: true, description: "The registered model's name." }),
    version: t.int({ required: true, description: "The version number." }),
    key: t.string({ required: true, description: "Tag key." }),
    value: t.string({ required: true, description: "Tag value." }),
  }),
});

const DeleteModelVersionTagInput = builder.inputType("DeleteModelVersionTagInput", {
  description: "A tag to remove from a model version.",
  fields: (t) => ({
    name: t.string({ required: true, description: "The registered model's name." }),
    version: t.int({ required: true, description: "The version number." }),
    key: t.string({ required: true, description: "Tag key." }),
  }),
});

const SetRegisteredModelAliasInput = builder.inputType("SetRegisteredModelAliasInput", {
  description: "Points an alias at a version (moving it when it pointed elsewhere).",
  fields: (t) => ({
    name: t.string({ required: true, description: "The registered model's name." }),
    alias: t.string({
      required: true,
      description: "Letters, digits, `_` and `-`; not `latest` (reserved) nor `v<digits>`.",
    }),
    version: t.int({ required: true, description: "The version it is to point at." }),
  }),
});

const DeleteRegisteredModelAliasInput = builder.inputType("DeleteRegisteredModelAliasInput", {
  description: "An alias to remove from a registered model.",
  fields: (t) => ({
    name: t.string({ required: true, description: "The registered model's name." }),
    alias: t.string({ required: true, description: "The alias." }),
  }),
});

async function reloadModel(ctx: Context, name: string) {
  const registeredModel = await getRegisteredModel(ctx.db, name);
  if (!registeredModel) throw new Error(`registered model '${name}' vanished after a change`);
  return { registeredModel };
}

async function reloadVersion(ctx: Context, name: string, version: number) {
  const modelVersion = await getModelVersion(ctx.db, name, { version });
  if (!modelVersion) throw new Error(`version ${version} of '${name}' vanished after a change`);
  return { modelVersion };
}

builder.mutationFields((t) => ({
  createRegisteredModel: t.field({
    type: RegisteredModelPayload,
    description: "Creates a registered model; a name already taken is ALREADY_EXISTS.",
    args: {
      input: t.arg({ type: CreateRegisteredModelInput, required: true, description: "The model." }),
    },
    resolve: async (_root, { input }, ctx) => ({
      registeredModel: await createRegisteredModel(ctx.db, {
        name: input.name,
        description: input.description ?? undefined,
        tags: input.tags ?? undefined,
      }),
    }),
  }),
  renameRegisteredModel: t.field({
    type: RegisteredModelPayload,
    description: "Renames a registered model; its versions, tags and aliases follow.",
    args: {
      input: t.arg({
        type: RenameRegisteredModelInput,
        required: true,
        description: "Which model, and its new name.",
      }),
    },
    resolve: async (_root, { input }, ctx) => ({
      registeredModel: await renameRegisteredModel(ctx.db, input.name, input.newName),
    }),
  }),
  updateRegisteredModel: t.field({
    type: RegisteredModelPayload,
    description: "Sets a registered model's description.",
    args: {
      input: t.arg({
        type: UpdateRegisteredModelInput,
        required: true,
        description: "Which model, and its description.",
      }),
    },
    resolve: async (_root, { input }, ctx) => ({
      registeredModel: await updateRegisteredModel(ctx.db, input.name, {
        description: input.description,
      }),
    }),
  }),
  deleteRegisteredModel: t.field({
    type: RegisteredModelPayload,
    description:
      "Deletes a registered model with its versions, tags and aliases, for good (the runs' files stay).",
    args: {
      input: t.arg({
        type: RegisteredModelNameInput,
        required: true,
        description: "The model to delete.",
      }),
    },
    resolve: async (_root, { input }, ctx) => ({
      registeredModel: await deleteRegisteredModel(ctx.db, input.name),
    }),
  }),
  setRegisteredModelTag: t.field({
    type: RegisteredModelPayload,
    description: "Sets a tag on a registered model, replacing the value of an existing key.",
    args: {
      input: t.arg({
        type: SetRegisteredModelTagInput,
        required: true,
        description: "Which model, and the tag.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      await setRegisteredModelTag(ctx.db, input.name, { key: input.key, value: input.value });
      return reloadModel(ctx, input.name);
    },
  }),
  deleteRegisteredModelTag: t.field({
    type: RegisteredModelPayload,
    description: "Removes a tag from a registered model; NOT_FOUND when it has no such tag.",
    args: {
      input: t.arg({
        type: DeleteRegisteredModelTagInput,
        required: true,
        description: "Which model, and the tag key.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      await deleteRegisteredModelTag(ctx.db, input.name, input.key);
      return reloadModel(ctx, input.name);
    },
  }),
  createModelVersion: t.field({
    type: ModelVersionPayload,
    description:
      "Registers a run's logged model as the next version (1, 2, 3…) of a registered model, creating the model when needed.",
    args: {
      input: t.arg({
        type: CreateModelVersionInput,
        required: true,
        description: "The model and the run's model to register.",
      }),
    },
    resolve: async (_root, { input }, ctx) => ({
      modelVersion: await createModelVersion(ctx.db, {
        name: input.name,
        source: input.source,
        runId: input.runId ?? undefined,
        description: input.description ?? undefined,
        tags: input.tags ?? undefined,
      }),
    }),
  }),
  updateModelVersion: t.field({
    type: ModelVersionPayload,
    description: "Sets a model version's description.",
    args: {
      input: t.arg({
        type: UpdateModelVersionInput,
        required: true,
        description: "Which version, and its description.",
      }),
    },
    resolve: async (_root, { input }, ctx) => ({
      modelVersion: await updateModelVersion(ctx.db, input.name, input.version, {
        description: input.description,
      }),
    }),
  }),
  deleteModelVersion: t.field({
    type: ModelVersionPayload,
    description:
      "Deletes one version for good with its tags and the aliases on it; its number is not reused.",
    args: {
      input: t.arg({
        type: ModelVersionRefInput,
        required: true,
        description: "The version to delete.",
      }),
    },
    resolve: async (_root, { input }, ctx) => ({
      modelVersion: await deleteModelVersion(ctx.db, input.name, input.version),
    }),
  }),
  setModelVersionTag: t.field({
    type: ModelVersionPayload,
    description: "Sets a tag on a model version, replacing the value of an existing key.",
    args: {
      input: t.arg({
        type: SetModelVersionTagInput,
        required: true,
        description: "Which version, and the tag.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      await setModelVersionTag(ctx.db, input.name, input.version, {
        key: input.key,
        value: input.value,
      });
      return reloadVersion(ctx, input.name, input.version);
    },
  }),
  deleteModelVersionTag: t.field({
    type: ModelVersionPayload,
    description: "Removes a tag from a model version; NOT_FOUND when it has no such tag.",
    args: {
      input: t.arg({
        type: DeleteModelVersionTagInput,
        required: true,
        description: "Which version, and the tag key.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      await deleteModelVersionTag(ctx.db, input.name, input.version, input.key);
      return reloadVersion(ctx, input.name, input.version);
    },
  }),
  setRegisteredModelAlias: t.field({
    type: ModelVersionPayload,
    description:
      "Points an alias (`champion`) at a version, moving it from the version it named before; `latest` is reserved.",
    args: {
      input: t.arg({
        type: SetRegisteredModelAliasInput,
        required: true,
        description: "Which model, the alias and the version.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      await setRegisteredModelAlias(ctx.db, input.name, input.alias, input.version);
      return reloadVersion(ctx, input.name, input.version);
    },
  }),
  deleteRegisteredModelAlias: t.field({
    type: RegisteredModelPayload,
    description: "Removes an alias from a registered model; NOT_FOUND when it has none such.",
    args: {
      input: t.arg({
        type: DeleteRegisteredModelAliasInput,
        required: true,
        description: "Which model, and the alias.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      await deleteRegisteredModelAlias(ctx.db, input.name, input.alias);
      return reloadModel(ctx, input.name);
    },
  }),
}));
