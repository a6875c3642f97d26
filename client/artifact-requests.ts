import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { retryDelay } from "./backoff.ts";
import { errorKindOf, LabbookError } from "./errors.ts";
import type { GraphQLClient } from "./graphql-client.ts";

/**
 * How artifact requests reach the server: its client (base URL, token, rediscovery) and how
 * long to keep trying while it is away.
 *
 * @example
 * const target: ArtifactTarget = { client, retryForMs: 60_000, maxRetryDelayMs: 5000 };
 */
export interface ArtifactTarget {
  client: GraphQLClient;
  /** Keep retrying an unreachable or busy server this long (then reject). */
  retryForMs: number;
  maxRetryDelayMs: number;
}

/** `<base>/artifacts/<run id>/<path>`, each segment percent-encoded. */
export const artifactUrl = (base: string, runId: string, path: string) =>
  `${base}/artifacts/${runId}/${path.split("/").map(encodeURIComponent).join("/")}`;

export interface ArtifactRequest {
  method: "GET" | "PUT";
  url: string;
  headers: Record<string, string>;
  /** A stream (a file) or bytes to send. */
  body?: Readable | Uint8Array | undefined;
}

/**
 * Sends one request with Node's own HTTP client and resolves with the answer, its body unread.
 * Artifacts go through it rather than `fetch`: a file then streams from disk to the socket (and
 * from the socket to disk) as Node streams, with no web streams between, for a fraction of the
 * CPU. As `fetch`, it rejects with a TypeError when no answer comes.
 */
export function sendArtifactRequest(options: ArtifactRequest): Promise<IncomingMessage> {
  const url = new URL(options.url);
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  const { body } = options;
  return new Promise((resolve, reject) => {
    const request = send(url, { method: options.method, headers: options.headers });
    request.once("response", resolve);
    request.once("error", (error) =>
      reject(new TypeError(`no answer from ${url.origin}: ${error.message}`, { cause: error })),
    );
    if (body instanceof Readable)
      // The server may answer (a refusal) before the whole body is sent: then sending stops.
      pipeline(body, request).catch((error: unknown) => request.destroy(error as Error));
    else request.end(body);
  });
}

/** An answer's body as text (a JSON answer or error), up to 1 MiB. */
export async function answerText(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    if (size < 1024 * 1024) chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return Buffer.concat(chunks).toString("utf8");
}

interface ErrorBody {
  errors?: { message?: string; extensions?: { code?: string } }[];
}

async function errorOf(response: IncomingMessage, what: string): Promise<LabbookError> {
  const text = await answerText(response).catch(() => "");
  const status = response.statusCode ?? 0;
  let body: ErrorBody | undefined;
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    body = undefined;
  }
  const first = body?.errors?.[0];
  const code = first?.extensions?.code ?? `HTTP_${status}`;
  return new LabbookError(
    `${what}: ${first?.message ?? `the server answered HTTP ${status} ${text.slice(0, 200)}`}`,
    code,
    errorKindOf(code) === "rejected" || (status >= 400 && status < 500 && status !== 429)
      ? "rejected"
      : status === 503 || status === 429
        ? "transient"
        : "server",
  );
}

/** The headers that carry the client's token, if it has one. */
export const authorizationHeaders = (client: GraphQLClient): Record<string, string> =>
  client.token ? { authorization: `Bearer ${client.token}` } : {};

/**
 * Sends one request built by `attempt` (a fresh body each time), again while the server
 * cannot be reached or is busy, until `retryForMs`; a refusal (4xx) rejects at once, an
 * unexpected server error after three tries. Resolves with a 2xx answer, its body unread.
 */
export async function withRetries(
  target: ArtifactTarget,
  what: string,
  attempt: (baseUrl: string, headers: Record<string, string>) => Promise<IncomingMessage>,
): Promise<IncomingMessage> {
  const deadline = Date.now() + target.retryForMs;
  let serverErrors = 0;
  for (let tries = 0; ; tries++) {
    const { client } = target;
    const headers = authorizationHeaders(client);
    let failure: LabbookError;
    try {
      const response = await attempt(client.url, headers);
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) return response;
      failure = await errorOf(response, what);
      if (failure.kind === "rejected") throw failure;
      if (failure.kind === "server" && ++serverErrors >= 3) throw failure;
    } catch (error) {
      // A TypeError says no answer came; anything else is not the network's.
      if (!(error instanceof TypeError)) throw error;
      failure = new LabbookError(
        `${what}: cannot reach the labbook server at ${client.url} (${(error as Error)?.message ?? error})`,
        "UNREACHABLE",
        "transient",
        { cause: error },
      );
      await client.findServerAgain();
    }
    const wait = retryDelay(tries, 200, target.maxRetryDelayMs);
    if (Date.now() + wait > deadline) throw failure;
    await new Promise((done) => setTimeout(done, wait));
  }
}
