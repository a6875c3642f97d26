import {
  type FilterExpression,
  matchesFilter,
  parseFilter,
  SearchSyntaxError,
} from "../search/index.ts";
import { invalid, StoreError } from "./errors.ts";
import { loggedModelDataByIds } from "./logged-model-data.ts";
import { type LoggedModel, loggedModelsOfExperiments } from "./logged-models.ts";
import type { Db } from "./open-db.ts";

/**
 * Searching logged models (MLflow's `search_logged_models`). An experiment holds few of them
 * (one per `log_model` call), so the filter is evaluated in memory with the search language's
 * evaluator, the one the reports use, instead of compiling it to SQL.
 */

/** Attributes a filter or an ordering may name, by every spelling MLflow accepts. */
const attributeOf: Record<string, (model: LoggedModel) => string | number | null> = {
  name: (model) => model.name,
  model_id: (model) => model.id,
  model_type: (model) => model.modelType,
  status: (model) => model.status,
  source_run_id: (model) => model.sourceRunId,
  creation_timestamp: (model) => model.creationTime,
  creation_time: (model) => model.creationTime,
  last_updated_timestamp: (model) => model.lastUpdateTime,
  last_update_time: (model) => model.lastUpdateTime,
};
const attributeNames = Object.keys(attributeOf).join(", ");

export interface LoggedModelOrder {
  /** An attribute (`creation_timestamp`) or `metrics.<key>`. */
  field: string;
  ascending: boolean;
}

export interface SearchLoggedModelsOptions {
  experimentIds: readonly string[];
  /** The search language over the attributes above, `metrics.`, `params.` and `tags.`. */
  filter?: string | undefined;
  /** Newest first when empty. */
  orderBy?: readonly LoggedModelOrder[] | undefined;
  limit: number;
  offset: number;
}

function parseModelFilter(filter: string | undefined): FilterExpression | undefined {
  if (!filter?.trim()) return undefined;
  let expression: FilterExpression | undefined;
  try {
    expression = parseFilter(filter);
  } catch (error) {
    if (error instanceof SearchSyntaxError)
      throw new StoreError("invalid", `filter: ${error.message}`, {
        field: "filter",
        cause: error,
      });
    throw error;
  }
  const check = (node: FilterExpression): void => {
    switch (node.type) {
      case "and":
      case "or":
        check(node.left);
        check(node.right);
        break;
      case "not":
        check(node.operand);
        break;
      default:
        if (node.identifier.kind === "attribute" && !(node.identifier.key in attributeOf))
          throw invalid(
            "filter",
            `'${node.identifier.key}' is not a logged model attribute: use one of ${attributeNames}, or metrics., params., tags.`,
          );
    }
  };
  if (expression) check(expression);
  return expression;
}

/** A metric's latest linked value: the highest step, then the newest point. */
function latestMetrics(
  points: readonly { key: string; value: number; step: number; timestamp: number }[],
) {
  const latest = new Map<string, { value: number; step: number; timestamp: number }>();
  for (const point of points) {
    const seen = latest.get(point.key);
    if (
      !seen ||
      point.step > seen.step ||
      (point.step === seen.step && point.timestamp >= seen.timestamp)
    )
      latest.set(point.key, point);
  }
  return new Map([...latest].map(([key, point]) => [key, point.value]));
}

/** Logged models of the experiments that match the filter, in order, one page at a time. */
export async function searchLoggedModels(
  db: Db,
  options: SearchLoggedModelsOptions,
): Promise<{ models: LoggedModel[]; totalCount: number }> {
  const filter = parseModelFilter(options.filter);
  for (const [i, order] of (options.orderBy ?? []).entries())
    if (!(order.field in attributeOf) && !order.field.startsWith("metrics."))
      throw invalid(
        `orderBy[${i}]`,
        `cannot order by '${order.field}': use one of ${attributeNames} or metrics.<key>`,
      );
  const models = await loggedModelsOfExperiments(db, options.experimentIds);
  const data = await loggedModelDataByIds(
    db,
    models.map((model) => model.id),
  );
  const metricsOf = new Map(
    models.map((model) => [model.id, latestMetrics(data.metrics.get(model.id) ?? [])]),
  );
  const matching = models.filter((model) => {
    const params = new Map((data.params.get(model.id) ?? []).map((p) => [p.key, p.value]));
    const tags = new Map((data.tags.get(model.id) ?? []).map((t) => [t.key, t.value]));
    return matchesFilter(filter, {
      metric: (key) => metricsOf.get(model.id)?.get(key),
      param: (key) => params.get(key),
      tag: (key) => tags.get(key),
      attribute: (key) => attributeOf[key]?.(model),
    });
  });
  const orders = options.orderBy?.length
    ? options.orderBy
    : [{ field: "creation_timestamp", ascending: false }];
  const sortValue = (model: LoggedModel, field: string) =>
    field.startsWith("metrics.")
      ? metricsOf.get(model.id)?.get(field.slice("metrics.".length))
      : (attributeOf[field]?.(model) ?? undefined);
  matching.sort((a, b) => {
    for (const { field, ascending } of orders) {
      const x = sortValue(a, field);
      const y = sortValue(b, field);
      // Missing values sort last in either direction, as runs' do.
      if (x === y) continue;
      if (x === undefined || x === null) return 1;
      if (y === undefined || y === null) return -1;
      const order = x < y ? -1 : 1;
      return ascending ? order : -order;
    }
    return a.id < b.id ? -1 : 1;
  });
  return {
    models: matching.slice(options.offset, options.offset + options.limit),
    totalCount: matching.length,
  };
}
