import {
  createExperiment,
  type Db,
  deleteExperiment,
  deleteExperimentTag,
  type Experiment,
  getExperiment,
  getExperimentByName,
  listExperiments,
  renameExperiment,
  restoreExperiment,
  searchRuns,
  setExperimentTag,
} from "../../db/index.ts";
import { builder } from "../builder.ts";
import { connectionType, pageWindow } from "./connection.ts";
import { ExperimentRef, KeyValueInput, LifecycleStageEnum, TagRef, ViewTypeEnum } from "./refs.ts";
import { RunConnection } from "./run.ts";

ExperimentRef.implement({
  description: "A named group of runs, e.g. one model trained many ways.",
  fields: (t) => ({
    id: t.exposeID("id", { description: 'A string of digits; the Default experiment is "0".' }),
    name: t.exposeString("name", {
      description: "Unique among all experiments, deleted ones included.",
    }),
    artifactLocation: t.exposeString("artifactLocation", {
      description: "Where this experiment's runs store artifacts (a URI).",
    }),
    lifecycleStage: t.field({
      type: LifecycleStageEnum,
      description: "ACTIVE, or DELETED (restorable).",
      resolve: (e) => e.lifecycleStage,
    }),
    creationTime: t.field({
      type: "Long",
      description: "Milliseconds UTC.",
      resolve: (e) => e.creationTime,
    }),
    lastUpdateTime: t.field({
      type: "Long",
      description: "Milliseconds UTC of the last rename, tag or lifecycle change.",
      resolve: (e) => e.lastUpdateTime,
    }),
    tags: t.field({
      type: [TagRef],
      description: "The experiment's tags, by key.",
      resolve: (e, _args, ctx) => ctx.loaders.experimentTags.load(e.id),
    }),
    runCount: t.int({
      description: "How many active runs the experiment holds.",
      resolve: async (e, _args, ctx) => (await ctx.loaders.experimentRunCount.load(e.id)) ?? 0,
    }),
    runs: t.field({
      type: RunConnection,
      description: "The experiment's runs, newest first unless ordered otherwise.",
      args: {
        filter: t.arg.string({
          description:
            "The search language, e.g. `metrics.accuracy > 0.9 or tags.team = 'vision'`.",
        }),
        orderBy: t.arg.stringList({
          description:
            "Clauses like `metrics.accuracy DESC`, `params.lr`, `attributes.start_time ASC`.",
        }),
        view: t.arg({
          type: ViewTypeEnum,
          description: "Which lifecycle stages to include (ACTIVE_ONLY).",
        }),
        first: t.arg.int({ description: "Page size: 100 by default, at most 1000." }),
        after: t.arg.string({ description: "The `endCursor` of the previous page." }),
      },
      resolve: async (e, args, ctx) => {
        const window = pageWindow(args);
        const { runs, totalCount } = await searchRuns(ctx.db, {
          experimentIds: [e.id],
          filter: args.filter ?? undefined,
          orderBy: args.orderBy ?? undefined,
          view: args.view ?? undefined,
          ...window,
        });
        for (const run of runs) ctx.loaders.run.prime(run.id, run);
        return { items: runs, offset: window.offset, totalCount };
      },
    }),
  }),
});

const ExperimentConnection = connectionType("Experiment", ExperimentRef, "A page of experiments.");

builder.queryFields((t) => ({
  experiment: t.field({
    type: ExperimentRef,
    nullable: true,
    description: "One experiment by id or by name; null when there is none.",
    args: {
      id: t.arg.id({ description: "The experiment's id." }),
      name: t.arg.string({ description: "The experiment's name." }),
    },
    resolve: async (_root, args, ctx) => {
      if (args.id != null) return ctx.loaders.experiment.load(String(args.id));
      if (args.name != null) return (await getExperimentByName(ctx.db, args.name)) ?? null;
      return null;
    },
  }),
  experiments: t.field({
    type: ExperimentConnection,
    description: "Experiments, newest first.",
    args: {
      filter: t.arg.string({
        description:
          "The search language over `name`, `creation_time`, `last_update_time` and `tags.<key>`, e.g. `name LIKE 'mnist%' and tags.team = 'vision'`.",
      }),
      view: t.arg({
        type: ViewTypeEnum,
        description: "Which lifecycle stages to include (ACTIVE_ONLY).",
      }),
      first: t.arg.int({ description: "Page size: 100 by default, at most 1000." }),
      after: t.arg.string({ description: "The `endCursor` of the previous page." }),
    },
    resolve: async (_root, args, ctx) => {
      const window = pageWindow(args);
      const { experiments, totalCount } = await listExperiments(ctx.db, {
        view: args.view ?? "active",
        filter: args.filter ?? undefined,
        ...window,
      });
      return { items: experiments, offset: window.offset, totalCount };
    },
  }),
}));

