import { and, asc, count, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { alreadyExists, conflict, invalid, notFound } from "./errors.ts";
import { type KeyValue, validateTags } from "./experiments.ts";
import { parseStoreFilter, registeredModelFilterSql } from "./filter-sql.ts";
import { groupBy } from "./group-by.ts";
import { requireLoggedModel } from "./logged-models.ts";
import type { Db, WriteTx } from "./open-db.ts";
import {
  artifactTable,
  type ModelVersionRow,
  type ModelVersionStatus,
  modelVersionTable,
  modelVersionTagTable,
  type RegisteredModelRow,
  registeredModelAliasTable,
  registeredModelTable,
  registeredModelTagTable,
  runTable,
} from "./schema/index.ts";
import { nowMs } from "./time.ts";
import { isRunId, validateKey, validateName, validateText } from "./validation.ts";

/**
 * The model registry (MLflow's): registered models with numbered versions, each version a
 * model a run logged (`runs:/<run id>/<path>`, a folder holding an `MLmodel` file), tags on
 * both, and aliases (`champion`) that point at one version. `latest` is no alias: it always
 * means the highest version.
 */

export type RegisteredModel = Omit<RegisteredModelRow, "lastVersion">;
export type ModelVersion = ModelVersionRow & { name: string };
export interface ModelAlias {
  alias: string;
  version: number;
}

export const registryLimits = {
  nameLength: 256,
  descriptionLength: 5000,
  aliasLength: 255,
  sourceLength: 1000,
} as const;

/** The alias that always means the highest version; it cannot be set. */
export const latestAlias = "latest";

const toModel = ({ lastVersion: _, ...row }: RegisteredModelRow): RegisteredModel => row;

/** Names appear in `models:/<name>/<version>` and `models:/<name>@<alias>`: no `/` nor `@`. */
export function validateModelName(field: string, name: unknown): string {
  const valid = validateName(field, name, registryLimits.nameLength);
  if (/[/@]/.test(valid))
    throw invalid(
      field,
      `'${valid}' may not contain '/' or '@' (model URIs are models:/<name>/<version> and models:/<name>@<alias>)`,
    );
  if (valid !== valid.trim()) throw invalid(field, `'${valid}' may not start or end with a space`);
  return valid;
}

export function validateAlias(field: string, alias: unknown): string {
  if (typeof alias !== "string" || !/^[A-Za-z0-9_-]+$/.test(alias))
    throw invalid(
      field,
      `'${String(alias)}' is not an alias: letters, digits, '_' and '-' only, e.g. 'champion'`,
    );
  if (alias.length > registryLimits.aliasLength)
    throw invalid(field, `must be at most ${registryLimits.aliasLength} characters`);
  if (alias.toLowerCase() === latestAlias)
    throw invalid(field, "'latest' is reserved: it always means the highest version");
  if (/^v\d+$/i.test(alias))
    throw invalid(field, `'${alias}' looks like a version number; pick another alias`);
  return alias;
}

export function validateVersion(field: string, version: unknown): number {
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1)
    throw invalid(field, `'${String(version)}' is not a version number (1, 2, 3…)`);
  return version;
}

/** `runs:/<run id>/<path>` split into its run and path; an `invalid` error otherwise. */
export function parseRunsUri(field: string, uri: unknown): { runId: string; path: string } {
  const text = validateText(field, uri, registryLimits.sourceLength);
  const match = /^runs:\/([0-9a-f]{32})\/(.+)$/.exec(text);
  const path = match?.[2]?.replace(/\/+$/, "");
  if (!match?.[1] || !path)
    throw invalid(
      field,
      `'${text}' is not a run's model URI: runs:/<32-hex run id>/<artifact path>`,
    );
  if (path.split("/").some((s) => s === "" || s === "." || s === ".."))
    throw invalid(
      field,
      `'${text}': the artifact path must be normalized (no '', '.' or '..' segments)`,
    );
  return { runId: match[1], path };
}

const validateDescription = (field: string, value: unknown) =>
  validateText(field, value ?? "", registryLimits.descriptionLength);

async function requireModel(
  tx: WriteTx,
  name: string,
  field = "name",
): Promise<RegisteredModelRow> {
  const [row] = await tx
    .select()
    .from(registeredModelTable)
    .where(eq(registeredModelTable.name, name));
  if (!row) throw notFound(`no registered model named '${name}'`, field);
  return row;
}

