import { metricHistoryWindow } from "../../db/index.ts";
import { MetricHistoryRef, MetricRef } from "./refs.ts";

MetricRef.implement({
  description:
    "One metric of one run: a summary kept current on every write, and its full history on demand.",
  fields: (t) => ({
    key: t.exposeString("key", { description: "The metric's name." }),
    count: t.exposeInt("count", { description: "How many points were logged." }),
    last: t.field({
      type: "MetricValue",
      description: "The value at the highest step (then the newest timestamp).",
      resolve: (m) => m.last,
    }),
    lastStep: t.field({
      type: "Long",
      description: "The step of `last`.",
      resolve: (m) => m.lastStep,
    }),
    lastTimestamp: t.field({
      type: "Long",
      description: "The time of `last`, milliseconds UTC.",
      resolve: (m) => m.lastTimestamp,
    }),
    min: t.field({
      type: "MetricValue",
      nullable: true,
      description: "The smallest value, NaN ignored; null when every point is NaN.",
      resolve: (m) => m.min,
    }),
    minStep: t.field({
      type: "Long",
      nullable: true,
      description: "The step of `min`.",
      resolve: (m) => m.minStep,
    }),
    max: t.field({
      type: "MetricValue",
      nullable: true,
      description: "The largest value, NaN ignored; null when every point is NaN.",
      resolve: (m) => m.max,
    }),
    maxStep: t.field({
      type: "Long",
      nullable: true,
      description: "The step of `max`.",
      resolve: (m) => m.maxStep,
    }),
    history: t.field({
      type: MetricHistoryRef,
      description:
        "The points in step order, as parallel lists: all of them, or with `maxPoints` between maxPoints/2 and maxPoints points that keep the first, the last, the minimum and the maximum (M4 over per-block rollups, so long series are not read whole).",
      args: {
        maxPoints: t.arg.int({
          description: "Downsample to at most this many points (at least 2).",
        }),
        minStep: t.arg({ type: "Long", description: "First step to include (zoom)." }),
        maxStep: t.arg({ type: "Long", description: "Last step to include (zoom)." }),
      },
      resolve: (m, args, ctx) =>
        metricHistoryWindow(ctx.db, m.seriesId, {
          maxPoints: args.maxPoints ?? undefined,
          minStep: args.minStep ?? undefined,
          maxStep: args.maxStep ?? undefined,
        }),
    }),
  }),
});

MetricHistoryRef.implement({
  description:
    "A metric's points as parallel lists (the i-th step, value and timestamp form a point).",
  fields: (t) => ({
    steps: t.field({ type: ["Long"], description: "Steps, ascending.", resolve: (h) => h.steps }),
    values: t.field({
      type: ["MetricValue"],
      description: "Values; NaN and ±Infinity as strings.",
      resolve: (h) => h.values,
    }),
    timestamps: t.field({
      type: ["Long"],
      description: "Times in milliseconds UTC.",
      resolve: (h) => h.timestamps,
    }),
  }),
});
