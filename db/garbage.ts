import { and, asc, eq, inArray, isNotNull, lte, notExists, sql } from "drizzle-orm";
import { invalid, notFound } from "./errors.ts";
import type { Db } from "./open-db.ts";
import {
  artifactTable,
  experimentTable,
  experimentTagTable,
  loggedBatchTable,
  metricPointTable,
  metricRollupTable,
  metricSeriesTable,
  modelVersionTable,
  paramTable,
  runPurgeTable,
  runTable,
  runTagTable,
} from "./schema/index.ts";
import { nowMs } from "./time.ts";
import { isRunId } from "./validation.ts";

/**
 * Permanent deletion, in steps that survive being interrupted anywhere:
 * 1. `startPurge` marks the chosen deleted runs with a tombstone (`run_purges`): from then on
 *    they cannot be restored or written to;
 * 2. the caller deletes their files from the artifact store;
 * 3. `purgeRunRows` deletes their rows (points, rollups, series, params, tags, batch ids,
 *    artifact index, the run, the tombstone) — only once the files are gone.
 * A collection stopped between two steps leaves tombstoned runs that the next one finishes.
 */

/** A run garbage collection may remove for good. */
export interface CollectableRun {
  runId: string;
  experimentId: string;
  name: string;
  artifactUri: string;
  deletedTime: number | null;
  /** Tombstoned by an earlier collection that did not finish. */
  resumed: boolean;
}

export interface GcSelection {
  /** Only runs deleted at least this long ago (0, the default: every deleted run). */
  olderThanMs?: number | undefined;
  /** Only these runs (each must exist and be deleted). */
  runIds?: readonly string[] | undefined;
  now?: number | undefined;
}

/** How much of a run's data is in the database. */
export interface RunFootprint {
  metricPoints: number;
  metricSeries: number;
  params: number;
  tags: number;
  /** Rows of the artifact index. */
  artifacts: number;
}

const runColumns = {
  runId: runTable.id,
  experimentId: runTable.experimentId,
  name: runTable.name,
  artifactUri: runTable.artifactUri,
  deletedTime: runTable.deletedTime,
};

/**
 * The runs a collection takes: those an earlier collection left half-done, then the deleted
 * runs deleted before the cutoff (all of them, or those named), oldest deletion first.
 */
export async function collectableRuns(
  db: Db,
  selection: GcSelection = {},
): Promise<CollectableRun[]> {
  const olderThanMs = selection.olderThanMs ?? 0;
  if (!Number.isFinite(olderThanMs) || olderThanMs < 0)
    throw invalid("olderThan", "must be a duration of 0 or more");
  const cutoff = (selection.now ?? nowMs()) - olderThanMs;
  const resumed = await db.orm
    .select(runColumns)
    .from(runTable)
    .innerJoin(runPurgeTable, eq(runPurgeTable.runId, runTable.id))
    .orderBy(asc(runPurgeTable.startedTime), asc(runTable.id));
  const named = selection.runIds;
  if (named) {
    for (const [i, runId] of named.entries()) {
      const [run] = isRunId(runId)
        ? await db.orm
            .select({ stage: runTable.lifecycleStage })
            .from(runTable)
            .where(eq(runTable.id, runId))
        : [];
      if (!run) throw notFound(`no run with id '${runId}'`, `runIds[${i}]`);
      if (run.stage !== "deleted")
        throw invalid(
          `runIds[${i}]`,
          `run '${runId}' is not deleted; delete it first (only deleted runs are collected)`,
        );
      const [version] = await db.orm
        .select({ version: modelVersionTable.version })
        .from(modelVersionTable)
        .where(eq(modelVersionTable.runId, runId))
        .limit(1);
      if (version)
        throw invalid(
          `runIds[${i}]`,
          `run '${runId}' holds the files of a registered model version; delete that version first`,
        );
    }
  }
  const fresh =
    named?.length === 0
      ? []
      : await db.orm
          .select(runColumns)
          .from(runTable)
          .where(
            and(
              eq(runTable.lifecycleStage, "deleted"),
              isNotNull(runTable.deletedTime),
              lte(runTable.deletedTime, cutoff),
              named ? inArray(runTable.id, [...named]) : undefined,
              notExists(
                db.orm
                  .select({ one: sql`1` })
                  .from(runPurgeTable)
                  .where(eq(runPurgeTable.runId, runTable.id)),
              ),
              // A registered model version points at this run's files: collecting the run
              // would break the version, so it stays until the version is deleted.
              notExists(
                db.orm
                  .select({ one: sql`1` })
                  .from(modelVersionTable)
                  .where(eq(modelVersionTable.runId, runTable.id)),
              ),
            ),
          )
          .orderBy(asc(runTable.deletedTime), asc(runTable.id));
  const toCollectable = (resumedRun: boolean) => (row: (typeof fresh)[number]) => ({
    ...row,
    experimentId: String(row.experimentId),
    resumed: resumedRun,
  });
  return [...resumed.map(toCollectable(true)), ...fresh.map(toCollectable(false))];
}

