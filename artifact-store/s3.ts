import type { Readable } from "node:stream";
import { pipeline } from "node:stream";
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { type ArtifactBody, bodyStream, Measure } from "./body.ts";
import { type ContentChecksums, ContentHasher } from "./checksums.ts";
import { chooseContentType } from "./content-type.ts";
import { ArtifactStoreError, isArtifactStoreError } from "./errors.ts";
import { validateArtifactFolder, validateArtifactPath } from "./paths.ts";
import type {
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

/**
 * Multipart uploads send parts of S3's smallest size, a few at a time: the memory an upload
 * holds is about (parts in flight + 2) × part size. S3 takes at most 10,000 parts, so a body
 * of known size past 50 GB gets larger parts; one of unknown size can be at most 50 GB.
 */
const minPartBytes = 5 * 1024 * 1024;
const maxParts = 10_000;
const partsInFlight = 4;

/**
 * An S3 client configured from the usual AWS variables: credentials and region as the SDK
 * reads them, and an endpoint from `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL` or (as MLflow)
 * `MLFLOW_S3_ENDPOINT_URL`, addressed path-style (`http://host:9000/bucket/key`), as local
 * servers (MinIO, s3rver) need. Checksums are computed and checked only where S3 requires
 * them, so servers that predate the SDK's default checksums work.
 */
export function s3ClientFromEnv(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint =
    env.AWS_ENDPOINT_URL_S3?.trim() ||
    env.AWS_ENDPOINT_URL?.trim() ||
    env.MLFLOW_S3_ENDPOINT_URL?.trim() ||
    undefined;
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  const sessionToken = env.AWS_SESSION_TOKEN?.trim() || undefined;
  const maxAttempts = Number(env.AWS_MAX_ATTEMPTS);
  return new S3Client({
    ...(endpoint && { endpoint, forcePathStyle: true }),
    // Keys in the variables given win; otherwise the SDK's usual chain (profiles, roles).
    ...(accessKeyId &&
      secretAccessKey && { credentials: { accessKeyId, secretAccessKey, sessionToken } }),
    ...(maxAttempts >= 1 && { maxAttempts }),
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || "us-east-1",
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

interface AwsError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

const statusOf = (error: unknown) => (error as AwsError | undefined)?.$metadata?.httpStatusCode;

/**
 * A store under a prefix of an S3 bucket: `s3://<bucket>/<prefix>/<path>`. Uploads go through
 * `@aws-sdk/lib-storage` (multipart past 5 MB, four parts in flight), which completes the
 * object only once every part arrived and aborts it otherwise.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly uri: string;
  readonly bucket: string;
  /** Without leading or trailing '/'; "" for the bucket's top. */
  readonly prefix: string;
  readonly #client: S3Client;

  constructor(client: S3Client, bucket: string, prefix: string) {
    this.#client = client;
    this.bucket = bucket;
    this.prefix = prefix.replace(/^\/+|\/+$/g, "");
    this.uri = `s3://${bucket}${this.prefix ? `/${this.prefix}` : ""}`;
  }

  #key(path: string): string {
    const valid = validateArtifactPath(path);
    return this.prefix ? `${this.prefix}/${valid}` : valid;
  }

  /** Network failures and server errors mean "try again later"; the rest pass through. */
  #translate(error: unknown, what: string): unknown {
    if (isArtifactStoreError(error)) return error;
    const status = statusOf(error);
    const aws = error as AwsError;
    if (aws?.name === "NoSuchBucket")
      return new ArtifactStoreError(
        "unavailable",
        `${what}: the bucket '${this.bucket}' does not exist`,
        {
          cause: error,
        },
      );
    if (status === undefined || status >= 500 || status === 429)
      return new ArtifactStoreError(
        "unavailable",
        `${what}: the object storage at ${this.uri} did not answer (${(error as Error)?.message ?? String(error)})`,
        { cause: error },
      );
    return error;
  }

  async write(
    path: string,
    body: ArtifactBody,
    options: WriteOptions = {},
  ): Promise<WrittenArtifact> {
    const key = this.#key(path);
    const contentType = chooseContentType(path, options.contentType);
    const measure = new Measure({ maxBytes: options.maxBytes, expectedSize: options.size });
    // A failing source fails the measured stream, which aborts the multipart upload.
    const measured = pipeline(bodyStream(body), measure, () => {});
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.bucket, Key: key, Body: measured, ContentType: contentType },
      partSize: Math.max(minPartBytes, Math.ceil((options.size ?? 0) / maxParts)),
      queueSize: partsInFlight,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      // The source's own error (too large, cut short) says more than the upload's.
      const cause = measure.errored ?? error;
      throw this.#translate(cause, `cannot store '${path}'`);
    }
    // Without an inline limit, Measure hashes every byte: its checksums are never null here.
    const checksums = measure.checksums;
    if (checksums === null) throw new Error(`'${path}' was stored without its checksums`);
    return { path, size: measure.byteCount, ...checksums, contentType };
  }

  /**
   * As `write`: the body is hashed as it streams to the bucket (reading it back to hash it
   * would cost a second transfer), so the SHA-256 and CRC-32 are always known at the end.
   */
  async writeHashingAside(
    path: string,
    body: ArtifactBody,
    options: HashingAsideOptions,
  ): Promise<StoredArtifact> {
    return { ...(await this.write(path, body, options)), checksumsLater: undefined };
  }

  async hashStored(path: string): Promise<ContentChecksums & { size: number }> {
    const hash = new ContentHasher();
    let size = 0;
    try {
      for await (const chunk of await this.read(path)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    } catch (error) {
      throw this.#translate(error, `cannot read '${path}'`);
    }
    return { ...hash.digest(), size };
  }

  async stat(path: string): Promise<FileStat | undefined> {
    try {
      const head = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.#key(path) }),
      );
      return { size: head.ContentLength ?? 0, lastModified: head.LastModified?.getTime() ?? 0 };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.#translate(error, `cannot look up '${path}'`);
    }
  }

  async read(path: string, range?: ByteRange): Promise<Readable> {
    try {
      const object = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.#key(path),
          ...(range && { Range: `bytes=${range.start}-${range.end}` }),
        }),
      );
      return object.Body as Readable;
    } catch (error) {
      if (statusOf(error) === 404)
        throw new ArtifactStoreError("not_found", `there is no artifact '${path}'`);
      throw this.#translate(error, `cannot read '${path}'`);
    }
  }

  async delete(path: string): Promise<void> {
    try {
      await this.#client.send(
        new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(path) }),
      );
    } catch (error) {
      throw this.#translate(error, `cannot delete '${path}'`);
    }
  }

  async list(folder?: string): Promise<StoredFile[]> {
    const prefix = validateArtifactFolder(folder);
    const root = this.prefix ? `${this.prefix}/` : "";
    const files: StoredFile[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix ? `${root}${prefix}/` : root,
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? [])
          if (object.Key)
            files.push({ path: object.Key.slice(root.length), size: object.Size ?? 0 });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.#translate(error, `cannot list ${this.uri}`);
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async deleteAll(): Promise<DeleteResult> {
    // A store at the top of a bucket is a whole bucket: never emptied by accident.
    if (!this.prefix)
      throw new ArtifactStoreError("invalid", `refusing to delete everything in ${this.uri}`);
    const files = await this.list();
    for (let start = 0; start < files.length; start += 1000) {
      const batch = files.slice(start, start + 1000);
      let failed: { Key?: string; Message?: string }[];
      try {
        const result = await this.#client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: {
              Objects: batch.map((file) => ({ Key: `${this.prefix}/${file.path}` })),
              Quiet: true,
            },
          }),
        );
        failed = result.Errors ?? [];
      } catch (error) {
        throw this.#translate(error, `cannot delete the files of ${this.uri}`);
      }
      if (failed.length > 0)
        throw new ArtifactStoreError(
          "unavailable",
          `cannot delete ${failed.length} files of ${this.uri}, e.g. '${failed[0]?.Key}': ${failed[0]?.Message}`,
        );
    }
    return { files: files.length, bytes: files.reduce((sum, file) => sum + file.size, 0) };
  }

  async removeIfEmpty(): Promise<void> {}
}
