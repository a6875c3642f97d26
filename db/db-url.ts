import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where a database is, from what a user typed. A module of its own, without the driver or the
 * ORM, so that a command can decide where its data is (a server, or a file) before it loads
 * what opening a database needs.
 */

export const defaultDbPath = "labbook.db";

/** Turns what a user typed (`./x.db`, `file:x.db`, `http://…`) into a libSQL URL. */
export function normalizeDbUrl(input: string | undefined): string {
  const value = input?.trim() || defaultDbPath;
  if (/^(file|https?|libsql|wss?):/i.test(value)) return value;
  return `file:${value}`;
}

/** The file behind a `file:` URL, absolute; undefined for a server URL. */
export function dbFilePath(url: string): string | undefined {
  if (!url.startsWith("file:")) return undefined;
  const rest = url.slice("file:".length).replace(/\?.*$/, "");
  if (rest.startsWith("//")) return fileURLToPath(url.replace(/\?.*$/, ""));
  return resolve(rest);
}
