/** A GraphQL-shaped JSON error response for failures before GraphQL runs (auth, size, route). */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json({ errors: [{ message, extensions: { code } }] }, { status, headers });
}
