import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createRun,
  type Db,
  type LogBatchInput,
  limits,
  logBatch,
  paramsByRunIds,
  type Run,
  setRunTag,
  tagsByRunIds,
} from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";
import { dumpTables, expectStoreError } from "./store-assertions.ts";

/** A valid part that every rejected batch also carries, so "nothing written" means something. */
const validPart = {
  params: [{ key: "lr", value: "0.1" }],
  tags: [{ key: "team", value: "vision" }],
};
const goodMetric = { key: "loss", values: [1, 0.5], steps: [0, 1] };

interface RejectedCase {
  name: string;
  batch: Omit<LogBatchInput, "runId">;
  field: string;
  rule: RegExp;
}

const rejected: RejectedCase[] = [
  {
    name: "a key with characters outside the key alphabet",
    batch: { ...validPart, metrics: [goodMetric, { key: "a!b", values: [1] }] },
    field: "metrics[1].key",
    rule: /'a!b' may only contain letters, digits, underscores, dashes, periods, slashes, spaces and colons/,
  },
  {
    name: "a key longer than 250 characters",
    batch: { ...validPart, params: [{ key: "k".repeat(251), value: "v" }] },
    field: "params[0].key",
    rule: /must be at most 250 characters \(got 251\)/,
  },
  {
    name: "a key with a '..' segment",
    batch: { ...validPart, tags: [validPart.tags[0]!, { key: "a/../b", value: "v" }] },
    field: "tags[1].key",
    rule: /'a\/\.\.\/b' must be a normalized path/,
  },
  {
    name: "a key with a '.' segment",
    batch: { ...validPart, metrics: [{ key: "a/./b", values: [1] }] },
    field: "metrics[0].key",
    rule: /must be a normalized path/,
  },
  {
    name: "a key with a leading '/'",
    batch: { ...validPart, metrics: [{ key: "/loss", values: [1] }] },
    field: "metrics[0].key",
    rule: /must be a normalized path: no leading, trailing or doubled '\/'/,
  },
  {
    name: "a key with a trailing '/'",
    batch: { ...validPart, params: [{ key: "lr/", value: "1" }] },
    field: "params[0].key",
    rule: /must be a normalized path/,
  },
  {
    name: "a key with a doubled '/'",
    batch: { ...validPart, tags: [{ key: "a//b", value: "1" }] },
    field: "tags[0].key",
    rule: /must be a normalized path/,
  },
  {
    name: "an empty key",
    batch: { ...validPart, params: [validPart.params[0]!, { key: "", value: "1" }] },
    field: "params[1].key",
    rule: /must be a non-empty string/,
  },
  {
    name: "a param value longer than 6000 characters",
    batch: { ...validPart, params: [{ key: "prompt", value: "x".repeat(6001) }] },
    field: "params[0].value",
    rule: /must be at most 6000 characters \(got 6001\)/,
  },
  {
    name: "a tag value longer than 5000 characters",
    batch: { ...validPart, tags: [{ key: "note", value: "x".repeat(5001) }] },
    field: "tags[0].value",
    rule: /must be at most 5000 characters \(got 5001\)/,
  },
  {
    name: "a step that is not an integer",
    batch: { ...validPart, metrics: [{ key: "loss", values: [1, 2], steps: [0, 1.5] }] },
    field: "metrics[0].steps[1]",
    rule: /must be an integer/,
  },
  {
    name: "a step beyond 2^53 - 1",
    batch: { ...validPart, metrics: [{ key: "loss", values: [1, 2], steps: [0, 2 ** 53] }] },
    field: "metrics[0].steps[1]",
    rule: /must be between -\(2\^53 - 1\) and 2\^53 - 1 \(got 9007199254740992\)/,
  },
  {
    name: "a step below -(2^53 - 1)",
    batch: { ...validPart, metrics: [goodMetric, { key: "m", values: [1], steps: [-(2 ** 53)] }] },
    field: "metrics[1].steps[0]",
    rule: /must be between -\(2\^53 - 1\) and 2\^53 - 1/,
  },
  {
    name: "a timestamp beyond 2^53 - 1",
    batch: { ...validPart, metrics: [{ key: "loss", values: [1], timestamps: [2 ** 53] }] },
    field: "metrics[0].timestamps[0]",
    rule: /must be between -\(2\^53 - 1\) and 2\^53 - 1/,
  },
  {
    name: "a negative timestamp",
    batch: { ...validPart, metrics: [{ key: "loss", values: [1, 2], timestamps: [-1, 5] }] },
    field: "metrics[0].timestamps[0]",
    rule: /must be milliseconds since 1970-01-01 UTC, not negative/,
  },
  {
    name: "a timestamp that is not an integer",
    batch: { ...validPart, metrics: [{ key: "loss", values: [1], timestamps: [1.25] }] },
    field: "metrics[0].timestamps[0]",
    rule: /must be an integer/,
  },
  {
    name: "a steps list shorter than the values",
    batch: { ...validPart, metrics: [{ key: "loss", values: [1, 2], steps: [0] }] },
    field: "metrics[0].steps",
    rule: /must have one entry per value \(2\), got 1/,
  },
  {
    name: "a timestamps list longer than the values",
    batch: { ...validPart, metrics: [{ key: "loss", values: [1], timestamps: [1, 2] }] },
    field: "metrics[0].timestamps",
    rule: /must have one entry per value \(1\), got 2/,
  },
  {
    name: "an empty values list",
    batch: { ...validPart, metrics: [goodMetric, { key: "acc", values: [] }] },
    field: "metrics[1].values",
    rule: /must hold at least one value/,
  },
];