async function requireVersion(
  tx: WriteTx,
  name: string,
  version: number,
): Promise<{ model: RegisteredModelRow; row: ModelVersionRow }> {
  const model = await requireModel(tx, name);
  const [row] = await tx
    .select()
    .from(modelVersionTable)
    .where(and(eq(modelVersionTable.modelId, model.id), eq(modelVersionTable.version, version)));
  if (!row) throw notFound(`registered model '${name}' has no version ${version}`, "version");
  return { model, row };
}

async function insertModel(
  tx: WriteTx,
  name: string,
  description: string,
  tags: KeyValue[],
): Promise<RegisteredModelRow> {
  const now = nowMs();
  const [created] = await tx
    .insert(registeredModelTable)
    .values({ name, description, creationTime: now, lastUpdateTime: now })
    .returning();
  if (!created) throw new Error("insert into registered_models returned no row");
  if (tags.length > 0)
    await tx
      .insert(registeredModelTagTable)
      .values(tags.map((t) => ({ ...t, modelId: created.id })));
  return created;
}

export interface CreateRegisteredModelInput {
  name: string;
  description?: string | undefined;
  tags?: readonly KeyValue[] | undefined;
}

export async function createRegisteredModel(
  db: Db,
  input: CreateRegisteredModelInput,
): Promise<RegisteredModel> {
  const name = validateModelName("name", input.name);
  const description = validateDescription("description", input.description);
  const tags = validateTags("tags", input.tags);
  const row = await db.write(async (tx) => {
    const [taken] = await tx
      .select({ id: registeredModelTable.id })
      .from(registeredModelTable)
      .where(eq(registeredModelTable.name, name));
    if (taken) throw alreadyExists(`registered model '${name}' already exists`, "name");
    return insertModel(tx, name, description, tags);
  });
  return toModel(row);
}

export async function getRegisteredModel(
  db: Db,
  name: string,
): Promise<RegisteredModel | undefined> {
  const [row] = await db.orm
    .select()
    .from(registeredModelTable)
    .where(eq(registeredModelTable.name, name));
  return row && toModel(row);
}

export async function renameRegisteredModel(
  db: Db,
  name: string,
  newName: string,
): Promise<RegisteredModel> {
  const valid = validateModelName("newName", newName);
  const row = await db.write(async (tx) => {
    const model = await requireModel(tx, name);
    if (valid === model.name) return model;
    const [taken] = await tx
      .select({ id: registeredModelTable.id })
      .from(registeredModelTable)
      .where(eq(registeredModelTable.name, valid));
    if (taken) throw alreadyExists(`registered model '${valid}' already exists`, "newName");
    const [updated] = await tx
      .update(registeredModelTable)
      .set({ name: valid, lastUpdateTime: nowMs() })
      .where(eq(registeredModelTable.id, model.id))
      .returning();
    return updated ?? model;
  });
  return toModel(row);
}

export async function updateRegisteredModel(
  db: Db,
  name: string,
  changes: { description: string },
): Promise<RegisteredModel> {
  const description = validateDescription("description", changes.description);
  const row = await db.write(async (tx) => {
    const model = await requireModel(tx, name);
    const [updated] = await tx
      .update(registeredModelTable)
      .set({ description, lastUpdateTime: nowMs() })
      .where(eq(registeredModelTable.id, model.id))
      .returning();
    return updated ?? model;
  });
  return toModel(row);
}

/** Deletes a registered model with its versions, tags and aliases, for good (as MLflow does). */
export async function deleteRegisteredModel(db: Db, name: string): Promise<RegisteredModel> {
  const row = await db.write(async (tx) => {
    const model = await requireModel(tx, name);
    await tx.delete(registeredModelTable).where(eq(registeredModelTable.id, model.id));
    return model;
  });
  return toModel(row);
}

export async function setRegisteredModelTag(db: Db, name: string, tag: KeyValue): Promise<void> {
  const [valid] = validateTags("tag", [tag]);
  if (!valid) return;
  await db.write(async (tx) => {
    const model = await requireModel(tx, name);
    await tx
      .insert(registeredModelTagTable)
      .values({ modelId: model.id, ...valid })
      .onConflictDoUpdate({
        target: [registeredModelTagTable.modelId, registeredModelTagTable.key],
        set: { value: valid.value },
      });
    await touchModel(tx, model.id);
  });
}

