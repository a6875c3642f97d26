import type { IncomingMessage, ServerResponse } from "node:http";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  type ArtifactHttpOptions,
  type ArtifactReply,
  answerArtifactRequest,
  artifactsPath,
  errorReply,
} from "./artifacts-http.ts";
import { authorizationHasToken } from "./auth.ts";

/** Chunks of up to this many bytes wait between the socket and the store. */
const bodyBufferBytes = 1024 * 1024;

export interface NodeArtifactRouteOptions extends ArtifactHttpOptions {
  token: string | undefined;
}

/**
 * The artifact route on Node's own request and response, ahead of the fetch adapter: a body
 * goes from the socket to the store as Node streams, and a file from the store to the socket,
 * with no conversion to web streams and back (which cost more than the disk). It takes only
 * what it can answer — `PUT`, `GET` and `HEAD` of `/artifacts/…` with the token — and returns
 * false for the rest, which the fetch route (`handleArtifactRequest`) answers: refusals, with
 * the same answers either way.
 *
 * @example
 * const artifacts = nodeArtifactRoute({ db, stores, maxArtifactBytes, logger, token });
 * createServer((req, res) => artifacts(req, res) || app(req, res));
 */
export function nodeArtifactRoute(options: NodeArtifactRouteOptions) {
  const { token } = options;
  return (request: IncomingMessage, response: ServerResponse): boolean => {
    const method = request.method ?? "";
    if (method !== "PUT" && method !== "GET" && method !== "HEAD") return false;
    if (!request.url?.startsWith(`${artifactsPath}/`)) return false;
    if (token && !authorizationHasToken(request.headers.authorization, token)) return false;
    // Parsed as the fetch route parses it, so both see the same path.
    const { pathname } = new URL(request.url, "http://labbook");
    if (!pathname.startsWith(`${artifactsPath}/`)) return false;
    void answer(request, response, pathname, options);
    return true;
  };
}

async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  pathname: string,
  options: ArtifactHttpOptions,
): Promise<void> {
  try {
    await send(await answerFor(request, response, pathname, options), request, response);
  } catch (error) {
    // answerArtifactRequest answers its own failures; this is a bug, not a request's fault.
    options.logger.error(`unexpected error while answering ${request.method} ${pathname}`, error);
    if (!response.headersSent)
      await send(
        errorReply(
          500,
          "INTERNAL_SERVER_ERROR",
          "The request failed unexpectedly; the server's log has the cause.",
        ),
        request,
        response,
      );
    else response.destroy();
  }
}

function answerFor(
  request: IncomingMessage,
  response: ServerResponse,
  pathname: string,
  options: ArtifactHttpOptions,
): Promise<ArtifactReply> {
  return answerArtifactRequest(
    {
      method: request.method ?? "GET",
      pathname,
      header: (name) => {
        const value = request.headers[name];
        return Array.isArray(value) ? value.join(", ") : value;
      },
      body: () => bodyOf(request),
      aborted: () => response.destroyed || (request.destroyed && !request.complete),
    },
    options,
  );
}

/**
 * The request's body, fed through a stream of its own: a store that stops reading it (a body
 * over the limit) then leaves the socket open for the answer, where destroying the request
 * itself would cut it.
 */
function bodyOf(request: IncomingMessage): Readable {
  const body = new PassThrough({ highWaterMark: bodyBufferBytes });
  request.once("close", () => {
    if (!request.complete) body.destroy(new Error("the client closed the connection mid-body"));
  });
  request.once("error", (error) => body.destroy(error));
  return request.pipe(body);
}

async function send(
  reply: ArtifactReply,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (response.destroyed) {
    reply.stream?.destroy();
    return;
  }
  const headers = { ...reply.headers };
  // A body read only in part leaves the connection unusable for another request.
  if (!request.complete && request.method === "PUT") headers.connection = "close";
  if (reply.json !== undefined) {
    const json = JSON.stringify(reply.json);
    response.writeHead(reply.status, {
      ...headers,
      "content-type": "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(json)),
    });
    response.end(json);
    return;
  }
  response.writeHead(reply.status, headers);
  if (!reply.stream) {
    response.end();
    return;
  }
  // A client that goes away mid-download ends the pipeline; there is no one left to tell.
  await pipeline(reply.stream, response).catch(() => {});
}
