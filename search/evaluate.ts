import type { FilterExpression, Identifier, Literal } from "./ast.ts";

/** What a filter reads from one row (a run or an experiment); absent keys are undefined. */
export interface FilterSubject {
  metric?(key: string): number | undefined;
  param?(key: string): string | undefined;
  tag(key: string): string | undefined;
  attribute(key: string): string | number | null | undefined;
}

/** Translates a LIKE pattern (`%`, `_`) into an anchored regular expression. */
export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  const body = [...pattern]
    .map((char) =>
      char === "%" ? ".*" : char === "_" ? "." : char.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${body}$`, caseInsensitive ? "is" : "s");
}

function read(subject: FilterSubject, identifier: Identifier): string | number | undefined {
  switch (identifier.kind) {
    case "metric":
      return subject.metric?.(identifier.key);
    case "param":
      return subject.param?.(identifier.key);
    case "tag":
      return subject.tag(identifier.key);
    default:
      return subject.attribute(identifier.key) ?? undefined;
  }
}

function compare(actual: string | number, operator: string, expected: Literal): boolean {
  // NaN compares false with everything, as in SQL where it is stored as NULL.
  if (typeof actual === "number" && Number.isNaN(actual)) return false;
  switch (operator) {
    case "=":
      return actual === expected;
    case "!=":
      return actual !== expected;
    case "<":
      return actual < expected;
    case "<=":
      return actual <= expected;
    case ">":
      return actual > expected;
    case ">=":
      return actual >= expected;
    case "LIKE":
      return likeToRegExp(String(expected), false).test(String(actual));
    case "ILIKE":
      return likeToRegExp(String(expected), true).test(String(actual));
    default:
      return false;
  }
}

/**
 * Evaluates a checked filter on one row, with the same meaning as the SQL `db/` compiles it
 * to: a missing value (or a NaN metric) makes its comparison false, `not` negates that.
 *
 * @example
 * matchesFilter(parseFilter("metrics.acc > 0.9"), { metric: (k) => ({ acc: 0.95 })[k], tag: () => undefined, attribute: () => undefined });
 */
export function matchesFilter(
  expression: FilterExpression | undefined,
  subject: FilterSubject,
): boolean {
  if (!expression) return true;
  switch (expression.type) {
    case "and":
      return matchesFilter(expression.left, subject) && matchesFilter(expression.right, subject);
    case "or":
      return matchesFilter(expression.left, subject) || matchesFilter(expression.right, subject);
    case "not":
      return !matchesFilter(expression.operand, subject);
    case "membership": {
      const actual = read(subject, expression.identifier);
      if (actual === undefined || (typeof actual === "number" && Number.isNaN(actual)))
        return false;
      const found = expression.values.includes(actual);
      return expression.operator === "IN" ? found : !found;
    }
    default: {
      const actual = read(subject, expression.identifier);
      return actual !== undefined && compare(actual, expression.operator, expression.value);
    }
  }
}
