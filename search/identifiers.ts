import type { EntityKind } from "./ast.ts";

/** Every spelling MLflow accepts for an entity prefix. */
export const entityByPrefix: Record<string, EntityKind> = {
  metric: "metric",
  metrics: "metric",
  param: "param",
  params: "param",
  parameter: "param",
  parameters: "param",
  tag: "tag",
  tags: "tag",
  attribute: "attribute",
  attributes: "attribute",
  attr: "attribute",
  run: "attribute",
};

/** Canonical attribute names, by every name accepted for them. */
export const runAttributeAliases: Record<string, RunAttribute> = {
  run_id: "run_id",
  id: "run_id",
  run_name: "run_name",
  name: "run_name",
  status: "status",
  start_time: "start_time",
  end_time: "end_time",
  artifact_uri: "artifact_uri",
  experiment_id: "experiment_id",
};
export type RunAttribute =
  | "run_id"
  | "run_name"
  | "status"
  | "start_time"
  | "end_time"
  | "artifact_uri"
  | "experiment_id";
export const numericRunAttributes: readonly RunAttribute[] = ["start_time", "end_time"];

export const experimentAttributeAliases: Record<string, ExperimentAttribute> = {
  name: "name",
  experiment_id: "experiment_id",
  id: "experiment_id",
  creation_time: "creation_time",
  last_update_time: "last_update_time",
};
export type ExperimentAttribute = "name" | "experiment_id" | "creation_time" | "last_update_time";
export const numericExperimentAttributes: readonly ExperimentAttribute[] = [
  "creation_time",
  "last_update_time",
];

/** Registered models (the model registry): searched by name, times and tags. */
export const registeredModelAttributeAliases: Record<string, RegisteredModelAttribute> = {
  name: "name",
  creation_time: "creation_time",
  last_update_time: "last_update_time",
};
export type RegisteredModelAttribute = "name" | "creation_time" | "last_update_time";
export const numericRegisteredModelAttributes: readonly RegisteredModelAttribute[] = [
  "creation_time",
  "last_update_time",
];
