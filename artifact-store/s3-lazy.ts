import type { S3Client } from "@aws-sdk/client-s3";
import type { ArtifactBody } from "./body.ts";
import type {
  ArtifactStore,
  ByteRange,
  HashingAsideOptions,
  StoredArtifact,
  WriteOptions,
  WrittenArtifact,
} from "./store.ts";

/** The S3 store module and its SDK (~0.5 s to load), loaded once, on the first S3 call. */
let s3Module: Promise<typeof import("./s3.ts")> | undefined;
export const loadS3 = () => {
  s3Module ??= import("./s3.ts");
  return s3Module;
};

/**
 * An S3 store that loads the AWS SDK on its first call. Most servers keep artifacts in a
 * local folder and never need it; loading it up front was a sixth of `labbook server`'s
 * start. The URI is known without the SDK, as S3ArtifactStore writes it.
 */
export class LazyS3ArtifactStore implements ArtifactStore {
  readonly uri: string;
  readonly #open: () => Promise<ArtifactStore>;
  #store: Promise<ArtifactStore> | undefined;

  constructor(client: () => Promise<S3Client>, bucket: string, prefix: string) {
    const trimmed = prefix.replace(/^\/+|\/+$/g, "");
    this.uri = `s3://${bucket}${trimmed ? `/${trimmed}` : ""}`;
    this.#open = async () => {
      const [{ S3ArtifactStore }, s3] = await Promise.all([loadS3(), client()]);
      return new S3ArtifactStore(s3, bucket, prefix);
    };
  }

  #get(): Promise<ArtifactStore> {
    this.#store ??= this.#open();
    return this.#store;
  }

  async write(path: string, body: ArtifactBody, options?: WriteOptions): Promise<WrittenArtifact> {
    return (await this.#get()).write(path, body, options);
  }

  async writeHashingAside(
    path: string,
    body: ArtifactBody,
    options: HashingAsideOptions,
  ): Promise<StoredArtifact> {
    return (await this.#get()).writeHashingAside(path, body, options);
  }

  async hashStored(path: string) {
    return (await this.#get()).hashStored(path);
  }

  async stat(path: string) {
    return (await this.#get()).stat(path);
  }

  async read(path: string, range?: ByteRange) {
    return (await this.#get()).read(path, range);
  }

  async delete(path: string) {
    return (await this.#get()).delete(path);
  }

  async list(folder?: string) {
    return (await this.#get()).list(folder);
  }

  async deleteAll() {
    return (await this.#get()).deleteAll();
  }

  async removeIfEmpty() {
    return (await this.#get()).removeIfEmpty();
  }
}
