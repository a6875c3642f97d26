import {
  type ArtifactStores,
  type ContentChecksums,
  isArtifactStoreError,
} from "../artifact-store/index.ts";
import {
  type ArtifactUpload,
  artifactsAwaitingSha256,
  type Db,
  recordArtifactSha256,
} from "../db/index.ts";
import type { ErrorLogger } from "./errors.ts";

/**
 * SHA-256s (and the CRC-32s computed with them) that come after the upload's answer. A large
 * upload to a local folder is answered as soon as it is on disk, because hashing it (about
 * 300 MB/s without SHA instructions) is slower than storing it; the hash thread finishes it
 * and it is recorded here. A server that stops first leaves the record without them:
 * `resumeArtifactHashing` finishes the job when the next one starts.
 */

interface HashingContext {
  db: Db;
  logger: ErrorLogger;
}

/** Records an upload's checksums once they resolve; failures are logged, not thrown. */
export function recordChecksumsWhenHashed(
  { db, logger }: HashingContext,
  upload: ArtifactUpload & { size: number },
  checksums: Promise<ContentChecksums>,
): void {
  checksums
    .then(({ sha256, crc32 }) => recordArtifactSha256(db, { ...upload, sha256, crc32 }))
    .catch((error: unknown) =>
      logger.error(
        `could not record the SHA-256 of '${upload.path}' of run ${upload.runId}; the next server start computes it again`,
        error,
      ),
    );
}

/**
 * Computes and records the SHA-256 and CRC-32 of every indexed file left without a SHA-256,
 * one at a time; resolves with how many it recorded, and never rejects (failures are logged).
 * A file that is gone is left as it is (garbage collection or a new upload will replace its
 * record).
 */
export async function resumeArtifactHashing({
  db,
  stores,
  logger,
}: HashingContext & { stores: ArtifactStores }): Promise<number> {
  let recorded = 0;
  let awaiting: Awaited<ReturnType<typeof artifactsAwaitingSha256>>;
  try {
    awaiting = await artifactsAwaitingSha256(db);
  } catch (error) {
    logger.error("could not look for artifacts left without a SHA-256", error);
    return 0;
  }
  for (const upload of awaiting) {
    try {
      const hashed = await stores.open(upload.artifactUri).hashStored(upload.path);
      if (await recordArtifactSha256(db, { ...upload, ...hashed })) recorded++;
    } catch (error) {
      if (isArtifactStoreError(error) && error.kind === "not_found") continue;
      logger.error(
        `could not compute the SHA-256 of '${upload.path}' of run ${upload.runId}`,
        error,
      );
    }
  }
  return recorded;
}
