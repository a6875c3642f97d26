import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import {
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
} from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { type ArtifactBody, bodyStream, Measure } from "./body.ts";
import type { ContentChecksums } from "./checksums.ts";
import { chooseContentType } from "./content-type.ts";
import { ArtifactStoreError } from "./errors.ts";
import { fileHasher } from "./file-hasher.ts";
import { FileSink, syncFolders } from "./file-sink.ts";
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

/** Uploads in progress are written beside their target under this name, then renamed. */
const partPattern = /^\.labbook-[0-9a-f-]{36}\.part$/;
/** Large reads: fewer system calls per file. */
const chunkBytes = 1024 * 1024;

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

/**
 * A store in a local folder: `<root>/<path>`. Uploads stream into a temporary file beside
 * the target and are renamed over it once complete and flushed to disk, so a reader sees the
 * old file or the new one, never half of one, and a crash loses nothing that was stored.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly uri: string;
  /** The root folder, absolute. */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.uri = pathToFileURL(this.dir).href;
  }

  /** The file behind an artifact path, checked to be inside the root. */
  #file(path: string): string {
    const valid = validateArtifactPath(path);
    const file = join(this.dir, ...valid.split("/"));
    // Validation already rules out escaping; this keeps the promise even if it had a gap.
    if (!file.startsWith(this.dir + sep))
      throw new ArtifactStoreError("invalid", `artifact path '${path}' leaves the run's folder`);
    return file;
  }

  async write(
    path: string,
    body: ArtifactBody,
    options: WriteOptions = {},
  ): Promise<WrittenArtifact> {
    const { checksumsLater, ...stored } = await this.#store(
      path,
      body,
      options,
      Number.POSITIVE_INFINITY,
    );
    // Hashed as it came in, or else by `checksumsLater`: one of the two is always there.
    const checksums = checksumsLater ? await checksumsLater : stored;
    if (checksums.sha256 === null || checksums.crc32 === null)
      throw new Error(`'${path}' was stored without its checksums`);
    return { ...stored, sha256: checksums.sha256, crc32: checksums.crc32 };
  }

  writeHashingAside(
    path: string,
    body: ArtifactBody,
    options: HashingAsideOptions,
  ): Promise<StoredArtifact> {
    return this.#store(path, body, options, options.inlineHashBytes);
  }

  /**
   * Streams the body into a new file beside the target, flushes it to disk, renames it over the
   * target and flushes the folder: once this resolves, the file survives a crash. A body past
   * `inlineHashBytes` is hashed afterwards (SHA-256 and CRC-32, from one read) by the hash
   * thread, from the page cache, through a descriptor opened before the rename: a later upload
   * to the same path cannot change what it reads. (Hashing beside the upload as it streams in was tried: on a machine whose cores the
   * transfer keeps busy, it slowed uploads by about a tenth, even at the lowest priority.)
   */
  async #store(
    path: string,
    body: ArtifactBody,
    options: WriteOptions,
    inlineHashBytes: number,
  ): Promise<StoredArtifact> {
    const file = this.#file(path);
    const folder = dirname(file);
    const contentType = chooseContentType(path, options.contentType);
    if ((await lstat(file).catch(() => undefined))?.isDirectory())
      throw new ArtifactStoreError("invalid", `'${path}' is a folder of artifacts, not a file`);
    let created: string | undefined;
    try {
      created = await mkdir(folder, { recursive: true });
    } catch (error) {
      if (codeOf(error) === "ENOTDIR" || codeOf(error) === "EEXIST")
        throw new ArtifactStoreError(
          "invalid",
          `cannot store '${path}': a part of its folder is a file`,
          { cause: error },
        );
      throw error;
    }
    const part = join(folder, `.labbook-${randomUUID()}.part`);
    const measure = new Measure({
      maxBytes: options.maxBytes,
      expectedSize: options.size,
      inlineHashBytes,
    });
    let sink: FileSink | undefined;
    let reader: FileHandle | undefined;
    try {
      sink = await FileSink.create(part);
      await pipeline(bodyStream(body), measure, sink);
      // Opened while the new file has its temporary name: what it reads is this upload's,
      // whatever replaces the path later.
      if (measure.checksums === null) reader = await open(part, "r");
      await rename(part, file);
      await syncFolders(folder, created);
    } catch (error) {
      sink?.destroy();
      await reader?.close();
      await rm(part, { force: true }).catch(() => {});
      if (codeOf(error) === "EISDIR")
        throw new ArtifactStoreError("invalid", `'${path}' is a folder of artifacts, not a file`);
      throw error;
    }
    const size = measure.byteCount;
    const checksums = measure.checksums;
    if (checksums !== null)
      return { path, size, ...checksums, contentType, checksumsLater: undefined };
    // Opened above whenever the body was not hashed as it came.
    const opened = reader as FileHandle;
    const checksumsLater = fileHasher.hash(opened.fd, size).finally(() => opened.close());
    // Whoever takes `checksumsLater` handles its failure; nobody else must see it as unhandled.
    checksumsLater.catch(() => {});
    return { path, size, sha256: null, crc32: null, contentType, checksumsLater };
  }

  async hashStored(path: string): Promise<ContentChecksums & { size: number }> {
    const file = this.#file(path);
    let handle: FileHandle;
    try {
      handle = await open(file, "r");
    } catch (error) {
      if (["ENOENT", "ENOTDIR", "EISDIR"].includes(codeOf(error) ?? ""))
        throw new ArtifactStoreError("not_found", `there is no artifact '${path}'`);
      throw error;
    }
    try {
      const { size } = await handle.stat();
      return { ...(await fileHasher.hash(handle.fd, size)), size };
    } finally {
      await handle.close();
    }
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const found = await stat(this.#file(path)).catch((error: unknown) => {
      if (["ENOENT", "ENOTDIR"].includes(codeOf(error) ?? "")) return undefined;
      throw error;
    });
    return found?.isFile() ? { size: found.size, lastModified: found.mtimeMs } : undefined;
  }

  async read(path: string, range?: ByteRange): Promise<Readable> {
    const file = this.#file(path);
    const stream = createReadStream(file, { highWaterMark: chunkBytes, ...range });
    // Opening is asynchronous: wait for it, so a missing file is an error here, not mid-response.
    await new Promise<void>((resolveOpen, reject) => {
      stream.once("ready", () => resolveOpen());
      stream.once("error", (error) =>
        reject(
          ["ENOENT", "ENOTDIR", "EISDIR"].includes(codeOf(error) ?? "")
            ? new ArtifactStoreError("not_found", `there is no artifact '${path}'`)
            : error,
        ),
      );
    });
    return stream;
  }

  async delete(path: string): Promise<void> {
    await rm(this.#file(path), { force: true });
  }

  async list(folder?: string): Promise<StoredFile[]> {
    const prefix = validateArtifactFolder(folder);
    const base = prefix ? this.#file(prefix) : this.dir;
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(base, { recursive: true, withFileTypes: true });
    } catch (error) {
      if (["ENOENT", "ENOTDIR"].includes(codeOf(error) ?? "")) return [];
      throw error;
    }
    const files: StoredFile[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || partPattern.test(entry.name)) continue;
      const full = join(entry.parentPath, entry.name);
      const info = await stat(full).catch(() => undefined);
      if (info)
        files.push({ path: relative(this.dir, full).split(sep).join("/"), size: info.size });
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async deleteAll(): Promise<DeleteResult> {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(this.dir, { recursive: true, withFileTypes: true });
    } catch (error) {
      if (codeOf(error) === "ENOENT") return { files: 0, bytes: 0 };
      throw error;
    }
    // File by file, so a file that cannot go is named in the error (rm -r would report it as
    // a folder it failed to read), then the folders, deepest first.
    const result: DeleteResult = { files: 0, bytes: 0 };
    const folders: string[] = [];
    for (const entry of entries) {
      const full = join(entry.parentPath, entry.name);
      if (entry.isDirectory()) {
        folders.push(full);
        continue;
      }
      const size = entry.isFile() ? (await lstat(full).catch(() => undefined))?.size : undefined;
      await unlink(full).catch((error: unknown) => {
        if (codeOf(error) !== "ENOENT") throw error;
      });
      if (size !== undefined && !partPattern.test(entry.name)) {
        result.files++;
        result.bytes += size;
      }
    }
    folders.sort((a, b) => b.length - a.length);
    for (const folder of [...folders, this.dir])
      await rmdir(folder).catch((error: unknown) => {
        if (codeOf(error) !== "ENOENT") throw error;
      });
    return result;
  }

  async removeIfEmpty(): Promise<void> {
    await rmdir(this.dir).catch((error: unknown) => {
      if (!["ENOENT", "ENOTEMPTY", "EEXIST", "ENOTDIR"].includes(codeOf(error) ?? "")) throw error;
    });
  }
}
