import type { ArtifactStores } from "../artifact-store/index.ts";
import { type Db, isStoreError } from "../db/index.ts";
import { limitBody } from "./body-limit.ts";
import { type ErrorLogger, graphqlCodeByKind } from "./errors.ts";
import { collectGarbage } from "./garbage-collection.ts";
import { errorResponse, statusByKind } from "./http-errors.ts";

export const gcPath = "/admin/gc";

/**
 * `POST /admin/gc` with `{ "olderThanMs": 0, "runIds": ["…"], "dryRun": false }` (each
 * optional): the server, which owns the database file, collects deleted runs for good and
 * answers what it freed (`GcResult`). This is how `labbook gc` works while a server runs.
 */
export async function handleGcRequest(
  request: Request,
  db: Db,
  stores: ArtifactStores,
  logger: ErrorLogger,
): Promise<Response> {
  if (request.method !== "POST")
    return errorResponse(405, "METHOD_NOT_ALLOWED", `Use POST ${gcPath}.`, { allow: "POST" });
  // A JSON content type also keeps browsers from sending this cross-site without a preflight.
  if (!(request.headers.get("content-type") ?? "").includes("application/json"))
    return errorResponse(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      `Send a JSON body ({ "olderThanMs": 0, "runIds": [], "dryRun": false }) with content-type: application/json.`,
    );
  const limited = await limitBody(request, 1024 * 1024);
  if (limited instanceof Response) return limited;
  let body: { olderThanMs?: unknown; runIds?: unknown; dryRun?: unknown };
  try {
    body = ((await limited.json()) ?? {}) as typeof body;
  } catch {
    return errorResponse(400, "BAD_USER_INPUT", "The body is not valid JSON.");
  }
  const { olderThanMs, runIds, dryRun } = body;
  if (olderThanMs !== undefined && !(typeof olderThanMs === "number" && olderThanMs >= 0))
    return errorResponse(
      400,
      "BAD_USER_INPUT",
      "olderThanMs: must be a number of milliseconds, 0 or more.",
    );
  if (
    runIds !== undefined &&
    !(Array.isArray(runIds) && runIds.every((id) => typeof id === "string"))
  )
    return errorResponse(400, "BAD_USER_INPUT", "runIds: must be a list of run ids.");
  if (dryRun !== undefined && typeof dryRun !== "boolean")
    return errorResponse(400, "BAD_USER_INPUT", "dryRun: must be true or false.");
  try {
    return Response.json(
      await collectGarbage(db, stores, {
        olderThanMs: olderThanMs as number | undefined,
        runIds: runIds as string[] | undefined,
        dryRun: dryRun as boolean | undefined,
      }),
    );
  } catch (error) {
    if (isStoreError(error))
      return errorResponse(statusByKind[error.kind], graphqlCodeByKind[error.kind], error.message);
    logger.error("unexpected error while collecting garbage", error);
    return errorResponse(
      500,
      "INTERNAL_SERVER_ERROR",
      "Garbage collection failed unexpectedly; the server's log has the cause.",
    );
  }
}
