import { type MetricBand, type MetricGroup, maxGroupKeys, metricGroups } from "../../db/index.ts";
import { builder } from "../builder.ts";

const GroupValueRef = builder.objectRef<MetricGroup["values"][number]>("GroupValue").implement({
  description: "The value a group's runs share for one `groupBy` key.",
  fields: (t) => ({
    key: t.exposeString("key", {
      description: "The key as asked, normalized: `params.lr`, `tags.team`.",
    }),
    value: t.exposeString("value", {
      nullable: true,
      description: "The shared value; null for the runs that lack the key.",
    }),
  }),
});

const MetricBandRef = builder.objectRef<MetricBand>("MetricBand").implement({
  description:
    "A group's metric at one step (or one bucket of steps): the mean with its min–max band over the group's runs. NaN and ±Infinity are left out of mean, min and max.",
  fields: (t) => ({
    step: t.field({
      type: "Long",
      description:
        "The step; with `maxPoints`, the first step of the bucket (buckets of equal width start at the first step any selected run logged).",
      resolve: (band) => band.step,
    }),
    mean: t.field({
      type: "MetricValue",
      nullable: true,
      description:
        "The mean over the runs of each run's mean there (each run weighs the same, however many points it logged there); null when no run has a finite value there.",
      resolve: (band) => band.mean,
    }),
    min: t.field({
      type: "MetricValue",
      nullable: true,
      description: "The lowest finite value of any of the group's runs there; null when none.",
      resolve: (band) => band.min,
    }),
    max: t.field({
      type: "MetricValue",
      nullable: true,
      description: "The highest finite value of any of the group's runs there; null when none.",
      resolve: (band) => band.max,
    }),
    runs: t.exposeInt("runs", {
      description:
        "How many of the group's runs logged the metric there (any value, NaN included).",
    }),
  }),
});

const MetricGroupRef = builder.objectRef<MetricGroup>("MetricGroup").implement({
  description:
    "Runs that share the values of the `groupBy` keys, and their metric aggregated per step.",
  fields: (t) => ({
    values: t.field({
      type: [GroupValueRef],
      description: "The group's value of each `groupBy` key, in the order asked.",
      resolve: (group) => group.values,
    }),
    runIds: t.idList({
      description: "The group's runs, oldest first (also those that never logged the metric).",
      resolve: (group) => group.runIds,
    }),
    runCount: t.int({
      description: "How many runs the group has.",
      resolve: (group) => group.runIds.length,
    }),
    points: t.field({
      type: [MetricBandRef],
      description:
        "The aggregate curve in step order: a point per step some run of the group logged (per bucket with `maxPoints`).",
      resolve: (group) => group.points,
    }),
  }),
});

builder.queryFields((t) => ({
  metricGroups: t.field({
    type: [MetricGroupRef],
    description: `One metric aggregated over groups of runs, aligned on steps: the runs are selected as \`runs\` selects them (active runs only), grouped by equal values of the \`groupBy\` keys, and for each group and step the mean, min and max over the runs that logged that step are computed in the database. Groups come ordered by their values (numbers as numbers, missing values last). At most ${maxGroupKeys} groupBy keys.`,
    args: {
      key: t.arg.string({ required: true, description: "The metric to aggregate." }),
      groupBy: t.arg.stringList({
        required: true,
        description:
          "`params.<key>` or `tags.<key>` to group by; an empty list puts every selected run in one group.",
      }),
      runIds: t.arg.idList({ description: "Only these runs." }),
      experimentIds: t.arg.idList({
        description: "Only runs of these experiments (all experiments when omitted).",
      }),
      filter: t.arg.string({
        description:
          "The search grammar of `runs(filter:)`, e.g. `params.optimizer = 'adam' and metrics.val_acc > 0.9`.",
      }),
      maxPoints: t.arg.int({
        description:
          "At most this many points per group: steps are cut into buckets of equal width, each aggregating all of its points (at least 1). Every step when omitted.",
      }),
      minStep: t.arg({ type: "Long", description: "First step to include." }),
      maxStep: t.arg({ type: "Long", description: "Last step to include." }),
    },
    resolve: (_root, args, ctx) =>
      metricGroups(ctx.db, {
        key: args.key,
        groupBy: args.groupBy,
        runIds: args.runIds?.map(String),
        experimentIds: args.experimentIds?.map(String),
        filter: args.filter ?? undefined,
        maxPoints: args.maxPoints ?? undefined,
        minStep: args.minStep ?? undefined,
        maxStep: args.maxStep ?? undefined,
      }),
  }),
}));
