import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  type ArtifactInfo,
  type ArtifactOptions,
  type ArtifactTarget,
  artifactPathProblem,
  downloadArtifactsWith,
  logArtifactDir,
  targetFor,
  uploadArtifact,
} from "./artifacts.ts";
import { LabbookError } from "./errors.ts";
import type { GraphQLClient } from "./graphql-client.ts";
import { currentTf } from "./tfjs-backend.ts";

// A logged model is a folder of the run's artifacts, laid out as MLflow's:
//   model/MLmodel                 what it is: flavors, signature, sizes, ids (YAML)
//   model/model.json              TensorFlow.js' layers model (topology + weight manifest)
//   model/group1-shard1of1.bin    the weights
//   model/input_example.json      an input, when one was given ({"inputs": …})
//   model/package.json            the environment: Node's version and the exact packages
// TensorFlow.js is never imported here: the model object brings its own `save`, and loading
// uses the tfjs module in use (see currentTf), as the training helpers do.

/**
 * One tensor of a model's signature, as MLflow writes it: `shape` has -1 where any size goes
 * (the batch).
 *
 * @example
 * const input: TensorSpec = { name: "dense_Dense1_input", dtype: "float32", shape: [-1, 784] };
 */
export interface TensorSpec {
  name?: string;
  dtype: string;
  shape: number[];
}

/**
 * What a model takes and gives.
 *
 * @example
 * const signature: ModelSignature = {
 *   inputs: [{ dtype: "float32", shape: [-1, 784] }],
 *   outputs: [{ dtype: "float32", shape: [-1, 10] }],
 * };
 */
export interface ModelSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** A tensor as far as the SDK needs one: something that can give its values. */
interface TensorLike {
  shape: number[];
  dtype: string;
  arraySync(): unknown;
}

