import { and, asc, inArray, type SQL, sql } from "drizzle-orm";
import { invalid } from "./errors.ts";
import { lifecycleCondition } from "./experiments.ts";
import { parseStoreFilter, runFilterSql } from "./filter-sql.ts";
import type { Db } from "./open-db.ts";
import { paramTable, runTable, runTagTable } from "./schema/index.ts";
import { intOf, realOrNull, type SqlRow } from "./sql-text.ts";
import { isRunId, parseExperimentId, validateInteger, validateKey } from "./validation.ts";

/** A key runs are grouped by: a param or a tag. */
export interface GroupKey {
  kind: "param" | "tag";
  key: string;
  /** As the API spells it: `params.lr`, `tags.team`. */
  name: string;
}

export interface MetricGroupsOptions {
  /** The metric to aggregate. */
  key: string;
  /** `params.<key>` or `tags.<key>` (also `param.`, `tag.`); none puts every run in one group. */
  groupBy: readonly string[];
  /** Only these runs (32 hexadecimal characters each). */
  runIds?: readonly string[] | undefined;
  /** Only runs of these experiments; all experiments when omitted. */
  experimentIds?: readonly string[] | undefined;
  /** The search language, as `runs(filter:)` takes it. */
  filter?: string | undefined;
  /** Aggregate into at most this many buckets of equal step width. */
  maxPoints?: number | undefined;
  minStep?: number | undefined;
  maxStep?: number | undefined;
}

/** One step (or bucket of steps) of a group's aggregate curve. */
export interface MetricBand {
  /** The step, or the first step of the bucket. */
  step: number;
  /** Over the finite values; null when the runs have only NaN or ±Infinity there. */
  mean: number | null;
  min: number | null;
  max: number | null;
  /** How many of the group's runs logged a point there. */
  runs: number;
}

export interface MetricGroup {
  /** The group's value of each groupBy key, in the order asked; null where its runs lack it. */
  values: { key: string; value: string | null }[];
  /** Oldest first. */
  runIds: string[];
  points: MetricBand[];
}

/** At most this many groupBy keys. */
export const maxGroupKeys = 10;

const prefixes: Record<string, GroupKey["kind"]> = {
  params: "param",
  param: "param",
  tags: "tag",
  tag: "tag",
};

/** Reads a groupBy entry (`params.lr`, ``tags.`my team` ``); a bad one names its place and the rule. */
export function parseGroupKey(text: string, field: string): GroupKey {
  const dot = text.indexOf(".");
  const kind = dot > 0 ? prefixes[text.slice(0, dot)] : undefined;
  if (!kind)
    throw invalid(
      field,
      `'${text}' must be a param or tag key: 'params.<key>' or 'tags.<key>' (metrics and attributes cannot group runs)`,
    );
  let key = text.slice(dot + 1);
  if (/^(`.*`|".*")$/.test(key)) key = key.slice(1, -1);
  validateKey(field, key);
  return { kind, key, name: `${kind === "param" ? "params" : "tags"}.${key}` };
}

function checkOptions(options: MetricGroupsOptions): GroupKey[] {
  validateKey("key", options.key);
  if (options.groupBy.length > maxGroupKeys)
    throw invalid(
      "groupBy",
      `may name at most ${maxGroupKeys} keys (got ${options.groupBy.length})`,
    );
  const keys = options.groupBy.map((text, i) => parseGroupKey(text, `groupBy[${i}]`));
  keys.forEach((one, i) => {
    if (keys.findIndex((other) => other.name === one.name) !== i)
      throw invalid(`groupBy[${i}]`, `'${one.name}' is named twice`);
  });
  options.runIds?.forEach((id, i) => {
    if (!isRunId(id))
      throw invalid(`runIds[${i}]`, `'${id}' is not a run id (32 hexadecimal characters)`);
  });
  options.experimentIds?.forEach((id, i) => {
    parseExperimentId(`experimentIds[${i}]`, id);
  });
  const { maxPoints, minStep, maxStep } = options;
  if (maxPoints !== undefined && (!Number.isInteger(maxPoints) || maxPoints < 1))
    throw invalid("maxPoints", `must be an integer of at least 1 (got ${maxPoints})`);
  if (minStep !== undefined) validateInteger("minStep", minStep);
  if (maxStep !== undefined) validateInteger("maxStep", maxStep);
  if (minStep !== undefined && maxStep !== undefined && minStep > maxStep)
    throw invalid("minStep", `must not be greater than maxStep (${minStep} > ${maxStep})`);
  return keys;
}

const groupValueSql = (group: GroupKey): SQL => {
  const table = group.kind === "param" ? paramTable : runTagTable;
  return sql`(SELECT ${table.value} FROM ${table} WHERE ${table.runId} = ${runTable.id} AND ${table.key} = ${group.key})`;
};

/** Numbers compare as numbers (`3e-3` after `1e-3`), other text as text; missing values last. */
function compareValues(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const x = a.trim() === "" ? Number.NaN : Number(a);
  const y = b.trim() === "" ? Number.NaN : Number(b);
  if (Number.isFinite(x) && Number.isFinite(y) && x !== y) return x - y;
  return a < b ? -1 : 1;
}

/**
 * The selected runs with their value of each groupBy key, grouped by equal values: one
 * statement, whatever the number of runs or groups.
 */
