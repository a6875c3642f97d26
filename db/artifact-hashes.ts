import { and, asc, eq, isNull } from "drizzle-orm";
import type { Db } from "./open-db.ts";
import { artifactTable, runTable } from "./schema/index.ts";

/**
 * SHA-256s (and the CRC-32s computed with them) after their file was stored. A large upload
 * to a local folder is acknowledged once it is on disk; its checksums come a little later,
 * from another thread, and are added here — to that upload's record only, never to one that
 * replaced it since.
 */

/** One upload of a file whose SHA-256 is still to be recorded. */
export interface ArtifactUpload {
  runId: string;
  path: string;
  /** Tells the uploads of a path apart: each gets a later one (`recordArtifact`). */
  lastModified: number;
}

/**
 * Records the SHA-256, CRC-32 and size of an upload's file, if its record is still that
 * upload's and still waits for them. Resolves with whether it did: false when the path was
 * uploaded again, or deleted, since.
 */
export async function recordArtifactSha256(
  db: Db,
  upload: ArtifactUpload & { sha256: string; crc32: number; size: number },
): Promise<boolean> {
  return db.write(async (tx) => {
    const updated = await tx
      .update(artifactTable)
      .set({ sha256: upload.sha256, crc32: upload.crc32, size: upload.size })
      .where(
        and(
          eq(artifactTable.runId, upload.runId),
          eq(artifactTable.path, upload.path),
          eq(artifactTable.lastModified, upload.lastModified),
          isNull(artifactTable.sha256),
        ),
      )
      .returning({ path: artifactTable.path });
    return updated.length > 0;
  });
}

/**
 * The files whose SHA-256 was never recorded (their server stopped before it was done), with
 * where their run keeps them; oldest first. Files with a SHA-256 but no CRC-32 (indexed before
 * labbook recorded it) are not among them: reading each back would cost a full download from
 * S3, and their SHA-256 checks their transfers.
 */
export async function artifactsAwaitingSha256(
  db: Db,
): Promise<(ArtifactUpload & { artifactUri: string })[]> {
  return db.orm
    .select({
      runId: artifactTable.runId,
      path: artifactTable.path,
      lastModified: artifactTable.lastModified,
      artifactUri: runTable.artifactUri,
    })
    .from(artifactTable)
    .innerJoin(runTable, eq(runTable.id, artifactTable.runId))
    .where(isNull(artifactTable.sha256))
    .orderBy(asc(artifactTable.lastModified));
}
