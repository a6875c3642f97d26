import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  checkValue,
  type EntryPoint,
  ParameterError,
  ProjectError,
  parseMLproject,
  parseParameterArgs,
  planProjectRun,
  resolveParameters,
} from "../../projects/index.ts";
import { tempDir } from "../support/temp-dir.ts";

let projectDir: string;
let main: EntryPoint;

beforeAll(() => {
  projectDir = tempDir();
  mkdirSync(join(projectDir, "data"));
  writeFileSync(join(projectDir, "data", "train.csv"), "x\n1\n");
  writeFileSync(
    join(projectDir, "MLproject"),
    `name: demo
entry_points:
  main:
    parameters:
      epochs: int
      batch_size: {type: int, default: 16}
      lr: {type: float, default: 1e-3}
      data: {type: path, default: data/train.csv}
      output: {type: uri, default: "s3://bucket/out"}
      note: {type: string, default: "hello world"}
      seed: int
    command: "node train.js --epochs {epochs} --batch-size {batch_size} --lr {lr} --data {data} --output {output} --note {note} --seed {seed}"
`,
  );
  main = parseMLproject(
    `entry_points:
  main:
    parameters:
      epochs: int
      batch_size: {type: int, default: 16}
      lr: {type: float, default: 1e-3}
      data: {type: path, default: data/train.csv}
      output: {type: uri, default: "s3://bucket/out"}
      note: {type: string, default: "hello world"}
      seed: int
    command: x
`,
    { dir: projectDir },
  ).entryPoints.main!;
});

/** The ParameterError a resolve throws. */
function parameterError(given: Record<string, string>): ParameterError {
  try {
    resolveParameters(main, given, { projectDir });
  } catch (error) {
    expect(error).toBeInstanceOf(ParameterError);
    return error as ParameterError;
  }
  throw new Error("expected the values to be refused");
}

describe("parseParameterArgs", () => {
  it("splits key=value at the first '='", () => {
    expect(parseParameterArgs(["epochs=5", "note=a=b", "empty="])).toEqual({
      epochs: "5",
      note: "a=b",
      empty: "",
    });
  });

  it("refuses an argument without a key or '=', and a key given twice", () => {
    expect(() => parseParameterArgs(["epochs"])).toThrow(
      "-P epochs: write -P key=value, e.g. -P epochs=5",
    );
    expect(() => parseParameterArgs(["=5"])).toThrow(ProjectError);
    expect(() => parseParameterArgs(["a=1", "a=2"])).toThrow("-P a is given twice");
  });
});

describe("checkValue", () => {
  it("takes whole numbers as int and decimal numbers as float, as written", () => {
    for (const value of ["0", "10", "-3", "+7", "007"])
      expect(checkValue("int", value, projectDir)).toBe(value);
    for (const value of ["0.01", "1e-3", "5", "-2.5E+4", ".5", "3."])
      expect(checkValue("float", value, projectDir)).toBe(value);
    for (const value of ["", "1.5", "1e3", "ten", " 1", "0x10"])
      expect(() => checkValue("int", value, projectDir)).toThrow(`'${value}' is not an int`);
    for (const value of ["", "abc", "1,5", "NaN", "1e", "--1"])
      expect(() => checkValue("float", value, projectDir)).toThrow(`'${value}' is not a float`);
  });

  it("resolves a path against the project directory; it must exist", () => {
    expect(checkValue("path", "data/train.csv", projectDir)).toBe(
      join(projectDir, "data", "train.csv"),
    );
    expect(checkValue("path", "data", projectDir)).toBe(join(projectDir, "data"));
    const absolute = join(projectDir, "data", "train.csv");
    expect(checkValue("path", absolute, projectDir)).toBe(absolute);
    expect(checkValue("path", pathToFileURL(absolute).href, projectDir)).toBe(absolute);
    expect(() => checkValue("path", "data/missing.csv", projectDir)).toThrow(
      `'data/missing.csv' does not exist (no file or directory ${join(projectDir, "data", "missing.csv")}`,
    );
    expect(() => checkValue("path", "s3://bucket/x", projectDir)).toThrow(
      /is not a local path; .*declare it 'uri'/,
    );
    expect(() => checkValue("path", "", projectDir)).toThrow("a path must not be empty");
  });

  it("keeps a URI as it is and resolves a plain path (no need to exist)", () => {
    expect(checkValue("uri", "s3://bucket/models", projectDir)).toBe("s3://bucket/models");
    expect(checkValue("uri", "https://example.com/x?y=1", projectDir)).toBe(
      "https://example.com/x?y=1",
    );
    expect(checkValue("uri", "out/model", projectDir)).toBe(join(projectDir, "out", "model"));
    expect(checkValue("uri", "/abs/model", projectDir)).toBe("/abs/model");
    expect(() => checkValue("uri", "", projectDir)).toThrow("a URI must not be empty");
  });

  it("takes any string as a string", () => {
    for (const value of ["", "a b", "it's", "$(x)"])
      expect(checkValue("string", value, projectDir)).toBe(value);
  });
});

