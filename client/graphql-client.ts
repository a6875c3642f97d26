import { errorKindOf, LabbookError } from "./errors.ts";
import { graphqlUrl, trackingBaseUrl } from "./tracking-uri.ts";

/**
 * Where requests go and how; `rediscover` finds the server again after it went away.
 *
 * @example
 * new GraphQLClient({ url: "http://127.0.0.1:4000", token: process.env.LABBOOK_TOKEN });
 */
export interface GraphQLClientOptions {
  /** The server's base URL (or its `/graphql` URL). */
  url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string | undefined;
  /** A request without an answer after this long counts as lost (default 30 s). */
  requestTimeoutMs?: number;
  /**
   * Called when the server cannot be reached; resolves with the base URL to use from now on.
   * The embedded store uses it to follow (or restart) the server that owns `./labbook.db`.
   */
  rediscover?: () => Promise<string>;
}

interface GraphQLBody {
  data?: unknown;
  errors?: readonly { message?: string; extensions?: { code?: unknown } }[];
}

/**
 * A minimal GraphQL-over-HTTP client on the global `fetch`: the SDK's only way to the data
 * (it never opens a database). Every failure becomes a `LabbookError` whose `kind` says
 * whether sending the same request again can help.
 *
 * @example
 * const client = new GraphQLClient({ url: "http://127.0.0.1:4000" });
 * const data = await client.request<{ run: { status: string } }>(
 *   "query ($id: ID!) { run(id: $id) { status } }",
 *   { id: runId },
 * );
 */
export class GraphQLClient {
  #endpoint: string;
  #baseUrl: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #rediscover: (() => Promise<string>) | undefined;
  #rediscovering: Promise<void> | undefined;

  constructor(options: GraphQLClientOptions) {
    this.#baseUrl = trackingBaseUrl(options.url);
    this.#endpoint = graphqlUrl(options.url);
    this.#token = options.token;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#rediscover = options.rediscover;
  }

  /** The base URL requests currently go to. */
  get url(): string {
    return this.#baseUrl;
  }

  /**
   * The API token sent with every request, for the server's other routes (artifacts).
   *
   * @example
   * const headers = client.token ? { authorization: `Bearer ${client.token}` } : {};
   */
  get token(): string | undefined {
    return this.#token;
  }

  /**
   * After a request of another kind (an artifact upload) found no server: finds the server
   * again, as a failed GraphQL request does (the embedded store's owner may have changed).
   *
   * @example
   * await client.findServerAgain();
   */
  async findServerAgain(): Promise<void> {
    await this.#afterUnreachable();
  }

  /**
   * Sends a document with its variables and resolves with `data`; rejects with a
   * `LabbookError`.
   *
   * @example
   * await client.request("mutation ($input: UpdateRunInput!) { updateRun(input: $input) { run { id } } }", {
   *   input: { runId, status: "FINISHED" },
   * });
   */
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
    return this.post<T>(JSON.stringify({ query, variables }));
  }

  /**
   * Sends a request body already serialized: a batch is encoded once, when it is cut, and
   * the exact same bytes go out on every retry (the server compares a retry with the
   * original by content).
   *
   * @example
   * await client.post(`{"query":${JSON.stringify(doc)},"variables":{"input":${inputJson}}}`);
   */
  async post<T>(body: string): Promise<T> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.#endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/graphql-response+json, application/json",
          ...(this.#token && { authorization: `Bearer ${this.#token}` }),
        },
        body,
        // A server that accepted the connection but hangs (stopped, overloaded) must not hold
        // the queue forever; a batch sent again is applied once, so giving up is safe.
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      await this.#afterUnreachable();
      throw new LabbookError(
        `cannot reach the labbook server at ${this.#endpoint}: ${describe(error)}`,
        "UNREACHABLE",
        "transient",
        { cause: error },
      );
    }
    let parsed: GraphQLBody;
    try {
      parsed = JSON.parse(text) as GraphQLBody;
    } catch {
      throw new LabbookError(
        `${this.#endpoint} answered HTTP ${response.status} with something that is not the labbook API: ${text.slice(0, 200)}`,
        "BAD_RESPONSE",
        // A proxy's error page or a restarting server: the next try may reach the API.
        "transient",
      );
    }
    const [first] = parsed.errors ?? [];
    if (first) {
      const code =
        typeof first.extensions?.code === "string"
          ? first.extensions.code
          : `HTTP_${response.status}`;
      throw new LabbookError(first.message ?? `error ${code}`, code, errorKindOf(code));
    }
    if (!response.ok || parsed.data == null)
      throw new LabbookError(
        `${this.#endpoint} answered HTTP ${response.status} without data`,
        `HTTP_${response.status}`,
        response.status >= 500 ? "server" : "rejected",
      );
    return parsed.data as T;
  }

  /** Lets the owner of the embedded store be found again, one lookup at a time. */
  async #afterUnreachable(): Promise<void> {
    if (!this.#rediscover) return;
    this.#rediscovering ??= this.#rediscover()
      .then((url) => {
        this.#baseUrl = trackingBaseUrl(url);
        this.#endpoint = graphqlUrl(url);
      })
      .catch(() => {
        // Not found now; the next failed request tries again.
      })
      .finally(() => {
        this.#rediscovering = undefined;
      });
    await this.#rediscovering;
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  if (error.name === "TimeoutError") return "no answer in time";
  return cause?.code ?? cause?.message ?? error.message;
}

/**
 * Whether a failed request surely never reached the server (the connection was refused), so
 * sending a non-idempotent request such as createRun again cannot do it twice.
 *
 * @example
 * if (isConnectionRefused(error)) await retry();
 */
export function isConnectionRefused(error: unknown): boolean {
  if (!(error instanceof LabbookError) || error.code !== "UNREACHABLE") return false;
  const cause = (error.cause as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code === "ECONNREFUSED";
}
