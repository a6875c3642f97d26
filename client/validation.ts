/**
 * The API's rules for keys and values, checked before anything is buffered. A batch is
 * applied whole or not at all, so one bad key sent to the server would cost every good point
 * beside it; refusing it here, alone, keeps the rest. The server checks again: this only
 * has to agree with it, not replace it.
 *
 * @example
 * if (value.length > clientLimits.paramValueLength) report("too long");
 */
export const clientLimits = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 5000,
} as const;

const keyPattern = /^[\p{L}\p{N}_\-./ :]+$/u;

/**
 * Why a key would be refused, or undefined when it is fine: letters, digits and
 * `_ - . / : space`, at most 250 characters, a normalized path.
 *
 * @example
 * keyProblem("val/loss"); // undefined
 * keyProblem("a//b"); // "'a//b' must be a normalized path: …"
 */
export function keyProblem(key: unknown): string | undefined {
  if (typeof key !== "string" || key.length === 0) return "a key must be a non-empty string";
  if (key.length > clientLimits.keyLength)
    return `key '${key.slice(0, 40)}…' is longer than ${clientLimits.keyLength} characters`;
  if (!keyPattern.test(key))
    return `key '${key}' may only contain letters, digits, underscores, dashes, periods, slashes, spaces and colons`;
  if (key.split("/").some((segment) => segment === "" || segment === "." || segment === ".."))
    return `key '${key}' must be a normalized path: no leading, trailing or doubled '/', no '.' or '..' segments`;
  return undefined;
}

/**
 * Params and tags are text; numbers and booleans become their `String()`.
 *
 * @example
 * textValue(0.001); // "0.001"
 */
export function textValue(value: string | number | boolean): string {
  return typeof value === "string" ? value : String(value);
}

/**
 * Whether a number can be a step: an integer the API stores exactly (up to 2^53 - 1).
 *
 * @example
 * isStep(3); // true
 */
export const isStep = (step: number): boolean => Number.isSafeInteger(step);

/**
 * Whether a number can be a timestamp: milliseconds UTC, a non-negative safe integer.
 *
 * @example
 * isTimestamp(Date.now()); // true
 */
export const isTimestamp = (time: number): boolean => Number.isSafeInteger(time) && time >= 0;
