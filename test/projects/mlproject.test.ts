import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  getEntryPoint,
  loadMLproject,
  type MLproject,
  ProjectError,
  parseMLproject,
} from "../../projects/index.ts";
import { tempDir } from "../support/temp-dir.ts";

const parse = (text: string) => parseMLproject(text, { dir: "/work/demo" });

/** The error a parse throws, checked to be a ProjectError. */
function parseError(text: string): string {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ProjectError);
    return (error as Error).message;
  }
  throw new Error("expected the MLproject to be refused");
}

const tutorial = `
name: pytorch_mnist_classification

python_env: python_env.yaml

entry_points:
  main:
    parameters:
      epochs: {type: int, default: 10}
      batch_size: {type: int, default: 16}
      lr_init: {type: float, default: 1e-3}
      data_dir: path
      output: {type: uri, default: "s3://bucket/models"}
      note: string
    command: |
      python train.py --epochs {epochs} --batch-size {batch_size} --lr {lr_init} \\
        --data {data_dir} --output {output} --note {note}
  validate:
    command: "python validate.py"
`;

describe("parseMLproject", () => {
  it("reads name, entry points, parameters in both forms (in file order) and commands", () => {
    const project = parse(tutorial);
    expect(project.name).toBe("pytorch_mnist_classification");
    expect(project.dir).toBe("/work/demo");
    expect(Object.keys(project.entryPoints)).toEqual(["main", "validate"]);
    const main = project.entryPoints.main!;
    expect(main.parameters).toEqual([
      { name: "epochs", type: "int", default: "10" },
      { name: "batch_size", type: "int", default: "16" },
      { name: "lr_init", type: "float", default: "1e-3" },
      { name: "data_dir", type: "path" },
      { name: "output", type: "uri", default: "s3://bucket/models" },
      { name: "note", type: "string" },
    ]);
    expect(main.command).toContain("python train.py --epochs {epochs}");
    expect(project.entryPoints.validate).toEqual({
      name: "validate",
      parameters: [],
      command: "python validate.py",
    });
  });

  it("keeps defaults as written: 1e-3, 0.10, 0x1F and true stay text, not reformatted numbers", () => {
    const project = parse(`
entry_points:
  main:
    parameters:
      a: {type: float, default: 0.10}
      b: {type: string, default: 0x1F}
      c: {type: string, default: true}
      d: {type: string, default: ""}
      e: {type: string, default: ~}
      f: {type: string, default: null}
      g: {default: plain}
    command: run {a} {b} {c} {d} {e} {f} {g}
`);
    const [a, b, c, d, e, f, g] = project.entryPoints.main!.parameters;
    expect(a?.default).toBe("0.10");
    expect(b?.default).toBe("0x1F");
    expect(c?.default).toBe("true");
    // An empty string is a value; null (~, null, nothing) means "required".
    expect(d?.default).toBe("");
    expect(e).toEqual({ name: "e", type: "string" });
    expect(f).toEqual({ name: "f", type: "string" });
    // The type defaults to string, as in MLflow.
    expect(g).toEqual({ name: "g", type: "string", default: "plain" });
  });

  it("names the project after its directory when the file has no name", () => {
    expect(parse("entry_points:\n  main:\n    command: x\n").name).toBe("demo");
  });

  it("notes the environment keys it does not act on", () => {
    expect(parse(tutorial).warnings).toEqual([
      "MLproject: 'python_env' is ignored: labbook runs the command in the current environment",
    ]);
  });

  it("refuses YAML that does not parse, with where", () => {
    expect(parseError("entry_points: [main\nname: x")).toMatch(
      /^MLproject is not valid YAML: .*line 2, column 1/,
    );
    expect(parseError("name: a\nname: b\n")).toMatch(/not valid YAML: Map keys must be unique/);
  });

  it("refuses a file that is not a mapping, and entry points that are not either", () => {
    expect(parseError("- main\n- other\n")).toMatch(/must be a mapping .* not a list/);
    expect(parseError("entry_points: [main]\n")).toMatch(/entry_points must be a mapping/);
    expect(parseError("entry_points:\n  main: python x.py\n")).toMatch(
      /entry_points\.main must be a mapping with 'command'/,
    );
    expect(parseError("entry_points:\n  main:\n    parameters: {}\n")).toMatch(
      /entry_points\.main has no 'command'/,
    );
  });

  it("refuses unknown types, listing the types", () => {
    expect(
      parseError("entry_points:\n  main:\n    parameters:\n      n: integer\n    command: x {n}\n"),
    ).toBe(
      "MLproject: entry_points.main.parameters.n has type 'integer'; the types are string, int, float, path, uri",
    );
  });

  it("refuses defaults that are lists or mappings; warns of unknown keys in a parameter", () => {
    expect(
      parseError(
        "entry_points:\n  main:\n    parameters:\n      n: {type: int, default: [1]}\n    command: x {n}\n",
      ),
    ).toMatch(/n: the default must be a single value, not a list/);
    const typo = parse(
      "entry_points:\n  main:\n    parameters:\n      n: {type: int, dflt: 1}\n    command: x {n}\n",
    );
    expect(typo.entryPoints.main?.parameters).toEqual([{ name: "n", type: "int" }]);
    expect(typo.warnings).toEqual([
      "MLproject: entry_points.main.parameters.n: 'dflt' is ignored; a parameter has 'type' and 'default'",
    ]);
  });

  it("refuses a command that uses an undeclared {parameter}, naming the declared ones", () => {
    expect(
      parseError(
        "entry_points:\n  main:\n    parameters:\n      epochs: int\n    command: x {epochs} {lr}\n",
      ),
    ).toBe(
      "MLproject: entry_points.main.command uses {lr}, which is not one of its parameters (epochs); declare it under parameters, or write {{ and }} for literal braces",
    );
  });

  it("refuses a command with a lone brace; literal braces are doubled, as in Python", () => {
    expect(parseError("entry_points:\n  main:\n    command: 'awk {print}'\n")).toMatch(
      /command uses \{print\}, which is not one of its parameters \(it declares none\)/,
    );
    expect(parse("entry_points:\n  main:\n    command: 'awk {{print}}'\n").name).toBe("demo");
    expect(parseError("entry_points:\n  main:\n    command: 'echo }'\n")).toMatch(/lone '\}'/);
    expect(parseError("entry_points:\n  main:\n    command: 'echo {'\n")).toMatch(/not closed/);
  });
});

