import type { SqlRow } from "./sync-connection.ts";

export type { SqlRow };

/**
 * Helpers for the hand-written SQL of hot paths: statement texts built once per shape and
 * reused (parsing a 1000-row INSERT's text is part of its cost), and typed reads of raw rows.
 */
const placeholderCache = new Map<string, string>();

/** `(?, ?, ?), (?, ?, ?)…`: `rows` tuples of `columns` placeholders, cached by shape. */
export function valuesPlaceholders(rows: number, columns: number): string {
  const id = `${rows}x${columns}`;
  let text = placeholderCache.get(id);
  if (text === undefined) {
    const tuple = `(${Array.from({ length: columns }, () => "?").join(", ")})`;
    text = Array.from({ length: rows }, () => tuple).join(", ");
    if (placeholderCache.size < 256) placeholderCache.set(id, text);
  }
  return text;
}

/** `?, ?, ?` for an IN list. */
export const listPlaceholders = (count: number): string =>
  Array.from({ length: count }, () => "?").join(", ");

const columnValue = (row: SqlRow, column: string): unknown => row[column];

export function intOf(row: SqlRow, column: string): number {
  const value = columnValue(row, column);
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  throw new Error(`column ${column} is ${String(value)}, not an integer`);
}

export function intOrNull(row: SqlRow, column: string): number | null {
  return columnValue(row, column) === null ? null : intOf(row, column);
}

export function realOrNull(row: SqlRow, column: string): number | null {
  const value = columnValue(row, column);
  return value === null ? null : Number(value);
}

export function textOf(row: SqlRow, column: string): string {
  const value = columnValue(row, column);
  if (typeof value === "string") return value;
  throw new Error(`column ${column} is ${String(value)}, not text`);
}

export function textOrNull(row: SqlRow, column: string): string | null {
  const value = columnValue(row, column);
  return value === null ? null : String(value);
}

const specials = new Set(["NaN", "Infinity", "-Infinity"]);

/** A `*_special` column: null, or the name of a non-finite value. */
export function specialOrNull(
  row: SqlRow,
  column: string,
): "NaN" | "Infinity" | "-Infinity" | null {
  const value = columnValue(row, column);
  if (value === null) return null;
  if (typeof value === "string" && specials.has(value))
    return value as "NaN" | "Infinity" | "-Infinity";
  throw new Error(`column ${column} holds '${String(value)}', not a non-finite value name`);
}
