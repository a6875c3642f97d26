import { renderCommand } from "./command.ts";
import { type EntryPoint, getEntryPoint, loadMLproject, type MLproject } from "./mlproject.ts";
import { parseParameterArgs, type ResolvedParameters, resolveParameters } from "./parameters.ts";

/** Everything needed to run an entry point, checked before anything is recorded. */
export interface ProjectPlan extends ResolvedParameters {
  project: MLproject;
  entryPoint: EntryPoint;
  /** The command line to run: the template filled with quoted values, extras appended. */
  command: string;
}

/**
 * Loads a project, picks the entry point, checks the `-P key=value` values and builds the
 * command; throws a `ProjectError` (a `ParameterError` for the values) before anything runs.
 *
 * @example
 * const plan = planProjectRun({ dir: "examples/mnist", entryPoint: "main", parameters: ["epochs=3"] });
 * plan.command; // "node train.ts --epochs 3 --batch-size 16 --lr 0.001"
 */
export function planProjectRun(options: {
  dir: string;
  entryPoint?: string;
  /** `key=value` strings, as given to `-P`. */
  parameters?: readonly string[];
}): ProjectPlan {
  const project = loadMLproject(options.dir);
  const entryPoint = getEntryPoint(project, options.entryPoint ?? "main");
  const given = parseParameterArgs(options.parameters ?? []);
  const resolved = resolveParameters(entryPoint, given, { projectDir: project.dir });
  const command = renderCommand(
    entryPoint.command,
    Object.fromEntries(resolved.parameters.map((p) => [p.name, p.resolved])),
    resolved.extra.map((e) => [e.name, e.value] as const),
  );
  return { project, entryPoint, command, ...resolved };
}