/** What tfjs hands a save handler. */
interface ModelArtifacts {
  modelTopology?: unknown;
  weightSpecs?: unknown[];
  weightData?: ArrayBuffer | ArrayBuffer[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: unknown;
  userDefinedMetadata?: unknown;
}

/**
 * The part of a TensorFlow.js `LayersModel` that `logModel` uses.
 *
 * @example
 * const model: SavableModel = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] });
 */
export interface SavableModel {
  /** tfjs' `model.save(handlerOrURL)`; `never` so that tfjs' own (stricter) types fit. */
  save(handler: never): Promise<unknown>;
  inputs?: { shape: (number | null)[]; dtype: string; name?: string }[];
  outputs?: { shape: (number | null)[]; dtype: string; name?: string }[];
  inputNames?: string[];
  outputNames?: string[];
}

/**
 * What `run.logModel` takes.
 *
 * @example
 * await run.logModel(model, { artifactPath: "model", registeredModelName: "mnist_classifier" } satisfies LogModelOptions);
 */
export interface LogModelOptions {
  /** The folder of the run's artifacts the model goes to (default `model`). */
  artifactPath?: string;
  /** Inferred from the model's inputs and outputs when not given. */
  signature?: ModelSignature;
  /** An input the model takes: nested arrays of numbers, or a tensor; saved as `input_example.json`. */
  inputExample?: unknown;
  /** Also registers the model as the next version of this registered model (created if needed). */
  registeredModelName?: string;
}

/**
 * A registered model's version, as the registry gives it.
 *
 * @example
 * const { name, version }: ModelVersionInfo = await registerModel(info.modelUri, "mnist_classifier");
 */
export interface ModelVersionInfo {
  name: string;
  version: number;
  source: string;
  runId: string | null;
  status: string;
  aliases: string[];
}

/**
 * What `run.logModel` stored (MLflow's `ModelInfo`).
 *
 * @example
 * const info: ModelInfo = await run.logModel(model);
 * console.log(info.modelUri); // runs:/<run id>/model
 */
export interface ModelInfo {
  runId: string;
  artifactPath: string;
  /** `runs:/<run id>/<artifact path>`: give it to `loadModel` or `registerModel`. */
  modelUri: string;
  modelUuid: string;
  utcTimeCreated: string;
  modelSizeBytes: number;
  signature: ModelSignature;
  flavors: { tfjs: TfjsFlavor };
  files: ArtifactInfo[];
  /** Set when `registeredModelName` was given. */
  registeredModelVersion?: ModelVersionInfo;
}

/**
 * The `tfjs` flavor of an `MLmodel` file.
 *
 * @example
 * const flavor: TfjsFlavor = { format: "layers-model", tfjs_version: "4.22.0", backend: "wasm", model_file: "model.json" };
 */
export interface TfjsFlavor {
  format: string;
  tfjs_version: string;
  backend: string;
  model_file: string;
}

export const modelFileName = "model.json";
const weightsFileName = "group1-shard1of1.bin";
const inputExampleFileName = "input_example.json";
const environmentFileName = "package.json";

const toSpec = (
  tensors: { shape: (number | null)[]; dtype: string; name?: string }[] | undefined,
  names: string[] | undefined,
): TensorSpec[] =>
  (tensors ?? []).map((tensor, i) => ({
    name: names?.[i] ?? tensor.name ?? `input_${i}`,
    dtype: tensor.dtype ?? "float32",
    shape: tensor.shape.map((size) => size ?? -1),
  }));

/** The signature of a layers model: its inputs and outputs, with -1 for the batch. */
export function inferSignature(model: SavableModel): ModelSignature {
  return {
    inputs: toSpec(model.inputs, model.inputNames),
    outputs: toSpec(model.outputs, model.outputNames),
  };
}

const isTensor = (value: unknown): value is TensorLike =>
  typeof (value as TensorLike | null)?.arraySync === "function";

function exampleValue(example: unknown): unknown {
  if (isTensor(example)) return example.arraySync();
  if (example && typeof example === "object" && !Array.isArray(example))
    return Object.fromEntries(
      Object.entries(example).map(([key, value]) => [key, exampleValue(value)]),
    );
  return example;
}

// ---- a small YAML writer: enough for MLmodel (maps, lists of scalars, strings, numbers) ----

type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

const plainString = /^[A-Za-z_/][A-Za-z0-9_.\-/ ]*$/;
const reserved = /^(?:true|false|yes|no|on|off|null|~)$/i;

function yamlScalar(value: string | number | boolean | null): string {
  if (value === null) return "null";
  if (typeof value !== "string") return String(value);
  // Double-quoted YAML reads JSON's escapes, so JSON.stringify quotes any string safely.
  return plainString.test(value) && !reserved.test(value) && !value.endsWith(" ")
    ? value
    : JSON.stringify(value);
}

function toYaml(value: { [key: string]: YamlValue }, indent = ""): string {
  return Object.entries(value)
    .map(([key, item]) => {
      if (item !== null && typeof item === "object" && !Array.isArray(item))
        return `${indent}${key}:\n${toYaml(item, `${indent}  `)}`;
      if (Array.isArray(item))
        return item.length === 0
          ? `${indent}${key}: []\n`
          : `${indent}${key}:\n${item.map((x) => `${indent}- ${yamlScalar(x as string)}\n`).join("")}`;
      return `${indent}${key}: ${yamlScalar(item)}\n`;
    })
    .join("");
}

/** MLflow writes each side of a signature as a JSON string of `{type: "tensor", tensor-spec}`. */
export const signatureJson = (specs: TensorSpec[]): string =>
  JSON.stringify(
    specs.map((spec) => ({
      type: "tensor",
      "tensor-spec": { dtype: spec.dtype, shape: spec.shape },
      ...(spec.name !== undefined && { name: spec.name }),
    })),
  );

const require = createRequire(import.meta.url);

/** An installed package's exact version, looked for from the working folder, then from here. */
function installedVersion(name: string): string | undefined {
  for (const from of [join(process.cwd(), "noop.js"), import.meta.url]) {
    try {
      const file = createRequire(from).resolve(`${name}/package.json`);
      return (require(file) as { version?: string }).version;
    } catch {
      // Not installed there.
    }
  }
  return undefined;
}

/** The packages a TF.js model needs to load and predict, with their exact versions. */
function environment(tfVersions: Record<string, string>, backend: string) {
  const packages: Record<string, string> = {};
  const tfjs = installedVersion("@tensorflow/tfjs") ?? tfVersions.tfjs ?? tfVersions["tfjs-core"];
  if (tfjs) packages["@tensorflow/tfjs"] = tfjs;
  const backendPackage =
    backend === "wasm"
      ? "@tensorflow/tfjs-backend-wasm"
      : backend === "tensorflow"
        ? "@tensorflow/tfjs-node"
        : undefined;
  const backendVersion = backendPackage && installedVersion(backendPackage);
  if (backendPackage && backendVersion) packages[backendPackage] = backendVersion;
  return {
    name: "labbook-model",
    private: true,
    description: "The environment a labbook model was logged in: install it to load the model.",
    type: "module",
    engines: { node: process.versions.node },
    dependencies: packages,
  };
}

function concatBuffers(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  const parts = data === undefined ? [] : Array.isArray(data) ? data : [data];
  return Buffer.concat(parts.map((part) => new Uint8Array(part)));
}

/**
 * Writes a TF.js layers model as an MLflow-like model folder at `dir` (see the top of this
 * file) and resolves with what its `MLmodel` says.
 *
 * @example
 * const written = await saveModelDir(model, "/tmp/model", { runId, artifactPath: "model" });
 */
export async function saveModelDir(
  model: SavableModel,
  dir: string,
  options: LogModelOptions & { runId: string; artifactPath: string },
): Promise<Omit<ModelInfo, "files" | "modelUri" | "registeredModelVersion">> {
  if (typeof model?.save !== "function")
    throw new LabbookError(
      "logModel takes a TensorFlow.js layers model (tf.sequential() or tf.model()): it has no save()",
      "BAD_USER_INPUT",
      "rejected",
    );
  await mkdir(dir, { recursive: true });
  let saved: ModelArtifacts | undefined;
  const handler = {
    async save(artifacts: ModelArtifacts) {
      saved = artifacts;
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: "JSON",
          weightDataBytes: concatBuffers(artifacts.weightData).byteLength,
        },
      };
    },
  };
  await model.save(handler as never);
  if (!saved?.modelTopology)
    throw new LabbookError("the model gave no topology to save", "BAD_USER_INPUT", "rejected");
  const weights = concatBuffers(saved.weightData);
  await writeFile(join(dir, weightsFileName), weights);
  await writeFile(
    join(dir, modelFileName),
    JSON.stringify({
      modelTopology: saved.modelTopology,
      format: saved.format ?? "layers-model",
      generatedBy: saved.generatedBy,
      convertedBy: saved.convertedBy ?? null,
      ...(saved.trainingConfig !== undefined && { trainingConfig: saved.trainingConfig }),
      ...(saved.userDefinedMetadata !== undefined && {
        userDefinedMetadata: saved.userDefinedMetadata,
      }),
      weightsManifest: [{ paths: [weightsFileName], weights: saved.weightSpecs ?? [] }],
    }),
  );
  const tf = currentTf() as
    | (ReturnType<typeof currentTf> & { version?: Record<string, string> })
    | undefined;
  const backend = tf?.getBackend() ?? "unknown";
  const tfVersions = tf?.version ?? {};
  await writeFile(
    join(dir, environmentFileName),
    `${JSON.stringify(environment(tfVersions, backend), null, 2)}\n`,
  );
  const hasExample = options.inputExample !== undefined;
  if (hasExample)
    await writeFile(
      join(dir, inputExampleFileName),
      JSON.stringify({ inputs: exampleValue(options.inputExample) }),
    );

  const signature = options.signature ?? inferSignature(model);
  const flavor: TfjsFlavor = {
    format: saved.format ?? "layers-model",
    tfjs_version: tfVersions["tfjs-core"] ?? tf?.version_core ?? "unknown",
    backend,
    model_file: modelFileName,
  };
  const modelUuid = randomUUID().replaceAll("-", "");
  const utcTimeCreated = new Date().toISOString().replace("T", " ").replace("Z", "");
  let modelSizeBytes = 0;
  for (const file of [weightsFileName, modelFileName, environmentFileName])
    modelSizeBytes += (await stat(join(dir, file))).size;
  if (hasExample) modelSizeBytes += (await stat(join(dir, inputExampleFileName))).size;
  const mlmodel: { [key: string]: YamlValue } = {
    artifact_path: options.artifactPath,
    run_id: options.runId,
    utc_time_created: utcTimeCreated,
    model_uuid: modelUuid,
    model_size_bytes: modelSizeBytes,
    flavors: { tfjs: { ...flavor } },
    signature: {
      inputs: signatureJson(signature.inputs),
      outputs: signatureJson(signature.outputs),
      params: null,
    },
    ...(hasExample && {
      saved_input_example_info: {
        artifact_path: inputExampleFileName,
        type: "ndarray",
        format: "tf-serving",
      },
    }),
    env: { node: process.versions.node, npm: environmentFileName },
  };
  await writeFile(join(dir, "MLmodel"), toYaml(mlmodel));
  return {
    runId: options.runId,
    artifactPath: options.artifactPath,
    modelUuid,
    utcTimeCreated,
    modelSizeBytes,
    signature,
    flavors: { tfjs: flavor },
  };
}

