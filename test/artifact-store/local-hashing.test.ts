import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, openSync, readdirSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileHasher, LocalArtifactStore } from "../../artifact-store/index.ts";
import { until } from "../client/support.ts";
import { tempDir } from "../support/temp-dir.ts";

const mib = 1024 * 1024;
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");
/** Descriptors this process has open. */
const openFiles = () => readdirSync("/proc/self/fd").length;

async function* chunksOf(bytes: Buffer, size = 256 * 1024) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe("the hash thread", () => {
  it("hashes a file as it grows, reading only as far as it is told", async () => {
    const file = join(tempDir(), "growing.bin");
    const first = randomBytes(mib);
    const second = randomBytes(mib + 123);
    writeFileSync(file, first);
    const handle = await open(file, "r");
    const hasher = new FileHasher();
    try {
      const followed = hasher.follow(handle.fd);
      followed.grow(first.length);
      appendFileSync(file, second);
      followed.grow(first.length + second.length);
      expect(await followed.end(first.length + second.length)).toBe(
        sha256(Buffer.concat([first, second])),
      );
      await followed.settled;
      // The first bytes only, though the file is longer.
      expect(await hasher.hash(handle.fd, first.length)).toBe(sha256(first));
      expect(await hasher.hash(handle.fd, 0)).toBe(sha256(""));
    } finally {
      await handle.close();
      await hasher.close();
    }
  });

  it("fails a file shorter than announced, and lets go of it when cancelled", async () => {
    const file = join(tempDir(), "short.bin");
    writeFileSync(file, randomBytes(1000));
    const fd = openSync(file, "r");
    const hasher = new FileHasher();
    try {
      await expect(hasher.hash(fd, 5000)).rejects.toThrow(/ended after 1000 of 5000 bytes/);
      const followed = hasher.follow(fd);
      followed.grow(500);
      await followed.cancel();
      await followed.settled;
    } finally {
      await hasher.close();
    }
  });
});

describe("the local store's hashing beside uploads", () => {
  it("hashes the bytes of its own upload, even when the path is replaced before it is done", async () => {
    const store = new LocalArtifactStore(tempDir());
    const first = randomBytes(24 * mib);
    const second = randomBytes(24 * mib);
    const written = await store.writeHashingAside("model.bin", chunksOf(first), {
      inlineHashBytes: 64 * 1024,
    });
    await store.write("model.bin", chunksOf(second));
    expect(written.sha256 ?? (await written.sha256Later)).toBe(sha256(first));
    expect((await store.hashStored("model.bin")).sha256).toBe(sha256(second));
  });

  it("closes what it opened and keeps no temporary file when a body fails midway", async () => {
    const dir = tempDir();
    const store = new LocalArtifactStore(dir);
    // The hash thread (and its descriptors) exists before counting.
    const warm = await store.writeHashingAside("warm.bin", randomBytes(mib), {
      inlineHashBytes: 64 * 1024,
    });
    await warm.sha256Later;
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
