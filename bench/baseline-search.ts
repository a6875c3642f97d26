import Database from "libsql";

/**
 * The search baseline, frozen: the page the search benchmark asks labbook's GraphQL API for,
 * written by hand against the same tables with the synchronous `libsql` driver, as a careful
 * engineer would for this one query. Three statements: the ordered page (with the total
 * count as a window over the filtered rows), then the params and the metric summaries of the
 * page's runs. Same meaning as labbook's: a metric is its latest value, ±Infinity compare as
 * infinite, NaN and missing values never match a comparison and sort last in either direction.
 */

export interface BaselineRun {
  id: string;
  name: string;
  params: { key: string; value: string }[];
  /** Latest values as the GraphQL API writes them: a number, or "NaN", "Infinity", "-Infinity". */
  metrics: { key: string; last: number | string }[];
}

export interface BaselinePage {
  totalCount: number;
  runs: BaselineRun[];
  statements: number;
}

/** `metrics.<metricGt.key> > metricGt.value and params.<paramEq.key> = paramEq.value`, ordered by `metrics.<orderDesc> DESC`. */
export interface BaselineQuery {
  experimentId: number;
  metricGt: { key: string; value: number };
  paramEq: { key: string; value: string };
  orderDesc: string;
  limit: number;
}

const pageSql = `
SELECT r.id, r.name, count(*) OVER () AS total
FROM runs r
JOIN params fp ON fp.run_id = r.id AND fp.key = :paramKey AND fp.value = :paramValue
JOIN metric_series fm ON fm.run_id = r.id AND fm.key = :metricKey
LEFT JOIN metric_series om ON om.run_id = r.id AND om.key = :orderKey
WHERE r.experiment_id = :experimentId
  AND r.lifecycle_stage = 'active'
  AND (fm.last_special = 'Infinity' OR (fm.last_special IS NULL AND fm.last_value > :metricValue))
ORDER BY (om.id IS NULL OR om.last_special IS 'NaN'),
  CASE om.last_special WHEN 'Infinity' THEN 1 WHEN '-Infinity' THEN -1 ELSE 0 END DESC,
  om.last_value DESC,
  r.start_time DESC,
  r.id
LIMIT :limit`;

const inList = (n: number) => Array.from({ length: n }, () => "?").join(", ");

export function openBaselineSearch(dbFile: string) {
  const db = new Database(dbFile, { readonly: true });
  const page = db.prepare(pageSql);
  return {
    search(query: BaselineQuery): BaselinePage {
      const rows = page.all(bind(query)) as { id: string; name: string; total: number }[];
      const ids = rows.map((row) => row.id);
      const byId = new Map<string, BaselineRun>();
      for (const row of rows)
        byId.set(row.id, { id: row.id, name: row.name, params: [], metrics: [] });
      if (ids.length > 0) {
        const params = db
          .prepare(
            `SELECT run_id, key, value FROM params WHERE run_id IN (${inList(ids.length)}) ORDER BY key`,
          )
          .all(ids) as { run_id: string; key: string; value: string }[];
        for (const p of params) byId.get(p.run_id)?.params.push({ key: p.key, value: p.value });
        const metrics = db
          .prepare(
            `SELECT run_id, key, last_value, last_special FROM metric_series WHERE run_id IN (${inList(ids.length)}) ORDER BY key`,
          )
          .all(ids) as {
          run_id: string;
          key: string;
          last_value: number | null;
          last_special: string | null;
        }[];
        for (const m of metrics)
          byId.get(m.run_id)?.metrics.push({
            key: m.key,
            last: m.last_special ?? m.last_value ?? "NaN",
          });
      }
      return {
        totalCount: rows[0]?.total ?? 0,
        runs: ids.map((id) => byId.get(id) as BaselineRun),
        statements: ids.length > 0 ? 3 : 1,
      };
    },
    close() {
      db.close();
    },
  };
}

function bind(query: BaselineQuery) {
  return {
    experimentId: query.experimentId,
    paramKey: query.paramEq.key,
    paramValue: query.paramEq.value,
    metricKey: query.metricGt.key,
    metricValue: query.metricGt.value,
    orderKey: query.orderDesc,
    limit: query.limit,
  };
}