describe("getEntryPoint", () => {
  const project: MLproject = parse(tutorial);

  it("finds an entry point by name", () => {
    expect(getEntryPoint(project, "validate").command).toBe("python validate.py");
  });

  it("refuses an unknown entry point, listing the known ones (even for 'constructor')", () => {
    for (const name of ["train", "constructor", "__proto__"])
      expect(() => getEntryPoint(project, name)).toThrow(
        `no entry point '${name}' in pytorch_mnist_classification; its entry points: main, validate (choose one with -e)`,
      );
    expect(() => getEntryPoint(parse("name: empty\n"), "main")).toThrow(
      "it declares none (add one under entry_points)",
    );
  });
});

describe("loadMLproject", () => {
  it("reads MLproject from a directory, in any capitalization, with an absolute dir", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "MLProject"), "name: cased\nentry_points:\n  main:\n    command: x\n");
    const project = loadMLproject(dir);
    expect(project).toMatchObject({ name: "cased", dir, file: join(dir, "MLProject") });
  });

  it("says so when the directory has no MLproject, or is no directory", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "empty"));
    expect(() => loadMLproject(join(dir, "empty"))).toThrow(
      `no MLproject file in ${join(dir, "empty")}`,
    );
    expect(() => loadMLproject(join(dir, "absent"))).toThrow(
      `no project directory ${join(dir, "absent")} (ENOENT)`,
    );
    writeFileSync(join(dir, "file"), "");
    expect(() => loadMLproject(join(dir, "file"))).toThrow(/is not a directory/);
  });

  it("names the file in errors of its content", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "MLproject"), "entry_points: [\n");
    expect(() => loadMLproject(dir)).toThrow(`${join(dir, "MLproject")} is not valid YAML`);
  });
});
