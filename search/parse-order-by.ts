import type { EntityKind } from "./ast.ts";
import { SearchSyntaxError } from "./errors.ts";
import { entityByPrefix } from "./identifiers.ts";

/** One ordering clause, e.g. `metrics.accuracy DESC` or ``params.`learning rate` ``. */
export interface OrderClause {
  kind: EntityKind;
  key: string;
  descending: boolean;
}

const clausePattern =
  /^\s*(?:([a-z]+)\.)?(?:`([^`]+)`|"([^"]+)"|([^\s`"]+))\s*(?:\s(asc|desc))?\s*$/i;

/**
 * Parses MLflow-style ordering clauses. Attribute names are checked by the caller, which
 * knows what it can order on.
 *
 * @example
 * parseOrderClause("metrics.accuracy DESC"); // { kind: "metric", key: "accuracy", descending: true }
 */
export function parseOrderClause(clause: string): OrderClause {
  const match = clausePattern.exec(clause);
  if (!match)
    throw new SearchSyntaxError({
      source: clause,
      position: 0,
      expected: "'<prefix>.<key> [ASC|DESC]', e.g. 'metrics.accuracy DESC'",
      found: `'${clause}'`,
    });
  const [, prefix, backticked, quoted, bare, direction] = match;
  const key = backticked ?? quoted ?? bare ?? "";
  const kind = prefix ? entityByPrefix[prefix.toLowerCase()] : "attribute";
  if (!kind)
    throw new SearchSyntaxError({
      source: clause,
      position: 0,
      expected: "a prefix attributes., metrics., params. or tags.",
      found: `'${prefix}.'`,
    });
  return { kind, key, descending: direction?.toLowerCase() === "desc" };
}
