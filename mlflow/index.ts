import type { ArtifactStores } from "../artifact-store/index.ts";
import type { BatchLimits, Db } from "../db/index.ts";
import { type ErrorLogger, mlflowErrorResponse } from "./errors.ts";
import { handleMlflowRequest, isMlflowPath } from "./router.ts";

export type { ErrorLogger };
/**
 * MLflow's REST API on labbook's store, so MLflow clients log to `labbook server` unchanged
 * (`MLFLOW_TRACKING_URI=http://127.0.0.1:4000`): the tracking, logged-model and registry
 * endpoints under `/api/2.0/mlflow/` (and `/ajax-api/2.0/mlflow/`), and the artifact proxy
 * under `/api/2.0/mlflow-artifacts/artifacts/`. Every rule is the store's; this face only
 * translates MLflow's JSON and maps the store's error kinds to MLflow's codes.
 */
export { isMlflowPath };

/** The MLflow version whose REST API this face speaks, for `GET /version`. */
export const mlflowApiVersion = "3.6.0";

export interface MlflowFaceOptions {
  db: Db;
  stores: ArtifactStores;
  batchLimits: BatchLimits;
  maxArtifactBytes: number;
  logger: ErrorLogger;
}

/**
 * The face's handlers, bound to a store: `handle` answers any request `isMlflowPath` accepts.
 *
 * @example
 * const mlflow = createMlflowFace({ db, stores, batchLimits, maxArtifactBytes, logger });
 * if (isMlflowPath(new URL(request.url).pathname)) return mlflow.handle(request);
 */
export function createMlflowFace(options: MlflowFaceOptions) {
  return {
    handle: (request: Request) => handleMlflowRequest(request, options),
    /** `GET /version`: MLflow's server answers with its version as plain text. */
    version: () => new Response(mlflowApiVersion, { headers: { "content-type": "text/plain" } }),
    /** A missing or wrong token, as MLflow's error JSON. */
    unauthenticated: () =>
      mlflowErrorResponse(
        401,
        "UNAUTHENTICATED",
        "This server needs 'Authorization: Bearer <token>': set MLFLOW_TRACKING_TOKEN to the token it was started with.",
        { "www-authenticate": "Bearer" },
      ),
  };
}