export async function deleteRegisteredModelTag(db: Db, name: string, key: string): Promise<void> {
  await db.write(async (tx) => {
    const model = await requireModel(tx, name);
    const deleted = await tx
      .delete(registeredModelTagTable)
      .where(
        and(eq(registeredModelTagTable.modelId, model.id), eq(registeredModelTagTable.key, key)),
      )
      .returning();
    if (deleted.length === 0)
      throw notFound(`registered model '${name}' has no tag '${key}'`, "key");
    await touchModel(tx, model.id);
  });
}

const touchModel = (tx: WriteTx, modelId: number) =>
  tx
    .update(registeredModelTable)
    .set({ lastUpdateTime: nowMs() })
    .where(eq(registeredModelTable.id, modelId));

export interface SearchRegisteredModelsOptions {
  /** The search language over `name`, `creation_time`, `last_update_time` and `tags.<key>`. */
  filter?: string | undefined;
  limit: number;
  offset: number;
}

/** Registered models by name (A→Z), filtered. */
export async function searchRegisteredModels(
  db: Db,
  options: SearchRegisteredModelsOptions,
): Promise<{ models: RegisteredModel[]; totalCount: number }> {
  const filter = parseStoreFilter(options.filter, "registered_models");
  const where: SQL | undefined = filter && registeredModelFilterSql(filter);
  const [rows, [total]] = await Promise.all([
    db.orm
      .select()
      .from(registeredModelTable)
      .where(where)
      .orderBy(asc(registeredModelTable.name))
      .limit(options.limit)
      .offset(options.offset),
    db.orm.select({ n: count() }).from(registeredModelTable).where(where),
  ]);
  return { models: rows.map(toModel), totalCount: total?.n ?? 0 };
}

export async function registeredModelTagsByIds(
  db: Db,
  ids: readonly number[],
): Promise<Map<string, KeyValue[]>> {
  const rows =
    ids.length === 0
      ? []
      : await db.orm
          .select()
          .from(registeredModelTagTable)
          .where(inArray(registeredModelTagTable.modelId, [...ids]))
          .orderBy(asc(registeredModelTagTable.key));
  return groupBy(
    rows,
    (row) => String(row.modelId),
    (row) => ({ key: row.key, value: row.value }),
  );
}

export async function registeredModelAliasesByIds(
  db: Db,
  ids: readonly number[],
): Promise<Map<string, ModelAlias[]>> {
  const rows =
    ids.length === 0
      ? []
      : await db.orm
          .select()
          .from(registeredModelAliasTable)
          .where(inArray(registeredModelAliasTable.modelId, [...ids]))
          .orderBy(asc(registeredModelAliasTable.alias));
  return groupBy(
    rows,
    (row) => String(row.modelId),
    (row) => ({ alias: row.alias, version: row.version }),
  );
}

/** Versions by `<model id>/<version>`: their tags. */
export async function modelVersionTagsByKeys(
  db: Db,
  versions: readonly { modelId: number; version: number }[],
): Promise<Map<string, KeyValue[]>> {
  const modelIds = [...new Set(versions.map((v) => v.modelId))];
  const rows =
    modelIds.length === 0
      ? []
      : await db.orm
          .select()
          .from(modelVersionTagTable)
          .where(inArray(modelVersionTagTable.modelId, modelIds))
          .orderBy(asc(modelVersionTagTable.key));
  return groupBy(
    rows,
    (row) => `${row.modelId}/${row.version}`,
    (row) => ({ key: row.key, value: row.value }),
  );
}

export interface CreateModelVersionInput {
  /** The registered model; created when it does not exist yet (as MLflow's `register_model`). */
  name: string;
  /**
   * Where the model's files are: `runs:/<run id>/<path>` (a folder of the run's artifacts
   * holding an `MLmodel` file), `models:/<logged model id>` (an MLflow 3 logged model), or the
   * location of a file or folder of the run given as `runId` (as MLflow clients register).
   */
  source: string;
  /** When given, must exist, and be the run of a `runs:/` source. */
  runId?: string | undefined;
  description?: string | undefined;
  tags?: readonly KeyValue[] | undefined;
}