async function groupRuns(
  db: Db,
  options: MetricGroupsOptions,
  keys: readonly GroupKey[],
): Promise<MetricGroup[]> {
  const filter = parseStoreFilter(options.filter, "runs");
  const where = and(
    lifecycleCondition(runTable.lifecycleStage, "active"),
    options.runIds && inArray(runTable.id, [...options.runIds]),
    options.experimentIds && inArray(runTable.experimentId, options.experimentIds.map(Number)),
    filter && runFilterSql(filter),
  );
  const values = keys.length
    ? sql<string>`json_array(${sql.join(keys.map(groupValueSql), sql`, `)})`
    : sql<string>`'[]'`;
  const rows = await db.orm
    .select({ id: runTable.id, values })
    .from(runTable)
    .where(where)
    .orderBy(asc(runTable.startTime), asc(runTable.id));
  const groups = new Map<string, MetricGroup>();
  for (const row of rows) {
    let group = groups.get(row.values);
    if (!group) {
      const found = JSON.parse(row.values) as (string | null)[];
      group = {
        values: keys.map((key, i) => ({ key: key.name, value: found[i] ?? null })),
        runIds: [],
        points: [],
      };
      groups.set(row.values, group);
    }
    group.runIds.push(row.id);
  }
  return [...groups.values()].sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const order = compareValues(a.values[i]?.value ?? null, b.values[i]?.value ?? null);
      if (order !== 0) return order;
    }
    return 0;
  });
}

// Every group's curve in one statement. The run → group mapping comes in as JSON, so the
// runs are the ones the first statement found (a run created in between cannot slip in).
// Buckets: lo is the first step any selected run has in the window, every bucket spans
// `width` steps (1 without maxPoints, so each step is its own bucket), and a point's bucket
// is (step - lo) / width. Each run is first folded per bucket (its mean, min, max), then
// runs are folded per group and bucket, so a run weighs the same however often it logged.
// NaN and ±Infinity are stored with a NULL value, which avg/min/max skip.
const bandsSql = `
WITH members(run_id, grp) AS (
  SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1)
),
picked AS (
  SELECT s.id AS series_id, m.grp AS grp
  FROM members m JOIN metric_series s ON s.run_id = m.run_id AND s.key = ?2
),
grid AS (
  SELECT lo, CASE WHEN ?5 IS NULL THEN 1 ELSE max(1, (hi - lo + CAST(?5 AS INTEGER)) / CAST(?5 AS INTEGER)) END AS width
  FROM (SELECT
    min((SELECT min(step) FROM metric_points p WHERE p.series_id = picked.series_id AND p.step >= ?3)) AS lo,
    max((SELECT max(step) FROM metric_points p WHERE p.series_id = picked.series_id AND p.step <= ?4)) AS hi
    FROM picked)
),
per_run AS (
  SELECT picked.grp AS grp, (p.step - grid.lo) / grid.width AS bucket,
         avg(p.value) AS run_mean, min(p.value) AS run_min, max(p.value) AS run_max
  FROM picked JOIN metric_points p ON p.series_id = picked.series_id CROSS JOIN grid
  WHERE p.step >= ?3 AND p.step <= ?4
  GROUP BY picked.grp, p.series_id, bucket
)
SELECT grp, bucket * grid.width + grid.lo AS step,
       avg(run_mean) AS mean, min(run_min) AS min, max(run_max) AS max, count(*) AS runs
FROM per_run CROSS JOIN grid
GROUP BY grp, bucket
ORDER BY grp, bucket`;

/**
 * A metric aggregated per step over groups of runs: the runs are selected as `runs(...)`
 * selects them (ids, experiments, filter; active runs only), grouped by their values of the
 * `groupBy` params and tags, and for each group and step the mean, min and max over the runs
 * that logged that step. With `maxPoints`, steps are cut into at most that many buckets of
 * equal width, and each bucket aggregates all of its points. NaN and ±Infinity are left out
 * of mean, min and max. Two statements, whatever the number of runs, groups or steps.
 *
 * @example
 * const groups = await metricGroups(db, { key: "val_acc", groupBy: ["params.lr"], experimentIds: ["1"] });
 * groups[0]?.points[0]; // { step: 0, mean: 0.81, min: 0.79, max: 0.83, runs: 3 }
 */
export async function metricGroups(db: Db, options: MetricGroupsOptions): Promise<MetricGroup[]> {
  const keys = checkOptions(options);
  const groups = await groupRuns(db, options, keys);
  if (groups.length === 0) return groups;
  const members = groups.flatMap((group, index) => group.runIds.map((id) => [id, index]));
  const rows = await db.query(bandsSql, [
    JSON.stringify(members),
    options.key,
    options.minStep ?? -Number.MAX_SAFE_INTEGER,
    options.maxStep ?? Number.MAX_SAFE_INTEGER,
    options.maxPoints ?? null,
  ]);
  for (const row of rows as SqlRow[])
    groups[intOf(row, "grp")]?.points.push({
      step: intOf(row, "step"),
      mean: realOrNull(row, "mean"),
      min: realOrNull(row, "min"),
      max: realOrNull(row, "max"),
      runs: intOf(row, "runs"),
    });
  return groups;
}
