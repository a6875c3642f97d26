import {
  createRun,
  deleteRun,
  deleteRunTag,
  getRun,
  type Run,
  type RunStatus,
  restoreRun,
  searchRuns,
  setRunTag,
  updateRun,
} from "../../db/index.ts";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { connectionType, pageWindow } from "./connection.ts";
import {
  ExperimentRef,
  KeyValueInput,
  LifecycleStageEnum,
  MetricRef,
  ParamRef,
  RunRef,
  TagRef,
  ViewTypeEnum,
} from "./refs.ts";

export const RunStatusEnum = builder.enumType("RunStatus", {
  description: "Where a run is in its life. FINISHED, FAILED and KILLED set the end time.",
  values: {
    RUNNING: { value: "RUNNING", description: "Executing (a new run's status)." },
    SCHEDULED: { value: "SCHEDULED", description: "Waiting to be executed." },
    FINISHED: { value: "FINISHED", description: "Completed successfully." },
    FAILED: { value: "FAILED", description: "Stopped by an error." },
    KILLED: { value: "KILLED", description: "Stopped on purpose before completing." },
  } as const satisfies Record<RunStatus, { value: RunStatus; description: string }>,
});

RunRef.implement({
  description: "One execution of training code: its params, tags and metrics.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "32 hexadecimal characters." }),
    name: t.exposeString("name", {
      description: "Given at creation, or generated (`swift-otter-42`).",
    }),
    experimentId: t.exposeID("experimentId", { description: "The experiment the run belongs to." }),
    experiment: t.field({
      type: ExperimentRef,
      description: "The experiment the run belongs to.",
      resolve: async (run, _args, ctx) => {
        const experiment = await ctx.loaders.experiment.load(run.experimentId);
        if (!experiment)
          throw new Error(`run ${run.id} points at missing experiment ${run.experimentId}`);
        return experiment;
      },
    }),
    status: t.field({
      type: RunStatusEnum,
      description: "RUNNING on creation.",
      resolve: (run) => run.status,
    }),
    startTime: t.field({
      type: "Long",
      description: "Milliseconds UTC.",
      resolve: (run) => run.startTime,
    }),
    endTime: t.field({
      type: "Long",
      nullable: true,
      description: "Milliseconds UTC; set when the run reaches a terminal status.",
      resolve: (run) => run.endTime,
    }),
    lifecycleStage: t.field({
      type: LifecycleStageEnum,
      description: "ACTIVE, or DELETED (restorable).",
      resolve: (run) => run.lifecycleStage,
    }),
    artifactUri: t.exposeString("artifactUri", {
      description: "Where the run's artifacts live: `<experiment location>/<run id>/artifacts`.",
    }),
    parentRunId: t.exposeID("parentRunId", {
      nullable: true,
      description: "The parent of a nested run.",
    }),
    parent: t.field({
      type: RunRef,
      nullable: true,
      description: "The parent of a nested run.",
      resolve: (run, _args, ctx) =>
        run.parentRunId ? ctx.loaders.run.load(run.parentRunId) : null,
    }),
    children: t.field({
      type: [RunRef],
      description: "Active runs nested under this one, oldest first.",
      resolve: (run, _args, ctx) => ctx.loaders.childRuns.load(run.id),
    }),
    params: t.field({
      type: [ParamRef],
      description: "Parameters, by key.",
      resolve: (run, _args, ctx) => ctx.loaders.params.load(run.id),
    }),
    param: t.string({
      nullable: true,
      description: "The value of one parameter; null when it was never logged.",
      args: { key: t.arg.string({ required: true, description: "The parameter's key." }) },
      resolve: async (run, { key }, ctx) =>
        (await ctx.loaders.params.load(run.id)).find((param) => param.key === key)?.value ?? null,
    }),
    tags: t.field({
      type: [TagRef],
      description: "Tags, by key.",
      resolve: (run, _args, ctx) => ctx.loaders.tags.load(run.id),
    }),
    metrics: t.field({
      type: [MetricRef],
      description: "A summary of every metric logged, by key.",
      resolve: (run, _args, ctx) => ctx.loaders.metrics.load(run.id),
    }),
    metric: t.field({
      type: MetricRef,
      nullable: true,
      description: "One metric by key; null when it was never logged.",
      args: { key: t.arg.string({ required: true, description: "The metric's key." }) },
      resolve: async (run, { key }, ctx) =>
        (await ctx.loaders.metrics.load(run.id)).find((metric) => metric.key === key) ?? null,
    }),
  }),
});

export const RunConnection = connectionType("Run", RunRef, "A page of runs.");

