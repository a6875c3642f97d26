/**
 * Where runs' files live: one interface (`ArtifactStore`) and two stores, a local folder and
 * an S3 bucket, laid out as MLflow's: `<root>/<experiment id>/<run id>/artifacts/<path>`.
 * Pure of the database: the run's `artifactUri` says where its files are.
 */
export { type ArtifactBody, bodyStream, Measure } from "./body.ts";
export { type ContentChecksums, ContentHasher, crc32Hex } from "./checksums.ts";
export { chooseContentType, contentTypeFor, defaultContentType } from "./content-type.ts";
export { type ArtifactErrorKind, ArtifactStoreError, isArtifactStoreError } from "./errors.ts";
export { FileHasher, fileHasher } from "./file-hasher.ts";
export { LocalArtifactStore } from "./local.ts";
export {
  type ArtifactLocation,
  ArtifactStores,
  type ArtifactStoresOptions,
  parseArtifactUri,
} from "./open.ts";
export {
  artifactPathProblem,
  maxArtifactPathBytes,
  maxArtifactSegmentBytes,
  validateArtifactFolder,
  validateArtifactPath,
} from "./paths.ts";
export { LazyS3ArtifactStore } from "./s3-lazy.ts";
export type {
  ArtifactStore,
  ByteRange,
  DeleteResult,
  FileStat,
  HashingAsideOptions,
  StoredArtifact,
  StoredFile,
  WriteOptions,
  WrittenArtifact,
} from "./store.ts";
