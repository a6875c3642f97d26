/**
 * What went wrong in a store, in terms the HTTP face maps to its status codes:
 * `invalid` (a bad path, a file where a folder is), `not_found`, `too_large` (past the body
 * limit), `unavailable` (the object storage cannot be reached; try again later).
 */
export type ArtifactErrorKind = "invalid" | "not_found" | "too_large" | "unavailable";

export class ArtifactStoreError extends Error {
  override readonly name = "ArtifactStoreError";
  readonly kind: ArtifactErrorKind;

  constructor(kind: ArtifactErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.kind = kind;
  }
}

export function isArtifactStoreError(error: unknown): error is ArtifactStoreError {
  return error instanceof ArtifactStoreError;
}