/**
 * Saves a model to a temporary folder, uploads it as `<artifactPath>/…` of the run (the
 * `MLmodel` file last, so a model folder with an `MLmodel` is whole), and registers it when
 * asked. Used by `run.logModel`.
 */
export async function logModelTo(
  target: ArtifactTarget,
  runId: string,
  model: SavableModel,
  options: LogModelOptions = {},
): Promise<ModelInfo> {
  const artifactPath = (options.artifactPath ?? "model").replace(/\/+$/, "");
  const problem = artifactPathProblem(artifactPath);
  if (problem) throw new LabbookError(problem, "BAD_USER_INPUT", "rejected");
  const dir = await mkdtemp(join(tmpdir(), "labbook-model-"));
  try {
    const folder = join(dir, "model");
    const written = await saveModelDir(model, folder, { ...options, runId, artifactPath });
    const mlmodel = join(dir, "MLmodel");
    await writeFile(mlmodel, await readFile(join(folder, "MLmodel")));
    await rm(join(folder, "MLmodel"));
    const files = await logArtifactDir(target, runId, folder, artifactPath);
    files.push(await uploadArtifact(target, runId, `${artifactPath}/MLmodel`, { file: mlmodel }));
    const modelUri = `runs:/${runId}/${artifactPath}`;
    const info: ModelInfo = { ...written, modelUri, files };
    if (options.registeredModelName)
      info.registeredModelVersion = await registerWith(
        target.client,
        modelUri,
        options.registeredModelName,
      );
    return info;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- the registry, through the GraphQL API ----

const versionFields = "name version source runId status aliases";

async function registerWith(
  client: GraphQLClient,
  modelUri: string,
  name: string,
  extra: { description?: string; tags?: Record<string, string> } = {},
): Promise<ModelVersionInfo> {
  const data = await client.request<{ createModelVersion: { modelVersion: ModelVersionInfo } }>(
    `mutation ($input: CreateModelVersionInput!) { createModelVersion(input: $input) { modelVersion { ${versionFields} } } }`,
    {
      input: {
        name,
        source: modelUri,
        description: extra.description,
        tags: Object.entries(extra.tags ?? {}).map(([key, value]) => ({ key, value })),
      },
    },
  );
  return data.createModelVersion.modelVersion;
}

/**
 * Registers a run's logged model (`runs:/<run id>/<path>`) as the next version of a
 * registered model, creating the model when it does not exist (MLflow's `register_model`).
 *
 * @example
 * import { registerModel } from "labbook";
 *
 * const { version } = await registerModel(`runs:/${runId}/model`, "mnist_classifier");
 */
export async function registerModel(
  modelUri: string,
  name: string,
  options: ArtifactOptions & { description?: string; tags?: Record<string, string> } = {},
): Promise<ModelVersionInfo> {
  const { client } = await targetFor(options);
  return registerWith(client, modelUri, name, options);
}

/**
 * Points an alias (`champion`, `staging`) at a version of a registered model, moving it from
 * the version it named before. `latest` is reserved: it always means the highest version.
 *
 * @example
 * import { setModelAlias } from "labbook";
 *
 * await setModelAlias("mnist_classifier", "champion", 3);
 */
export async function setModelAlias(
  name: string,
  alias: string,
  version: number,
  options: ArtifactOptions = {},
): Promise<ModelVersionInfo> {
  const { client } = await targetFor(options);
  const data = await client.request<{
    setRegisteredModelAlias: { modelVersion: ModelVersionInfo };
  }>(
    `mutation ($input: SetRegisteredModelAliasInput!) { setRegisteredModelAlias(input: $input) { modelVersion { ${versionFields} } } }`,
    { input: { name, alias, version } },
  );
  return data.setRegisteredModelAlias.modelVersion;
}

/**
 * A model URI taken apart: `runs:/<run id>/<path>`, `models:/<name>/<version>` (or
 * `/latest`), `models:/<name>@<alias>`.
 *
 * @example
 * parseModelUri("models:/mnist_classifier@champion"); // { kind: "alias", name: "mnist_classifier", alias: "champion" }
 */
export type ModelUri =
  | { kind: "run"; runId: string; path: string }
  | { kind: "version"; name: string; version: number }
  | { kind: "alias"; name: string; alias: string };

export function parseModelUri(uri: string): ModelUri {
  const run = /^runs:\/([0-9a-f]{32})\/(.+?)\/*$/.exec(uri);
  if (run?.[1] && run[2]) return { kind: "run", runId: run[1], path: run[2] };
  const alias = /^models:\/([^/@]+)@([A-Za-z0-9_-]+)$/.exec(uri);
  if (alias?.[1] && alias[2]) return { kind: "alias", name: alias[1], alias: alias[2] };
  const version = /^models:\/([^/@]+)\/(\d+|latest)$/.exec(uri);
  if (version?.[1] && version[2])
    return version[2] === "latest"
      ? { kind: "alias", name: version[1], alias: "latest" }
      : { kind: "version", name: version[1], version: Number(version[2]) };
  throw new LabbookError(
    `'${uri}' is not a model URI: runs:/<run id>/<path>, models:/<name>/<version> or models:/<name>@<alias>`,
    "BAD_USER_INPUT",
    "rejected",
  );
}

/**
 * The run and artifact path a model URI names; a registry URI is looked up (its version's
 * `source`).
 *
 * @example
 * const { runId, path, version } = await resolveModelUri("models:/mnist_classifier@champion");
 */
export async function resolveModelUri(
  uri: string,
  options: ArtifactOptions = {},
): Promise<{ runId: string; path: string; version?: ModelVersionInfo }> {
  const parsed = parseModelUri(uri);
  if (parsed.kind === "run") return { runId: parsed.runId, path: parsed.path };
  const { client } = await targetFor(options);
  return resolveWith(client, uri, parsed);
}

async function resolveWith(
  client: GraphQLClient,
  uri: string,
  parsed: Exclude<ModelUri, { kind: "run" }>,
): Promise<{ runId: string; path: string; version: ModelVersionInfo }> {
  const data = await client.request<{ modelVersion: ModelVersionInfo | null }>(
    `query ($name: String!, $version: Int, $alias: String) { modelVersion(name: $name, version: $version, alias: $alias) { ${versionFields} } }`,
    parsed.kind === "version"
      ? { name: parsed.name, version: parsed.version }
      : { name: parsed.name, alias: parsed.alias },
  );
  if (!data.modelVersion)
    throw new LabbookError(
      `${uri}: no such model version in the registry at ${client.url}`,
      "NOT_FOUND",
      "rejected",
    );
  const source = parseModelUri(data.modelVersion.source);
  if (source.kind !== "run")
    throw new LabbookError(
      `${uri}: its source '${data.modelVersion.source}' is not a run's model`,
      "BAD_RESPONSE",
      "rejected",
    );
  return { runId: source.runId, path: source.path, version: data.modelVersion };
}

/**
 * Downloads the model folder a URI names into `dest` (a new temporary folder by default) and
 * resolves with its local path.
 *
 * @example
 * import { downloadModel } from "labbook";
 *
 * const dir = await downloadModel("models:/mnist_classifier/2", "./served"); // ./served/model
 */
export async function downloadModel(
  uri: string,
  dest?: string,
  options: ArtifactOptions = {},
): Promise<{ dir: string; runId: string; path: string; version?: ModelVersionInfo }> {
  const parsed = parseModelUri(uri);
  const target = await targetFor(options);
  const where =
    parsed.kind === "run"
      ? { runId: parsed.runId, path: parsed.path }
      : await resolveWith(target.client, uri, parsed);
  const into = dest ?? (await mkdtemp(join(tmpdir(), "labbook-load-")));
  const dir = await downloadArtifactsWith(target, where.runId, where.path, into);
  return { ...where, dir };
}

/**
 * What `loadModel` takes: where the server is, and the TensorFlow.js module to load with.
 *
 * @example
 * import * as tf from "@tensorflow/tfjs";
 * await loadModel(uri, { tf, trackingUri: "http://127.0.0.1:5000" } satisfies LoadModelOptions);
 */
export interface LoadModelOptions extends ArtifactOptions {
  /** The TensorFlow.js module (what `@tensorflow/tfjs` exports); found by default. */
  tf?: { loadLayersModel(handler: object): Promise<unknown> };
}

interface WeightsGroup {
  paths: string[];
  weights: unknown[];
}

/**
 * Loads a model folder from disk (as `logModel` wrote it) with `tf.loadLayersModel`.
 *
 * @example
 * const model = await loadModelDir<tf.LayersModel>("./downloads/model");
 */
export async function loadModelDir<M = unknown>(
  dir: string,
  options: Pick<LoadModelOptions, "tf"> = {},
): Promise<M> {
  const tf = options.tf ?? (currentTf() as unknown as LoadModelOptions["tf"]);
  if (!tf?.loadLayersModel)
    throw new LabbookError(
      "loadModel needs TensorFlow.js: install @tensorflow/tfjs or pass { tf }",
      "BAD_USER_INPUT",
      "rejected",
    );
  const json = JSON.parse(await readFile(join(dir, modelFileName), "utf8")) as ModelArtifacts & {
    weightsManifest?: WeightsGroup[];
  };
  const groups = json.weightsManifest ?? [];
  const buffers: Uint8Array[] = [];
  for (const group of groups)
    for (const path of group.paths) {
      const file = resolve(dir, path);
      if (!file.startsWith(resolve(dir)))
        throw new LabbookError(
          `weights path '${path}' leaves the model folder`,
          "BAD_RESPONSE",
          "rejected",
        );
      buffers.push(await readFile(file));
    }
  const weightData = Buffer.concat(buffers);
  const handler = {
    load: async () => ({
      modelTopology: json.modelTopology,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      trainingConfig: json.trainingConfig,
      userDefinedMetadata: json.userDefinedMetadata,
      weightSpecs: groups.flatMap((g) => g.weights),
      weightData: weightData.buffer.slice(
        weightData.byteOffset,
        weightData.byteOffset + weightData.byteLength,
      ),
    }),
  };
  return (await tf.loadLayersModel(handler)) as M;
}

/**
 * Loads a logged model by URI — `runs:/<run id>/<path>`, `models:/<name>/<version>`,
 * `models:/<name>@<alias>` (`@latest`: the highest version) — with TensorFlow.js'
 * `loadLayersModel`: its files are downloaded (checked against their SHA-256) to a
 * temporary folder, removed once loaded. It predicts exactly what the model logged did.
 *
 * @example
 * import * as tf from "@tensorflow/tfjs";
 * import { loadModel } from "labbook";
 *
 * const model = await loadModel<tf.LayersModel>("models:/mnist_classifier@champion");
 * const digits = (model.predict(images) as tf.Tensor).argMax(-1);
 */
export async function loadModel<M = unknown>(
  uri: string,
  options: LoadModelOptions = {},
): Promise<M> {
  const into = await mkdtemp(join(tmpdir(), "labbook-load-"));
  try {
    const { dir } = await downloadModel(uri, into, options);
    return await loadModelDir<M>(dir, options);
  } finally {
    await rm(into, { recursive: true, force: true });
  }
}
