import { artifactListingRoutes } from "./artifact-listings.ts";
import {
  downloadThroughProxy,
  listProxyFolder,
  proxyPrefix,
  uploadThroughProxy,
} from "./artifacts-proxy.ts";
import { mlflowErrorResponse, responseForError } from "./errors.ts";
import { experimentRoutes } from "./experiments.ts";
import { loggedModelRoutes } from "./logged-models.ts";
import { metricRoutes } from "./metrics.ts";
import { modelVersionRoutes } from "./model-versions.ts";
import { registeredModelRoutes } from "./registered-models.ts";
import { type RequestParams, readParams } from "./request.ts";
import type { Handler, JsonObject, MlflowContext, Route } from "./route.ts";
import { runLoggingRoutes } from "./run-logging.ts";
import { runRoutes } from "./runs.ts";

/**
 * Where MLflow clients find the REST API: `/api/2.0` (the Python client), `/ajax-api/2.0`
 * (MLflow's web UI) and the old `/api/2.0/preview`, all with the same routes.
 */
const apiPrefixes = ["/api/2.0/preview", "/api/2.0", "/ajax-api/2.0"] as const;

const routes: Route[] = [
  ...experimentRoutes,
  ...runRoutes,
  ...runLoggingRoutes,
  ...metricRoutes,
  ...artifactListingRoutes,
  ...loggedModelRoutes,
  ...registeredModelRoutes,
  ...modelVersionRoutes,
];

interface CompiledRoute {
  method: Route["method"];
  segments: string[];
  handler: Handler;
}

const compiled: CompiledRoute[] = routes.map((route) => ({
  method: route.method,
  segments: route.path.split("/").slice(1),
  handler: route.handler,
}));

/** The route's `{name}` segments, or undefined when the path is not the route's. */
function match(
  route: CompiledRoute,
  segments: readonly string[],
): Record<string, string> | undefined {
  if (route.segments.length !== segments.length) return undefined;
  const values: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const pattern = route.segments[i] ?? "";
    const segment = segments[i] ?? "";
    if (pattern.startsWith("{")) {
      try {
        values[pattern.slice(1, -1)] = decodeURIComponent(segment);
      } catch {
        return undefined;
      }
    } else if (pattern !== segment) return undefined;
  }
  return values;
}

/** The part of a path after an API prefix (`/mlflow/runs/get`), or undefined. */
function apiPath(pathname: string): string | undefined {
  for (const prefix of apiPrefixes)
    if (pathname.startsWith(`${prefix}/mlflow/`) || pathname.startsWith(`${prefix}${proxyPrefix}`))
      return pathname.slice(prefix.length);
  return undefined;
}

/** Whether a request is for the MLflow REST face (it then needs the API's token too). */
export function isMlflowPath(pathname: string): boolean {
  return apiPath(pathname) !== undefined;
}

/** protobuf JSON leaves empty lists out, and MLflow's answers with them (`{}` for no runs). */
function withoutEmptyLists(body: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(body))
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) out[key] = value;
  return out;
}

async function answer(handler: Handler, params: RequestParams, context: MlflowContext) {
  return Response.json(withoutEmptyLists(await handler(params, context)));
}

/**
 * Answers a request under an MLflow prefix with MLflow's JSON, or MLflow's error JSON; the
 * artifact proxy streams files both ways.
 */
export async function handleMlflowRequest(
  request: Request,
  context: MlflowContext,
): Promise<Response> {
  const url = new URL(request.url);
  const path = apiPath(url.pathname) ?? "";
  const method = request.method;
  try {
    if (path.startsWith(proxyPrefix)) {
      const filePath = path.slice(proxyPrefix.length).replace(/^\//, "");
      if (filePath === "" && method === "GET") return await listProxyFolder(context, url);
      if (method === "PUT") return await uploadThroughProxy(context, request, filePath);
      if (method === "GET") return await downloadThroughProxy(context, filePath);
      return mlflowErrorResponse(
        405,
        "ENDPOINT_NOT_FOUND",
        `Use PUT to upload, GET to download ${proxyPrefix}/<path>, and GET ${proxyPrefix}?path=<folder> to list.`,
        { allow: "GET, PUT" },
      );
    }
    const segments = path.split("/").slice(2);
    const matching = compiled.flatMap((route) => {
      const values = match(route, segments);
      return values ? [{ route, values }] : [];
    });
    const found = matching.find(({ route }) => route.method === method);
    if (!found) {
      if (matching.length > 0)
        return mlflowErrorResponse(
          405,
          "ENDPOINT_NOT_FOUND",
          `${method} is not allowed on ${url.pathname}; use ${matching.map(({ route }) => route.method).join(" or ")}.`,
          { allow: matching.map(({ route }) => route.method).join(", ") },
        );
      return mlflowErrorResponse(
        404,
        "ENDPOINT_NOT_FOUND",
        `No MLflow endpoint ${method} ${url.pathname} in labbook.`,
      );
    }
    const params = await readParams(request, url, found.values);
    return await answer(found.route.handler, params, context);
  } catch (error) {
    return responseForError(error, context.logger, `${method} ${url.pathname}`);
  }
}
