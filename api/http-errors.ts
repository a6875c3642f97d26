import type { StoreErrorKind } from "../db/index.ts";

/** A GraphQL-shaped JSON error response for failures before GraphQL runs (auth, size, route). */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json({ errors: [{ message, extensions: { code } }] }, { status, headers });
}

/** The HTTP status of each kind of store error, for the faces that are not GraphQL. */
export const statusByKind: Record<StoreErrorKind, number> = {
  invalid: 400,
  not_found: 404,
  already_exists: 409,
  conflict: 409,
  busy: 503,
};
