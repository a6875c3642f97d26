import { and, asc, eq } from "drizzle-orm";
import { artifactPathConflict, type RecordArtifactInput } from "./artifacts.ts";
import { conflict } from "./errors.ts";
import { type LoggedModel, requireLoggedModel, toLoggedModel } from "./logged-models.ts";
import type { Db } from "./open-db.ts";
import { type LoggedModelArtifactRow, loggedModelArtifactTable } from "./schema/index.ts";
import { nowMs } from "./time.ts";

/**
 * The index of logged models' files (`<experiment>/models/<id>/artifacts/<path>`), kept by the
 * same rules as runs' (`artifacts.ts`): a path is a file or a folder, never both.
 */
export type LoggedModelArtifact = LoggedModelArtifactRow;

const pathConflict = (
  tx: Parameters<typeof artifactPathConflict>[0],
  modelId: string,
  path: string,
) =>
  artifactPathConflict(tx, {
    table: loggedModelArtifactTable,
    owner: eq(loggedModelArtifactTable.modelId, modelId),
    path,
  });

/** The model an upload goes to, checked before its body is read: it exists and `path` can be a file. */
export async function loggedModelForUpload(
  db: Db,
  modelId: string,
  path: string,
): Promise<LoggedModel> {
  return db.write(async (tx) => {
    const model = await requireLoggedModel(tx, modelId);
    const problem = await pathConflict(tx, modelId, path);
    if (problem) throw conflict(problem, "path");
    return toLoggedModel(model);
  });
}

/** Adds (or replaces) a file in a model's index once it is stored. */
export async function recordLoggedModelArtifact(
  db: Db,
  input: Omit<RecordArtifactInput, "runId"> & { modelId: string },
): Promise<LoggedModelArtifact> {
  return db.write(async (tx) => {
    await requireLoggedModel(tx, input.modelId);
    const problem = await pathConflict(tx, input.modelId, input.path);
    if (problem) throw conflict(problem, "path");
    const row = { ...input, crc32: input.crc32 ?? null, lastModified: nowMs() };
    await tx
      .insert(loggedModelArtifactTable)
      .values(row)
      .onConflictDoUpdate({
        target: [loggedModelArtifactTable.modelId, loggedModelArtifactTable.path],
        set: {
          size: row.size,
          sha256: row.sha256,
          crc32: row.crc32,
          contentType: row.contentType,
          lastModified: row.lastModified,
        },
      });
    return row;
  });
}

/** Every indexed file of a model, sorted by path. */
export function loggedModelArtifacts(db: Db, modelId: string): Promise<LoggedModelArtifact[]> {
  return db.orm
    .select()
    .from(loggedModelArtifactTable)
    .where(eq(loggedModelArtifactTable.modelId, modelId))
    .orderBy(asc(loggedModelArtifactTable.path));
}

export async function getLoggedModelArtifactRecord(
  db: Db,
  modelId: string,
  path: string,
): Promise<LoggedModelArtifact | undefined> {
  const [row] = await db.orm
    .select()
    .from(loggedModelArtifactTable)
    .where(
      and(eq(loggedModelArtifactTable.modelId, modelId), eq(loggedModelArtifactTable.path, path)),
    );
  return row;
}
