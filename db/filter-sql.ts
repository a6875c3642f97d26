import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import {
  checkFilter,
  type FilterExpression,
  type Identifier,
  type Literal,
  parseFilter,
  SearchSyntaxError,
} from "../search/index.ts";
import { StoreError } from "./errors.ts";
import {
  experimentTable,
  experimentTagTable,
  metricSeriesTable,
  paramTable,
  registeredModelTable,
  registeredModelTagTable,
  runTable,
  runTagTable,
} from "./schema/index.ts";

/**
 * Compiles the search language to SQL for runs and experiments. Every value is a bound
 * parameter; keys too. Each comparison is made strictly true/false (a missing value or a NaN
 * metric is false), so `not` means what it says — the same meaning as `matchesFilter`.
 */

/** Parses and checks a filter; a bad one is an `invalid` store error naming `filter` and the position. */
export function parseStoreFilter(
  filter: string | undefined,
  target: "runs" | "experiments" | "registered_models",
): FilterExpression | undefined {
  if (!filter?.trim()) return undefined;
  try {
    return checkFilter(parseFilter(filter), filter, target);
  } catch (error) {
    if (error instanceof SearchSyntaxError)
      throw new StoreError("invalid", `filter: ${error.message}`, {
        field: "filter",
        cause: error,
      });
    throw error;
  }
}

// A metric's latest value as a number SQL can compare: ±Infinity come back from their
// encoding (9e999 is SQLite's literal for infinity), NaN stays NULL and so compares false.
const latestMetric = (key: string) => sql`(SELECT CASE ${metricSeriesTable.lastSpecial}
  WHEN 'Infinity' THEN 9e999 WHEN '-Infinity' THEN -9e999 ELSE ${metricSeriesTable.lastValue} END
  FROM ${metricSeriesTable} WHERE ${metricSeriesTable.runId} = ${runTable.id} AND ${metricSeriesTable.key} = ${key})`;

/**
 * A key-value row of an owner (a run's param or tag, an experiment's or a model's tag). A
 * comparison on it compiles to `owner IN (SELECT owner FROM table WHERE key = ? AND value …)`
 * rather than to a scalar subquery per owner: the same meaning (a missing key is false, the
 * key is unique per owner), but the planner may start from the table's (key, value) index
 * and visit only the owners that match, instead of every owner of the search.
 */
interface KeyValueLookup {
  owner: SQLiteColumn;
  table: SQL;
  ownerColumn: SQL;
  keyColumn: SQL;
  valueColumn: SQL;
  key: string;
}

const lookupIn = (
  owner: SQLiteColumn,
  table: SQLiteTable,
  ownerColumn: SQLiteColumn,
  keyColumn: SQLiteColumn,
  valueColumn: SQLiteColumn,
  key: string,
): KeyValueLookup => ({
  owner,
  table: sql`${table}`,
  ownerColumn: sql`${ownerColumn}`,
  keyColumn: sql`${keyColumn}`,
  valueColumn: sql`${valueColumn}`,
  key,
});

const runParam = (key: string) =>
  lookupIn(runTable.id, paramTable, paramTable.runId, paramTable.key, paramTable.value, key);
const runTag = (key: string) =>
  lookupIn(runTable.id, runTagTable, runTagTable.runId, runTagTable.key, runTagTable.value, key);
const experimentTag = (key: string) =>
  lookupIn(
    experimentTable.id,
    experimentTagTable,
    experimentTagTable.experimentId,
    experimentTagTable.key,
    experimentTagTable.value,
    key,
  );

const runAttributeColumns: Record<string, SQLiteColumn | SQL> = {
  run_id: runTable.id,
  run_name: runTable.name,
  status: runTable.status,
  start_time: runTable.startTime,
  end_time: runTable.endTime,
  artifact_uri: runTable.artifactUri,
  experiment_id: sql`CAST(${runTable.experimentId} AS TEXT)`,
};
const experimentAttributeColumns: Record<string, SQLiteColumn | SQL> = {
  name: experimentTable.name,
  experiment_id: sql`CAST(${experimentTable.id} AS TEXT)`,
  creation_time: experimentTable.creationTime,
  last_update_time: experimentTable.lastUpdateTime,
};