builder.queryFields((t) => ({
  run: t.field({
    type: RunRef,
    nullable: true,
    description: "One run by id; null when there is none.",
    args: { id: t.arg.id({ required: true, description: "The run's id." }) },
    resolve: (_root, { id }, ctx) => ctx.loaders.run.load(String(id)),
  }),
  runs: t.field({
    type: RunConnection,
    description:
      "Runs of some experiments (all when none are named), newest first unless ordered otherwise.",
    args: {
      experimentIds: t.arg.idList({ description: "Experiments to search." }),
      filter: t.arg.string({
        description:
          "MLflow's search grammar plus OR, NOT and parentheses, e.g. `metrics.accuracy > 0.9 and params.lr = '0.001'`. A metric means its latest value.",
      }),
      orderBy: t.arg.stringList({
        description:
          "Clauses like `metrics.accuracy DESC`, `params.lr`, `attributes.start_time ASC`; missing values and NaN sort last.",
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
      const { runs, totalCount } = await searchRuns(ctx.db, {
        experimentIds: args.experimentIds?.map(String),
        filter: args.filter ?? undefined,
        orderBy: args.orderBy ?? undefined,
        view: args.view ?? undefined,
        ...window,
      });
      for (const run of runs) ctx.loaders.run.prime(run.id, run);
      return { items: runs, offset: window.offset, totalCount };
    },
  }),
}));

const RunPayload = builder.objectRef<{ run: Run }>("RunPayload").implement({
  description: "The run a mutation created or changed.",
  fields: (t) => ({
    run: t.field({ type: RunRef, description: "The run as it is now.", resolve: (p) => p.run }),
  }),
});

const CreateRunInput = builder.inputType("CreateRunInput", {
  description: "A new run, RUNNING unless told otherwise.",
  fields: (t) => ({
    experimentId: t.id({ description: 'The experiment; "0" (Default) when omitted.' }),
    name: t.string({ description: "A display name; generated when omitted." }),
    startTime: t.field({ type: "Long", description: "Milliseconds UTC; now when omitted." }),
    status: t.field({ type: RunStatusEnum, description: "RUNNING when omitted." }),
    tags: t.field({ type: [KeyValueInput], description: "Tags to set at creation." }),
    parentRunId: t.id({ description: "Makes this a nested run of that run." }),
  }),
});

const UpdateRunInput = builder.inputType("UpdateRunInput", {
  description: "Changes to a run's status, end time or name.",
  fields: (t) => ({
    runId: t.id({ required: true, description: "The run's id." }),
    status: t.field({ type: RunStatusEnum, description: "A terminal status sets the end time." }),
    endTime: t.field({
      type: "Long",
      description: "Milliseconds UTC; now when a terminal status is set without it.",
    }),
    name: t.string({ description: "A new display name." }),
  }),
});

const RunIdInput = builder.inputType("RunIdInput", {
  description: "Names one run.",
  fields: (t) => ({ runId: t.id({ required: true, description: "The run's id." }) }),
});

const SetRunTagInput = builder.inputType("SetRunTagInput", {
  description: "A tag to set (or overwrite) on a run.",
  fields: (t) => ({
    runId: t.id({ required: true, description: "The run's id." }),
    key: t.string({ required: true, description: "Tag key." }),
    value: t.string({ required: true, description: "Tag value." }),
  }),
});

const DeleteRunTagInput = builder.inputType("DeleteRunTagInput", {
  description: "A tag to remove from a run.",
  fields: (t) => ({
    runId: t.id({ required: true, description: "The run's id." }),
    key: t.string({ required: true, description: "Tag key." }),
  }),
});

async function reloadRun(ctx: Context, runId: string): Promise<{ run: Run }> {
  const run = await getRun(ctx.db, runId);
  if (!run) throw new Error(`run ${runId} vanished after a change`);
  return { run };
}

builder.mutationFields((t) => ({
  createRun: t.field({
    type: RunPayload,
    description: "Starts a run in an experiment.",
    args: {
      input: t.arg({ type: CreateRunInput, required: true, description: "The run to create." }),
    },
    resolve: async (_root, { input }, ctx) => ({
      run: await createRun(ctx.db, {
        experimentId: input.experimentId == null ? undefined : String(input.experimentId),
        name: input.name ?? undefined,
        startTime: input.startTime ?? undefined,
        status: input.status ?? undefined,
        tags: input.tags ?? undefined,
        parentRunId: input.parentRunId == null ? undefined : String(input.parentRunId),
      }),
    }),
  }),
  updateRun: t.field({
    type: RunPayload,
    description:
      "Changes a run's status (FINISHED, FAILED, KILLED set the end time), end time or name.",
    args: {
      input: t.arg({
        type: UpdateRunInput,
        required: true,
        description: "Which run, and what to change.",
      }),
    },
    resolve: async (_root, { input }, ctx) => ({
      run: await updateRun(ctx.db, {
        runId: String(input.runId),
        status: input.status ?? undefined,
        endTime: input.endTime ?? undefined,
        name: input.name ?? undefined,
      }),
    }),
  }),
  deleteRun: t.field({
    type: RunPayload,
    description: "Marks a run deleted; restorable until garbage collection.",
    args: { input: t.arg({ type: RunIdInput, required: true, description: "The run to delete." }) },
    resolve: async (_root, { input }, ctx) => ({
      run: await deleteRun(ctx.db, String(input.runId)),
    }),
  }),
  restoreRun: t.field({
    type: RunPayload,
    description: "Restores a deleted run.",
    args: {
      input: t.arg({ type: RunIdInput, required: true, description: "The run to restore." }),
    },
    resolve: async (_root, { input }, ctx) => ({
      run: await restoreRun(ctx.db, String(input.runId)),
    }),
  }),
  setRunTag: t.field({
    type: RunPayload,
    description: "Sets a tag on a run, replacing the value of an existing key.",
    args: {
      input: t.arg({
        type: SetRunTagInput,
        required: true,
        description: "Which run, and the tag to set.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      await setRunTag(ctx.db, String(input.runId), { key: input.key, value: input.value });
      return reloadRun(ctx, String(input.runId));
    },
  }),
  deleteRunTag: t.field({
    type: RunPayload,
    description: "Removes a tag from a run; NOT_FOUND when it has no such tag.",
    args: {
      input: t.arg({
        type: DeleteRunTagInput,
        required: true,
        description: "Which run, and the tag key to remove.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      await deleteRunTag(ctx.db, String(input.runId), input.key);
      return reloadRun(ctx, String(input.runId));
    },
  }),
}));