/**
 * Tombstones runs for collection, in one transaction; returns those tombstoned now or before.
 * A run restored since it was chosen is left alone.
 */
export async function startPurge(db: Db, runIds: readonly string[]): Promise<string[]> {
  if (runIds.length === 0) return [];
  return db.write(async (tx) => {
    const rows = await tx
      .select({
        id: runTable.id,
        artifactUri: runTable.artifactUri,
        stage: runTable.lifecycleStage,
      })
      .from(runTable)
      .where(inArray(runTable.id, [...runIds]));
    const deleted = rows.filter((row) => row.stage === "deleted");
    if (deleted.length > 0)
      await tx
        .insert(runPurgeTable)
        .values(
          deleted.map((row) => ({
            runId: row.id,
            artifactUri: row.artifactUri,
            startedTime: nowMs(),
          })),
        )
        .onConflictDoNothing();
    const order = new Map(runIds.map((id, i) => [id, i]));
    return deleted.map((row) => row.id).sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  });
}

/** Whether garbage collection has started on a run (it can no longer be restored). */
export async function isPurging(db: Db, runId: string): Promise<boolean> {
  const [row] = await db.orm
    .select({ runId: runPurgeTable.runId })
    .from(runPurgeTable)
    .where(eq(runPurgeTable.runId, runId));
  return row !== undefined;
}

const seriesOfRun = (db: Db, runId: string) =>
  db.orm
    .select({ id: metricSeriesTable.id })
    .from(metricSeriesTable)
    .where(eq(metricSeriesTable.runId, runId));

/** Counts a run's rows: what collecting it frees in the database. */
export async function runFootprint(db: Db, runId: string): Promise<RunFootprint> {
  const count = sql<number>`count(*)`;
  const [[series], [params], [tags], [artifacts]] = await Promise.all([
    db.orm
      .select({ n: count, points: sql<number>`coalesce(sum(${metricSeriesTable.count}), 0)` })
      .from(metricSeriesTable)
      .where(eq(metricSeriesTable.runId, runId)),
    db.orm.select({ n: count }).from(paramTable).where(eq(paramTable.runId, runId)),
    db.orm.select({ n: count }).from(runTagTable).where(eq(runTagTable.runId, runId)),
    db.orm.select({ n: count }).from(artifactTable).where(eq(artifactTable.runId, runId)),
  ]);
  return {
    metricPoints: Number(series?.points ?? 0),
    metricSeries: Number(series?.n ?? 0),
    params: Number(params?.n ?? 0),
    tags: Number(tags?.n ?? 0),
    artifacts: Number(artifacts?.n ?? 0),
  };
}

/** Points deleted per transaction: a long history does not hold the writer for long. */
const pointsPerDelete = 50_000;

