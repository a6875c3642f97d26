import type { App } from "../../api/app.ts";

/** One GraphQL error as the API returns it. */
export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

/** A GraphQL response body; `data` has the shape the caller names. */
export interface GqlBody<T> {
  data?: T | null;
  errors?: GqlError[];
}

export interface GqlResponse<T> {
  status: number;
  headers: Headers;
  body: GqlBody<T>;
}

export interface GqlOptions {
  headers?: Record<string, string>;
}

/** Where a document goes: an app (in process, through `app.fetch`) or a server's URL. */
export type GqlTarget = App | string;

const inProcessUrl = "http://labbook.test/graphql";

/**
 * POSTs `{ query, variables }` as JSON to an app's `fetch` or to a URL (the base URL or its
 * `/graphql`), and returns the HTTP status with the parsed body.
 */
export async function gql<T = Record<string, unknown>>(
  target: GqlTarget,
  query: string,
  variables?: Record<string, unknown>,
  options: GqlOptions = {},
): Promise<GqlResponse<T>> {
  const init: RequestInit = {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  };
  const response =
    typeof target === "string"
      ? await fetch(graphqlEndpoint(target), init)
      : await target.fetch(new Request(inProcessUrl, init));
  const text = await response.text();
  let body: GqlBody<T>;
  try {
    body = JSON.parse(text) as GqlBody<T>;
  } catch {
    throw new Error(`response ${response.status} is not JSON: ${text.slice(0, 500)}`);
  }
  return { status: response.status, headers: response.headers, body };
}

/** Like `gql`, but fails unless the response is a 200 without errors; returns its data. */
export async function gqlData<T = Record<string, unknown>>(
  target: GqlTarget,
  query: string,
  variables?: Record<string, unknown>,
  options: GqlOptions = {},
): Promise<T> {
  const { status, body } = await gql<T>(target, query, variables, options);
  if (status !== 200 || body.errors?.length || body.data == null)
    throw new Error(
      `GraphQL request failed (HTTP ${status}): ${JSON.stringify(body.errors ?? body)}`,
    );
  return body.data;
}

/** The first error's code and message, failing when the response has no error. */
export function firstError<T>(response: GqlResponse<T>): GqlError {
  const [error] = response.body.errors ?? [];
  if (!error) throw new Error(`expected an error, got ${JSON.stringify(response.body)}`);
  return error;
}

function graphqlEndpoint(url: string): string {
  const base = url.replace(/\/+$/, "");
  return base.endsWith("/graphql") ? base : `${base}/graphql`;
}
