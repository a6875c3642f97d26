import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * A browser cannot add `Authorization` to a page load, so a server with a token lets the
 * report in through a cookie: `?token=<token>` on any report URL sets it (HttpOnly, so the
 * pages' scripts never see it; SameSite=Strict, so no other site's page sends it). Its value
 * is derived from the token, not the token itself.
 */
export const sessionCookieName = "labbook_report";

const sessionValue = (token: string) =>
  createHmac("sha256", token).update("labbook report session").digest("base64url");

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Whether `given` is the token, compared in constant time. */
export const isToken = (given: string, token: string): boolean =>
  timingSafeEqual(digest(given), digest(token));

/** The `Set-Cookie` header that lets this browser into the report (and its live refresh). */
export function sessionCookie(token: string): string {
  return `${sessionCookieName}=${sessionValue(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

function cookieValue(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=");
  }
  return undefined;
}

/** Whether the request carries the report's cookie for this token (compared in constant time). */
export function hasSessionCookie(request: Request, token: string): boolean {
  const value = cookieValue(request, sessionCookieName);
  if (value === undefined) return false;
  const expected = Buffer.from(sessionValue(token));
  const given = Buffer.from(value);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Whether an API request may be authenticated by the cookie: only the report's own pages'
 * requests, which browsers mark `Sec-Fetch-Site: same-origin`. A request from another origin
 * (another port of the same host, a sandboxed artifact page) or from a client that does not
 * say where it comes from needs the `Authorization` header.
 */
export function hasSameOriginSession(request: Request, token: string): boolean {
  return (
    request.headers.get("sec-fetch-site") === "same-origin" && hasSessionCookie(request, token)
  );
}
