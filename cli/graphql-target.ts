import { graphqlUrl } from "../client/tracking-uri.ts";
import { dbFilePath, normalizeDbUrl } from "../db/db-url.ts";
import { acquireWriterLock, liveWriter } from "../db/writer-lock.ts";
import { storageConfig, storageOptions } from "./db-options.ts";
import { flagOrEnv } from "./env.ts";
import { GraphQLRequestError } from "./graphql-request-error.ts";
import { postJson } from "./post-json.ts";

/** Runs GraphQL documents for a CLI command, wherever the data is. */
export interface GraphQLTarget {
  /** Where the documents go, for messages: a URL or a database. */
  description: string;
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

export { GraphQLRequestError };

interface GraphQLResponse {
  data?: unknown;
  errors?: readonly { message: string; extensions?: { code?: unknown } }[];
}

function unwrap<T>(response: GraphQLResponse): T {
  const [first] = response.errors ?? [];
  if (first)
    throw new GraphQLRequestError(first.message, first.extensions?.code as string | undefined);
  return response.data as T;
}

function remoteTarget(uri: string, token: string | undefined): GraphQLTarget {
  const url = graphqlUrl(uri);
  return {
    description: url,
    async request<T>(query: string, variables?: Record<string, unknown>) {
      const response = await postJson(url, { query, variables }, token);
      return unwrap<T>((await response.json()) as GraphQLResponse);
    },
    close: async () => {},
  };
}

export const targetOptions = {
  "tracking-uri": { type: "string" },
  token: { type: "string" },
  ...storageOptions,
} as const;

export const targetHelp = `Where the data is:
  --tracking-uri <url>    A labbook server (else the server that owns the database file,
                          else the database opened directly).
  --token <t>             API token for that server.
  --db <url>              Database (default ./labbook.db).
  --db-auth-token <t>     Auth token for a libSQL server.`;

/**
 * A server when one is named (`--tracking-uri`, LABBOOK_TRACKING_URI) or owns the database
 * file; otherwise the database itself, opened in this process under the writer lock.
 */
export async function openGraphQLTarget(values: {
  "tracking-uri"?: string | undefined;
  token?: string | undefined;
  db?: string | undefined;
  "db-auth-token"?: string | undefined;
  artifacts?: string | undefined;
}): Promise<GraphQLTarget> {
  const token = flagOrEnv(values.token, "LABBOOK_TOKEN");
  const trackingUri = flagOrEnv(values["tracking-uri"], "LABBOOK_TRACKING_URI");
  if (trackingUri) return remoteTarget(trackingUri, token);
  const storage = storageConfig(values);
  const dbUrl = normalizeDbUrl(storage.dbUrl);
  const filePath = dbFilePath(dbUrl);
  const owner = filePath ? liveWriter(filePath) : undefined;
  if (owner?.url) return remoteTarget(owner.url, token);
  const lock = filePath ? acquireWriterLock(filePath) : undefined;
  try {
    // The schema, the ORM and the drivers load only for a database opened here: a command
    // that talks to a server (or only prints its help) does without them.
    const [{ graphql }, { createContext }, { schema }, { defaultBatchLimits, openDb }] =
      await Promise.all([
        import("graphql"),
        import("../api/context.ts"),
        import("../api/schema/index.ts"),
        import("../db/index.ts"),
      ]);
    const db = await openDb({
      url: dbUrl,
      authToken: storage.dbAuthToken,
      artifactRoot: storage.artifactRoot,
    });
    return {
      description: filePath ?? dbUrl,
      async request<T>(query: string, variables?: Record<string, unknown>) {
        const result = await graphql({
          schema,
          source: query,
          variableValues: variables,
          contextValue: createContext(db, defaultBatchLimits),
        });
        return unwrap<T>(result as GraphQLResponse);
      },
      async close() {
        await db.close();
        lock?.release();
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}
