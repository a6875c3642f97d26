import { invalid } from "./errors.ts";

/**
 * The rules MLflow applies to what is logged, so runs move between the two unchanged.
 * Each check throws an `invalid` StoreError naming the field and the rule.
 */
export const limits = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 5000,
  experimentNameLength: 500,
  runNameLength: 250,
} as const;

/** MLflow's key alphabet: letters, digits, `_ - . / space :` (Windows-safe path-ish names). */
const keyPattern = /^[\p{L}\p{N}_\-./ :]+$/u;

export function validateKey(field: string, key: unknown): string {
  if (typeof key !== "string" || key.length === 0)
    throw invalid(field, "must be a non-empty string");
  if (key.length > limits.keyLength)
    throw invalid(field, `must be at most ${limits.keyLength} characters (got ${key.length})`);
  if (!keyPattern.test(key))
    throw invalid(
      field,
      `'${key}' may only contain letters, digits, underscores, dashes, periods, slashes, spaces and colons`,
    );
  // Keys become file names in some places (MLflow's file store, artifact exports), so a key
  // must be its own normalized path: no empty, '.' or '..' segments.
  if (key.split("/").some((segment) => segment === "" || segment === "." || segment === ".."))
    throw invalid(
      field,
      `'${key}' must be a normalized path: no leading, trailing or doubled '/', no '.' or '..' segments`,
    );
  return key;
}

export function validateText(field: string, value: unknown, maxLength: number): string {
  if (typeof value !== "string") throw invalid(field, "must be a string");
  if (value.length > maxLength)
    throw invalid(field, `must be at most ${maxLength} characters (got ${value.length})`);
  return value;
}

/**
 * Largest integer a step or time may be: 2^53 - 1. Past it a number is no longer exact, and
 * libSQL refuses to read such an integer back, so a stored 2^53 would make its rows unreadable.
 */
export const maxSafeInteger = Number.MAX_SAFE_INTEGER;

export function validateInteger(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value))
    throw invalid(field, "must be an integer");
  if (Math.abs(value) > maxSafeInteger)
    throw invalid(field, `must be between -(2^53 - 1) and 2^53 - 1 (got ${value})`);
  return value;
}

export function validateTimestamp(field: string, value: unknown): number {
  const time = validateInteger(field, value);
  if (time < 0) throw invalid(field, "must be milliseconds since 1970-01-01 UTC, not negative");
  return time;
}

export function validateName(field: string, value: unknown, maxLength: number): string {
  const name = validateText(field, value, maxLength);
  if (name.trim().length === 0) throw invalid(field, "must not be empty");
  return name;
}

/** Experiment ids are strings of digits; anything else cannot name one. */
export function parseExperimentId(field: string, id: unknown): number {
  if (typeof id !== "string" || !/^\d{1,15}$/.test(id))
    throw invalid(field, `'${String(id)}' is not an experiment id (a string of digits)`);
  return Number(id);
}

export function isRunId(id: string): boolean {
  return /^[0-9a-f]{32}$/.test(id);
}
