import { type OrderClause, parseOrderClause, SearchSyntaxError } from "../search/index.ts";
import { invalid, StoreError } from "./errors.ts";

export type { OrderClause };

/** Run attributes that can be ordered on, by the names MLflow accepts for them. */
export const orderableRunAttributes: Record<string, "startTime" | "endTime" | "name" | "status"> = {
  start_time: "startTime",
  end_time: "endTime",
  name: "name",
  run_name: "name",
  status: "status",
};

/** Parses `metrics.accuracy DESC`-style clauses; bad ones name the clause and what is allowed. */
export function parseOrderBy(clauses: readonly string[] | undefined): OrderClause[] {
  return (clauses ?? []).map((clause, i) => {
    const field = `orderBy[${i}]`;
    let parsed: OrderClause;
    try {
      parsed = parseOrderClause(clause);
    } catch (error) {
      if (error instanceof SearchSyntaxError)
        throw new StoreError("invalid", `${field}: ${error.message}`, { field, cause: error });
      throw error;
    }
    if (parsed.kind === "attribute" && !(parsed.key in orderableRunAttributes))
      throw invalid(
        field,
        `cannot order by attribute '${parsed.key}': use one of ${Object.keys(orderableRunAttributes).join(", ")}`,
      );
    return parsed;
  });
}