/** LIKE's `%` and `_` as GLOB's `*` and `?`, so LIKE stays case-sensitive as in MLflow. */
function likeToGlob(pattern: string): string {
  return [...pattern]
    .map((char) =>
      char === "%" ? "*" : char === "_" ? "?" : /[*?[\]]/.test(char) ? `[${char}]` : char,
    )
    .join("");
}

function comparisonSql(subject: SQL | SQLiteColumn, operator: string, value: Literal): SQL {
  switch (operator) {
    case "LIKE":
      return sql`${subject} GLOB ${likeToGlob(String(value))}`;
    case "ILIKE":
      return sql`lower(${subject}) LIKE lower(${value})`;
    case "=":
      return sql`${subject} = ${value}`;
    case "!=":
      return sql`${subject} != ${value}`;
    case "<":
      return sql`${subject} < ${value}`;
    case "<=":
      return sql`${subject} <= ${value}`;
    case ">":
      return sql`${subject} > ${value}`;
    default:
      return sql`${subject} >= ${value}`;
  }
}

type Subject = SQL | SQLiteColumn | KeyValueLookup;

const isLookup = (subject: Subject): subject is KeyValueLookup => "valueColumn" in subject;

/** A condition on a subject that is strictly true or false: a missing value or NULL is false. */
function strictly(subject: Subject, condition: (value: SQL | SQLiteColumn) => SQL): SQL {
  if (!isLookup(subject)) return sql`COALESCE(${condition(subject)}, 0)`;
  return sql`${subject.owner} IN (SELECT ${subject.ownerColumn} FROM ${subject.table} WHERE ${subject.keyColumn} = ${subject.key} AND ${condition(subject.valueColumn)})`;
}

function compile(
  expression: FilterExpression,
  subjectOf: (identifier: Identifier) => Subject,
): SQL {
  switch (expression.type) {
    case "and":
      return sql`(${compile(expression.left, subjectOf)} AND ${compile(expression.right, subjectOf)})`;
    case "or":
      return sql`(${compile(expression.left, subjectOf)} OR ${compile(expression.right, subjectOf)})`;
    case "not":
      return sql`(NOT ${compile(expression.operand, subjectOf)})`;
    case "membership": {
      const list = sql.join(
        expression.values.map((value) => sql`${value}`),
        sql`, `,
      );
      const operator = expression.operator === "IN" ? sql`IN` : sql`NOT IN`;
      return strictly(
        subjectOf(expression.identifier),
        (value) => sql`${value} ${operator} (${list})`,
      );
    }
    default: {
      const { operator, value } = expression;
      return strictly(subjectOf(expression.identifier), (subject) =>
        comparisonSql(subject, operator, value),
      );
    }
  }
}

/** Whether a filter names a metric, param or tag: a lookup per run, the costly part of a search. */
export function filterReadsRunData(expression: FilterExpression): boolean {
  switch (expression.type) {
    case "and":
    case "or":
      return filterReadsRunData(expression.left) || filterReadsRunData(expression.right);
    case "not":
      return filterReadsRunData(expression.operand);
    default:
      return expression.identifier.kind !== "attribute";
  }
}

export function runFilterSql(expression: FilterExpression): SQL {
  return compile(expression, (identifier) => {
    switch (identifier.kind) {
      case "metric":
        return latestMetric(identifier.key);
      case "param":
        return runParam(identifier.key);
      case "tag":
        return runTag(identifier.key);
      default:
        return runAttributeColumns[identifier.key] ?? runTable.id;
    }
  });
}

export function experimentFilterSql(expression: FilterExpression): SQL {
  return compile(expression, (identifier) =>
    identifier.kind === "tag"
      ? experimentTag(identifier.key)
      : (experimentAttributeColumns[identifier.key] ?? experimentTable.name),
  );
}

const registeredModelTag = (key: string) =>
  lookupIn(
    registeredModelTable.id,
    registeredModelTagTable,
    registeredModelTagTable.modelId,
    registeredModelTagTable.key,
    registeredModelTagTable.value,
    key,
  );
const registeredModelAttributeColumns: Record<string, SQLiteColumn> = {
  name: registeredModelTable.name,
  creation_time: registeredModelTable.creationTime,
  last_update_time: registeredModelTable.lastUpdateTime,
};

export function registeredModelFilterSql(expression: FilterExpression): SQL {
  return compile(expression, (identifier) =>
    identifier.kind === "tag"
      ? registeredModelTag(identifier.key)
      : (registeredModelAttributeColumns[identifier.key] ?? registeredModelTable.name),
  );
}
