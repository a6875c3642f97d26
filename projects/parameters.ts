import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isFlagName } from "./command.ts";
import { type InvalidParameter, ParameterError, ProjectError } from "./errors.ts";
import type { EntryPoint, ParameterType } from "./mlproject.ts";

/**
 * Reads `-P key=value` arguments into a map (split at the first `=`, so values may hold
 * `=`). A key given twice, or an argument without `=`, is an error.
 *
 * @example
 * parseParameterArgs(["epochs=5", "note=a=b"]); // { epochs: "5", note: "a=b" }
 */
export function parseParameterArgs(args: readonly string[]): Record<string, string> {
  const values: Record<string, string> = Object.create(null);
  for (const arg of args) {
    const equals = arg.indexOf("=");
    if (equals <= 0) throw new ProjectError(`-P ${arg}: write -P key=value, e.g. -P epochs=5`);
    const key = arg.slice(0, equals);
    if (Object.hasOwn(values, key))
      throw new ProjectError(`-P ${key} is given twice; give each parameter once`);
    values[key] = arg.slice(equals + 1);
  }
  return values;
}

/** A declared parameter with the value it takes. */
export interface ResolvedParameter {
  name: string;
  type: ParameterType;
  /** The value as given with -P, or the MLproject's default: what is logged as the param. */
  value: string;
  /** The value put in the command: for `path` (and a `uri` that is a path) an absolute path. */
  resolved: string;
  source: "given" | "default";
}

/** The values for one run of an entry point. */
export interface ResolvedParameters {
  /** Declared parameters, in the order of the MLproject. */
  parameters: ResolvedParameter[];
  /** `-P` values the entry point does not declare, in the order given: `--key value`. */
  extra: { name: string; value: string }[];
}

const intPattern = /^[+-]?\d+$/;
const floatPattern = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** A URI scheme: two characters at least, so that `C:\data` stays a path. */
const schemePattern = /^[A-Za-z][A-Za-z0-9+.-]+:/;

/**
 * Checks one value against its type and resolves it: an `int` is a whole number, a `float`
 * a decimal number; a `path` is a local path (or `file:` URL) resolved against the project
 * directory, which must exist; a `uri` is a URI (kept as it is) or a local path (resolved).
 * Returns the resolved value, or throws a message for the user.
 *
 * @example
 * checkValue("int", "10", "/work/demo");          // "10"
 * checkValue("path", "data.csv", "/work/demo");   // "/work/demo/data.csv" (when it exists)
 * checkValue("uri", "s3://bucket/x", "/work/demo"); // "s3://bucket/x"
 */
export function checkValue(type: ParameterType, value: string, projectDir: string): string {
  switch (type) {
    case "string":
      return value;
    case "int":
      if (!intPattern.test(value))
        throw new Error(`'${value}' is not an int (a whole number, such as 10 or -3)`);
      return value;
    case "float":
      if (!floatPattern.test(value))
        throw new Error(`'${value}' is not a float (a number, such as 0.01, 1e-3 or 5)`);
      return value;
    case "path": {
      if (value === "") throw new Error("a path must not be empty");
      let local = value;
      if (schemePattern.test(value)) {
        if (!value.startsWith("file:"))
          throw new Error(
            `'${value}' is not a local path; a 'path' parameter takes a file or directory (declare it 'uri' to pass URIs through)`,
          );
        try {
          local = fileURLToPath(value);
        } catch {
          throw new Error(`'${value}' is not a valid file: URL`);
        }
      }
      const absolute = isAbsolute(local) ? local : resolve(projectDir, local);
      if (!existsSync(absolute))
        throw new Error(
          `'${value}' does not exist (no file or directory ${absolute}; relative paths start at the project directory)`,
        );
      return absolute;
    }
    case "uri":
      if (value === "") throw new Error("a URI must not be empty");
      if (schemePattern.test(value)) {
        try {
          new URL(value);
        } catch {
          throw new Error(`'${value}' is not a valid URI`);
        }
        return value;
      }
      return isAbsolute(value) ? value : resolve(projectDir, value);
  }
}

/**
 * Gives every declared parameter its value (`-P` first, else the default), checks each
 * against its type, and keeps the undeclared `-P` values as extras. All problems are
 * reported together in one `ParameterError`: the missing required parameters (listed in one
 * line) and every value of the wrong type.
 *
 * @example
 * const { parameters, extra } = resolveParameters(entryPoint, { epochs: "5", seed: "1" }, {
 *   projectDir: "/work/demo",
 * });
 * // parameters: [{ name: "epochs", type: "int", value: "5", resolved: "5", source: "given" }, …]
 * // extra: [{ name: "seed", value: "1" }]
 */
export function resolveParameters(
  entryPoint: EntryPoint,
  given: Readonly<Record<string, string>>,
  options: { projectDir: string },
): ResolvedParameters {
  const missing: string[] = [];
  const invalid: InvalidParameter[] = [];
  const parameters: ResolvedParameter[] = [];
  const declared = new Set(entryPoint.parameters.map((spec) => spec.name));
  for (const spec of entryPoint.parameters) {
    const isGiven = Object.hasOwn(given, spec.name);
    const value = isGiven ? given[spec.name] : spec.default;
    if (value === undefined) {
      missing.push(spec.name);
      continue;
    }
    try {
      parameters.push({
        name: spec.name,
        type: spec.type,
        value,
        resolved: checkValue(spec.type, value, options.projectDir),
        source: isGiven ? "given" : "default",
      });
    } catch (error) {
      const message = (error as Error).message;
      invalid.push({
        name: spec.name,
        message: isGiven ? message : `the MLproject's default ${message}`,
      });
    }
  }
  const extra: { name: string; value: string }[] = [];
  for (const [name, value] of Object.entries(given)) {
    if (declared.has(name)) continue;
    if (!isFlagName(name))
      invalid.push({
        name,
        message: `not a parameter of entry point '${entryPoint.name}', so it becomes '--${name}', and such a flag may only hold letters, digits, '_', '.' and '-'`,
      });
    else extra.push({ name, value });
  }
  if (missing.length > 0 || invalid.length > 0)
    throw new ParameterError(entryPoint.name, missing, invalid);
  return { parameters, extra };
}
