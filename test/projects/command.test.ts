import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  isFlagName,
  ProjectError,
  parseCommandTemplate,
  renderCommand,
  shellQuote,
  templateParameters,
} from "../../projects/index.ts";

/** What a real shell makes of a command line: each argument of `printf '%s\0'`. */
const shellWords = (line: string): string[] =>
  execFileSync("/bin/sh", ["-c", `printf '%s\\0' ${line}`], { encoding: "utf8" })
    .split("\0")
    .slice(0, -1);

describe("shellQuote", () => {
  it("leaves safe words alone and quotes the rest, as Python's shlex.quote", () => {
    expect(shellQuote("0.01")).toBe("0.01");
    expect(shellQuote("/data/train-1.csv")).toBe("/data/train-1.csv");
    expect(shellQuote("a=b,c:d@e%f+g")).toBe("a=b,c:d@e%f+g");
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("hello world")).toBe("'hello world'");
    expect(shellQuote("it's")).toBe(`'it'"'"'s'`);
  });

  it("gives the shell back exactly the value, whatever it holds", () => {
    const values = [
      "hello world",
      "it's",
      "",
      "$(touch /tmp/labbook-pwned) `id` $HOME",
      "a;b|c&d>e<f",
      "tab\tand\nnewline",
      "*.csv ?",
      "'''",
      "ünïcødé ✓",
      "-n",
    ];
    expect(shellWords(values.map(shellQuote).join(" "))).toEqual(values);
  });
});

describe("parseCommandTemplate", () => {
  it("splits text and {parameters}; {{ and }} are literal braces", () => {
    expect(parseCommandTemplate("node train.js {epochs} --lr {lr}")).toEqual([
      { text: "node train.js " },
      { parameter: "epochs" },
      { text: " --lr " },
      { parameter: "lr" },
    ]);
    expect(parseCommandTemplate("awk '{{print $1}}' {file}")).toEqual([
      { text: "awk '{print $1}' " },
      { parameter: "file" },
    ]);
    expect(templateParameters("x {a} {b} {a}")).toEqual(["a", "b"]);
  });

  it("refuses lone braces and empty fields, saying where", () => {
    expect(() => parseCommandTemplate("echo {")).toThrow(
      "command 'echo {': the '{' at position 5 is not closed; write '{{' for a literal brace",
    );
    expect(() => parseCommandTemplate("echo }")).toThrow(/a lone '}' at position 5/);
    expect(() => parseCommandTemplate("echo {}")).toThrow(/empty '\{\}' at position 5/);
    expect(() => parseCommandTemplate("echo {a{b}")).toThrow(ProjectError);
  });
});

describe("renderCommand", () => {
  it("fills each {parameter} with its quoted value and appends extras as --key value", () => {
    const command = renderCommand(
      "node train.js {epochs} --note {note} --again {epochs}",
      { epochs: "5", note: "a b" },
      [
        ["seed", "42"],
        ["tag", "it's"],
      ],
    );
    expect(command).toBe(`node train.js 5 --note 'a b' --again 5 --seed 42 --tag 'it'"'"'s'`);
    expect(shellWords(command.replace(/^node train\.js /, ""))).toEqual([
      "5",
      "--note",
      "a b",
      "--again",
      "5",
      "--seed",
      "42",
      "--tag",
      "it's",
    ]);
  });

  it("refuses a parameter without a value, and an extra key that is not a flag name", () => {
    expect(() => renderCommand("x {a}", {})).toThrow("refers to {a}, which has no value");
    expect(() => renderCommand("x {constructor}", {})).toThrow(/which has no value/);
    expect(() => renderCommand("x", {}, [["a;rm -rf /", "1"]])).toThrow(
      /may only hold letters, digits/,
    );
  });

  it("knows which keys make safe flags", () => {
    for (const key of ["seed", "batch_size", "lr.init", "max-steps", "2"])
      expect(isFlagName(key)).toBe(true);
    for (const key of ["", "-x", "a b", "a;b", "a=b", "$(x)", "ü"])
      expect(isFlagName(key)).toBe(false);
  });
});
