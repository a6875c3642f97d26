import { invalidParameter } from "./errors.ts";

/**
 * Page tokens: the offset of the next page, base64 JSON as MLflow's server makes them, so a
 * token is opaque to clients and readable in a log.
 */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString("base64");
}

export function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === "") return 0;
  let offset: unknown;
  try {
    offset = (JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { offset?: unknown })
      .offset;
  } catch {
    offset = undefined;
  }
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0)
    throw invalidParameter(
      `Invalid page token '${token}': pass the next_page_token of an earlier answer.`,
    );
  return offset;
}

/** The token for the page after `offset + count` of `total`, or undefined after the last. */
export function nextPageToken(offset: number, count: number, total: number): string | undefined {
  return offset + count < total ? encodePageToken(offset + count) : undefined;
}

/** `max_results`, checked against a server's range. */
export function maxResults(
  value: number | undefined,
  options: { default: number; max: number },
): number {
  const max = value ?? options.default;
  if (max < 1 || max > options.max)
    throw invalidParameter(
      `Invalid value ${max} for parameter 'max_results' supplied: it must be between 1 and ${options.max}.`,
    );
  return max;
}
