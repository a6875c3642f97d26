import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { App } from "./app.ts";

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:4000`. */
  url: string;
  port: number;
  server: Server;
  /** Stops accepting connections and resolves once the requests in flight are answered. */
  close(): Promise<void>;
}

/** Binds an app to a host and port (0 picks a free one). */
export function serve(app: App, options: { host: string; port: number }): Promise<RunningServer> {
  // No limit on a whole request's time: an artifact upload of gigabytes takes longer than
  // Node's default 5 minutes and would get a 408 halfway. Slow headers still time out
  // (headersTimeout), and GraphQL bodies are bounded in size.
  const server = createServer({ requestTimeout: 0 }, app);
  const answering = new Set<ServerResponse>();
  server.on("request", (_request: IncomingMessage, response: ServerResponse) => {
    answering.add(response);
    response.once("close", () => answering.delete(response));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      const { port } = server.address() as AddressInfo;
      const host = options.host.includes(":") ? `[${options.host}]` : options.host;
      resolve({
        url: `http://${host}:${port}`,
        port,
        server,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeIdleConnections();
            // A keep-alive connection answering a request now would stay open after it, until
            // its client or the keep-alive timeout closes it: end each with its response.
            for (const response of answering) {
              if (!response.headersSent) response.setHeader("connection", "close");
              else response.once("finish", () => setImmediate(() => server.closeIdleConnections()));
            }
          }),
      });
    });
  });
}
