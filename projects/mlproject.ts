import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { isMap, isScalar, isSeq, type Node, parseDocument } from "yaml";
import { parseCommandTemplate } from "./command.ts";
import { ProjectError } from "./errors.ts";

/**
 * The parameter types of an MLproject: MLflow's four, plus `int`.
 *
 * @example
 * parameterTypes.includes("float"); // true
 */
export const parameterTypes = ["string", "int", "float", "path", "uri"] as const;
export type ParameterType = (typeof parameterTypes)[number];

/** One declared parameter of an entry point. */
export interface ParameterSpec {
  name: string;
  type: ParameterType;
  /** The default as written in the file (`1e-3` stays `1e-3`); absent when required. */
  default?: string;
}

/** A named command of a project, with its parameters in the order the file declares them. */
export interface EntryPoint {
  name: string;
  parameters: ParameterSpec[];
  /** The template, e.g. `node train.js {epochs} --lr {lr}`. */
  command: string;
}

/** A parsed MLproject. */
export interface MLproject {
  /** The project's `name`, else the directory's name. */
  name: string;
  /** The project directory (absolute when loaded from disk). */
  dir: string;
  /** The MLproject file, when loaded from disk. */
  file?: string;
  entryPoints: Record<string, EntryPoint>;
  /** Keys labbook reads but does not act on (`conda_env`, `docker_env`, …), for a notice. */
  warnings: string[];
}

/** Environment keys MLflow acts on and labbook does not: the command runs as it is. */
const environmentKeys = ["conda_env", "python_env", "docker_env"];

const describe = (node: unknown): string =>
  isMap(node)
    ? "a mapping"
    : isSeq(node)
      ? "a list"
      : isScalar(node)
        ? node.value === null
          ? "empty"
          : `${typeof node.value} '${String(node.value)}'`
        : "nothing";

/** A scalar as text, as written: numbers and booleans keep their spelling (`1e-3`, `0.10`). */
function scalarText(node: Node): string | undefined {
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  if (typeof node.value === "string") return node.value;
  return node.source ?? String(node.value);
}

function mapEntries(node: unknown, where: string, file: string): [string, Node | null][] {
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return [];
  if (!isMap(node))
    throw new ProjectError(`${file}: ${where} must be a mapping, not ${describe(node)}`);
  return node.items.map((pair) => {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (typeof key !== "string" && typeof key !== "number")
      throw new ProjectError(`${file}: ${where} has a key that is not a name`);
    return [String(key), (pair.value as Node | null) ?? null];
  });
}

function parseParameter(
  name: string,
  node: Node | null,
  where: string,
  file: string,
  warnings: string[],
) {
  let typeNode: Node | null | undefined = node;
  let defaultNode: Node | null | undefined;
  if (isMap(node)) {
    typeNode = node.get("type", true) as Node | undefined;
    defaultNode = node.get("default", true) as Node | undefined;
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      // MLflow ignores other keys; a typo such as 'dfault' deserves a word, not a refusal.
      if (key !== "type" && key !== "default" && key !== "description")
        warnings.push(
          `${file}: ${where}.${name}: '${key}' is ignored; a parameter has 'type' and 'default'`,
        );
    }
  } else if (!isScalar(node) && node !== null) {
    throw new ProjectError(
      `${file}: ${where}.${name} must be a type (such as 'float') or {type, default}, not ${describe(node)}`,
    );
  }
  const type = typeNode ? (scalarText(typeNode) ?? "string") : "string";
  if (!(parameterTypes as readonly string[]).includes(type))
    throw new ProjectError(
      `${file}: ${where}.${name} has type '${type}'; the types are ${parameterTypes.join(", ")}`,
    );
  const spec: ParameterSpec = { name, type: type as ParameterType };
  if (defaultNode && !isScalar(defaultNode))
    throw new ProjectError(
      `${file}: ${where}.${name}: the default must be a single value, not ${describe(defaultNode)}`,
    );
  const defaultValue = defaultNode ? scalarText(defaultNode) : undefined;
  if (defaultValue !== undefined) spec.default = defaultValue;
  return spec;
}

/**
 * Parses the text of an MLproject file (MLflow's format): `name`, and `entry_points` each with
 * a `command` template and `parameters`, in the short form `epochs: int` or the long form
 * `lr: {type: float, default: 0.01}`. Checks the structure, the types, and that every
 * `{name}` in a command is a declared parameter. No file is read.
 *
 * @example
 * const project = parseMLproject(
 *   "name: demo\nentry_points:\n  main:\n    parameters:\n      epochs: int\n    command: node train.js {epochs}\n",
 *   { dir: "/work/demo" },
 * );
 * project.entryPoints.main?.parameters; // [{ name: "epochs", type: "int" }]
 */
