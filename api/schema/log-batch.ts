import { getRun, logBatch } from "../../db/index.ts";
import { builder } from "../builder.ts";
import { KeyValueInput, RunRef } from "./refs.ts";

const MetricColumnsInput = builder.inputType("MetricColumnsInput", {
  description:
    "Points of one metric as parallel lists: the i-th value is logged at the i-th step and timestamp.",
  fields: (t) => ({
    key: t.string({ required: true, description: "The metric's name." }),
    values: t.field({
      type: "MetricValueList",
      required: true,
      description: "Values; NaN and ±Infinity allowed.",
    }),
    steps: t.field({
      type: "LongList",
      description: "One step per value; 0 for every value when omitted.",
    }),
    timestamps: t.field({
      type: "LongList",
      description: "One time (ms UTC) per value; now when omitted.",
    }),
  }),
});

const LogBatchInput = builder.inputType("LogBatchInput", {
  description: "Params, tags and metric points for one run, applied all together or not at all.",
  fields: (t) => ({
    runId: t.id({ required: true, description: "The run to log to." }),
    batchId: t.string({
      description:
        "A client-chosen id: a batch re-sent with the same id is applied once and acknowledged again.",
    }),
    params: t.field({
      type: [KeyValueInput],
      description: "Params; logging another value for a key is a CONFLICT.",
    }),
    tags: t.field({ type: [KeyValueInput], description: "Tags; existing keys get the new value." }),
    metrics: t.field({
      type: [MetricColumnsInput],
      description: "Metric points, one entry per key.",
    }),
  }),
});

const LogBatchPayload = builder
  .objectRef<{ runId: string; applied: boolean; points: number }>("LogBatchPayload")
  .implement({
    description: "The acknowledgement of a batch: once returned, every point of it is stored.",
    fields: (t) => ({
      // Read only when asked for: training scripts select `applied`, and this is their hot path.
      run: t.field({
        type: RunRef,
        description: "The run logged to.",
        resolve: async (p, _args, ctx) => {
          const run = await getRun(ctx.db, p.runId);
          if (!run) throw new Error(`run ${p.runId} vanished after logging`);
          return run;
        },
      }),
      applied: t.exposeBoolean("applied", {
        description:
          "False when the batch id had been applied before and this call only acknowledged it.",
      }),
      points: t.exposeInt("points", { description: "How many metric points the batch holds." }),
    }),
  });

builder.mutationField("logBatch", (t) =>
  t.field({
    type: LogBatchPayload,
    description: "The write path for params, tags and metrics: atomic and idempotent by `batchId`.",
    args: {
      input: t.arg({
        type: LogBatchInput,
        required: true,
        description: "The run, and what to log to it.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      const runId = String(input.runId);
      const result = await logBatch(
        ctx.db,
        {
          runId,
          batchId: input.batchId,
          params: input.params,
          tags: input.tags,
          metrics: input.metrics,
        },
        ctx.batchLimits,
      );
      return { runId, ...result };
    },
  }),
);
