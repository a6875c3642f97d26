/**
 * The base URL of a labbook server from what a user typed: `http://host:4000`,
 * `http://host:4000/`, and `http://host:4000/graphql` all name the same server.
 *
 * @example
 * trackingBaseUrl("http://127.0.0.1:4000/graphql"); // "http://127.0.0.1:4000"
 */
export function trackingBaseUrl(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri.trim());
  } catch {
    throw new Error(
      `'${uri}' is not a URL; give a server's base URL such as http://127.0.0.1:4000`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error(
      `'${uri}' is not an http(s) URL; give a server's base URL such as http://127.0.0.1:4000`,
    );
  const path = url.pathname.replace(/\/+$/, "").replace(/\/graphql$/, "");
  return `${url.origin}${path}`;
}

/**
 * The GraphQL endpoint of a server given by its base URL or its `/graphql` URL.
 *
 * @example
 * graphqlUrl("http://127.0.0.1:4000/"); // "http://127.0.0.1:4000/graphql"
 */
export const graphqlUrl = (uri: string): string => `${trackingBaseUrl(uri)}/graphql`;
