import { randomUUID } from "node:crypto";
import { and, asc, count, eq, inArray, type SQL } from "drizzle-orm";
import { invalid, notFound } from "./errors.ts";
import type { KeyValue, LifecycleView } from "./experiments.ts";
import { lifecycleCondition, requireExperiment, validateTags } from "./experiments.ts";
import type { Db, WriteTx } from "./open-db.ts";
import { generateRunName } from "./run-names.ts";
import {
  type RunRow,
  type RunStatus,
  runPurgeTable,
  runStatuses,
  runTable,
  runTagTable,
  terminalRunStatuses,
} from "./schema/index.ts";
import { nowMs } from "./time.ts";
import {
  isRunId,
  limits,
  parseExperimentId,
  validateKey,
  validateName,
  validateText,
  validateTimestamp,
} from "./validation.ts";

/** A run as the rest of labbook sees it: ids are strings. */
export type Run = Omit<RunRow, "experimentId"> & { experimentId: string };

export const toRun = (row: RunRow): Run => ({ ...row, experimentId: String(row.experimentId) });

export interface CreateRunInput {
  experimentId?: string | undefined;
  name?: string | undefined;
  startTime?: number | undefined;
  status?: RunStatus | undefined;
  tags?: readonly KeyValue[] | undefined;
  parentRunId?: string | undefined;
  /** Who started the run (MLflow's `user_id`). */
  userId?: string | undefined;
}

function validateStatus(field: string, status: unknown): RunStatus {
  if (!runStatuses.includes(status as RunStatus))
    throw invalid(field, `'${String(status)}' is not one of ${runStatuses.join(", ")}`);
  return status as RunStatus;
}

/** Fetches a run inside a write transaction, failing when it is missing (or deleted, when asked). */
export async function requireRun(
  tx: WriteTx,
  runId: string,
  options: { active?: boolean; field?: string } = {},
): Promise<RunRow> {
  const field = options.field ?? "runId";
  const [row] = isRunId(runId)
    ? await tx.select().from(runTable).where(eq(runTable.id, runId))
    : [];
  if (!row) throw notFound(`no run with id '${runId}'`, field);
  if (options.active && row.lifecycleStage !== "active")
    throw invalid(field, `run '${runId}' is deleted; restore it before changing it`);
  return row;
}

export async function createRun(db: Db, input: CreateRunInput): Promise<Run> {
  const experimentId = input.experimentId ?? "0";
  parseExperimentId("experimentId", experimentId);
  const name =
    input.name === undefined || input.name === ""
      ? generateRunName()
      : validateName("name", input.name, limits.runNameLength);
  const startTime =
    input.startTime === undefined ? nowMs() : validateTimestamp("startTime", input.startTime);
  const status = validateStatus("status", input.status ?? "RUNNING");
  const tags = validateTags("tags", input.tags);
  const userId =
    input.userId === undefined ? "" : validateText("userId", input.userId, limits.runNameLength);
  const row = await db.write(async (tx) => {
    const experiment = await requireExperiment(tx, "experimentId", experimentId);
    if (experiment.lifecycleStage !== "active")
      throw invalid(
        "experimentId",
        `experiment '${experimentId}' is deleted; restore it to add runs`,
      );
    if (input.parentRunId !== undefined)
      await requireRun(tx, input.parentRunId, { field: "parentRunId" });
    const id = randomUUID().replaceAll("-", "");
    const [created] = await tx
      .insert(runTable)
      .values({
        id,
        experimentId: experiment.id,
        name,
        status,
        startTime,
        endTime: terminalRunStatuses.includes(status) ? startTime : null,
        parentRunId: input.parentRunId ?? null,
        artifactUri: `${experiment.artifactLocation}/${id}/artifacts`,
        userId,
      })
      .returning();
    if (!created) throw new Error("insert into runs returned no row");
    if (tags.length > 0)
      await tx.insert(runTagTable).values(tags.map((t) => ({ ...t, runId: id })));
    return created;
  });
  return toRun(row);
}

export async function getRun(db: Db, runId: string): Promise<Run | undefined> {
  if (!isRunId(runId)) return undefined;
  const [row] = await db.orm.select().from(runTable).where(eq(runTable.id, runId));
  return row && toRun(row);
}

export async function getRunsByIds(db: Db, ids: readonly string[]): Promise<Map<string, Run>> {
  const valid = ids.filter(isRunId);
  const rows =
    valid.length === 0
      ? []
      : await db.orm.select().from(runTable).where(inArray(runTable.id, valid));
  return new Map(rows.map((row) => [row.id, toRun(row)]));
}

export interface UpdateRunInput {
  runId: string;
  status?: RunStatus | undefined;
  endTime?: number | undefined;
  name?: string | undefined;
}

