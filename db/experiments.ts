import { and, asc, count, desc, eq, inArray, max, notExists, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { alreadyExists, invalid, notFound } from "./errors.ts";
import { experimentFilterSql, parseStoreFilter } from "./filter-sql.ts";
import { groupBy } from "./group-by.ts";
import type { Db, WriteTx } from "./open-db.ts";
import {
  type ExperimentRow,
  type ExperimentTagRow,
  experimentTable,
  experimentTagTable,
  type LifecycleStage,
  runPurgeTable,
  runTable,
} from "./schema/index.ts";
import { nowMs } from "./time.ts";
import {
  limits,
  parseExperimentId,
  validateKey,
  validateName,
  validateText,
} from "./validation.ts";

/** An experiment as the rest of labbook sees it: the id is a string of digits. */
export type Experiment = Omit<ExperimentRow, "id"> & { id: string };
export type KeyValue = { key: string; value: string };

export const defaultExperimentId = "0";
export const defaultExperimentName = "Default";

const toExperiment = (row: ExperimentRow): Experiment => ({ ...row, id: String(row.id) });

/** Creates the `Default` experiment with id 0 unless it exists: MLflow clients rely on it. */
export async function ensureDefaultExperiment(db: Db): Promise<void> {
  const now = nowMs();
  await db.write((tx) =>
    tx
      .insert(experimentTable)
      .values({
        id: 0,
        name: defaultExperimentName,
        artifactLocation: `${db.artifactRoot}/0`,
        creationTime: now,
        lastUpdateTime: now,
      })
      .onConflictDoNothing(),
  );
}

function validateExperimentName(name: unknown): string {
  return validateName("name", name, limits.experimentNameLength);
}

export function validateTags(field: string, tags: readonly KeyValue[] | undefined): KeyValue[] {
  return (tags ?? []).map((tag, i) => ({
    key: validateKey(`${field}[${i}].key`, tag.key),
    value: validateText(`${field}[${i}].value`, tag.value, limits.tagValueLength),
  }));
}

async function assertNameFree(tx: WriteTx, name: string, exceptId?: number): Promise<void> {
  const [taken] = await tx
    .select({ id: experimentTable.id, lifecycleStage: experimentTable.lifecycleStage })
    .from(experimentTable)
    .where(eq(experimentTable.name, name));
  if (!taken || taken.id === exceptId) return;
  const hint =
    taken.lifecycleStage === "deleted"
      ? `; it is deleted (id ${taken.id}): restore it, or collect it, or pick another name`
      : "; pick another name";
  throw alreadyExists(`experiment '${name}' already exists${hint}`, "name");
}

export interface CreateExperimentInput {
  name: string;
  artifactLocation?: string | undefined;
  tags?: readonly KeyValue[] | undefined;
}

export async function createExperiment(db: Db, input: CreateExperimentInput): Promise<Experiment> {
  const name = validateExperimentName(input.name);
  const tags = validateTags("tags", input.tags);
  const row = await db.write(async (tx) => {
    await assertNameFree(tx, name);
    const now = nowMs();
    const [created] = await tx
      .insert(experimentTable)
      // The artifact location needs the id; a placeholder is replaced in the same transaction.
      .values({ name, artifactLocation: "", creationTime: now, lastUpdateTime: now })
      .returning();
    if (!created) throw new Error("insert into experiments returned no row");
    const artifactLocation = input.artifactLocation ?? `${db.artifactRoot}/${created.id}`;
    await tx
      .update(experimentTable)
      .set({ artifactLocation })
      .where(eq(experimentTable.id, created.id));
    if (tags.length > 0)
      await tx
        .insert(experimentTagTable)
        .values(tags.map((t) => ({ ...t, experimentId: created.id })));
    return { ...created, artifactLocation };
  });
  return toExperiment(row);
}

export async function getExperiment(db: Db, id: string): Promise<Experiment | undefined> {
  if (!/^\d{1,15}$/.test(id)) return undefined;
  const [row] = await db.orm
    .select()
    .from(experimentTable)
    .where(eq(experimentTable.id, Number(id)));
  return row && toExperiment(row);
}

export async function getExperimentByName(db: Db, name: string): Promise<Experiment | undefined> {
  const [row] = await db.orm.select().from(experimentTable).where(eq(experimentTable.name, name));
  return row && toExperiment(row);
}

export async function getExperimentsByIds(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, Experiment>> {
  const numeric = ids.filter((id) => /^\d{1,15}$/.test(id)).map(Number);
  const rows =
    numeric.length === 0
      ? []
      : await db.orm.select().from(experimentTable).where(inArray(experimentTable.id, numeric));
  return new Map(rows.map((row) => [String(row.id), toExperiment(row)]));
}

/** Which lifecycle stages a listing includes (MLflow's `ViewType`). */
export type LifecycleView = "active" | "deleted" | "all";

export function lifecycleCondition(column: SQLiteColumn, view: LifecycleView): SQL | undefined {
  return view === "all" ? undefined : eq(column, view satisfies LifecycleStage);
}

export interface ListExperimentsOptions {
  view?: LifecycleView;
  /** The search language over `name`, `creation_time`, `last_update_time` and `tags.<key>`. */
  filter?: string | undefined;
  limit: number;
  offset: number;
}

export async function listExperiments(
  db: Db,
  options: ListExperimentsOptions,
): Promise<{ experiments: Experiment[]; totalCount: number }> {
  const filter = parseStoreFilter(options.filter, "experiments");
  const where = and(
    lifecycleCondition(experimentTable.lifecycleStage, options.view ?? "active"),
    filter && experimentFilterSql(filter),
  );
  const [rows, [total]] = await Promise.all([
    db.orm
      .select()
      .from(experimentTable)
      .where(where)
      .orderBy(desc(experimentTable.creationTime), asc(experimentTable.id))
      .limit(options.limit)
      .offset(options.offset),
    db.orm.select({ n: count() }).from(experimentTable).where(where),
  ]);
  return { experiments: rows.map(toExperiment), totalCount: total?.n ?? 0 };
}

export async function requireExperiment(
  tx: WriteTx,
  field: string,
  id: string,
): Promise<ExperimentRow> {
  const numericId = parseExperimentId(field, id);
  const [row] = await tx.select().from(experimentTable).where(eq(experimentTable.id, numericId));
  if (!row) throw notFound(`no experiment with id '${id}'`, field);
  return row;
}

export async function renameExperiment(db: Db, id: string, newName: string): Promise<Experiment> {
  const name = validateExperimentName(newName);
  const row = await db.write(async (tx) => {
    const experiment = await requireExperiment(tx, "experimentId", id);
    await assertNameFree(tx, name, experiment.id);
    const [updated] = await tx
      .update(experimentTable)
      .set({ name, lastUpdateTime: nowMs() })
      .where(eq(experimentTable.id, experiment.id))
      .returning();
    return updated ?? experiment;
  });
  return toExperiment(row);
}

/**
 * Marks an experiment and its active runs deleted. Nothing is removed: `restoreExperiment`
 * brings back the experiment and the runs deleted with it, until garbage collection.
 */
export async function deleteExperiment(db: Db, id: string): Promise<Experiment> {
  const row = await db.write(async (tx) => {
    const experiment = await requireExperiment(tx, "experimentId", id);
    // By the numeric id, so that `00` cannot name the Default experiment past this check.
    if (String(experiment.id) === defaultExperimentId)
      throw invalid("experimentId", "the Default experiment (id 0) cannot be deleted");
    if (experiment.lifecycleStage === "deleted") return experiment;
    const now = nowMs();
    // Restoring finds the runs deleted with the experiment by their deletion time, so it must
    // differ from that of every run deleted on its own before, even within one millisecond.
    const [latest] = await tx
      .select({ deletedTime: max(runTable.deletedTime) })
      .from(runTable)
      .where(eq(runTable.experimentId, experiment.id));
    const deletedTime = Math.max(now, (latest?.deletedTime ?? -1) + 1);
    await tx
      .update(runTable)
      .set({ lifecycleStage: "deleted", deletedTime })
      .where(and(eq(runTable.experimentId, experiment.id), eq(runTable.lifecycleStage, "active")));
    const [updated] = await tx
      .update(experimentTable)
      .set({ lifecycleStage: "deleted", deletedTime, lastUpdateTime: now })
      .where(eq(experimentTable.id, experiment.id))
      .returning();
    return updated ?? experiment;
  });
  return toExperiment(row);
}

export async function restoreExperiment(db: Db, id: string): Promise<Experiment> {
  const row = await db.write(async (tx) => {
    const experiment = await requireExperiment(tx, "experimentId", id);
    if (experiment.lifecycleStage === "active") return experiment;
    // Runs deleted together with the experiment come back with it; runs deleted on their own stay deleted.
    if (experiment.deletedTime !== null)
      await tx
        .update(runTable)
        .set({ lifecycleStage: "active", deletedTime: null })
        .where(
          and(
            eq(runTable.experimentId, experiment.id),
            eq(runTable.deletedTime, experiment.deletedTime),
            // Runs garbage collection has started on stay deleted: their files are going.
            notExists(
              tx
                .select({ one: sql`1` })
                .from(runPurgeTable)
                .where(eq(runPurgeTable.runId, runTable.id)),
            ),
          ),
        );
    const [updated] = await tx
      .update(experimentTable)
      .set({ lifecycleStage: "active", deletedTime: null, lastUpdateTime: nowMs() })
      .where(eq(experimentTable.id, experiment.id))
      .returning();
    return updated ?? experiment;
  });
  return toExperiment(row);
}

export async function setExperimentTag(db: Db, id: string, tag: KeyValue): Promise<void> {
  const [valid] = validateTags("tag", [tag]);
  if (!valid) return;
  await db.write(async (tx) => {
    const experiment = await requireExperiment(tx, "experimentId", id);
    if (experiment.lifecycleStage !== "active")
      throw invalid("experimentId", `experiment '${id}' is deleted; restore it before tagging it`);
    await tx
      .insert(experimentTagTable)
      .values({ experimentId: experiment.id, ...valid })
      .onConflictDoUpdate({
        target: [experimentTagTable.experimentId, experimentTagTable.key],
        set: { value: valid.value },
      });
    await tx
      .update(experimentTable)
      .set({ lastUpdateTime: nowMs() })
      .where(eq(experimentTable.id, experiment.id));
  });
}

export async function deleteExperimentTag(db: Db, id: string, key: string): Promise<void> {
  await db.write(async (tx) => {
    const experiment = await requireExperiment(tx, "experimentId", id);
    const deleted = await tx
      .delete(experimentTagTable)
      .where(
        and(eq(experimentTagTable.experimentId, experiment.id), eq(experimentTagTable.key, key)),
      )
      .returning();
    if (deleted.length === 0) throw notFound(`experiment '${id}' has no tag '${key}'`, "key");
  });
}

export async function experimentTagsByIds(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, KeyValue[]>> {
  const numeric = ids.filter((id) => /^\d{1,15}$/.test(id)).map(Number);
  const rows: ExperimentTagRow[] =
    numeric.length === 0
      ? []
      : await db.orm
          .select()
          .from(experimentTagTable)
          .where(inArray(experimentTagTable.experimentId, numeric))
          .orderBy(asc(experimentTagTable.key));
  return groupBy(
    rows,
    (row) => String(row.experimentId),
    (row) => ({ key: row.key, value: row.value }),
  );
}
