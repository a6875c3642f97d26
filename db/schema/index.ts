export * from "./artifacts.ts";
export * from "./batches.ts";
export * from "./experiments.ts";
export * from "./metrics.ts";
export * from "./models.ts";
export * from "./runs.ts";
