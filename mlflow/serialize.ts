import type {
  Experiment,
  KeyValue,
  LoggedModel,
  MetricSummary,
  ModelMetric,
  ModelVersion,
  RegisteredModel,
  Run,
  RunInputsAndOutputs,
} from "../db/index.ts";
import { toProxyUri } from "./uris.ts";

/**
 * Store rows as MLflow's JSON (its protobuf messages through `message_to_json`): snake_case
 * fields, int64 as numbers, non-finite doubles as "NaN"/"Infinity"/"-Infinity", and empty lists
 * and absent fields left out.
 */

type Json = Record<string, unknown>;

/** A double as protobuf JSON writes it. */
export function jsonDouble(value: number): number | string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
  return value;
}

/** Copies the entries whose value is present: no undefined, null, or empty list. */
function present(fields: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(fields))
    if (value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0))
      out[key] = value;
  return out;
}

const keyValues = (items: readonly KeyValue[] | undefined) =>
  (items ?? []).map(({ key, value }) => ({ key, value }));

export function experimentJson(
  experiment: Experiment,
  tags: readonly KeyValue[] | undefined,
  artifactRoot: string,
): Json {
  return present({
    experiment_id: experiment.id,
    name: experiment.name,
    artifact_location: toProxyUri(experiment.artifactLocation, artifactRoot),
    lifecycle_stage: experiment.lifecycleStage,
    last_update_time: experiment.lastUpdateTime,
    creation_time: experiment.creationTime,
    tags: keyValues(tags),
  });
}

export function runInfoJson(run: Run, artifactRoot: string): Json {
  return present({
    run_uuid: run.id,
    experiment_id: run.experimentId,
    run_name: run.name,
    user_id: run.userId,
    status: run.status,
    start_time: run.startTime,
    end_time: run.endTime,
    artifact_uri: toProxyUri(run.artifactUri, artifactRoot),
    lifecycle_stage: run.lifecycleStage,
    run_id: run.id,
  });
}

/** A run's latest value of each metric, as MLflow's `RunData.metrics`. */
export function latestMetricJson(summary: MetricSummary): Json {
  return {
    key: summary.key,
    value: jsonDouble(summary.last),
    timestamp: summary.lastTimestamp,
    step: summary.lastStep,
  };
}

export interface RunDetails {
  params?: readonly KeyValue[] | undefined;
  tags?: readonly KeyValue[] | undefined;
  metrics?: readonly MetricSummary[] | undefined;
  io?: RunInputsAndOutputs | undefined;
}

export function runInputsJson(io: RunInputsAndOutputs | undefined): Json {
  return present({
    dataset_inputs: (io?.datasetInputs ?? []).map((input) =>
      present({
        tags: keyValues(input.tags),
        dataset: present({
          name: input.dataset.name,
          digest: input.dataset.digest,
          source_type: input.dataset.sourceType,
          source: input.dataset.source,
          schema: input.dataset.schema,
          profile: input.dataset.profile,
        }),
      }),
    ),
    model_inputs: (io?.modelInputs ?? []).map((model) => ({ model_id: model.modelId })),
  });
}

export function runOutputsJson(io: RunInputsAndOutputs | undefined): Json {
  return present({
    model_outputs: (io?.modelOutputs ?? []).map((model) => ({
      model_id: model.modelId,
      step: model.step,
    })),
  });
}

/**
 * A whole run. MLflow's `create_run` answers without `outputs` (the run has none yet); every
 * other answer has both.
 */
export function runJson(
  run: Run,
  details: RunDetails,
  artifactRoot: string,
  options: { outputs: boolean } = { outputs: true },
): Json {
  return {
    info: runInfoJson(run, artifactRoot),
    data: present({
      metrics: (details.metrics ?? []).map(latestMetricJson),
      params: keyValues(details.params),
      tags: keyValues(details.tags),
    }),
    inputs: runInputsJson(details.io),
    ...(options.outputs && { outputs: runOutputsJson(details.io) }),
  };
}

/** One point of a history, as MLflow's `Metric`. */
export function metricPointJson(
  key: string,
  point: { value: number; timestamp: number; step: number },
): Json {
  return { key, value: jsonDouble(point.value), timestamp: point.timestamp, step: point.step };
}

export interface VersionDetails {
  aliases?: readonly string[] | undefined;
  tags?: readonly KeyValue[] | undefined;
}

/** A model version; `models:/<id>` sources carry the logged model's id too (MLflow 3). */
export function modelVersionJson(
  version: ModelVersion,
  details: VersionDetails,
  artifactRoot: string,
): Json {
  const modelId = /^models:\/(m-[0-9a-f]{32})$/.exec(version.source)?.[1];
  return present({
    name: version.name,
    version: String(version.version),
    creation_timestamp: version.creationTime,
    last_updated_timestamp: version.lastUpdateTime,
    current_stage: "None",
    description: version.description,
    source: toProxyUri(version.source, artifactRoot),
    run_id: version.runId,
    status: version.status,
    run_link: "",
    tags: keyValues(details.tags),
    aliases: details.aliases ? [...details.aliases] : [],
    model_id: modelId,
  });
}

export interface RegisteredModelDetails {
  /** The highest version, which MLflow lists as the latest of the stage `None`. */
  latest?: ModelVersion | undefined;
  tags?: readonly KeyValue[] | undefined;
  aliases?: readonly { alias: string; version: number }[] | undefined;
}

export function registeredModelJson(
  model: RegisteredModel,
  details: RegisteredModelDetails,
  artifactRoot: string,
): Json {
  return present({
    name: model.name,
    creation_timestamp: model.creationTime,
    last_updated_timestamp: model.lastUpdateTime,
    description: model.description === "" ? undefined : model.description,
    // MLflow lists the latest versions without their aliases; the model lists those.
    latest_versions: details.latest ? [modelVersionJson(details.latest, {}, artifactRoot)] : [],
    tags: keyValues(details.tags),
    aliases: (details.aliases ?? []).map((alias) => ({
      alias: alias.alias,
      version: String(alias.version),
    })),
  });
}

export interface LoggedModelDetails {
  tags?: readonly KeyValue[] | undefined;
  params?: readonly KeyValue[] | undefined;
  metrics?: readonly ModelMetric[] | undefined;
}

export function loggedModelJson(
  model: LoggedModel,
  details: LoggedModelDetails,
  artifactRoot: string,
): Json {
  return {
    info: present({
      model_id: model.id,
      experiment_id: model.experimentId,
      name: model.name,
      creation_timestamp_ms: model.creationTime,
      last_updated_timestamp_ms: model.lastUpdateTime,
      artifact_uri: toProxyUri(model.artifactLocation, artifactRoot),
      status: model.status,
      model_type: model.modelType,
      source_run_id: model.sourceRunId,
      status_message: model.statusMessage,
      tags: keyValues(details.tags),
    }),
    data: present({
      params: keyValues(details.params),
      metrics: (details.metrics ?? []).map((metric) =>
        present({
          key: metric.key,
          value: jsonDouble(metric.value),
          timestamp: metric.timestamp,
          step: metric.step,
          run_id: metric.runId,
          model_id: model.id,
          dataset_name: metric.datasetName,
          dataset_digest: metric.datasetDigest,
        }),
      ),
    }),
  };
}

/** A file or folder in a listing; folders have no size. */
export function fileInfoJson(entry: { path: string; isDir: boolean; size: number }): Json {
  return entry.isDir
    ? { path: entry.path, is_dir: true }
    : { path: entry.path, is_dir: false, file_size: entry.size };
}
