import { Readable } from "node:stream";
import { type ArtifactHttpOptions, answerArtifactRequest } from "./artifacts-http.ts";

/**
 * The artifact route for a fetch `Request` (`app.fetch`, or a server that is not Node's):
 * the same answers as the Node road, with the body converted to and from web streams.
 */
export async function handleArtifactRequest(
  request: Request,
  pathname: string,
  options: ArtifactHttpOptions,
): Promise<Response> {
  const reply = await answerArtifactRequest(
    {
      method: request.method,
      pathname,
      header: (name) => request.headers.get(name) ?? undefined,
      body: () =>
        request.body
          ? Readable.from(request.body as unknown as AsyncIterable<Uint8Array>, {
              objectMode: false,
            })
          : Readable.from([]),
      aborted: () => request.signal?.aborted ?? false,
    },
    options,
  );
  if (reply.json !== undefined)
    return Response.json(reply.json, { status: reply.status, headers: reply.headers });
  const body = reply.stream && (Readable.toWeb(reply.stream) as ReadableStream<Uint8Array>);
  return new Response(body ?? null, { status: reply.status, headers: reply.headers });
}
