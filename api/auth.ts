import { createHash, timingSafeEqual } from "node:crypto";

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Whether the request carries `Authorization: Bearer <token>`, compared in constant time. */
export function hasBearerToken(request: Request, token: string): boolean {
  return authorizationHasToken(request.headers.get("authorization") ?? undefined, token);
}

/** Whether an `Authorization` header value is `Bearer <token>`, compared in constant time. */
export function authorizationHasToken(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec((header ?? "").trim());
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), digest(token));
}
