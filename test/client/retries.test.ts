import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startRun } from "../../client/index.ts";
import { readHistory, readRun, server } from "./support.ts";

interface Proxy {
  url: string;
  /** Each batch id the proxy saw, with the `applied` of every answer the server gave it. */
  answers: Map<string, boolean[]>;
  close(): Promise<void>;
}

const bodyOf = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
};

/**
 * A 127.0.0.1 proxy in front of a server that forwards every request, but drops the answer
 * to the first delivery of each batch: the server applied it, the client never hears so.
 */
async function lossyProxy(upstream: string): Promise<Proxy> {
  const answers = new Map<string, boolean[]>();
  const proxy = createServer(async (request, response) => {
    const body = await bodyOf(request);
    const upstreamResponse = await fetch(`${upstream}${request.url}`, {
      method: request.method ?? "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const text = await upstreamResponse.text();
    const batchId = /"batchId":"([^"]+)"/.exec(body)?.[1];
    if (batchId) {
      const applied = (JSON.parse(text) as { data?: { logBatch?: { applied: boolean } } }).data
        ?.logBatch?.applied;
      const seen = answers.get(batchId) ?? [];
      seen.push(applied ?? false);
      answers.set(batchId, seen);
      if (seen.length === 1) {
        // Applied upstream, then the connection dies before the answer: a lost response.
        request.socket.destroy();
        return;
      }
    }
    response.writeHead(upstreamResponse.status, { "content-type": "application/json" });
    response.end(text);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answers,
    close: () =>
      new Promise((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  };
}

const proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

describe("retries", () => {
  it("applies a batch once when it is sent again after its answer was lost", async () => {
    const { info } = await server();
    const proxy = await lossyProxy(info.url);
    proxies.push(proxy);
    const run = await startRun({ trackingUri: proxy.url, batchSize: 700 });
    run.logParams({ lr: 0.01, layers: 3 });
    run.setTag("mode", "lossy");
    const points = 3000;
    for (let step = 0; step < points; step++) run.logMetric("loss", step / 7, { step });
    await run.end();

    // Every batch was delivered twice: applied the first time, acknowledged the second.
    expect(proxy.answers.size).toBe(Math.ceil(points / 700));
    for (const applied of proxy.answers.values()) expect(applied).toEqual([true, false]);
    expect(run.stats()).toMatchObject({ sent: points, dropped: 0 });
    expect(run.stats().retries).toBeGreaterThanOrEqual(proxy.answers.size);

    const history = await readHistory(info.url, run.id, "loss");
    expect(history.count).toBe(points);
    expect(history.history.steps).toEqual(Array.from({ length: points }, (_, step) => step));
    expect(history.history.values).toEqual(Array.from({ length: points }, (_, step) => step / 7));
    const stored = await readRun(info.url, run.id);
    expect(stored.status).toBe("FINISHED");
    expect(stored.params).toHaveLength(2);
  });
});
