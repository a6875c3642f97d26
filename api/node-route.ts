import type { IncomingMessage, ServerResponse } from "node:http";

/** An app as servers and tests use it: Node's request listener, and `fetch` for tests. */
interface FetchApp {
  (request: IncomingMessage, response: ServerResponse): unknown;
  fetch: (request: Request) => Promise<Response> | Response;
}

/**
 * Puts a route that answers on Node's own request and response in front of an app's Node
 * request listener; when the route returns false, the app answers. `fetch` is the app's own.
 * (A plain function, not a Proxy of the adapter: Node calls listeners through `.apply`, which
 * the adapter's Proxy hands straight to its own handler.)
 */
export function withNodeRoute<App extends FetchApp>(
  app: App,
  route: (request: IncomingMessage, response: ServerResponse) => boolean,
) {
  const listener = (request: IncomingMessage, response: ServerResponse): unknown =>
    route(request, response) ? undefined : app(request, response);
  return Object.assign(listener, { fetch: app.fetch as App["fetch"] });
}