const ExperimentPayload = builder.objectRef<{ experiment: Experiment }>("ExperimentPayload");
ExperimentPayload.implement({
  description: "The experiment a mutation created or changed.",
  fields: (t) => ({
    experiment: t.field({
      type: ExperimentRef,
      description: "The experiment as it is now.",
      resolve: (p) => p.experiment,
    }),
  }),
});

const CreateExperimentInput = builder.inputType("CreateExperimentInput", {
  description: "A new experiment.",
  fields: (t) => ({
    name: t.string({ required: true, description: "Unique name, up to 500 characters." }),
    artifactLocation: t.string({ description: "Artifact URI; by default `<artifact root>/<id>`." }),
    tags: t.field({ type: [KeyValueInput], description: "Tags to set at creation." }),
  }),
});

const ExperimentIdInput = builder.inputType("ExperimentIdInput", {
  description: "Names one experiment.",
  fields: (t) => ({ experimentId: t.id({ required: true, description: "The experiment's id." }) }),
});

const RenameExperimentInput = builder.inputType("RenameExperimentInput", {
  description: "A new name for an experiment.",
  fields: (t) => ({
    experimentId: t.id({ required: true, description: "The experiment's id." }),
    name: t.string({ required: true, description: "The new, unique name." }),
  }),
});

const SetExperimentTagInput = builder.inputType("SetExperimentTagInput", {
  description: "A tag to set (or overwrite) on an experiment.",
  fields: (t) => ({
    experimentId: t.id({ required: true, description: "The experiment's id." }),
    key: t.string({ required: true, description: "Tag key." }),
    value: t.string({ required: true, description: "Tag value." }),
  }),
});

const DeleteExperimentTagInput = builder.inputType("DeleteExperimentTagInput", {
  description: "A tag to remove from an experiment.",
  fields: (t) => ({
    experimentId: t.id({ required: true, description: "The experiment's id." }),
    key: t.string({ required: true, description: "Tag key." }),
  }),
});

/** The experiment after a change that returns nothing itself (tags). */
async function reload(ctx: { db: Db }, id: string): Promise<{ experiment: Experiment }> {
  const experiment = await getExperiment(ctx.db, id);
  if (!experiment) throw new Error(`experiment ${id} vanished after a change`);
  return { experiment };
}

builder.mutationFields((t) => ({
  createExperiment: t.field({
    type: ExperimentPayload,
    description:
      "Creates an experiment; a name already taken (even by a deleted one) is a CONFLICT.",
    args: {
      input: t.arg({
        type: CreateExperimentInput,
        required: true,
        description: "The experiment to create.",
      }),
    },
    resolve: async (_root, { input }, ctx) => ({
      experiment: await createExperiment(ctx.db, {
        name: input.name,
        artifactLocation: input.artifactLocation ?? undefined,
        tags: input.tags ?? undefined,
      }),
    }),
  }),
  renameExperiment: t.field({
    type: ExperimentPayload,
    description: "Renames an experiment.",
    args: {
      input: t.arg({
        type: RenameExperimentInput,
        required: true,
        description: "Which experiment, and its new name.",
      }),
    },
    resolve: async (_root, { input }, ctx) => ({
      experiment: await renameExperiment(ctx.db, String(input.experimentId), input.name),
    }),
  }),
  deleteExperiment: t.field({
    type: ExperimentPayload,
    description: "Marks an experiment and its runs deleted; restorable until garbage collection.",
    args: {
      input: t.arg({
        type: ExperimentIdInput,
        required: true,
        description: "The experiment to delete.",
      }),
    },
    resolve: async (_root, { input }, ctx) => ({
      experiment: await deleteExperiment(ctx.db, String(input.experimentId)),
    }),
  }),
  restoreExperiment: t.field({
    type: ExperimentPayload,
    description: "Restores a deleted experiment and the runs deleted with it.",
    args: {
      input: t.arg({
        type: ExperimentIdInput,
        required: true,
        description: "The experiment to restore.",
      }),
    },
    resolve: async (_root, { input }, ctx) => ({
      experiment: await restoreExperiment(ctx.db, String(input.experimentId)),
    }),
  }),
  setExperimentTag: t.field({
    type: ExperimentPayload,
    description: "Sets a tag on an experiment, replacing the value of an existing key.",
    args: {
      input: t.arg({
        type: SetExperimentTagInput,
        required: true,
        description: "Which experiment, and the tag to set.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      await setExperimentTag(ctx.db, String(input.experimentId), {
        key: input.key,
        value: input.value,
      });
      return reload(ctx, String(input.experimentId));
    },
  }),
  deleteExperimentTag: t.field({
    type: ExperimentPayload,
    description: "Removes a tag from an experiment; NOT_FOUND when it has no such tag.",
    args: {
      input: t.arg({
        type: DeleteExperimentTagInput,
        required: true,
        description: "Which experiment, and the tag key to remove.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      await deleteExperimentTag(ctx.db, String(input.experimentId), input.key);
      return reload(ctx, String(input.experimentId));
    },
  }),
}));
