import { and, asc, eq, gte, inArray, lt, or, type SQL } from "drizzle-orm";
import { conflict, invalid } from "./errors.ts";
import { groupBy } from "./group-by.ts";
import type { Db, WriteTx } from "./open-db.ts";
import { type Run, requireRun, toRun } from "./runs.ts";
import {
  type ArtifactRow,
  artifactTable,
  type loggedModelArtifactTable,
  runPurgeTable,
} from "./schema/index.ts";
import { nowMs } from "./time.ts";

/**
 * The artifact index: what was uploaded to each run through labbook, with its size, SHA-256,
 * CRC-32 and content type. Paths arrive validated (relative, `/`-separated, no `.`/`..`/empty
 * segments); the files are in the run's artifact store, at `<artifactUri>/<path>`. `sha256`
 * and `crc32` are null while they are being computed (a large file, hashed after it was
 * stored); `crc32` is null too for a file indexed before labbook recorded it.
 */
export type ArtifactRecord = ArtifactRow;

/** What a listing needs of an indexed file, whoever owns it (a run, a logged model). */
export type IndexedFile = Pick<
  ArtifactRecord,
  "path" | "size" | "sha256" | "crc32" | "contentType" | "lastModified"
>;

/** A file, or a folder (the files under it, summed), as listings show them. */
export interface ArtifactEntry {
  path: string;
  isDir: boolean;
  /** A file's size; a folder's is the total of the files under it. */
  size: number;
  /** Null for a folder. */
  sha256: string | null;
  /** CRC-32/IEEE, unsigned; null for a folder, and for a file without one recorded. */
  crc32: number | null;
  /** Null for a folder. */
  contentType: string | null;
  /** A file's last upload; a folder's newest file. Milliseconds UTC. */
  lastModified: number;
}

/** Every indexed artifact of each run, sorted by path. */
export async function artifactsByRunIds(
  db: Db,
  runIds: readonly string[],
): Promise<Map<string, ArtifactRecord[]>> {
  if (runIds.length === 0) return new Map();
  const rows = await db.orm
    .select()
    .from(artifactTable)
    .where(inArray(artifactTable.runId, [...runIds]))
    .orderBy(asc(artifactTable.runId), asc(artifactTable.path));
  return groupBy(
    rows,
    (row) => row.runId,
    (row) => row,
  );
}

export async function getArtifactRecord(
  db: Db,
  runId: string,
  path: string,
): Promise<ArtifactRecord | undefined> {
  const [row] = await db.orm
    .select()
    .from(artifactTable)
    .where(and(eq(artifactTable.runId, runId), eq(artifactTable.path, path)));
  return row;
}

const fileEntry = (record: IndexedFile): ArtifactEntry => ({
  path: record.path,
  isDir: false,
  size: record.size,
  sha256: record.sha256,
  crc32: record.crc32,
  contentType: record.contentType,
  lastModified: record.lastModified,
});

/**
 * What a folder holds ("" for the run's top), from a run's records sorted by path: its files
 * and subfolders, or with `recursive` every file under it. A file's path, or a folder with
 * nothing in it, lists as empty (as MLflow's `list_artifacts`).
 */
export function listArtifactEntries(
  records: readonly IndexedFile[],
  folder: string,
  recursive = false,
): ArtifactEntry[] {
  const prefix = folder === "" ? "" : `${folder}/`;
  const under = records.filter((record) => record.path.startsWith(prefix));
  if (recursive) return under.map(fileEntry);
  const entries = new Map<string, ArtifactEntry>();
  for (const record of under) {
    const rest = record.path.slice(prefix.length);
    const slash = rest.indexOf("/");
    if (slash < 0) {
      entries.set(record.path, fileEntry(record));
      continue;
    }
    const path = prefix + rest.slice(0, slash);
    const folderEntry = entries.get(path);
    if (folderEntry) {
      folderEntry.size += record.size;
      folderEntry.lastModified = Math.max(folderEntry.lastModified, record.lastModified);
    } else
      entries.set(path, {
        path,
        isDir: true,
        size: record.size,
        sha256: null,
        crc32: null,
        contentType: null,
        lastModified: record.lastModified,
      });
  }
  return [...entries.values()];
}

/** The file or folder at `path` ("" is the top folder); undefined when there is none. */
export function findArtifactEntry(
  records: readonly IndexedFile[],
  path: string,
): ArtifactEntry | undefined {
  const file = records.find((record) => record.path === path);
  if (file) return fileEntry(file);
  const under = listArtifactEntries(records, path, true);
  if (under.length === 0 && path !== "") return undefined;
  return {
    path,
    isDir: true,
    size: under.reduce((sum, entry) => sum + entry.size, 0),
    sha256: null,
    crc32: null,
    contentType: null,
    lastModified: Math.max(0, ...under.map((entry) => entry.lastModified)),
  };
}

