import {
  type FilterExpression,
  type Identifier,
  type Literal,
  parseFilter,
  SearchSyntaxError,
} from "../search/index.ts";
import { invalidParameter } from "./errors.ts";

/**
 * MLflow reads `tags.k != 'v'` on registered models as "k is not 'v'", true for a model without
 * the tag; its clients rely on that to leave prompts out of model listings
 * (`tags.\`mlflow.prompt.is_prompt\` != 'true'`). labbook's search language makes any comparison
 * with a missing value false, so such a clause is rewritten to `not tags.k = 'v'` here, at the
 * edge, and the store keeps one meaning for every face.
 */
export function adaptRegisteredModelFilter(filter: string | undefined): string | undefined {
  if (!filter?.trim()) return filter;
  let expression: FilterExpression | undefined;
  try {
    expression = parseFilter(filter);
  } catch (error) {
    // The store parses it again and reports the error with the field's name.
    if (error instanceof SearchSyntaxError) return filter;
    throw error;
  }
  if (!expression || !hasTagInequality(expression)) return filter;
  return print(rewrite(expression));
}

function hasTagInequality(node: FilterExpression): boolean {
  switch (node.type) {
    case "and":
    case "or":
      return hasTagInequality(node.left) || hasTagInequality(node.right);
    case "not":
      return hasTagInequality(node.operand);
    case "membership":
      return false;
    default:
      return node.identifier.kind === "tag" && node.operator === "!=";
  }
}

function rewrite(node: FilterExpression): FilterExpression {
  switch (node.type) {
    case "and":
    case "or":
      return { ...node, left: rewrite(node.left), right: rewrite(node.right) };
    case "not":
      return { ...node, operand: rewrite(node.operand) };
    case "membership":
      return node;
    default:
      return node.identifier.kind === "tag" && node.operator === "!="
        ? { type: "not", operand: { ...node, operator: "=" } }
        : node;
  }
}

const prefixOf = { metric: "metrics.", param: "params.", tag: "tags.", attribute: "" } as const;
const identifierText = (identifier: Identifier) =>
  `${prefixOf[identifier.kind]}\`${identifier.key.replaceAll("`", "``")}\``;
const literalText = (value: Literal) =>
  typeof value === "number" ? String(value) : `'${value.replaceAll("'", "''")}'`;

function print(node: FilterExpression): string {
  switch (node.type) {
    case "and":
    case "or":
      return `(${print(node.left)} ${node.type.toUpperCase()} ${print(node.right)})`;
    case "not":
      return `NOT (${print(node.operand)})`;
    case "membership":
      return `${identifierText(node.identifier)} ${node.operator} (${node.values.map(literalText).join(", ")})`;
    default:
      return `${identifierText(node.identifier)} ${node.operator} ${literalText(node.value)}`;
  }
}

/** The registered-model orderings labbook has: by name, A→Z (MLflow's default). */
export function checkRegisteredModelOrder(clauses: readonly string[]): void {
  for (const clause of clauses)
    if (!/^(attributes?\.)?name(\s+ASC)?$/i.test(clause.trim()))
      throw invalidParameter(
        `Invalid order_by clause '${clause}': registered models are listed by name ASC only`,
      );
}
