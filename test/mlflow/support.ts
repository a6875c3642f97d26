import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createApp } from "../../api/app.ts";
import { type RunningServer, serve } from "../../api/serve.ts";
import { type Db, openDb } from "../../db/index.ts";
import { tempDir } from "../support/temp-dir.ts";

/** A labbook server on 127.0.0.1 (port 0) over a fresh database, as MLflow clients reach it. */
export interface MlflowServer {
  url: string;
  db: Db;
  artifactRoot: string;
  /** Calls `/api/2.0/mlflow<path>`: GET with `query`, other methods with a JSON body. */
  call(method: string, path: string, body?: Record<string, unknown>): Promise<MlflowAnswer>;
  close(): Promise<void>;
}

/**
 * MLflow's JSON as the tests read it: its shape is what the assertions check, so it is not
 * typed field by field.
 */
// biome-ignore lint/suspicious/noExplicitAny: the assertions check the shape
export type MlflowJson = Record<string, any>;

export interface MlflowAnswer {
  status: number;
  /** The parsed JSON body (`{}` when empty). */
  json: MlflowJson;
  headers: Headers;
}

export async function startMlflowServer(
  options: { token?: string; maxArtifactBytes?: number } = {},
): Promise<MlflowServer> {
  const dir = tempDir();
  const artifactRoot = pathToFileURL(join(dir, "artifacts")).href;
  const db = await openDb({ url: `file:${join(dir, "labbook.db")}`, artifactRoot });
  const logged: unknown[] = [];
  const app = createApp({
    db,
    token: options.token,
    maxArtifactBytes: options.maxArtifactBytes,
    logger: { error: (message, error) => logged.push([message, error]) },
  });
  const server: RunningServer = await serve(app, { host: "127.0.0.1", port: 0 });
  const auth: Record<string, string> = options.token
    ? { authorization: `Bearer ${options.token}` }
    : {};
  return {
    url: server.url,
    db,
    artifactRoot,
    async call(method, path, body) {
      let url = `${server.url}/api/2.0/mlflow${path}`;
      const init: RequestInit = { method, headers: { ...auth } };
      if (method === "GET" && body) {
        const query = new URLSearchParams();
        for (const [key, value] of Object.entries(body))
          for (const item of Array.isArray(value) ? value : [value])
            query.append(key, String(item));
        url += `?${query}`;
      } else if (body) {
        init.body = JSON.stringify(body);
        init.headers = { ...auth, "content-type": "application/json" };
      }
      const response = await fetch(url, init);
      const text = await response.text();
      return {
        status: response.status,
        json: text ? JSON.parse(text) : {},
        headers: response.headers,
      };
    },
    async close() {
      await server.close();
      await db.close();
      if (logged.length > 0)
        throw new Error(`the server logged unexpected errors: ${String(logged)}`);
    },
  };
}
