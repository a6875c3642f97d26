export * from "./artifacts.ts";
export * from "./batches.ts";
export * from "./experiments.ts";
export * from "./logged-models.ts";
export * from "./metrics.ts";
export * from "./models.ts";
export * from "./run-inputs.ts";
export * from "./runs.ts";
