import { randomUUID } from "node:crypto";
import { and, asc, eq, inArray } from "drizzle-orm";
import { conflict, invalid, notFound } from "./errors.ts";
import { type KeyValue, requireExperiment, validateTags } from "./experiments.ts";
import type { Db, WriteTx } from "./open-db.ts";
import { generateRunName } from "./run-names.ts";
import { requireRun } from "./runs.ts";
import {
  type LoggedModelRow,
  type LoggedModelStatus,
  loggedModelParamTable,
  loggedModelStatuses,
  loggedModelTable,
  loggedModelTagTable,
} from "./schema/index.ts";
import { nowMs } from "./time.ts";
import { limits, validateKey, validateName, validateText } from "./validation.ts";

/**
 * MLflow 3's logged models: what `mlflow.<flavor>.log_model` creates before it uploads the
 * model's files, then marks ready. Each has params (immutable), tags and linked metric points.
 */
export type LoggedModel = Omit<LoggedModelRow, "experimentId"> & { experimentId: string };

/** A metric point linked to a model, as MLflow's `LoggedModelData.metrics`. */
export interface ModelMetric {
  key: string;
  value: number;
  step: number;
  timestamp: number;
  runId: string | null;
  datasetName: string | null;
  datasetDigest: string | null;
}

export const toLoggedModel = (row: LoggedModelRow): LoggedModel => ({
  ...row,
  experimentId: String(row.experimentId),
});

export function isLoggedModelId(id: string): boolean {
  return /^m-[0-9a-f]{32}$/.test(id);
}

