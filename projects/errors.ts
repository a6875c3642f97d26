/**
 * Why a project cannot run as asked: no MLproject, a file that does not parse or breaks the
 * format, an unknown entry point, or parameter values that do not fit. The message says
 * what to change; `labbook run` prints it and exits 2 without creating a run.
 *
 * @example
 * try {
 *   loadMLproject("examples/missing");
 * } catch (error) {
 *   if (error instanceof ProjectError) console.error(error.message);
 * }
 */
export class ProjectError extends Error {
  override readonly name: string = "ProjectError";
}

/** One parameter value that does not fit its declared type. */
export interface InvalidParameter {
  name: string;
  message: string;
}

/**
 * Every problem with the `-P` values at once: the required parameters without a value (all
 * of them, in declaration order) and the values of the wrong type.
 *
 * @example
 * try {
 *   resolveParameters(entryPoint, {}, { projectDir });
 * } catch (error) {
 *   if (error instanceof ParameterError) console.error(error.missing); // ["epochs"]
 * }
 */
export class ParameterError extends ProjectError {
  override readonly name: string = "ParameterError";
  readonly missing: readonly string[];
  readonly invalid: readonly InvalidParameter[];

  constructor(
    entryPoint: string,
    missing: readonly string[],
    invalid: readonly InvalidParameter[],
  ) {
    const lines: string[] = [];
    if (missing.length > 0)
      lines.push(
        `missing value${missing.length > 1 ? "s" : ""} for required parameter${missing.length > 1 ? "s" : ""} ` +
          `${missing.map((name) => `'${name}'`).join(", ")} ` +
          `(pass ${missing.map((name) => `-P ${name}=…`).join(" ")})`,
      );
    for (const problem of invalid) lines.push(`${problem.name}: ${problem.message}`);
    const head = `entry point '${entryPoint}': `;
    super(
      lines.length === 1
        ? `${head}${lines[0]}`
        : `${head}${lines.length} problems with the parameters:\n${lines.map((line) => `  - ${line}`).join("\n")}`,
    );
    this.missing = missing;
    this.invalid = invalid;
  }
}
