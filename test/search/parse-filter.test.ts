import { describe, expect, it } from "vitest";
import {
  checkFilter,
  parseFilter,
  parseOrderClause,
  SearchSyntaxError,
} from "../../search/index.ts";

const parseRuns = (source: string) => checkFilter(parseFilter(source), source, "runs");

function syntaxError(action: () => unknown): SearchSyntaxError {
  try {
    action();
  } catch (error) {
    if (error instanceof SearchSyntaxError) return error;
    throw error;
  }
  throw new Error("expected a SearchSyntaxError");
}

describe("parseFilter", () => {
  it("parses MLflow's grammar: metrics, params, tags and attributes joined by and", () => {
    expect(
      parseRuns(
        "metrics.accuracy > 0.9 and params.lr = '0.001' and tags.team = 'vision' and attributes.status = 'FINISHED'",
      ),
    ).toEqual({
      type: "and",
      left: {
        type: "and",
        left: {
          type: "and",
          left: {
            type: "comparison",
            identifier: { kind: "metric", key: "accuracy", position: 0 },
            operator: ">",
            value: 0.9,
          },
          right: {
            type: "comparison",
            identifier: { kind: "param", key: "lr", position: 27 },
            operator: "=",
            value: "0.001",
          },
        },
        right: {
          type: "comparison",
          identifier: { kind: "tag", key: "team", position: 51 },
          operator: "=",
          value: "vision",
        },
      },
      right: {
        type: "comparison",
        identifier: { kind: "attribute", key: "status", position: 76 },
        operator: "=",
        value: "FINISHED",
      },
    });
  });

  it("gives and precedence over or, and honours parentheses and not", () => {
    const expression = parseRuns(
      "not tags.a = 'x' or tags.b = 'y' and (tags.c = 'z' or tags.d = 'w')",
    );
    expect(expression?.type).toBe("or");
    if (expression?.type !== "or") return;
    expect(expression.left.type).toBe("not");
    expect(expression.right.type).toBe("and");
    if (expression.right.type !== "and") return;
    expect(expression.right.right.type).toBe("or");
  });

  it("reads every comparator, LIKE, ILIKE, IN and NOT IN, case-insensitively", () => {
    for (const operator of ["=", "!=", "<", "<=", ">", ">="])
      expect(parseRuns(`metrics.m ${operator} 1`)).toMatchObject({ operator });
    expect(parseRuns("params.p like 'a%'")).toMatchObject({ operator: "LIKE", value: "a%" });
    expect(parseRuns("params.p ILIKE 'a%'")).toMatchObject({ operator: "ILIKE" });
    expect(parseRuns("tags.t in ('a', 'b')")).toMatchObject({
      type: "membership",
      operator: "IN",
      values: ["a", "b"],
    });
    expect(parseRuns("tags.t NOT IN ('a')")).toMatchObject({
      type: "membership",
      operator: "NOT IN",
      values: ["a"],
    });
  });

  it("takes backtick- and double-quoted keys, and keys with dots, slashes and dashes", () => {
    expect(parseRuns("metrics.`val loss` < 1")).toMatchObject({
      identifier: { kind: "metric", key: "val loss" },
    });
    expect(parseRuns("params.\"learning rate\" = '0.1'")).toMatchObject({
      identifier: { key: "learning rate" },
    });
    expect(parseRuns("metrics.val.acc/top-5 >= 0.5")).toMatchObject({
      identifier: { key: "val.acc/top-5" },
    });
  });

  it("canonicalizes attribute names: run_name, start_time, end_time, and no prefix", () => {
    expect(parseRuns("attributes.run_name = 'x'")).toMatchObject({
      identifier: { kind: "attribute", key: "run_name" },
    });
    expect(parseRuns("attributes.name = 'x'")).toMatchObject({ identifier: { key: "run_name" } });
    expect(parseRuns("start_time > 5")).toMatchObject({
      identifier: { kind: "attribute", key: "start_time" },
    });
    expect(parseRuns("attributes.end_time <= 5")).toMatchObject({
      identifier: { key: "end_time" },
    });
  });

  it("undoes doubled quotes inside strings", () => {
    expect(parseRuns("tags.note = 'it''s'")).toMatchObject({ value: "it's" });
  });

  it("reads negative and exponent numbers", () => {
    expect(parseRuns("metrics.loss > -1.5e-3")).toMatchObject({ value: -1.5e-3 });
  });

  it("treats an empty filter as no filter", () => {
    expect(parseFilter("")).toBeUndefined();
    expect(parseFilter("   ")).toBeUndefined();
  });

  it("reports the position and what was expected", () => {
    const error = syntaxError(() => parseRuns("metrics.acc >"));
    expect(error.position).toBe(13);
    expect(error.message).toContain("expected a value");
    const missing = syntaxError(() => parseRuns("(metrics.acc > 1"));
    expect(missing.message).toContain("expected ')'");
    const operator = syntaxError(() => parseRuns("metrics.acc 1"));
    expect(operator.message).toContain("comparison operator");
    expect(operator.position).toBe(12);
  });

  it("refuses values of the wrong type and unknown prefixes or attributes", () => {
    expect(syntaxError(() => parseRuns("params.lr = 0.1")).message).toContain("quoted string");
    expect(syntaxError(() => parseRuns("metrics.acc > '0.9'")).message).toContain("a number");
    expect(syntaxError(() => parseRuns("metrics.acc LIKE 1")).message).toContain("numeric");
    expect(syntaxError(() => parseRuns("foo.bar = 'x'")).message).toContain(
      "metrics., params., tags. or attributes.",
    );
    expect(syntaxError(() => parseRuns("attributes.colour = 'x'")).message).toContain(
      "one of the attributes",
    );
  });

  it("limits experiment filters to attributes and tags", () => {
    expect(checkFilter(parseFilter("name LIKE 'mnist%'"), "", "experiments")).toMatchObject({
      identifier: { key: "name" },
    });
    expect(() =>
      checkFilter(parseFilter("metrics.acc > 1"), "metrics.acc > 1", "experiments"),
    ).toThrow(SearchSyntaxError);
  });

  it.each([
    "params.lr = '' or 1=1 --'",
    "params.lr = '0.1'; DROP TABLE runs",
    "params.lr = '0.1' /* comment */",
    "params.lr = '0.1' -- comment",
    "tags.x = 'unterminated",
    "params.lr = '0.1')",
    "metrics.acc > 1 and",
    'params.lr = "0.1" or',
  ])("rejects the injection attempt %s", (source) => {
    expect(() => parseRuns(source)).toThrow(SearchSyntaxError);
  });
});

describe("parseOrderClause", () => {
  it("reads prefix, quoted key and direction", () => {
    expect(parseOrderClause("metrics.accuracy DESC")).toEqual({
      kind: "metric",
      key: "accuracy",
      descending: true,
    });
    expect(parseOrderClause("params.`learning rate`")).toEqual({
      kind: "param",
      key: "learning rate",
      descending: false,
    });
    expect(parseOrderClause("start_time asc")).toEqual({
      kind: "attribute",
      key: "start_time",
      descending: false,
    });
  });

  it("rejects what is not a clause", () => {
    expect(() => parseOrderClause("metrics.a DESC extra")).toThrow(SearchSyntaxError);
    expect(() => parseOrderClause("nope.a")).toThrow(SearchSyntaxError);
  });
});
