import { isAbsolute } from "node:path";
import { backupDatabase, type Db, isStoreError } from "../db/index.ts";
import { limitBody } from "./body-limit.ts";
import { type ErrorLogger, graphqlCodeByKind } from "./errors.ts";
import { errorResponse, statusByKind } from "./http-errors.ts";

export const backupPath = "/admin/backup";

/**
 * `POST /admin/backup` with `{ "path": "/abs/copy.db", "overwrite": false }`: the server, which
 * owns the database file, writes a consistent copy of it to that path on its own disk and
 * answers `{ path, bytes }`. This is how `labbook backup` copies a file a server is writing.
 * Errors are JSON like the API's, with `extensions.code`.
 */
export async function handleBackupRequest(
  request: Request,
  db: Db,
  logger: ErrorLogger,
): Promise<Response> {
  if (request.method !== "POST")
    return errorResponse(405, "METHOD_NOT_ALLOWED", `Use POST ${backupPath}.`, { allow: "POST" });
  // A JSON content type also keeps browsers from sending this cross-site without a preflight.
  if (!(request.headers.get("content-type") ?? "").includes("application/json"))
    return errorResponse(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      `Send a JSON body ({ "path": "/abs/copy.db", "overwrite": false }) with content-type: application/json.`,
    );
  const limited = await limitBody(request, 64 * 1024);
  if (limited instanceof Response) return limited;
  let body: unknown;
  try {
    body = await limited.json();
  } catch {
    return errorResponse(400, "BAD_USER_INPUT", "The body is not valid JSON.");
  }
  const { path, overwrite } = (body ?? {}) as { path?: unknown; overwrite?: unknown };
  if (typeof path !== "string" || !isAbsolute(path))
    return errorResponse(
      400,
      "BAD_USER_INPUT",
      "path: must be an absolute file path on the server's machine.",
    );
  if (overwrite !== undefined && typeof overwrite !== "boolean")
    return errorResponse(400, "BAD_USER_INPUT", "overwrite: must be true or false.");
  try {
    const result = await backupDatabase(db, path, { overwrite: overwrite === true });
    return Response.json(result);
  } catch (error) {
    if (isStoreError(error))
      return errorResponse(statusByKind[error.kind], graphqlCodeByKind[error.kind], error.message);
    logger.error(`unexpected error while backing up to ${path}`, error);
    return errorResponse(
      500,
      "INTERNAL_SERVER_ERROR",
      "The backup failed unexpectedly; the server's log has the cause.",
    );
  }
}
