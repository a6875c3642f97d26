import { isArtifactStoreError } from "../artifact-store/index.ts";
import { isStoreError, type StoreErrorKind } from "../db/index.ts";

/**
 * MLflow's errors: a JSON body `{ error_code, message }` with the status MLflow's server sends
 * for that code, so MLflow clients raise the same `MlflowException`s they would against it.
 */
export type MlflowErrorCode =
  | "RESOURCE_DOES_NOT_EXIST"
  | "RESOURCE_ALREADY_EXISTS"
  | "INVALID_PARAMETER_VALUE"
  | "MALFORMED_REQUEST"
  | "ENDPOINT_NOT_FOUND"
  | "BAD_REQUEST"
  | "UNAUTHENTICATED"
  | "TEMPORARILY_UNAVAILABLE"
  | "INTERNAL_ERROR";

/** The HTTP status MLflow's server answers each code with. */
export const statusByCode: Record<MlflowErrorCode, number> = {
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_PARAMETER_VALUE: 400,
  MALFORMED_REQUEST: 400,
  ENDPOINT_NOT_FOUND: 404,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  TEMPORARILY_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
};

/**
 * The store's error kinds as MLflow codes. A conflict (a param logged again with another
 * value, a file where a folder is) is what MLflow reports as an invalid parameter value.
 */
export const codeByKind: Record<StoreErrorKind, MlflowErrorCode> = {
  not_found: "RESOURCE_DOES_NOT_EXIST",
  already_exists: "RESOURCE_ALREADY_EXISTS",
  conflict: "INVALID_PARAMETER_VALUE",
  invalid: "INVALID_PARAMETER_VALUE",
  busy: "TEMPORARILY_UNAVAILABLE",
};

const codeByArtifactKind = {
  invalid: "INVALID_PARAMETER_VALUE",
  not_found: "RESOURCE_DOES_NOT_EXIST",
  too_large: "INVALID_PARAMETER_VALUE",
  unavailable: "TEMPORARILY_UNAVAILABLE",
} as const satisfies Record<string, MlflowErrorCode>;

/** An expected failure of a request, raised by the REST face itself (not the store). */
export class MlflowError extends Error {
  override readonly name = "MlflowError";
  readonly code: MlflowErrorCode;
  readonly status: number;

  constructor(code: MlflowErrorCode, message: string, status = statusByCode[code]) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export const invalidParameter = (message: string) =>
  new MlflowError("INVALID_PARAMETER_VALUE", message);
export const doesNotExist = (message: string) =>
  new MlflowError("RESOURCE_DOES_NOT_EXIST", message);

export function mlflowErrorResponse(
  status: number,
  code: MlflowErrorCode,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json({ error_code: code, message }, { status, headers });
}

export interface ErrorLogger {
  error(message: string, error: unknown): void;
}

/** What the client hears for any error: expected ones with their code, the rest masked and logged. */
export function responseForError(error: unknown, logger: ErrorLogger, what: string): Response {
  if (error instanceof MlflowError)
    return mlflowErrorResponse(error.status, error.code, error.message);
  if (isStoreError(error)) {
    const code = codeByKind[error.kind];
    return mlflowErrorResponse(statusByCode[code], code, error.message);
  }
  if (isArtifactStoreError(error)) {
    const code = codeByArtifactKind[error.kind];
    const status = error.kind === "too_large" ? 413 : statusByCode[code];
    return mlflowErrorResponse(
      status,
      code,
      error.message,
      error.kind === "too_large" ? { connection: "close" } : {},
    );
  }
  logger.error(`unexpected error while ${what}`, error);
  return mlflowErrorResponse(
    500,
    "INTERNAL_ERROR",
    `${what} failed unexpectedly; the server's log has the cause.`,
  );
}
