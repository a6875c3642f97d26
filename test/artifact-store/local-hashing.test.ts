import { createHash, randomBytes } from "node:crypto";
import { closeSync, openSync, readdirSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { FileHasher, LocalArtifactStore } from "../../artifact-store/index.ts";
import { until } from "../client/support.ts";
import { tempDir } from "../support/temp-dir.ts";

const mib = 1024 * 1024;
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");
const checksums = (bytes: Uint8Array | string) => ({ sha256: sha256(bytes), crc32: crc32(bytes) });
/** Descriptors this process has open. */
const openFiles = () => readdirSync("/proc/self/fd").length;

async function* chunksOf(bytes: Buffer, size = 256 * 1024) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe("the hash thread", () => {
  it("hashes (SHA-256 and CRC-32) the first bytes of a file, through a descriptor the caller opened", async () => {
    const file = join(tempDir(), "file.bin");
    const bytes = randomBytes(3 * mib + 123);
    writeFileSync(file, bytes);
    const handle = await open(file, "r");
    const hasher = new FileHasher();
    try {
      const [whole, first, none] = await Promise.all([
        hasher.hash(handle.fd, bytes.length),
        hasher.hash(handle.fd, mib),
        hasher.hash(handle.fd, 0),
      ]);
      expect(whole).toEqual(checksums(bytes));
      expect(first).toEqual(checksums(bytes.subarray(0, mib)));
      expect(none).toEqual({ sha256: sha256(""), crc32: 0 });
    } finally {
      await handle.close();
      await hasher.close();
    }
  });

  it("fails a file shorter than asked, and a descriptor that is not open", async () => {
    const file = join(tempDir(), "short.bin");
    writeFileSync(file, randomBytes(1000));
    const fd = openSync(file, "r");
    const hasher = new FileHasher();
    try {
      await expect(hasher.hash(fd, 5000)).rejects.toThrow(/ended after 1000 of 5000 bytes/);
      closeSync(fd);
      await expect(hasher.hash(fd, 10)).rejects.toMatchObject({ code: "EBADF" });
    } finally {
      await hasher.close();
    }
  });
});

describe("the local store's hashing after uploads", () => {
  it("hashes the bytes of its own upload, even when the path is replaced before it is done", async () => {
    const store = new LocalArtifactStore(tempDir());
    const first = randomBytes(24 * mib);
    const second = randomBytes(24 * mib);
    const written = await store.writeHashingAside("model.bin", chunksOf(first), {
      inlineHashBytes: 64 * 1024,
    });
    await store.write("model.bin", chunksOf(second));
    expect(written.sha256).toBeNull();
    expect(await written.checksumsLater).toEqual(checksums(first));
    expect(await store.hashStored("model.bin")).toEqual({
      ...checksums(second),
      size: second.length,
    });
  });

  it("closes the file it hashed once the hash is done", async () => {
    const store = new LocalArtifactStore(tempDir());
    // The hash thread (and its descriptors) exists before counting.
    await (await store.writeHashingAside("warm.bin", randomBytes(mib), { inlineHashBytes: 1024 }))
      .checksumsLater;
    const before = openFiles();
    const written = await store.writeHashingAside("large.bin", chunksOf(randomBytes(8 * mib)), {
      inlineHashBytes: 64 * 1024,
    });
    expect(written.sha256).toBeNull();
    await written.checksumsLater;
    await until("the hashed file is closed", () => openFiles() <= before);
  });

  it("closes what it opened and keeps no temporary file when a body fails midway", async () => {
    const dir = tempDir();
    const store = new LocalArtifactStore(dir);
    // The hash thread (and its descriptors) exists before counting.
    const warm = await store.writeHashingAside("warm.bin", randomBytes(mib), {
      inlineHashBytes: 64 * 1024,
    });
    await warm.checksumsLater;
    const before = openFiles();
    async function* failing() {
      yield* chunksOf(randomBytes(4 * mib));
      throw new Error("connection reset by peer");
    }
    await expect(
      store.writeHashingAside("broken.bin", failing(), { inlineHashBytes: 64 * 1024 }),
    ).rejects.toThrow(/connection reset/);
    await until("every descriptor of the failed upload is closed", () => openFiles() <= before);
    expect(readdirSync(dir)).toEqual(["warm.bin"]);
  });
});