/** What a version's source names. */
export type ModelSource =
  | { kind: "run"; runId: string; path: string }
  | { kind: "logged_model"; modelId: string }
  | { kind: "uri"; uri: string };

/** Splits a version's source into what it names; an `invalid` error for a source that names nothing. */
export function parseModelSource(field: string, source: unknown): ModelSource {
  const text = validateText(field, source, registryLimits.sourceLength);
  if (text.startsWith("runs:/")) return { kind: "run", ...parseRunsUri(field, text) };
  const loggedModel = /^models:\/(m-[0-9a-f]{32})\/?$/.exec(text);
  if (loggedModel?.[1]) return { kind: "logged_model", modelId: loggedModel[1] };
  if (text.startsWith("models:/"))
    throw invalid(
      field,
      `'${text}' names a registered model's version or an unknown logged model; register the model's own source (runs:/… or models:/<logged model id>)`,
    );
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text))
    throw invalid(
      field,
      `'${text}' is not a model URI: runs:/<run id>/<path>, models:/<logged model id>, or a URI such as mlflow-artifacts:/…`,
    );
  return { kind: "uri", uri: text };
}

/** The source as stored, and the run to record with the version. */
async function resolveSource(
  tx: WriteTx,
  source: ModelSource,
  givenRunId: string | undefined,
): Promise<{ source: string; runId: string | null }> {
  const requireRunRow = async (runId: string, field: string) => {
    const [run] = isRunId(runId)
      ? await tx.select({ id: runTable.id }).from(runTable).where(eq(runTable.id, runId))
      : [];
    if (!run) throw notFound(`no run with id '${runId}'`, field);
  };
  if (source.kind === "run") {
    const { runId, path } = source;
    if (givenRunId != null && givenRunId !== runId)
      throw invalid("runId", `'${givenRunId}' is not the run of the source (${runId})`);
    await requireRunRow(runId, "source");
    const [mlmodel] = await tx
      .select({ path: artifactTable.path })
      .from(artifactTable)
      .where(and(eq(artifactTable.runId, runId), eq(artifactTable.path, `${path}/MLmodel`)));
    if (!mlmodel)
      throw invalid(
        "source",
        `run ${runId} has no model at '${path}' (no '${path}/MLmodel' artifact); log it with run.logModel first`,
      );
    return { source: `runs:/${runId}/${path}`, runId };
  }
  if (source.kind === "logged_model") {
    if (givenRunId != null) await requireRunRow(givenRunId, "runId");
    const model = await requireLoggedModel(tx, source.modelId, "source");
    return { source: `models:/${model.id}`, runId: givenRunId ?? model.sourceRunId };
  }
  // MLflow clients register a run's folder by its location (they resolve runs:/ URIs first);
  // MLflow checks nothing more, and neither does this: any file or folder of the run.
  const [run] =
    givenRunId != null && isRunId(givenRunId)
      ? await tx
          .select({ artifactUri: runTable.artifactUri })
          .from(runTable)
          .where(eq(runTable.id, givenRunId))
      : [];
  if (givenRunId != null && !run) throw notFound(`no run with id '${givenRunId}'`, "runId");
  if (!run || (source.uri !== run.artifactUri && !source.uri.startsWith(`${run.artifactUri}/`)))
    throw invalid(
      "source",
      `'${source.uri}' is not a run's model: use runs:/<run id>/<path>, models:/<logged model id>, or a location inside the artifacts of the run given as runId`,
    );
  return { source: source.uri, runId: givenRunId ?? null };
}

/**
 * Registers a model as the next version of a registered model (1, 2, 3…), creating the
 * model when needed. The number comes from one `UPDATE … RETURNING` of the model's counter
 * inside the write transaction, so concurrent registrations, from any process, get distinct
 * numbers.
 */
