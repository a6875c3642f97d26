import { readFile, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import {
  downloadModel,
  loadModelDir,
  type ModelVersionInfo,
  selectBackend,
  type TfBackendName,
} from "../client/index.ts";
import { BadInput, type InputTensor, parseInvocation, type TensorSpec } from "./scoring.ts";

/**
 * `labbook models serve`: a logged model behind MLflow's scoring server's endpoints —
 * `GET /ping`, `/health`, `/version` and `POST /invocations` — on node:http.
 */

type Tf = typeof import("@tensorflow/tfjs");
type Tensor = import("@tensorflow/tfjs").Tensor;
type LayersModel = import("@tensorflow/tfjs").LayersModel;

/** What a served model is, for `/version` and the startup line. */
export interface ServedModelInfo {
  uri: string;
  runId: string;
  artifactPath: string;
  registered: Pick<ModelVersionInfo, "name" | "version"> | undefined;
  modelUuid: string | undefined;
  tfjsVersion: string;
  backend: string;
  signature: { inputs: TensorSpec[]; outputs: TensorSpec[] };
}

/** A model loaded for serving: what it takes, and how it predicts. */
export interface Servable {
  info: ServedModelInfo;
  /** Predictions for parsed inputs: nested arrays (one output) or one per output name. */
  predict(inputs: InputTensor[]): unknown;
  dispose(): void;
}

interface MLmodelFile {
  model_uuid?: string;
  signature?: { inputs?: string; outputs?: string };
}

interface SpecJson {
  name?: string;
  "tensor-spec"?: { dtype?: string; shape?: number[] };
}

function specsOf(json: string | undefined): TensorSpec[] | undefined {
  if (!json) return undefined;
  const parsed = JSON.parse(json) as SpecJson[];
  return parsed.map((item) => ({
    ...(item.name !== undefined && { name: item.name }),
    dtype: item["tensor-spec"]?.dtype ?? "float32",
    shape: item["tensor-spec"]?.shape ?? [],
  }));
}

const inferred = (tensors: { shape: (number | null)[]; dtype: string }[], names: string[]) =>
  tensors.map((t, i) => ({
    name: names[i] ?? `tensor_${i}`,
    dtype: t.dtype,
    shape: t.shape.map((d) => d ?? -1),
  }));

export interface LoadServableOptions {
  trackingUri?: string | undefined;
  token?: string | undefined;
  /** A TensorFlow.js backend to try first (else tensorflow, wasm, cpu: the first that works). */
  backend?: TfBackendName | undefined;
}

/**
 * Downloads the model a URI names (`runs:/…`, `models:/<name>/<version>`,
 * `models:/<name>@<alias>`), loads it on the fastest TensorFlow.js backend that works, and
 * reads its signature from `MLmodel` (from the model itself when the file has none).
 */
export async function loadServable(
  uri: string,
  options: LoadServableOptions = {},
): Promise<Servable> {
  const backend = await selectBackend({
    ...(options.backend && { prefer: options.backend }),
    onFallback: () => {},
  });
  const tf = (await import("@tensorflow/tfjs")) as Tf;
  const where = await downloadModel(uri, undefined, {
    ...(options.trackingUri && { trackingUri: options.trackingUri }),
    ...(options.token && { token: options.token }),
  });
  try {
    const mlmodel = parseYaml(await readFile(join(where.dir, "MLmodel"), "utf8")) as MLmodelFile;
    const model = await loadModelDir<LayersModel>(where.dir, { tf });
    const signature = {
      inputs: specsOf(mlmodel.signature?.inputs) ?? inferred(model.inputs, model.inputNames),
      outputs: specsOf(mlmodel.signature?.outputs) ?? inferred(model.outputs, model.outputNames),
    };
    const info: ServedModelInfo = {
      uri,
      runId: where.runId,
      artifactPath: where.path,
      registered: where.version && { name: where.version.name, version: where.version.version },
      modelUuid: mlmodel.model_uuid,
      tfjsVersion: tf.version_core,
      backend,
      signature,
    };
    return {
      info,
      predict(inputs) {
        return tf.tidy(() => {
          const tensors = inputs.map((input) =>
            tf.tensor(
              input.values,
              input.shape,
              input.spec.dtype === "int32"
                ? "int32"
                : input.spec.dtype === "bool"
                  ? "bool"
                  : "float32",
            ),
          );
          const output = model.predict(tensors.length === 1 ? (tensors[0] as Tensor) : tensors);
          if (!Array.isArray(output)) return output.arraySync();
          return Object.fromEntries(
            output.map((tensor, i) => [model.outputNames[i] ?? `output_${i}`, tensor.arraySync()]),
          );
        });
      },
      dispose: () => model.dispose(),
    };
  } finally {
    await rm(where.dir, { recursive: true, force: true });
  }
}

export interface ScoringServerOptions {
  /** 127.0.0.1 by default: reachable from this machine only. */
  host?: string;
  /** 5001 by default (MLflow's `models serve` port); 0 picks a free one. */
  port?: number;
  /** The largest `/invocations` body taken (64 MiB by default); past it, 413. */
  maxBodyBytes?: number;
  /** What `/version` reports as labbook's version. */
  labbookVersion?: string;
}

export interface ScoringServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  response.writeHead(status, {
    "content-type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

/** MLflow's error body. */
const failure = (response: ServerResponse, status: number, errorCode: string, message: string) =>
  send(response, status, { error_code: errorCode, message });

class TooLarge extends Error {}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new TooLarge(`the body is larger than ${limit} bytes`));
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/** The request handler: usable on any node:http server (the CLI's, a benchmark's, a test's). */
export function scoringHandler(servable: Servable, options: ScoringServerOptions = {}) {
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const version = {
    labbook: options.labbookVersion ?? "unknown",
    model_uri: servable.info.uri,
    run_id: servable.info.runId,
    artifact_path: servable.info.artifactPath,
    registered_model: servable.info.registered ?? null,
    model_uuid: servable.info.modelUuid ?? null,
    tfjs_version: servable.info.tfjsVersion,
    backend: servable.info.backend,
    signature: servable.info.signature,
  };
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    try {
      if (path === "/ping" || path === "/health") {
        if (request.method !== "GET" && request.method !== "HEAD")
          return failure(response, 405, "METHOD_NOT_ALLOWED", `${path} takes GET`);
        return send(response, 200, "\n");
      }
      if (path === "/version") {
        if (request.method !== "GET")
          return failure(response, 405, "METHOD_NOT_ALLOWED", "/version takes GET");
        return send(response, 200, version);
      }
      if (path !== "/invocations")
        return failure(
          response,
          404,
          "ENDPOINT_NOT_FOUND",
          `no endpoint ${path}: GET /ping, /health, /version; POST /invocations`,
        );
      if (request.method !== "POST")
        return failure(response, 405, "METHOD_NOT_ALLOWED", "/invocations takes POST");
      const type = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
      if (type !== "application/json") {
        request.resume();
        return failure(
          response,
          415,
          "BAD_REQUEST",
          `content type '${type || "(none)"}' is not supported: send application/json with inputs, instances or dataframe_split`,
        );
      }
      const raw = await readBody(request, maxBodyBytes);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch (error) {
        return failure(
          response,
          400,
          "BAD_REQUEST",
          `the body is not JSON: ${(error as Error).message}`,
        );
      }
      const inputs = parseInvocation(body, servable.info.signature.inputs);
      return send(response, 200, { predictions: servable.predict(inputs) });
    } catch (error) {
      if (error instanceof BadInput) return failure(response, 400, "BAD_REQUEST", error.message);
      if (error instanceof TooLarge) return failure(response, 413, "BAD_REQUEST", error.message);
      console.error("labbook models serve: prediction failed:", error);
      return failure(
        response,
        500,
        "INTERNAL_ERROR",
        `prediction failed: ${(error as Error).message}`,
      );
    }
  };
}

/** Serves a loaded model on `host:port`; resolves once it listens. */
export async function startScoringServer(
  servable: Servable,
  options: ScoringServerOptions = {},
): Promise<ScoringServer> {
  const handler = scoringHandler(servable, options);
  const server = createServer((request, response) => {
    handler(request, response).catch((error: unknown) => {
      if (!response.headersSent) failure(response, 500, "INTERNAL_ERROR", String(error));
    });
  });
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 5001, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
