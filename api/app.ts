import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { createServerAdapter } from "@whatwg-node/server";
import { createYoga } from "graphql-yoga";
import { ArtifactStores } from "../artifact-store/index.ts";
import { type BatchLimits, type Db, defaultBatchLimits } from "../db/index.ts";
import { createMlflowFace, isMlflowPath } from "../mlflow/index.ts";
import { backupPath, handleBackupRequest } from "./admin-backup.ts";
import { gcPath, handleGcRequest } from "./admin-gc.ts";
import { handleArtifactRequest } from "./artifacts-fetch.ts";
import { artifactsPath } from "./artifacts-http.ts";
import { nodeArtifactRoute } from "./artifacts-node.ts";
import { hasBearerToken } from "./auth.ts";
import { limitBody } from "./body-limit.ts";
import { createContext } from "./context.ts";
import { createErrorMasker, type ErrorLogger } from "./errors.ts";
import { errorResponse } from "./http-errors.ts";
import { withNodeRoute } from "./node-route.ts";
import { createReportPages } from "./report-pages.ts";
import { hasSameOriginSession } from "./report-session.ts";
import { schema } from "./schema/index.ts";

export interface AppOptions {
  db: Db;
  /** When set, every API request needs `Authorization: Bearer <token>`. */
  token?: string | undefined;
  batchLimits?: Partial<BatchLimits>;
  /** Largest GraphQL request body, in bytes (32 MB). */
  maxBodyBytes?: number;
  /** Largest artifact an upload may carry, in bytes (10 GiB); artifacts are streamed. */
  maxArtifactBytes?: number;
  /** Opens runs' artifact stores (their `artifactUri`); one for the app when omitted. */
  stores?: ArtifactStores;
  /** Deepest selection a query may nest. */
  maxDepth?: number;
  /** Most tokens a GraphQL document may have (variables do not count). */
  maxTokens?: number;
  logger?: ErrorLogger;
  /** A report folder to serve at `/`, its pages refreshing runs in progress (report-pages.ts). */
  report?: { dir: string; liveRefreshSeconds: number } | undefined;
}

export const graphqlPath = "/graphql";

export const defaultMaxArtifactBytes = 10 * 1024 ** 3;

/**
 * Builds the labbook HTTP app: GraphQL at `/graphql` (GraphiQL, bundled, in a browser),
 * `/health`, runs' files at `PUT`/`GET /artifacts/<run id>/<path>`, and `POST /admin/backup`
 * and `POST /admin/gc` for `labbook backup` and `labbook gc` (all behind the API's token),
 * and, with `report`, a built report at `/` whose pages refresh the runs in progress. MLflow
 * clients find MLflow's REST API at `/api/2.0/mlflow/…` (`mlflow/`, behind the same token) and
 * `GET /version`.
 * It only handles requests; binding it to a port is the caller's job.
 *
 * @example
 * const app = createApp({ db: await openDb() });
 * const response = await app.fetch(new Request("http://labbook/health"));
 */
export function createApp(options: AppOptions) {
  const { db, token } = options;
  const batchLimits = { ...defaultBatchLimits, ...options.batchLimits };
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
  const stores = options.stores ?? new ArtifactStores();
  const maxArtifactBytes = options.maxArtifactBytes ?? defaultMaxArtifactBytes;
  const logger = options.logger ?? { error: (message, error) => console.error(message, error) };
  const reportPages =
    options.report && createReportPages({ ...options.report, token, graphqlPath });

  const yoga = createYoga({
    schema,
    graphqlEndpoint: graphqlPath,
    context: () => createContext(db, batchLimits),
    renderGraphiQL,
    graphiql: { title: "labbook GraphQL" },
    landingPage: false,
    maskedErrors: { maskError: createErrorMasker(logger) },
    plugins: [
      maxDepthPlugin({
        n: options.maxDepth ?? 12,
        // Reported as a validation error (400, GRAPHQL_VALIDATION_FAILED); thrown, as the
        // plugin does by default, Yoga answers it with 200 and no error code.
        propagateOnRejection: false,
        onReject: [(context, error) => context?.reportError(error)],
      }),
      maxTokensPlugin({ n: options.maxTokens ?? 10_000 }),
    ],
    logging: false,
    // limitBody (below) already bounds every body, with our own 413; yoga's check would pipe
    // each body through one more stream, a cost per logBatch.
    maxRequestBodySize: false,
  });

  // MLflow's REST API and artifact proxy on the same store, port and token (MLflow clients send
  // MLFLOW_TRACKING_TOKEN as the bearer token).
  const mlflow = createMlflowFace({ db, stores, batchLimits, maxArtifactBytes, logger });

  const unauthenticated = () =>
    errorResponse(
      401,
      "UNAUTHENTICATED",
      "This server needs 'Authorization: Bearer <token>' (the token it was started with; LABBOOK_TOKEN for clients).",
      { "www-authenticate": "Bearer" },
    );

  async function route(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/health" && request.method === "GET") return new Response("OK");
    if (pathname === "/version" && request.method === "GET") return mlflow.version();
    if (isMlflowPath(pathname)) {
      if (token && !hasBearerToken(request, token)) return mlflow.unauthenticated();
      return mlflow.handle(request);
    }
    if (pathname === graphqlPath) {
      // The GraphiQL page holds no data; browsers cannot add a header to a page load, and
      // GraphiQL sends the token (its headers tab) with every query.
      const wantsGraphiQL =
        request.method === "GET" && (request.headers.get("accept") ?? "").includes("text/html");
      // The report's pages refresh through the cookie `?token=` gave them (report-session.ts).
      const authorized =
        !token ||
        wantsGraphiQL ||
        hasBearerToken(request, token) ||
        (reportPages !== undefined && hasSameOriginSession(request, token));
      if (!authorized) return unauthenticated();
      const limited = await limitBody(request, maxBodyBytes);
      if (limited instanceof Response) return limited;
      return yoga.fetch(limited);
    }
    if (pathname.startsWith(`${artifactsPath}/`)) {
      if (token && !hasBearerToken(request, token)) return unauthenticated();
      return handleArtifactRequest(request, pathname, { db, stores, maxArtifactBytes, logger });
    }
    if (pathname === backupPath) {
      if (token && !hasBearerToken(request, token)) return unauthenticated();
      return handleBackupRequest(request, db, logger);
    }
    if (pathname === gcPath) {
      if (token && !hasBearerToken(request, token)) return unauthenticated();
      return handleGcRequest(request, db, stores, logger);
    }
    const page = await reportPages?.(request);
    if (page) return page;
    return errorResponse(
      404,
      "NOT_FOUND",
      `No route ${request.method} ${pathname}; the API is at ${graphqlPath}.`,
    );
  }

  return withNodeRoute(
    createServerAdapter(route),
    nodeArtifactRoute({ db, stores, maxArtifactBytes, logger, token }),
  );
}

export type App = ReturnType<typeof createApp>;
