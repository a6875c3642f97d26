import { lexicographicSortSchema } from "graphql";
import { builder } from "../builder.ts";
import "./scalars.ts";
import "./refs.ts";
import "./experiment.ts";
import "./run.ts";
import "./metric.ts";
import "./metric-groups.ts";
import "./log-batch.ts";
import "./artifact.ts";
import "./model.ts";

builder.queryType({ description: "Read experiments, runs and metrics." });
builder.mutationType({
  description: "Create and change experiments and runs; log params, tags and metrics.",
});

/** The whole API schema, with types and fields sorted so its printed form diffs stably. */
export const schema = lexicographicSortSchema(builder.toSchema());