/**
 * Changes a run's status or name. A terminal status (FINISHED, FAILED, KILLED) sets the end
 * time (now, unless given); going back to RUNNING or SCHEDULED clears it.
 */
export async function updateRun(db: Db, input: UpdateRunInput): Promise<Run> {
  const status = input.status === undefined ? undefined : validateStatus("status", input.status);
  const name =
    input.name === undefined ? undefined : validateName("name", input.name, limits.runNameLength);
  const endTime =
    input.endTime === undefined ? undefined : validateTimestamp("endTime", input.endTime);
  const row = await db.write(async (tx) => {
    const run = await requireRun(tx, input.runId, { active: true });
    const changes: Partial<RunRow> = {};
    if (name !== undefined) changes.name = name;
    if (status !== undefined) {
      changes.status = status;
      changes.endTime = terminalRunStatuses.includes(status) ? (endTime ?? nowMs()) : null;
    } else if (endTime !== undefined) changes.endTime = endTime;
    if (Object.keys(changes).length === 0) return run;
    const [updated] = await tx
      .update(runTable)
      .set(changes)
      .where(eq(runTable.id, run.id))
      .returning();
    return updated ?? run;
  });
  return toRun(row);
}

async function setLifecycle(db: Db, runId: string, stage: "active" | "deleted"): Promise<Run> {
  const row = await db.write(async (tx) => {
    const run = await requireRun(tx, runId);
    if (run.lifecycleStage === stage) return run;
    if (stage === "active") {
      const [purge] = await tx
        .select({ runId: runPurgeTable.runId })
        .from(runPurgeTable)
        .where(eq(runPurgeTable.runId, run.id));
      if (purge)
        throw invalid(
          "runId",
          `run '${runId}' is being deleted for good (labbook gc started on it) and cannot be restored; run labbook gc again to finish`,
        );
    }
    const [updated] = await tx
      .update(runTable)
      .set({ lifecycleStage: stage, deletedTime: stage === "deleted" ? nowMs() : null })
      .where(eq(runTable.id, run.id))
      .returning();
    return updated ?? run;
  });
  return toRun(row);
}

/** Marks a run deleted; it stays restorable until garbage collection starts on it. */
export const deleteRun = (db: Db, runId: string) => setLifecycle(db, runId, "deleted");
export const restoreRun = (db: Db, runId: string) => setLifecycle(db, runId, "active");

export async function setRunTag(db: Db, runId: string, tag: KeyValue): Promise<void> {
  const key = validateKey("key", tag.key);
  const value = validateText("value", tag.value, limits.tagValueLength);
  await db.write(async (tx) => {
    await requireRun(tx, runId, { active: true });
    await tx
      .insert(runTagTable)
      .values({ runId, key, value })
      .onConflictDoUpdate({ target: [runTagTable.runId, runTagTable.key], set: { value } });
  });
}

export async function deleteRunTag(db: Db, runId: string, key: string): Promise<void> {
  await db.write(async (tx) => {
    await requireRun(tx, runId, { active: true });
    const deleted = await tx
      .delete(runTagTable)
      .where(and(eq(runTagTable.runId, runId), eq(runTagTable.key, key)))
      .returning();
    if (deleted.length === 0) throw notFound(`run '${runId}' has no tag '${key}'`, "key");
  });
}

/** Active child runs of each parent, oldest first (as the API documents). */
export async function childRunsByParentIds(
  db: Db,
  parentIds: readonly string[],
): Promise<Map<string, Run[]>> {
  const rows =
    parentIds.length === 0
      ? []
      : await db.orm
          .select()
          .from(runTable)
          .where(
            and(
              inArray(runTable.parentRunId, [...parentIds]),
              eq(runTable.lifecycleStage, "active"),
            ),
          )
          .orderBy(asc(runTable.startTime), asc(runTable.id));
  const groups = new Map<string, Run[]>();
  for (const row of rows) {
    const parent = row.parentRunId ?? "";
    groups.set(parent, [...(groups.get(parent) ?? []), toRun(row)]);
  }
  return groups;
}

export async function countRunsByExperimentIds(
  db: Db,
  experimentIds: readonly string[],
  view: LifecycleView = "active",
): Promise<Map<string, number>> {
  const numeric = experimentIds.filter((id) => /^\d{1,15}$/.test(id)).map(Number);
  const where: (SQL | undefined)[] = [
    inArray(runTable.experimentId, numeric),
    lifecycleCondition(runTable.lifecycleStage, view),
  ];
  const rows =
    numeric.length === 0
      ? []
      : await db.orm
          .select({ experimentId: runTable.experimentId, n: count() })
          .from(runTable)
          .where(and(...where))
          .groupBy(runTable.experimentId);
  return new Map(rows.map((row) => [String(row.experimentId), row.n]));
}