export function parseMLproject(text: string, options: { dir: string; file?: string }): MLproject {
  const file = options.file ?? "MLproject";
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const [error] = doc.errors;
  if (error)
    throw new ProjectError(
      `${file} is not valid YAML: ${(error.message.split("\n")[0] ?? "").replace(/:$/, "")}`,
    );
  const root = doc.contents;
  if (root !== null && !isMap(root))
    throw new ProjectError(
      `${file} must be a mapping with 'name' and 'entry_points', not ${describe(root)}`,
    );
  const top = new Map(mapEntries(root, "the file", file));
  const nameNode = top.get("name");
  const name = (nameNode && scalarText(nameNode)) || dirName(options.dir);
  const warnings = environmentKeys
    .filter((key) => top.has(key))
    .map(
      (key) => `${file}: '${key}' is ignored: labbook runs the command in the current environment`,
    );
  // No prototype: an entry point may be called anything, even `constructor`.
  const entryPoints: Record<string, EntryPoint> = Object.create(null);
  for (const [entryName, entryNode] of mapEntries(top.get("entry_points"), "entry_points", file)) {
    const where = `entry_points.${entryName}`;
    if (!isMap(entryNode))
      throw new ProjectError(
        `${file}: ${where} must be a mapping with 'command' (and 'parameters'), not ${describe(entryNode)}`,
      );
    const commandNode = entryNode.get("command", true) as Node | undefined;
    const command = commandNode ? scalarText(commandNode) : undefined;
    if (command === undefined || command.trim() === "")
      throw new ProjectError(`${file}: ${where} has no 'command'`);
    const parameters = mapEntries(
      entryNode.get("parameters", true),
      `${where}.parameters`,
      file,
    ).map(([paramName, node]) =>
      parseParameter(paramName, node, `${where}.parameters`, file, warnings),
    );
    const declared = new Set(parameters.map((p) => p.name));
    let parts: ReturnType<typeof parseCommandTemplate>;
    try {
      parts = parseCommandTemplate(command);
    } catch (problem) {
      throw new ProjectError(`${file}: ${where}: ${(problem as Error).message}`);
    }
    for (const part of parts)
      if ("parameter" in part && !declared.has(part.parameter))
        throw new ProjectError(
          `${file}: ${where}.command uses {${part.parameter}}, which is not one of its parameters` +
            (declared.size ? ` (${[...declared].join(", ")})` : " (it declares none)") +
            "; declare it under parameters, or write {{ and }} for literal braces",
        );
    entryPoints[entryName] = { name: entryName, parameters, command };
  }
  return {
    name,
    dir: options.dir,
    ...(options.file && { file: options.file }),
    entryPoints,
    warnings,
  };
}

const dirName = (dir: string) => resolve(dir).split(/[\\/]/).filter(Boolean).pop() ?? "project";

/**
 * Reads `<dir>/MLproject` (any capitalization, as MLflow) and parses it; the project's
 * directory becomes absolute.
 *
 * @example
 * const project = loadMLproject("examples/mnist");
 * Object.keys(project.entryPoints); // ["main"]
 */
export function loadMLproject(dir: string): MLproject {
  const projectDir = resolve(dir);
  let names: string[];
  try {
    if (!statSync(projectDir).isDirectory())
      throw new ProjectError(
        `${dir} is not a directory; give a project directory (with an MLproject file)`,
      );
    names = readdirSync(projectDir);
  } catch (error) {
    if (error instanceof ProjectError) throw error;
    throw new ProjectError(
      `no project directory ${dir} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  const found = names.find((name) => name.toLowerCase() === "mlproject");
  if (!found)
    throw new ProjectError(
      `no MLproject file in ${projectDir}; a project declares its entry points there (see 'labbook run --help')`,
    );
  const file = join(projectDir, found);
  return parseMLproject(readFileSync(file, "utf8"), { dir: projectDir, file });
}

/**
 * The entry point of that name, or an error that lists the project's entry points.
 *
 * @example
 * getEntryPoint(project, "main").command; // "node train.js {epochs}"
 */
export function getEntryPoint(project: MLproject, name: string): EntryPoint {
  const entryPoint = Object.hasOwn(project.entryPoints, name)
    ? project.entryPoints[name]
    : undefined;
  if (entryPoint) return entryPoint;
  const known = Object.keys(project.entryPoints);
  throw new ProjectError(
    `no entry point '${name}' in ${project.file ?? project.name}; ` +
      (known.length
        ? `its entry points: ${known.join(", ")} (choose one with -e)`
        : "it declares none (add one under entry_points)"),
  );
}
