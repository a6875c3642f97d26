/** The store: every SQL statement labbook runs lives under db/. */
export * from "./artifacts.ts";
export * from "./backup.ts";
export * from "./errors.ts";
export * from "./experiments.ts";
export * from "./garbage.ts";
export * from "./log-batch.ts";
export * from "./metric-history.ts";
export * from "./model-registry.ts";
export * from "./open-db.ts";
export * from "./run-data.ts";
export * from "./runs.ts";
export type { ModelVersionStatus, RunStatus, SpecialValue } from "./schema/index.ts";
export { runStatuses } from "./schema/index.ts";
export * from "./search-runs.ts";
export { limits, maxSafeInteger } from "./validation.ts";
export * from "./writer-lock.ts";