describe("resolveParameters", () => {
  it("takes -P values over defaults, in the MLproject's order, and keeps extras in order given", () => {
    const { parameters, extra } = resolveParameters(
      main,
      { zeta: "last", seed: "1", epochs: "5", lr: "0.5", alpha: "a b" },
      { projectDir },
    );
    expect(parameters).toEqual([
      { name: "epochs", type: "int", value: "5", resolved: "5", source: "given" },
      { name: "batch_size", type: "int", value: "16", resolved: "16", source: "default" },
      { name: "lr", type: "float", value: "0.5", resolved: "0.5", source: "given" },
      {
        name: "data",
        type: "path",
        value: "data/train.csv",
        resolved: join(projectDir, "data", "train.csv"),
        source: "default",
      },
      {
        name: "output",
        type: "uri",
        value: "s3://bucket/out",
        resolved: "s3://bucket/out",
        source: "default",
      },
      {
        name: "note",
        type: "string",
        value: "hello world",
        resolved: "hello world",
        source: "default",
      },
      { name: "seed", type: "int", value: "1", resolved: "1", source: "given" },
    ]);
    expect(extra).toEqual([
      { name: "zeta", value: "last" },
      { name: "alpha", value: "a b" },
    ]);
  });

  it("lists every missing required parameter in one error", () => {
    const error = parameterError({});
    expect(error.missing).toEqual(["epochs", "seed"]);
    expect(error.invalid).toEqual([]);
    expect(error.message).toBe(
      "entry point 'main': missing values for required parameters 'epochs', 'seed' (pass -P epochs=… -P seed=…)",
    );
  });

  it("reports missing and wrongly typed values together, one line each", () => {
    const error = parameterError({ lr: "fast", batch_size: "1.5", data: "nope.csv", "a b": "1" });
    expect(error.missing).toEqual(["epochs", "seed"]);
    expect(error.invalid.map((p) => p.name)).toEqual(["batch_size", "lr", "data", "a b"]);
    expect(error.message).toBe(
      [
        "entry point 'main': 5 problems with the parameters:",
        "  - missing values for required parameters 'epochs', 'seed' (pass -P epochs=… -P seed=…)",
        "  - batch_size: '1.5' is not an int (a whole number, such as 10 or -3)",
        "  - lr: 'fast' is not a float (a number, such as 0.01, 1e-3 or 5)",
        `  - data: 'nope.csv' does not exist (no file or directory ${join(projectDir, "nope.csv")}; relative paths start at the project directory)`,
        "  - a b: not a parameter of entry point 'main', so it becomes '--a b', and such a flag may only hold letters, digits, '_', '.' and '-'",
      ].join("\n"),
    );
  });

  it("blames the MLproject for a default of the wrong type", () => {
    const broken = parseMLproject(
      "entry_points:\n  main:\n    parameters:\n      n: {type: int, default: many}\n    command: x {n}\n",
      { dir: projectDir },
    ).entryPoints.main!;
    expect(() => resolveParameters(broken, {}, { projectDir })).toThrow(
      "entry point 'main': n: the MLproject's default 'many' is not an int (a whole number, such as 10 or -3)",
    );
  });
});

describe("planProjectRun", () => {
  it("loads, checks and builds the command: quoted values, absolute paths, extras appended", () => {
    const plan = planProjectRun({
      dir: projectDir,
      parameters: ["epochs=3", "seed=7", "note=it's fine", "extra_flag=x y"],
    });
    expect(plan.entryPoint.name).toBe("main");
    expect(plan.command).toBe(
      `node train.js --epochs 3 --batch-size 16 --lr 1e-3 --data ${join(projectDir, "data", "train.csv")} ` +
        `--output s3://bucket/out --note 'it'"'"'s fine' --seed 7 --extra_flag 'x y'`,
    );
    expect(plan.extra).toEqual([{ name: "extra_flag", value: "x y" }]);
  });

  it("refuses an unknown entry point before looking at values", () => {
    expect(() => planProjectRun({ dir: projectDir, entryPoint: "train" })).toThrow(
      "no entry point 'train'",
    );
  });
});
