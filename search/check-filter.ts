import type { FilterExpression, Identifier, Literal } from "./ast.ts";
import { SearchSyntaxError } from "./errors.ts";
import {
  experimentAttributeAliases,
  numericExperimentAttributes,
  numericRegisteredModelAttributes,
  numericRunAttributes,
  registeredModelAttributeAliases,
  runAttributeAliases,
} from "./identifiers.ts";

type Target = "runs" | "experiments" | "registered_models";

const attributeAliases: Record<Target, Record<string, string>> = {
  runs: runAttributeAliases,
  experiments: experimentAttributeAliases,
  registered_models: registeredModelAttributeAliases,
};
const numericAttributes: Record<Target, readonly string[]> = {
  runs: numericRunAttributes,
  experiments: numericExperimentAttributes,
  registered_models: numericRegisteredModelAttributes,
};

function fail(source: string, identifier: Identifier, expected: string, found: string): never {
  throw new SearchSyntaxError({ source, position: identifier.position, expected, found });
}

/**
 * Checks a parsed filter against what can be searched (runs: metrics, params, tags and run
 * attributes; experiments and registered models: attributes and tags), and that each value has the right type.
 * Attribute keys come back in their canonical spelling (`name` → `run_name`).
 */
export function checkFilter(
  expression: FilterExpression | undefined,
  source: string,
  target: Target,
): FilterExpression | undefined {
  if (!expression) return undefined;
  const visit = (node: FilterExpression): FilterExpression => {
    switch (node.type) {
      case "and":
      case "or":
        return { ...node, left: visit(node.left), right: visit(node.right) };
      case "not":
        return { ...node, operand: visit(node.operand) };
      default: {
        const identifier = checkIdentifier(node.identifier);
        const values = node.type === "membership" ? node.values : [node.value];
        const numeric =
          identifier.kind === "metric" ||
          (identifier.kind === "attribute" && numericAttributes[target].includes(identifier.key));
        const isPattern =
          node.type === "comparison" && (node.operator === "LIKE" || node.operator === "ILIKE");
        if (numeric && isPattern)
          fail(
            source,
            identifier,
            `=, !=, <, <=, > or >= for numeric '${identifier.key}'`,
            node.operator,
          );
        for (const value of values) checkValue(identifier, value, numeric);
        return { ...node, identifier };
      }
    }
  };
  const checkIdentifier = (identifier: Identifier): Identifier => {
    if (identifier.kind === "attribute") {
      const aliases = attributeAliases[target];
      const key = aliases[identifier.key.toLowerCase()];
      if (!key)
        fail(
          source,
          identifier,
          `one of the attributes ${[...new Set(Object.values(aliases))].join(", ")}`,
          `'${identifier.key}'`,
        );
      return { ...identifier, key };
    }
    if (target !== "runs" && identifier.kind !== "tag")
      fail(
        source,
        identifier,
        target === "experiments"
          ? "an experiment attribute (name, creation_time…) or tags.<key>"
          : "a registered model attribute (name, creation_time, last_update_time) or tags.<key>",
        `${identifier.kind}s.${identifier.key}`,
      );
    return identifier;
  };
  const checkValue = (identifier: Identifier, value: Literal, numeric: boolean) => {
    if (numeric && typeof value !== "number")
      fail(
        source,
        identifier,
        `a number to compare with '${identifier.key}'`,
        `the string '${value}'`,
      );
    if (!numeric && typeof value !== "string")
      fail(
        source,
        identifier,
        `a quoted string to compare with '${identifier.key}'`,
        `the number ${value}`,
      );
  };
  return visit(expression);
}