/** `a`, `a/b` for `a/b/c.txt`: the folders a path sits in. */
const parentsOf = (path: string): string[] => {
  const segments = path.split("/");
  return segments.slice(1).map((_, i) => segments.slice(0, i + 1).join("/"));
};

/**
 * Why `path` cannot be a file of this run, or undefined when it can: a folder it sits in is a
 * file, or it is a folder itself. (A local folder could not hold both; S3 could, and then the
 * two stores would disagree.)
 */
const pathConflict = (tx: Db["orm"] | WriteTx, runId: string, path: string) =>
  artifactPathConflict(tx, {
    table: artifactTable,
    owner: eq(artifactTable.runId, runId),
    path,
  });

/**
 * The same rule for any index of files (a run's, a logged model's): `owner` selects the
 * owner's rows of `table`.
 */
export async function artifactPathConflict(
  tx: Db["orm"] | WriteTx,
  target: {
    table: typeof artifactTable | typeof loggedModelArtifactTable;
    owner: SQL;
    path: string;
  },
): Promise<string | undefined> {
  const { table, owner, path } = target;
  const parents = parentsOf(path);
  const [clash] = await tx
    .select({ path: table.path })
    .from(table)
    .where(
      and(
        owner,
        or(
          parents.length > 0 ? inArray(table.path, parents) : undefined,
          // Every path under `path/`: '0' sorts right after '/'.
          and(gte(table.path, `${path}/`), lt(table.path, `${path}0`)),
        ),
      ),
    )
    .limit(1);
  if (!clash) return undefined;
  return clash.path.length < path.length
    ? `cannot store '${path}': '${clash.path}' is a file, not a folder`
    : `cannot store '${path}': it is a folder of artifacts (it holds '${clash.path}')`;
}

async function assertNotPurging(tx: Db["orm"] | WriteTx, runId: string): Promise<void> {
  const [purge] = await tx
    .select({ runId: runPurgeTable.runId })
    .from(runPurgeTable)
    .where(eq(runPurgeTable.runId, runId));
  if (purge)
    throw invalid(
      "runId",
      `run '${runId}' is being deleted for good (labbook gc); it takes no more artifacts`,
    );
}

/**
 * The run an upload goes to, checked before its body is read: it exists, is active (not
 * deleted or being collected), and `path` can be a file in it. `not_found`, `invalid` or
 * `conflict` otherwise.
 */
export async function runForUpload(db: Db, runId: string, path: string): Promise<Run> {
  return db.write(async (tx) => {
    const run = await requireRun(tx, runId, { active: true });
    await assertNotPurging(tx, runId);
    const problem = await pathConflict(tx, runId, path);
    if (problem) throw conflict(problem, "path");
    return toRun(run);
  });
}

export interface RecordArtifactInput {
  runId: string;
  path: string;
  size: number;
  sha256: string;
  /** Computed with the SHA-256 (unsigned); absent for a caller that has none, stored as null. */
  crc32?: number | null | undefined;
  contentType: string;
}

/**
 * Adds (or replaces) a file in a run's index once it is stored; `sha256` and `crc32` null when
 * they are still being computed (`recordArtifactSha256` adds them). Checked again here, in the
 * write transaction: a run deleted or collected while its upload streamed refuses it, and the
 * caller then removes the file it stored. Each upload of a path gets a later `lastModified`
 * than the one before, even within a millisecond: it tells the uploads of a path apart.
 */
export async function recordArtifact(
  db: Db,
  input: Omit<RecordArtifactInput, "sha256"> & { sha256: string | null },
): Promise<ArtifactRecord> {
  return db.write(async (tx) => {
    await requireRun(tx, input.runId, { active: true });
    await assertNotPurging(tx, input.runId);
    const problem = await pathConflict(tx, input.runId, input.path);
    if (problem) throw conflict(problem, "path");
    const [previous] = await tx
      .select({ lastModified: artifactTable.lastModified })
      .from(artifactTable)
      .where(and(eq(artifactTable.runId, input.runId), eq(artifactTable.path, input.path)));
    const row = {
      ...input,
      crc32: input.crc32 ?? null,
      lastModified: Math.max(nowMs(), (previous?.lastModified ?? 0) + 1),
    };
    await tx
      .insert(artifactTable)
      .values(row)
      .onConflictDoUpdate({
        target: [artifactTable.runId, artifactTable.path],
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
