import type { ArtifactStores } from "../artifact-store/index.ts";
import type { BatchLimits, Db } from "../db/index.ts";
import type { ErrorLogger } from "./errors.ts";
import type { RequestParams } from "./request.ts";

/** What every handler of the REST face works with. */
export interface MlflowContext {
  db: Db;
  stores: ArtifactStores;
  batchLimits: BatchLimits;
  /** Largest artifact an upload may carry, in bytes. */
  maxArtifactBytes: number;
  logger: ErrorLogger;
}

export type JsonObject = Record<string, unknown>;

/** Answers one endpoint with the JSON object MLflow's server would (status 200). */
export type Handler = (params: RequestParams, context: MlflowContext) => Promise<JsonObject>;

export interface Route {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Under `/mlflow`, with `{name}` for a path segment: `/logged-models/{model_id}`. */
  path: string;
  handler: Handler;
}
