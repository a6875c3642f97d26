import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { type RunningServer, serve } from "../../api/serve.ts";
import type { Db } from "../../db/index.ts";
import { fileTarget } from "../support/db-targets.ts";
import { firstError, gql, gqlData } from "../support/gql.ts";
import {
  type CreateExperimentData,
  createExperimentDoc,
  type ExperimentByNameData,
  experimentByNameDoc,
} from "./operations.ts";

const maxBodyBytes = 4096;
const token = "s3cret-token";

/** A createExperiment request padded past `size` bytes with whitespace: valid, only too big. */
function paddedCreateBody(name: string, size: number): string {
  const body = JSON.stringify({ query: createExperimentDoc, variables: { name } });
  return body.replace(/}$/, `${" ".repeat(size)}}`);
}

/** A body sent in chunks, with no content-length (chunked transfer encoding). */
function chunkedStream(text: string, chunkSize = 512): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

/** A JSON POST whose body is streamed (`duplex: "half"`, which DOM's RequestInit lacks). */
function chunkedPost(text: string): RequestInit {
  const init: RequestInit & { duplex: "half" } = {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: chunkedStream(text),
    duplex: "half",
  };
  return init;
}

interface JsonError {
  errors: { message: string; extensions: { code: string } }[];
}

describe("the HTTP server", () => {
  let db: Db;
  let server: RunningServer;
  let secured: RunningServer;
  let graphqlUrl: string;

  beforeAll(async () => {
    db = await fileTarget.open();
    server = await serve(createApp({ db, maxBodyBytes }), { host: "127.0.0.1", port: 0 });
    secured = await serve(createApp({ db, token }), { host: "127.0.0.1", port: 0 });
    graphqlUrl = `${server.url}/graphql`;
  });

  afterAll(async () => {
    await server?.close();
    await secured?.close();
    await db?.close();
  });

  const experimentNamed = async (name: string) =>
    (await gqlData<ExperimentByNameData>(server.url, experimentByNameDoc, { name })).experiment;

  it("listens on 127.0.0.1 at the port it reports", () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
  });

  it("answers a GraphQL POST", async () => {
    const created = await gqlData<CreateExperimentData>(graphqlUrl, createExperimentDoc, {
      name: "over-http",
    });
    expect(created.createExperiment.experiment.name).toBe("over-http");
    expect(await experimentNamed("over-http")).toMatchObject({
      id: created.createExperiment.experiment.id,
    });
  });

  it("answers GET /health with OK", async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("OK");
  });

  it("refuses a body larger than maxBodyBytes with 413 and a JSON error, changing nothing", async () => {
    // Just under the limit, the same request is accepted.
    const fits = await fetch(graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: paddedCreateBody("fits", maxBodyBytes - 200),
    });
    expect(fits.status).toBe(200);
    expect(await fits.json()).toMatchObject({ data: { createExperiment: {} } });
    expect(await experimentNamed("fits")).not.toBeNull();

    const response = await fetch(graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: paddedCreateBody("too-big", maxBodyBytes),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = (await response.json()) as JsonError;
    expect(body.errors[0]?.extensions.code).toBe("PAYLOAD_TOO_LARGE");
    expect(body.errors[0]?.message).toContain(String(maxBodyBytes));
    expect(await experimentNamed("too-big")).toBeNull();
  });

  it("refuses a chunked body without content-length once it grows past maxBodyBytes", async () => {
    const fits = await fetch(
      graphqlUrl,
      chunkedPost(paddedCreateBody("chunked-fits", maxBodyBytes - 200)),
    );
    expect(fits.status).toBe(200);
    expect(await fits.json()).toMatchObject({ data: { createExperiment: {} } });
    expect(await experimentNamed("chunked-fits")).not.toBeNull();

    const response = await fetch(
      graphqlUrl,
      chunkedPost(paddedCreateBody("chunked-too-big", maxBodyBytes * 4)),
    );
    expect(response.status).toBe(413);
    const body = (await response.json()) as JsonError;
    expect(body.errors[0]?.extensions.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await experimentNamed("chunked-too-big")).toBeNull();
  });

  it("with a token, answers a request without 'Authorization: Bearer' with 401 UNAUTHENTICATED", async () => {
    const response = await gql(secured.url, createExperimentDoc, { name: "anonymous" });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(firstError(response).extensions?.code).toBe("UNAUTHENTICATED");
    expect(await experimentNamed("anonymous")).toBeNull();
  });

  it("with a token, answers a wrong token with 401 and the right one with 200", async () => {
    for (const authorization of [`Bearer wrong-${token}`, `Bearer ${token}x`, token, "Basic abc"]) {
      const response = await gql(
        secured.url,
        createExperimentDoc,
        { name: "intruder" },
        { headers: { authorization } },
      );
      expect(response.status).toBe(401);
      expect(firstError(response).extensions?.code).toBe("UNAUTHENTICATED");
    }
    expect(await experimentNamed("intruder")).toBeNull();

    const allowed = await gql<CreateExperimentData>(
      secured.url,
      createExperimentDoc,
      { name: "insider" },
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(allowed.status).toBe(200);
    expect(allowed.body.data?.createExperiment.experiment.name).toBe("insider");
    expect(await experimentNamed("insider")).not.toBeNull();
  });

  it("serves GraphiQL to a browser, with every script and style inline so it works offline", async () => {
    const response = await fetch(graphqlUrl, { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    expect(html).toContain("<title>labbook GraphQL</title>");
    expect(html).toMatch(/graphiql/i);

    // The markup around the inline scripts and styles: no tag there may load anything remote.
    const markup = html.replace(/<(script|style)\b([^>]*)>[\s\S]*?<\/\1>/gi, "<$1$2></$1>");
    const sources = [...markup.matchAll(/\b(?:src|href)\s*=\s*["']([^"']*)["']/gi)].map(
      (match) => match[1] ?? "",
    );
    for (const source of sources) expect(source).not.toMatch(/^(https?:)?\/\//i);
    expect(markup).toMatch(/<script\b/i);
    expect(markup).not.toMatch(/<script\b[^>]*\bsrc\s*=/i);
    expect(markup).not.toMatch(/<link\b[^>]*\brel\s*=\s*["']stylesheet["']/i);
    expect(html).not.toMatch(/unpkg\.com|jsdelivr|:\/\/cdn/i);
    expect(html).not.toMatch(/(?:import\(|importScripts\(|new Worker\()\s*["'`]https?:/);
  });

  it("serves GraphiQL even when a token is required (the page holds no data)", async () => {
    const response = await fetch(`${secured.url}/graphql`, { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain("<title>labbook GraphQL</title>");
  });

  it("answers an unknown path with 404 and a JSON error", async () => {
    const response = await fetch(`${server.url}/nothing/here`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = (await response.json()) as JsonError;
    expect(body.errors[0]?.extensions.code).toBe("NOT_FOUND");
    expect(body.errors[0]?.message).toContain("/graphql");
  });
});