export async function createModelVersion(
  db: Db,
  input: CreateModelVersionInput,
): Promise<ModelVersion> {
  const name = validateModelName("name", input.name);
  const parsed = parseModelSource("source", input.source);
  const description = validateDescription("description", input.description);
  const tags = validateTags("tags", input.tags);
  return db.write(async (tx) => {
    const { source, runId } = await resolveSource(tx, parsed, input.runId ?? undefined);
    const [existing] = await tx
      .select()
      .from(registeredModelTable)
      .where(eq(registeredModelTable.name, name));
    const model = existing ?? (await insertModel(tx, name, "", []));
    const now = nowMs();
    const [counter] = await tx
      .update(registeredModelTable)
      .set({ lastVersion: sql`${registeredModelTable.lastVersion} + 1`, lastUpdateTime: now })
      .where(eq(registeredModelTable.id, model.id))
      .returning({ lastVersion: registeredModelTable.lastVersion });
    if (!counter) throw conflict(`registered model '${name}' vanished while registering`, "name");
    const [row] = await tx
      .insert(modelVersionTable)
      .values({
        modelId: model.id,
        version: counter.lastVersion,
        source,
        runId,
        status: "READY" satisfies ModelVersionStatus,
        description,
        creationTime: now,
        lastUpdateTime: now,
      })
      .returning();
    if (!row) throw new Error("insert into model_versions returned no row");
    if (tags.length > 0)
      await tx
        .insert(modelVersionTagTable)
        .values(tags.map((t) => ({ ...t, modelId: model.id, version: row.version })));
    return { ...row, name };
  });
}

/** One version by number, or by alias (`latest`: the highest); undefined when there is none. */
export async function getModelVersion(
  db: Db,
  name: string,
  ref: { version: number } | { alias: string },
): Promise<ModelVersion | undefined> {
  const model = await getRegisteredModel(db, name);
  if (!model) return undefined;
  let version: number | undefined;
  if ("version" in ref) version = ref.version;
  else if (ref.alias.toLowerCase() === latestAlias) {
    const [top] = await db.orm
      .select({ version: modelVersionTable.version })
      .from(modelVersionTable)
      .where(eq(modelVersionTable.modelId, model.id))
      .orderBy(desc(modelVersionTable.version))
      .limit(1);
    version = top?.version;
  } else {
    const [alias] = await db.orm
      .select({ version: registeredModelAliasTable.version })
      .from(registeredModelAliasTable)
      .where(
        and(
          eq(registeredModelAliasTable.modelId, model.id),
          eq(registeredModelAliasTable.alias, ref.alias),
        ),
      );
    version = alias?.version;
  }
  if (version === undefined) return undefined;
  const [row] = await db.orm
    .select()
    .from(modelVersionTable)
    .where(and(eq(modelVersionTable.modelId, model.id), eq(modelVersionTable.version, version)));
  return row && { ...row, name: model.name };
}

/** A model's versions, highest first. */
export async function listModelVersions(
  db: Db,
  name: string,
  options: { limit: number; offset: number },
): Promise<{ versions: ModelVersion[]; totalCount: number }> {
  const model = await getRegisteredModel(db, name);
  if (!model) return { versions: [], totalCount: 0 };
  return listModelVersionsOf(db, model, options);
}

export async function listModelVersionsOf(
  db: Db,
  model: Pick<RegisteredModel, "id" | "name">,
  options: { limit: number; offset: number },
): Promise<{ versions: ModelVersion[]; totalCount: number }> {
  const where = eq(modelVersionTable.modelId, model.id);
  const [rows, [total]] = await Promise.all([
    db.orm
      .select()
      .from(modelVersionTable)
      .where(where)
      .orderBy(desc(modelVersionTable.version))
      .limit(options.limit)
      .offset(options.offset),
    db.orm.select({ n: count() }).from(modelVersionTable).where(where),
  ]);
  return {
    versions: rows.map((row) => ({ ...row, name: model.name })),
    totalCount: total?.n ?? 0,
  };
}

/** The highest version of each model, by model id. */
export async function latestVersionsByModelIds(
  db: Db,
  models: readonly Pick<RegisteredModel, "id" | "name">[],
): Promise<Map<number, ModelVersion>> {
  const ids = models.map((m) => m.id);
  if (ids.length === 0) return new Map();
  const names = new Map(models.map((m) => [m.id, m.name]));
  const top = db.orm
    .select({
      modelId: modelVersionTable.modelId,
      version: sql<number>`max(${modelVersionTable.version})`.as("top"),
    })
    .from(modelVersionTable)
    .where(inArray(modelVersionTable.modelId, ids))
    .groupBy(modelVersionTable.modelId)
    .as("top_versions");
  const rows = await db.orm
    .select({ row: modelVersionTable })
    .from(modelVersionTable)
    .innerJoin(
      top,
      and(eq(modelVersionTable.modelId, top.modelId), eq(modelVersionTable.version, top.version)),
    );
  return new Map(
    rows.map(({ row }) => [row.modelId, { ...row, name: names.get(row.modelId) ?? "" }]),
  );
}

