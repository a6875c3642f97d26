export * from "./batches.ts";
export * from "./experiments.ts";
export * from "./metrics.ts";
export * from "./runs.ts";
