/**
 * What went wrong, in terms every face of the API can map to its own codes
 * (GraphQL `extensions.code`, MLflow's `error_code`), so each rule lives in the store only.
 */
export type StoreErrorKind = "not_found" | "already_exists" | "conflict" | "invalid" | "busy";

export class StoreError extends Error {
  override readonly name = "StoreError";
  readonly kind: StoreErrorKind;
  /** The input field the error is about, e.g. `metrics[2].values[7]`. */
  readonly field: string | undefined;

  constructor(
    kind: StoreErrorKind,
    message: string,
    options?: { field?: string; cause?: unknown },
  ) {
    super(message, { cause: options?.cause });
    this.kind = kind;
    this.field = options?.field;
  }
}

export const notFound = (message: string, field?: string) =>
  new StoreError("not_found", message, { field });
export const alreadyExists = (message: string, field?: string) =>
  new StoreError("already_exists", message, { field });
export const conflict = (message: string, field?: string) =>
  new StoreError("conflict", message, { field });
export const invalid = (field: string, rule: string) =>
  new StoreError("invalid", `${field}: ${rule}`, { field });

export function isStoreError(error: unknown): error is StoreError {
  return error instanceof StoreError;
}