/** MLflow's rule for model names: they become paths and URIs, so no `/ : . % " '`. */
export function validateLoggedModelName(field: string, name: unknown): string {
  const valid = validateName(field, name, limits.runNameLength);
  if (/[/:.%"']/.test(valid)) throw invalid(field, `'${valid}' may not contain any of / : . % " '`);
  return valid;
}

export function validateLoggedModelStatus(field: string, status: unknown): LoggedModelStatus {
  if (!loggedModelStatuses.includes(status as LoggedModelStatus))
    throw invalid(field, `'${String(status)}' is not one of ${loggedModelStatuses.join(", ")}`);
  return status as LoggedModelStatus;
}

function validateParams(field: string, params: readonly KeyValue[] | undefined): KeyValue[] {
  return (params ?? []).map((param, i) => ({
    key: validateKey(`${field}[${i}].key`, param.key),
    value: validateText(`${field}[${i}].value`, param.value, limits.paramValueLength),
  }));
}

/** Fetches a model inside a write transaction; deleted models are not found, as in MLflow. */
export async function requireLoggedModel(
  tx: WriteTx,
  modelId: string,
  field = "modelId",
): Promise<LoggedModelRow> {
  const [row] = isLoggedModelId(modelId)
    ? await tx.select().from(loggedModelTable).where(eq(loggedModelTable.id, modelId))
    : [];
  if (row?.lifecycleStage !== "active")
    throw notFound(`no logged model with id '${modelId}'`, field);
  return row;
}

async function writeParams(tx: WriteTx, modelId: string, params: KeyValue[]): Promise<void> {
  if (params.length === 0) return;
  const logged = new Map(
    (
      await tx
        .select()
        .from(loggedModelParamTable)
        .where(eq(loggedModelParamTable.modelId, modelId))
    ).map((row) => [row.key, row.value]),
  );
  const fresh = new Map<string, string>();
  params.forEach((param, i) => {
    const value = logged.get(param.key) ?? fresh.get(param.key);
    if (value !== undefined && value !== param.value)
      throw conflict(
        `param '${param.key}' of model '${modelId}' was already logged as '${value}' and params cannot change`,
        `params[${i}].value`,
      );
    if (value === undefined) fresh.set(param.key, param.value);
  });
  if (fresh.size > 0)
    await tx
      .insert(loggedModelParamTable)
      .values([...fresh].map(([key, value]) => ({ modelId, key, value })));
}

async function writeTags(tx: WriteTx, modelId: string, tags: KeyValue[]): Promise<void> {
  for (const tag of tags)
    await tx
      .insert(loggedModelTagTable)
      .values({ modelId, ...tag })
      .onConflictDoUpdate({
        target: [loggedModelTagTable.modelId, loggedModelTagTable.key],
        set: { value: tag.value },
      });
}

export interface CreateLoggedModelInput {
  experimentId: string;
  /** Generated (`bold-crow-123`) when absent. */
  name?: string | undefined;
  modelType?: string | undefined;
  sourceRunId?: string | undefined;
  params?: readonly KeyValue[] | undefined;
  tags?: readonly KeyValue[] | undefined;
}

/** Creates a model in the PENDING state, its files to come at its artifact location. */
export async function createLoggedModel(
  db: Db,
  input: CreateLoggedModelInput,
): Promise<LoggedModel> {
  const name =
    input.name === undefined || input.name === ""
      ? generateRunName()
      : validateLoggedModelName("name", input.name);
  const modelType =
    input.modelType === undefined
      ? null
      : validateText("modelType", input.modelType, limits.runNameLength);
  const params = validateParams("params", input.params);
  const tags = validateTags("tags", input.tags);
  const row = await db.write(async (tx) => {
    const experiment = await requireExperiment(tx, "experimentId", input.experimentId);
    if (experiment.lifecycleStage !== "active")
      throw invalid(
        "experimentId",
        `experiment '${input.experimentId}' is deleted; restore it to add models`,
      );
    if (input.sourceRunId !== undefined)
      await requireRun(tx, input.sourceRunId, { field: "sourceRunId" });
    const id = `m-${randomUUID().replaceAll("-", "")}`;
    const now = nowMs();
    const [created] = await tx
      .insert(loggedModelTable)
      .values({
        id,
        experimentId: experiment.id,
        name,
        modelType,
        sourceRunId: input.sourceRunId ?? null,
        status: "LOGGED_MODEL_PENDING",
        artifactLocation: `${experiment.artifactLocation}/models/${id}/artifacts`,
        creationTime: now,
        lastUpdateTime: now,
      })
      .returning();
    if (!created) throw new Error("insert into logged_models returned no row");
    await writeParams(tx, id, params);
    await writeTags(tx, id, tags);
    return created;
  });
  return toLoggedModel(row);
}

export async function getLoggedModel(db: Db, modelId: string): Promise<LoggedModel | undefined> {
  if (!isLoggedModelId(modelId)) return undefined;
  const [row] = await db.orm
    .select()
    .from(loggedModelTable)
    .where(and(eq(loggedModelTable.id, modelId), eq(loggedModelTable.lifecycleStage, "active")));
  return row && toLoggedModel(row);
}

/** Active models of some experiments, newest first (searches filter and page them). */
export async function loggedModelsOfExperiments(
  db: Db,
  experimentIds: readonly string[],
): Promise<LoggedModel[]> {
  const ids = experimentIds.filter((id) => /^\d{1,15}$/.test(id)).map(Number);
  if (ids.length === 0) return [];
  const rows = await db.orm
    .select()
    .from(loggedModelTable)
    .where(
      and(
        inArray(loggedModelTable.experimentId, ids),
        eq(loggedModelTable.lifecycleStage, "active"),
      ),
    )
    .orderBy(asc(loggedModelTable.creationTime), asc(loggedModelTable.id));
  return rows.map(toLoggedModel);
}

/** Where the logged models of an experiment (deleted ones too) keep their files. */
export async function loggedModelLocations(db: Db, experimentId: string): Promise<string[]> {
  if (!/^\d{1,15}$/.test(experimentId)) return [];
  const rows = await db.orm
    .select({ location: loggedModelTable.artifactLocation })
    .from(loggedModelTable)
    .where(eq(loggedModelTable.experimentId, Number(experimentId)));
  return rows.map((row) => row.location);
}

async function updateModel(
  db: Db,
  modelId: string,
  change: (tx: WriteTx, row: LoggedModelRow) => Promise<Partial<LoggedModelRow>>,
): Promise<LoggedModel> {
  const row = await db.write(async (tx) => {
    const model = await requireLoggedModel(tx, modelId);
    const changes = { ...(await change(tx, model)), lastUpdateTime: nowMs() };
    const [updated] = await tx
      .update(loggedModelTable)
      .set(changes)
      .where(eq(loggedModelTable.id, model.id))
      .returning();
    return updated ?? model;
  });
  return toLoggedModel(row);
}

/** Marks a model READY (its files are uploaded) or UPLOAD_FAILED. */
export async function finalizeLoggedModel(
  db: Db,
  modelId: string,
  status: LoggedModelStatus,
): Promise<LoggedModel> {
  const valid = validateLoggedModelStatus("status", status);
  if (valid === "LOGGED_MODEL_PENDING")
    throw invalid(
      "status",
      "a model is finalized as LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED",
    );
  return updateModel(db, modelId, async () => ({ status: valid }));
}

/** Marks a model deleted: it is no longer found or listed (as MLflow's `delete_logged_model`). */
export function deleteLoggedModel(db: Db, modelId: string): Promise<LoggedModel> {
  return updateModel(db, modelId, async () => ({ lifecycleStage: "deleted" }));
}

export async function setLoggedModelTags(
  db: Db,
  modelId: string,
  tags: readonly KeyValue[],
): Promise<LoggedModel> {
  const valid = validateTags("tags", tags);
  return updateModel(db, modelId, async (tx, model) => {
    await writeTags(tx, model.id, valid);
    return {};
  });
}

export async function deleteLoggedModelTag(db: Db, modelId: string, key: string): Promise<void> {
  await updateModel(db, modelId, async (tx, model) => {
    const deleted = await tx
      .delete(loggedModelTagTable)
      .where(and(eq(loggedModelTagTable.modelId, model.id), eq(loggedModelTagTable.key, key)))
      .returning();
    if (deleted.length === 0) throw notFound(`model '${modelId}' has no tag '${key}'`, "key");
    return {};
  });
}

export async function logLoggedModelParams(
  db: Db,
  modelId: string,
  params: readonly KeyValue[],
): Promise<LoggedModel> {
  const valid = validateParams("params", params);
  return updateModel(db, modelId, async (tx, model) => {
    await writeParams(tx, model.id, valid);
    return {};
  });
}
