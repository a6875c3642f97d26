/** The store: every SQL statement labbook runs lives under db/. */
export * from "./artifact-hashes.ts";
export * from "./artifacts.ts";
export * from "./backup.ts";
export * from "./errors.ts";
export * from "./experiments.ts";
export * from "./garbage.ts";
export * from "./log-batch.ts";
export * from "./logged-model-artifacts.ts";
export * from "./logged-model-data.ts";
export * from "./logged-models.ts";
export * from "./metric-groups.ts";
export * from "./metric-history.ts";
export * from "./model-registry.ts";
export * from "./open-db.ts";
export * from "./run-data.ts";
export * from "./run-inputs.ts";
export { generateRunName } from "./run-names.ts";
export * from "./runs.ts";
export type {
  LoggedModelStatus,
  ModelVersionStatus,
  RunStatus,
  SpecialValue,
} from "./schema/index.ts";
export { loggedModelStatuses, runStatuses } from "./schema/index.ts";
export * from "./search-logged-models.ts";
export * from "./search-runs.ts";
export { limits, maxSafeInteger } from "./validation.ts";
export * from "./writer-lock.ts";
