import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRun, type Db, logBatch, paramsByRunIds, type Run } from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";
import { dumpTables, expectStoreError } from "./store-assertions.ts";

describe.each(dbTargets)("store on $name", (target) => {
  let db: Db;
  let run: Run;
  beforeEach(async () => {
    db = await target.open();
    run = await createRun(db, {});
  });
  afterEach(async () => {
    await db.close();
  });

  const paramsOf = async (runId: string) => (await paramsByRunIds(db, [runId])).get(runId);

  describe("params", () => {
    it("logs params and reads them back by key", async () => {
      await logBatch(db, {
        runId: run.id,
        params: [
          { key: "lr", value: "0.01" },
          { key: "batch size", value: "32" },
          { key: "empty", value: "" },
        ],
      });
      expect(await paramsOf(run.id)).toEqual([
        { key: "batch size", value: "32" },
        { key: "empty", value: "" },
        { key: "lr", value: "0.01" },
      ]);
    });

    it("accepts a param logged again with the same value", async () => {
      await logBatch(db, { runId: run.id, params: [{ key: "lr", value: "0.01" }] });
      const again = await logBatch(db, {
        runId: run.id,
        params: [
          { key: "lr", value: "0.01" },
          { key: "epochs", value: "10" },
        ],
      });
      expect(again.applied).toBe(true);
      expect(await paramsOf(run.id)).toEqual([
        { key: "epochs", value: "10" },
        { key: "lr", value: "0.01" },
      ]);
    });

    it("rejects a param that changes value", async () => {
      await logBatch(db, { runId: run.id, params: [{ key: "lr", value: "0.01" }] });
      const before = await dumpTables(db);
      const error = await expectStoreError(
        logBatch(db, {
          runId: run.id,
          params: [
            { key: "epochs", value: "10" },
            { key: "lr", value: "0.02" },
          ],
        }),
        { kind: "conflict", field: "params[1].value" },
      );
      expect(error.message).toContain("'lr' was already logged as '0.01'");
      expect(error.message).toContain("'0.02'");
      expect(await dumpTables(db)).toEqual(before);
      expect(await paramsOf(run.id)).toEqual([{ key: "lr", value: "0.01" }]);
    });

    it("keeps params apart between runs", async () => {
      const other = await createRun(db, {});
      await logBatch(db, { runId: run.id, params: [{ key: "lr", value: "0.01" }] });
      await logBatch(db, { runId: other.id, params: [{ key: "lr", value: "0.5" }] });
      const both = await paramsByRunIds(db, [run.id, other.id]);
      expect(both.get(run.id)).toEqual([{ key: "lr", value: "0.01" }]);
      expect(both.get(other.id)).toEqual([{ key: "lr", value: "0.5" }]);
    });

    it("rejects the same key twice with different values in one batch", async () => {
      const before = await dumpTables(db);
      await expectStoreError(
        logBatch(db, {
          runId: run.id,
          params: [
            { key: "lr", value: "0.01" },
            { key: "epochs", value: "10" },
            { key: "lr", value: "0.02" },
          ],
        }),
        { kind: "invalid", field: "params[2].key", message: /'lr' appears twice/ },
      );
      expect(await dumpTables(db)).toEqual(before);
    });

    it("accepts the same key twice with the same value in one batch", async () => {
      await logBatch(db, {
        runId: run.id,
        params: [
          { key: "lr", value: "0.01" },
          { key: "lr", value: "0.01" },
        ],
      });
      expect(await paramsOf(run.id)).toEqual([{ key: "lr", value: "0.01" }]);
    });
  });
});
