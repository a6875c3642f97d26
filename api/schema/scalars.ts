import { GraphQLError, Kind, type ValueNode } from "graphql";
import { builder } from "../builder.ts";

const badInput = (message: string) =>
  new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } });

// 2^53 - 1: a larger integer is not exact as a number, and libSQL refuses to read one back
// (a stored 2^53 would make every later read of its row fail).
function parseLong(value: unknown): number {
  const number = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== "number" || !Number.isSafeInteger(number))
    throw badInput(
      `Long must be an integer between -(2^53 - 1) and 2^53 - 1, got ${JSON.stringify(value)}`,
    );
  return number;
}

function literalValue(node: ValueNode): unknown {
  if (node.kind === Kind.INT || node.kind === Kind.FLOAT) return Number(node.value);
  if (node.kind === Kind.STRING) return node.value;
  return undefined;
}

builder.scalarType("Long", {
  description:
    "An integer up to ±(2^53 - 1) (GraphQL's Int stops at 2^31): steps and times in milliseconds UTC. Accepts a number or a string of digits.",
  serialize: (value) => value,
  parseValue: parseLong,
  parseLiteral: (node) => parseLong(literalValue(node)),
});

const specialByName: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  "-Infinity": Number.NEGATIVE_INFINITY,
};

function parseMetricValue(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value in specialByName) return specialByName[value] as number;
  throw badInput(
    `MetricValue must be a number or one of "NaN", "Infinity", "-Infinity", got ${JSON.stringify(value)}`,
  );
}

builder.scalarType("MetricValue", {
  description:
    'A metric value: a JSON number, or the string "NaN", "Infinity" or "-Infinity" (JSON has no non-finite numbers).',
  serialize: (value) => (Number.isFinite(value) ? value : String(value)),
  parseValue: parseMetricValue,
  parseLiteral: (node) => parseMetricValue(literalValue(node)),
});

/**
 * Parses a JSON list with `parseItem` into a Float64Array. The ingestion lists are scalars,
 * not GraphQL lists of scalars: GraphQL coerces (and snapshots) a list item by item, which
 * cost more per 1000-point batch than writing the points; here it is one tight loop, and the
 * typed array goes to the writer thread as it is.
 */
function parseNumberList(
  scalar: string,
  value: unknown,
  parseItem: (item: unknown) => number,
): Float64Array<ArrayBuffer> {
  if (!Array.isArray(value))
    throw badInput(`${scalar} must be a list, got ${JSON.stringify(value) ?? String(value)}`);
  const numbers = new Float64Array(value.length);
  for (let i = 0; i < value.length; i++) {
    try {
      numbers[i] = parseItem(value[i]);
    } catch (error) {
      throw badInput(`at index ${i}: ${(error as Error).message}`);
    }
  }
  return numbers;
}

function listLiteral(node: ValueNode): unknown {
  return node.kind === Kind.LIST ? node.values.map(literalValue) : literalValue(node);
}

const serializeList = (value: unknown) =>
  ArrayBuffer.isView(value) ? Array.from(value as Float64Array) : value;

builder.scalarType("MetricValueList", {
  description:
    'A list of MetricValue (numbers, or "NaN", "Infinity", "-Infinity"), written as a JSON list.',
  serialize: (value) => serializeList(value),
  parseValue: (value) => parseNumberList("MetricValueList", value, parseMetricValue),
  parseLiteral: (node) => parseNumberList("MetricValueList", listLiteral(node), parseMetricValue),
});

builder.scalarType("LongList", {
  description: "A list of Long (integers up to ±(2^53 - 1)), written as a JSON list.",
  serialize: (value) => serializeList(value),
  parseValue: (value) => parseNumberList("LongList", value, parseLong),
  parseLiteral: (node) => parseNumberList("LongList", listLiteral(node), parseLong),
});
