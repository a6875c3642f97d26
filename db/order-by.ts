import { invalid } from "./errors.ts";

/** One `orderBy` clause, e.g. `metrics.accuracy DESC` or `params.\`learning rate\``. */
export interface OrderClause {
  kind: "attribute" | "metric" | "param" | "tag";
  key: string;
  descending: boolean;
}

/** Run attributes that can be ordered on, by the names MLflow accepts for them. */
export const orderableRunAttributes: Record<string, "startTime" | "endTime" | "name" | "status"> = {
  start_time: "startTime",
  end_time: "endTime",
  name: "name",
  run_name: "name",
  status: "status",
};

const kindByPrefix: Record<string, OrderClause["kind"]> = {
  attribute: "attribute",
  attributes: "attribute",
  attr: "attribute",
  run: "attribute",
  metric: "metric",
  metrics: "metric",
  param: "param",
  params: "param",
  parameter: "param",
  parameters: "param",
  tag: "tag",
  tags: "tag",
};

const clausePattern =
  /^\s*(?:([a-z]+)\.)?(?:`([^`]+)`|"([^"]+)"|([^\s`"]+))\s*(?:\s(asc|desc))?\s*$/i;

/** Parses `metrics.accuracy DESC`-style clauses; bad ones name the clause and what is allowed. */
export function parseOrderBy(clauses: readonly string[] | undefined): OrderClause[] {
  return (clauses ?? []).map((clause, i) => {
    const field = `orderBy[${i}]`;
    const match = clausePattern.exec(clause);
    if (!match)
      throw invalid(
        field,
        `'${clause}' is not '<prefix>.<key> [ASC|DESC]', e.g. 'metrics.accuracy DESC'`,
      );
    const [, prefix, backticked, quoted, bare, direction] = match;
    const key = backticked ?? quoted ?? bare ?? "";
    const kind = prefix ? kindByPrefix[prefix.toLowerCase()] : "attribute";
    if (!kind)
      throw invalid(
        field,
        `unknown prefix '${prefix}': use attributes., metrics., params. or tags.`,
      );
    if (kind === "attribute" && !(key in orderableRunAttributes))
      throw invalid(
        field,
        `cannot order by attribute '${key}': use one of ${Object.keys(orderableRunAttributes).join(", ")}`,
      );
    return { kind, key, descending: direction?.toLowerCase() === "desc" };
  });
}
