import type { ComparisonOperator, FilterExpression, Identifier, Literal } from "./ast.ts";
import { SearchSyntaxError } from "./errors.ts";
import { entityByPrefix } from "./identifiers.ts";
import { type Token, tokenize } from "./tokenize.ts";

const comparisonOperators = "=, !=, <, <=, >, >=, LIKE, ILIKE, IN or NOT IN";

const describe = (token: Token): string => {
  switch (token.type) {
    case "end":
      return "the end of the filter";
    case "string":
      return `the string '${token.text}'`;
    default:
      return `'${token.text}'`;
  }
};

const isKeyword = (token: Token, keyword: string) =>
  token.type === "word" && token.text.toUpperCase() === keyword;

/**
 * Parses a filter such as `metrics.acc > 0.9 and (params.lr = '0.001' or tags.team IN ('a','b'))`.
 * `and` binds tighter than `or`; `not` negates what follows. An empty filter is undefined
 * (matches everything). Throws SearchSyntaxError with the position and what was expected.
 *
 * @example
 * parseFilter("metrics.accuracy > 0.9 and params.lr = '0.001'");
 */
export function parseFilter(source: string): FilterExpression | undefined {
  const tokens = tokenize(source);
  let index = 0;
  const peek = (): Token => tokens[index] ?? { type: "end", text: "", position: source.length };
  const next = (): Token => {
    const token = peek();
    index++;
    return token;
  };
  const fail = (expected: string, token: Token = peek()): never => {
    throw new SearchSyntaxError({
      source,
      position: token.position,
      expected,
      found: describe(token),
    });
  };

  if (peek().type === "end") return undefined;

  function parseIdentifier(): Identifier {
    const token = next();
    if (token.type === "quoted")
      return { kind: "attribute", key: token.text, position: token.position };
    if (token.type !== "word")
      return fail("a key such as metrics.accuracy, params.lr or tags.team", token);
    const dot = token.text.indexOf(".");
    if (dot < 0) return { kind: "attribute", key: token.text, position: token.position };
    const prefix = token.text.slice(0, dot);
    const kind = entityByPrefix[prefix.toLowerCase()];
    if (!kind) return fail("a key starting with metrics., params., tags. or attributes.", token);
    let key = token.text.slice(dot + 1);
    if (key === "") {
      const quoted = next();
      if (quoted.type !== "quoted" && quoted.type !== "string")
        return fail("a key after the dot (quote it with backticks when it has spaces)", quoted);
      key = quoted.text;
    }
    return { kind, key, position: token.position };
  }

  function parseLiteral(): Literal {
    const token = next();
    if (token.type === "string" || token.type === "quoted") return token.text;
    if (token.type === "number") return Number(token.text);
    return fail("a value: a number or a quoted string", token);
  }

  function parseComparison(): FilterExpression {
    const identifier = parseIdentifier();
    const token = peek();
    if (isKeyword(token, "IN") || isKeyword(token, "NOT")) {
      next();
      const operator = token.text.toUpperCase() === "NOT" ? "NOT IN" : "IN";
      if (operator === "NOT IN" && !isKeyword(next(), "IN"))
        fail("IN after NOT", tokens[index - 1]);
      if (next().type !== "lparen") fail(`'(' to open the ${operator} list`, tokens[index - 1]);
      const values = [parseLiteral()];
      while (peek().type === "comma") {
        next();
        values.push(parseLiteral());
      }
      if (next().type !== "rparen") fail("',' or ')' in the list", tokens[index - 1]);
      return { type: "membership", identifier, operator, values };
    }
    let operator: ComparisonOperator;
    if (token.type === "operator") {
      next();
      operator =
        token.text === "==" ? "=" : token.text === "<>" ? "!=" : (token.text as ComparisonOperator);
    } else if (isKeyword(token, "LIKE") || isKeyword(token, "ILIKE")) {
      next();
      operator = token.text.toUpperCase() as ComparisonOperator;
    } else return fail(`a comparison operator (${comparisonOperators})`, token);
    return { type: "comparison", identifier, operator, value: parseLiteral() };
  }

  function parsePrimary(): FilterExpression {
    if (peek().type === "lparen") {
      next();
      const inner = parseOr();
      if (peek().type !== "rparen") fail("')' or AND/OR");
      next();
      return inner;
    }
    if (isKeyword(peek(), "NOT")) {
      next();
      return { type: "not", operand: parsePrimary() };
    }
    return parseComparison();
  }

  function parseAnd(): FilterExpression {
    let left = parsePrimary();
    while (isKeyword(peek(), "AND")) {
      next();
      left = { type: "and", left, right: parsePrimary() };
    }
    return left;
  }

  function parseOr(): FilterExpression {
    let left = parseAnd();
    while (isKeyword(peek(), "OR")) {
      next();
      left = { type: "or", left, right: parseAnd() };
    }
    return left;
  }

  const expression = parseOr();
  if (peek().type !== "end") fail("AND, OR or the end of the filter");
  return expression;
}
