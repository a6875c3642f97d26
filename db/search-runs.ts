import { and, asc, count, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { type LifecycleView, lifecycleCondition } from "./experiments.ts";
import { filterReadsRunData, parseStoreFilter, runFilterSql } from "./filter-sql.ts";
import type { Db } from "./open-db.ts";
import { type OrderClause, orderableRunAttributes, parseOrderBy } from "./order-by.ts";
import { type Run, toRun } from "./runs.ts";
import { metricSeriesTable, paramTable, runTable, runTagTable } from "./schema/index.ts";

export interface SearchRunsOptions {
  /** Experiments to search; all experiments when omitted. */
  experimentIds?: readonly string[] | undefined;
  view?: LifecycleView | undefined;
  /** The search language: `metrics.acc > 0.9 and (params.lr = '0.1' or tags.team = 'vision')`. */
  filter?: string | undefined;
  /** MLflow-style clauses such as `metrics.accuracy DESC`; newest first when empty. */
  orderBy?: readonly string[] | undefined;
  limit: number;
  offset: number;
}

const direction = (clause: OrderClause) => (clause.descending ? desc : asc);

/**
 * Runs in a stable order, one page at a time, with the total count; the number of statements
 * does not depend on the page size. Missing values and NaN sort last in either direction, as
 * in MLflow.
 *
 * A filter on metrics, params or tags costs lookups for every run of the experiments. When the
 * page is ordered by `orderBy` clauses, it must filter and sort every run anyway, and a
 * separate `count(*)` would pay for the filter a second time (half the time of such a search):
 * then the page carries the count as a window over the filtered rows, one statement (two only
 * for an empty page after the first, or a page of size 0). Otherwise the window would cost
 * more than it saves (the count is cheap without such a filter, and a page in the default
 * order stops after `limit` runs): two statements, the page and the count.
 */
export async function searchRuns(
  db: Db,
  options: SearchRunsOptions,
): Promise<{ runs: Run[]; totalCount: number }> {
  const clauses = parseOrderBy(options.orderBy);
  const filter = parseStoreFilter(options.filter, "runs");
  const conditions: (SQL | undefined)[] = [
    lifecycleCondition(runTable.lifecycleStage, options.view ?? "active"),
  ];
  if (options.experimentIds !== undefined) {
    const ids = options.experimentIds.filter((id) => /^\d{1,15}$/.test(id)).map(Number);
    conditions.push(inArray(runTable.experimentId, ids));
  }
  if (filter) conditions.push(runFilterSql(filter));
  const where = and(...conditions);

  // In the default order runs come out of an index (experiment, start time), and the page
  // stops after `limit` of them; ordered by any clause, it filters and sorts every run anyway.
  const countInPage = filter !== undefined && filterReadsRunData(filter) && clauses.length > 0;
  let page = db.orm
    .select({
      run: runTable,
      total: countInPage ? sql<number>`count(*) OVER ()`.mapWith(Number) : sql<null>`NULL`,
    })
    .from(runTable)
    .$dynamic();
  const order: SQL[] = [];
  clauses.forEach((clause, i) => {
    const dir = direction(clause);
    if (clause.kind === "attribute") {
      const column = runTable[orderableRunAttributes[clause.key] ?? "startTime"];
      order.push(sql`${column} IS NULL`, dir(column));
    } else if (clause.kind === "metric") {
      const series = alias(metricSeriesTable, `order_metric_${i}`);
      page = page.leftJoin(series, and(eq(series.runId, runTable.id), eq(series.key, clause.key)));
      order.push(
        sql`(${series.id} IS NULL OR ${series.lastSpecial} IS 'NaN')`,
        dir(
          sql`CASE ${series.lastSpecial} WHEN 'Infinity' THEN 1 WHEN '-Infinity' THEN -1 ELSE 0 END`,
        ),
        dir(series.lastValue),
      );
    } else {
      const table = alias(
        clause.kind === "param" ? paramTable : runTagTable,
        `order_${clause.kind}_${i}`,
      );
      page = page.leftJoin(table, and(eq(table.runId, runTable.id), eq(table.key, clause.key)));
      order.push(sql`${table.value} IS NULL`, dir(table.value));
    }
  });
  order.push(desc(runTable.startTime), asc(runTable.id));

  const pageRows = page
    .where(where)
    .orderBy(...order)
    .limit(options.limit)
    .offset(options.offset);
  const countRows = () => db.orm.select({ n: count() }).from(runTable).where(where);
  if (!countInPage) {
    const [rows, [total]] = await Promise.all([pageRows, countRows()]);
    return { runs: rows.map((row) => toRun(row.run)), totalCount: total?.n ?? 0 };
  }
  const rows = await pageRows;
  let totalCount = rows[0]?.total ?? 0;
  // An empty page says nothing about the rows before it.
  if (rows.length === 0 && (options.offset > 0 || options.limit === 0))
    totalCount = (await countRows())[0]?.n ?? 0;
  return { runs: rows.map((row) => toRun(row.run)), totalCount };
}
