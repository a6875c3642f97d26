import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import type { S3Client } from "@aws-sdk/client-s3";
import { ArtifactStoreError } from "./errors.ts";
import { LocalArtifactStore } from "./local.ts";
import { LazyS3ArtifactStore, loadS3 } from "./s3-lazy.ts";
import type { ArtifactStore } from "./store.ts";

/** Where a URI points: a local folder or a prefix of an S3 bucket. */
export type ArtifactLocation =
  | { kind: "file"; dir: string }
  | { kind: "s3"; bucket: string; prefix: string };

/**
 * Reads an artifact location: `file:///abs/dir` (or an absolute path), or
 * `s3://bucket/prefix`. Anything else is an `invalid` ArtifactStoreError.
 */
export function parseArtifactUri(uri: string): ArtifactLocation {
  if (isAbsolute(uri)) return { kind: "file", dir: uri };
  if (/^file:/i.test(uri)) {
    try {
      return { kind: "file", dir: fileURLToPath(uri) };
    } catch (error) {
      throw new ArtifactStoreError("invalid", `'${uri}' is not a file: URI of a local folder`, {
        cause: error,
      });
    }
  }
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(uri);
  if (s3?.[1]) return { kind: "s3", bucket: s3[1], prefix: (s3[2] ?? "").replace(/\/+$/, "") };
  throw new ArtifactStoreError(
    "invalid",
    `cannot store artifacts at '${uri}': labbook stores them in a local folder (file:) or an S3 bucket (s3://bucket/prefix)`,
  );
}

export interface ArtifactStoresOptions {
  /** Where the S3 settings come from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** A client to use for S3 instead of one made from the environment. */
  s3Client?: S3Client;
}

/**
 * Opens stores by URI, sharing one S3 client (and its connections) between them.
 *
 * @example
 * const stores = new ArtifactStores();
 * const store = stores.open(run.artifactUri);
 * await store.write("notes.txt", "hello");
 */
export class ArtifactStores {
  readonly #env: NodeJS.ProcessEnv;
  /** Made on the first S3 call (the SDK loads then), or given. */
  #s3: Promise<S3Client> | undefined;

  constructor(options: ArtifactStoresOptions = {}) {
    this.#env = options.env ?? process.env;
    this.#s3 = options.s3Client && Promise.resolve(options.s3Client);
  }

  open(uri: string): ArtifactStore {
    const location = parseArtifactUri(uri);
    if (location.kind === "file") return new LocalArtifactStore(location.dir);
    return new LazyS3ArtifactStore(() => this.#client(), location.bucket, location.prefix);
  }

  #client(): Promise<S3Client> {
    this.#s3 ??= loadS3().then(({ s3ClientFromEnv }) => s3ClientFromEnv(this.#env));
    return this.#s3;
  }

  /** Closes the S3 client's connections. */
  close(): void {
    const client = this.#s3;
    this.#s3 = undefined;
    void client?.then((s3) => s3.destroy()).catch(() => undefined);
  }
}
