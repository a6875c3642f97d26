import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  artifactsAwaitingSha256,
  artifactsByRunIds,
  createRun,
  type Db,
  getArtifactRecord,
  recordArtifact,
  recordArtifactSha256,
} from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";

const upload = (path: string, sha256: string | null, size = 10) => ({
  path,
  size,
  sha256,
  contentType: "application/octet-stream",
});
const hashA = "aa".repeat(32);
const hashB = "bb".repeat(32);

describe.each(dbTargets)(
  "SHA-256s (and CRC-32s) recorded after their upload, on $name",
  (target) => {
    let db: Db;
    beforeEach(async () => {
      db = await target.open();
    });
    afterEach(async () => {
      await db.close();
    });

    it("keeps a file whose SHA-256 is pending as null, and lists it to be finished", async () => {
      const run = await createRun(db, {});
      const pending = await recordArtifact(db, {
        runId: run.id,
        ...upload("model.bin", null),
        crc32: null,
      });
      await recordArtifact(db, { runId: run.id, ...upload("notes.txt", hashA), crc32: 0xffffffff });
      expect(pending).toMatchObject({ sha256: null, crc32: null });
      expect(await getArtifactRecord(db, run.id, "model.bin")).toMatchObject({
        sha256: null,
        crc32: null,
      });
      // The largest CRC-32 is stored as it is (unsigned), not wrapped to a negative number.
      expect(await getArtifactRecord(db, run.id, "notes.txt")).toMatchObject({
        sha256: hashA,
        crc32: 0xffffffff,
      });
      // Pending is NULL in the column itself (before migration 0006 it was '').
      expect(
        await db.query("SELECT sha256 FROM artifacts WHERE run_id = ? AND path = ?", [
          run.id,
          "model.bin",
        ]),
      ).toEqual([{ sha256: null }]);
      expect(
        ((await artifactsByRunIds(db, [run.id])).get(run.id) ?? []).map((r) => r.sha256),
      ).toEqual([null, hashA]);
      expect(await artifactsAwaitingSha256(db)).toEqual([
        {
          runId: run.id,
          path: "model.bin",
          lastModified: pending.lastModified,
          artifactUri: run.artifactUri,
        },
      ]);

      const recorded = { runId: run.id, path: "model.bin", lastModified: pending.lastModified };
      expect(
        await recordArtifactSha256(db, { ...recorded, sha256: hashB, crc32: 1234, size: 10 }),
      ).toBe(true);
      expect(await getArtifactRecord(db, run.id, "model.bin")).toMatchObject({
        sha256: hashB,
        crc32: 1234,
      });
      expect(await artifactsAwaitingSha256(db)).toEqual([]);
      // Once recorded, they stay: a late or repeated answer changes nothing.
      expect(
        await recordArtifactSha256(db, { ...recorded, sha256: hashA, crc32: 5678, size: 10 }),
      ).toBe(false);
      expect(await getArtifactRecord(db, run.id, "model.bin")).toMatchObject({
        sha256: hashB,
        crc32: 1234,
      });
    });

    it("gives each upload of a path a later time, and records a hash for its own upload only", async () => {
      const run = await createRun(db, {});
      const uploads = [];
      for (let i = 0; i < 5; i++)
        uploads.push(await recordArtifact(db, { runId: run.id, ...upload("model.bin", null, i) }));
      const times = uploads.map((u) => u.lastModified);
      expect(times.every((time, i) => i === 0 || time > (times[i - 1] ?? 0))).toBe(true);
      const [first, last] = [uploads[0], uploads[4]];
      if (!first || !last) throw new Error("five uploads");
      // The first upload's hash arrives after the path was uploaded again: it is not recorded.
      expect(
        await recordArtifactSha256(db, {
          runId: run.id,
          path: "model.bin",
          lastModified: first.lastModified,
          sha256: hashA,
          crc32: 1,
          size: 0,
        }),
      ).toBe(false);
      expect(await getArtifactRecord(db, run.id, "model.bin")).toMatchObject({
        size: 4,
        sha256: null,
        crc32: null,
      });
      expect(
        await recordArtifactSha256(db, {
          runId: run.id,
          path: "model.bin",
          lastModified: last.lastModified,
          sha256: hashB,
          crc32: 2,
          size: 4,
        }),
      ).toBe(true);
      expect(await getArtifactRecord(db, run.id, "model.bin")).toMatchObject({
        size: 4,
        sha256: hashB,
        crc32: 2,
      });
    });
  },
);
