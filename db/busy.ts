import { LibsqlError } from "@libsql/client";
import { StoreError } from "./errors.ts";

/**
 * Another process held the database lock past the busy timeout. That is a `busy` store error
 * (worth retrying), not an unexpected failure.
 */
export function translateBusy(error: unknown): unknown {
  const code =
    error instanceof LibsqlError || error instanceof Error
      ? (error as { code?: unknown }).code
      : undefined;
  if (typeof code === "string" && code.includes("BUSY"))
    return new StoreError(
      "busy",
      "the database is locked by another process; retry shortly, or make labbook its only writer",
      { cause: error },
    );
  return error;
}