/**
 * Deletes a tombstoned run's rows — call it once its files are gone. Metric points go in
 * chunks of their own transactions (an interruption leaves the run tombstoned, and the next
 * collection goes on); everything else, the run and its tombstone go in the last one.
 */
export async function purgeRunRows(db: Db, runId: string): Promise<RunFootprint> {
  if (!(await isPurging(db, runId)))
    throw invalid("runId", `run '${runId}' has no tombstone; collect it with garbage collection`);
  const footprint = await runFootprint(db, runId);
  for (;;) {
    const result = await db.write((tx) =>
      tx.run(
        sql`DELETE FROM ${metricPointTable} WHERE rowid IN (SELECT rowid FROM ${metricPointTable} WHERE ${metricPointTable.seriesId} IN ${seriesOfRun(db, runId)} LIMIT ${pointsPerDelete})`,
      ),
    );
    if (result.rowsAffected < pointsPerDelete) break;
  }
  await db.write(async (tx) => {
    await tx
      .delete(metricRollupTable)
      .where(inArray(metricRollupTable.seriesId, seriesOfRun(db, runId)));
    await tx
      .delete(metricPointTable)
      .where(inArray(metricPointTable.seriesId, seriesOfRun(db, runId)));
    await tx.delete(metricSeriesTable).where(eq(metricSeriesTable.runId, runId));
    await tx.delete(paramTable).where(eq(paramTable.runId, runId));
    await tx.delete(runTagTable).where(eq(runTagTable.runId, runId));
    await tx.delete(loggedBatchTable).where(eq(loggedBatchTable.runId, runId));
    await tx.delete(artifactTable).where(eq(artifactTable.runId, runId));
    await tx.delete(runTable).where(eq(runTable.id, runId));
    await tx.delete(runPurgeTable).where(eq(runPurgeTable.runId, runId));
  });
  return footprint;
}

/** A deleted experiment that garbage collection removed, or would remove. */
export interface CollectableExperiment {
  id: string;
  name: string;
  artifactLocation: string;
}

/** Deleted experiments, deleted before the cutoff, that have no run left. */
export async function collectableExperiments(
  db: Db,
  selection: Pick<GcSelection, "olderThanMs" | "now"> = {},
): Promise<CollectableExperiment[]> {
  const cutoff = (selection.now ?? nowMs()) - (selection.olderThanMs ?? 0);
  const rows = await db.orm
    .select({
      id: experimentTable.id,
      name: experimentTable.name,
      artifactLocation: experimentTable.artifactLocation,
    })
    .from(experimentTable)
    .where(
      and(
        eq(experimentTable.lifecycleStage, "deleted"),
        isNotNull(experimentTable.deletedTime),
        lte(experimentTable.deletedTime, cutoff),
        notExists(
          db.orm
            .select({ one: sql`1` })
            .from(runTable)
            .where(eq(runTable.experimentId, experimentTable.id)),
        ),
      ),
    )
    .orderBy(asc(experimentTable.id));
  return rows.map((row) => ({ ...row, id: String(row.id) }));
}

/**
 * Deletes a deleted experiment that has no run left (its name becomes free); false when it
 * has been restored or given a run meanwhile.
 */
export async function purgeExperiment(db: Db, id: string): Promise<boolean> {
  return db.write(async (tx) => {
    const numericId = Number(id);
    const [experiment] = await tx
      .select({ stage: experimentTable.lifecycleStage })
      .from(experimentTable)
      .where(eq(experimentTable.id, numericId));
    const [run] = await tx
      .select({ id: runTable.id })
      .from(runTable)
      .where(eq(runTable.experimentId, numericId))
      .limit(1);
    if (experiment?.stage !== "deleted" || run) return false;
    await tx.delete(experimentTagTable).where(eq(experimentTagTable.experimentId, numericId));
    await tx.delete(experimentTable).where(eq(experimentTable.id, numericId));
    return true;
  });
}