describe.each(dbTargets)("store on $name", (target) => {
  let db: Db;
  let run: Run;
  beforeEach(async () => {
    db = await target.open();
    run = await createRun(db, {});
    // Something already logged, so "unchanged" covers existing rows too.
    await logBatch(db, { runId: run.id, metrics: [{ key: "loss", values: [2] }] });
  });
  afterEach(async () => {
    await db.close();
  });

  describe("validation", () => {
    it.each(rejected)(
      "rejects $name, naming $field and leaving the database unchanged",
      async ({ batch, field, rule }) => {
        const before = await dumpTables(db);
        const error = await expectStoreError(logBatch(db, { runId: run.id, ...batch }), {
          kind: "invalid",
          field,
        });
        expect(error.message).toMatch(rule);
        expect(await dumpTables(db)).toEqual(before);
      },
    );

    it("accepts keys, values and steps right at the limits", async () => {
      const key = `${"k".repeat(limits.keyLength - 2)}/x`;
      await logBatch(db, {
        runId: run.id,
        params: [{ key, value: "p".repeat(limits.paramValueLength) }],
        tags: [{ key: "note", value: "t".repeat(limits.tagValueLength) }],
        metrics: [
          {
            key: "edge",
            values: [1, 2],
            steps: [-(2 ** 53 - 1), 2 ** 53 - 1],
            timestamps: [0, 2 ** 53 - 1],
          },
        ],
      });
      const params = (await paramsByRunIds(db, [run.id])).get(run.id);
      expect(params?.[0]?.key).toHaveLength(250);
      expect(params?.[0]?.value).toHaveLength(6000);
      expect((await tagsByRunIds(db, [run.id])).get(run.id)?.[0]?.value).toHaveLength(5000);
    });

    it("accepts keys made of letters in any script, digits and _ - . / space :", async () => {
      const keys = ["a-b_c.d/e f:g", "Genauigkeit/größe", "精度", "v1.2/..a", ".hidden"];
      await logBatch(db, { runId: run.id, params: keys.map((key) => ({ key, value: "1" })) });
      const stored = (await paramsByRunIds(db, [run.id])).get(run.id)?.map((p) => p.key);
      expect(stored?.sort()).toEqual([...keys].sort());
    });

    it("rejects a run tag with an invalid key or an overlong value", async () => {
      const before = await dumpTables(db);
      await expectStoreError(setRunTag(db, run.id, { key: "a!b", value: "v" }), {
        kind: "invalid",
        field: "key",
        message: /may only contain/,
      });
      await expectStoreError(setRunTag(db, run.id, { key: "k", value: "x".repeat(5001) }), {
        kind: "invalid",
        field: "value",
        message: /at most 5000 characters/,
      });
      expect(await dumpTables(db)).toEqual(before);
    });

    it("rejects a run name longer than 250 characters or a negative start time", async () => {
      const before = await dumpTables(db);
      await expectStoreError(createRun(db, { name: "n".repeat(251) }), {
        kind: "invalid",
        field: "name",
        message: /at most 250 characters/,
      });
      await expectStoreError(createRun(db, { startTime: -5 }), {
        kind: "invalid",
        field: "startTime",
        message: /not negative/,
      });
      await expectStoreError(createRun(db, { startTime: 2 ** 53 }), {
        kind: "invalid",
        field: "startTime",
      });
      expect(await dumpTables(db)).toEqual(before);
    });
  });
});