export async function updateModelVersion(
  db: Db,
  name: string,
  version: number,
  changes: { description: string },
): Promise<ModelVersion> {
  const number = validateVersion("version", version);
  const description = validateDescription("description", changes.description);
  return db.write(async (tx) => {
    const { model, row } = await requireVersion(tx, name, number);
    const [updated] = await tx
      .update(modelVersionTable)
      .set({ description, lastUpdateTime: nowMs() })
      .where(and(eq(modelVersionTable.modelId, model.id), eq(modelVersionTable.version, number)))
      .returning();
    return { ...(updated ?? row), name: model.name };
  });
}

/** Deletes one version for good, with its tags and the aliases pointing at it. */
export async function deleteModelVersion(
  db: Db,
  name: string,
  version: number,
): Promise<ModelVersion> {
  const number = validateVersion("version", version);
  return db.write(async (tx) => {
    const { model, row } = await requireVersion(tx, name, number);
    await tx
      .delete(modelVersionTable)
      .where(and(eq(modelVersionTable.modelId, model.id), eq(modelVersionTable.version, number)));
    await touchModel(tx, model.id);
    return { ...row, name: model.name };
  });
}

export async function setModelVersionTag(
  db: Db,
  name: string,
  version: number,
  tag: KeyValue,
): Promise<void> {
  const number = validateVersion("version", version);
  const [valid] = validateTags("tag", [tag]);
  if (!valid) return;
  await db.write(async (tx) => {
    const { model } = await requireVersion(tx, name, number);
    await tx
      .insert(modelVersionTagTable)
      .values({ modelId: model.id, version: number, ...valid })
      .onConflictDoUpdate({
        target: [
          modelVersionTagTable.modelId,
          modelVersionTagTable.version,
          modelVersionTagTable.key,
        ],
        set: { value: valid.value },
      });
  });
}

export async function deleteModelVersionTag(
  db: Db,
  name: string,
  version: number,
  key: string,
): Promise<void> {
  const number = validateVersion("version", version);
  await db.write(async (tx) => {
    const { model } = await requireVersion(tx, name, number);
    const deleted = await tx
      .delete(modelVersionTagTable)
      .where(
        and(
          eq(modelVersionTagTable.modelId, model.id),
          eq(modelVersionTagTable.version, number),
          eq(modelVersionTagTable.key, validateKey("key", key)),
        ),
      )
      .returning();
    if (deleted.length === 0)
      throw notFound(`version ${number} of '${name}' has no tag '${key}'`, "key");
  });
}

/** Points an alias at a version; an alias set before moves (it names one version at a time). */
export async function setRegisteredModelAlias(
  db: Db,
  name: string,
  alias: string,
  version: number,
): Promise<ModelAlias> {
  const valid = validateAlias("alias", alias);
  const number = validateVersion("version", version);
  await db.write(async (tx) => {
    const { model } = await requireVersion(tx, name, number);
    await tx
      .insert(registeredModelAliasTable)
      .values({ modelId: model.id, alias: valid, version: number })
      .onConflictDoUpdate({
        target: [registeredModelAliasTable.modelId, registeredModelAliasTable.alias],
        set: { version: number },
      });
    await touchModel(tx, model.id);
  });
  return { alias: valid, version: number };
}

export async function deleteRegisteredModelAlias(
  db: Db,
  name: string,
  alias: string,
): Promise<void> {
  await db.write(async (tx) => {
    const model = await requireModel(tx, name);
    const deleted = await tx
      .delete(registeredModelAliasTable)
      .where(
        and(
          eq(registeredModelAliasTable.modelId, model.id),
          eq(registeredModelAliasTable.alias, alias),
        ),
      )
      .returning();
    if (deleted.length === 0)
      throw notFound(`registered model '${name}' has no alias '${alias}'`, "alias");
    await touchModel(tx, model.id);
  });
}
