import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createExperiment,
  createRun,
  type Db,
  deleteRun,
  logBatch,
  type Run,
  type SearchRunsOptions,
  searchRuns,
  updateRun,
} from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";
import { expectStoreError } from "./store-assertions.ts";

describe.each(dbTargets)("store on $name", (target) => {
  let db: Db;
  beforeEach(async () => {
    db = await target.open();
  });
  afterEach(async () => {
    await db.close();
  });

  /** Creates a run named `name` that started at `startTime`. */
  const runAt = (name: string, startTime: number, experimentId = "0") =>
    createRun(db, { name, startTime, experimentId });

  /** Names of the runs a search returns, in order. */
  async function names(options: Partial<SearchRunsOptions> = {}): Promise<string[]> {
    const { runs } = await searchRuns(db, { limit: 100, offset: 0, ...options });
    return runs.map((run) => run.name);
  }

  const logAcc = (run: Run, ...values: number[]) =>
    logBatch(db, {
      runId: run.id,
      metrics: [{ key: "acc", values, steps: values.map((_, i) => i) }],
    });

  describe("searchRuns", () => {
    it("lists the newest run first by default", async () => {
      await runAt("oldest", 1_000);
      await runAt("newest", 3_000);
      await runAt("middle", 2_000);
      expect(await names()).toEqual(["newest", "middle", "oldest"]);
      expect(await names({ orderBy: [] })).toEqual(["newest", "middle", "oldest"]);
    });

    describe("by a metric", () => {
      beforeEach(async () => {
        // The tail (NaN and missing) falls back to newest first: nan, then missing.
        await logAcc(await runAt("half", 1_000), 0.5);
        await logAcc(await runAt("high", 1_001), 0.9);
        await logAcc(await runAt("nan", 1_006), Number.NaN);
        await runAt("missing", 1_005);
        await logAcc(await runAt("low", 1_003), 0.1);
        await logAcc(await runAt("inf", 1_004), Number.POSITIVE_INFINITY);
        await logAcc(await runAt("-inf", 1_002), Number.NEGATIVE_INFINITY);
        // Ordered by its last value, 0.2, not its best.
        await logAcc(await runAt("fell", 1_007), 0.99, 0.2);
      });

      it("orders by the last value, highest first, with NaN and missing last", async () => {
        expect(await names({ orderBy: ["metrics.acc DESC"] })).toEqual([
          "inf",
          "high",
          "half",
          "fell",
          "low",
          "-inf",
          "nan",
          "missing",
        ]);
      });

      it("orders by the last value, lowest first, with NaN and missing still last", async () => {
        expect(await names({ orderBy: ["metrics.acc ASC"] })).toEqual([
          "-inf",
          "low",
          "fell",
          "half",
          "high",
          "inf",
          "nan",
          "missing",
        ]);
        expect(await names({ orderBy: ["metrics.acc"] })).toEqual(
          await names({ orderBy: ["metrics.acc ASC"] }),
        );
      });

      it("accepts the metric prefix in its other spellings and a quoted key", async () => {
        const expected = await names({ orderBy: ["metrics.acc DESC"] });
        expect(await names({ orderBy: ["metric.acc desc"] })).toEqual(expected);
        expect(await names({ orderBy: ["metrics.`acc` DESC"] })).toEqual(expected);
        expect(await names({ orderBy: ['metrics."acc" DESC'] })).toEqual(expected);
      });
    });

    it("orders by a metric key that has spaces when it is quoted", async () => {
      const a = await runAt("a", 1);
      const b = await runAt("b", 2);
      await logBatch(db, { runId: a.id, metrics: [{ key: "val acc", values: [2] }] });
      await logBatch(db, { runId: b.id, metrics: [{ key: "val acc", values: [1] }] });
      expect(await names({ orderBy: ["metrics.`val acc` ASC"] })).toEqual(["b", "a"]);
    });

    it("orders by a param's value as text, with runs without it last", async () => {
      const lr = async (name: string, startTime: number, value?: string) => {
        const run = await runAt(name, startTime);
        if (value !== undefined)
          await logBatch(db, { runId: run.id, params: [{ key: "lr", value }] });
      };
      await lr("mid", 1, "0.01");
      await lr("none", 2);
      await lr("big", 3, "0.1");
      await lr("small", 4, "0.001");
      expect(await names({ orderBy: ["params.lr"] })).toEqual(["small", "mid", "big", "none"]);
      expect(await names({ orderBy: ["params.lr DESC"] })).toEqual(["big", "mid", "small", "none"]);
    });

    it("orders by a tag's value, with runs without it last", async () => {
      const tagged = async (name: string, startTime: number, team?: string) =>
        createRun(db, {
          name,
          startTime,
          tags: team === undefined ? [] : [{ key: "team", value: team }],
        });
      await tagged("v", 1, "vision");
      await tagged("n", 2);
      await tagged("s", 3, "speech");
      expect(await names({ orderBy: ["tags.team ASC"] })).toEqual(["s", "v", "n"]);
      expect(await names({ orderBy: ["tags.team DESC"] })).toEqual(["v", "s", "n"]);
    });

    it("orders by run attributes", async () => {
      await runAt("bravo", 2);
      await runAt("alpha", 3);
      await runAt("charlie", 1);
      expect(await names({ orderBy: ["attributes.name"] })).toEqual(["alpha", "bravo", "charlie"]);
      expect(await names({ orderBy: ["attributes.name DESC"] })).toEqual([
        "charlie",
        "bravo",
        "alpha",
      ]);
      expect(await names({ orderBy: ["run_name"] })).toEqual(["alpha", "bravo", "charlie"]);
      expect(await names({ orderBy: ["attributes.start_time ASC"] })).toEqual([
        "charlie",
        "bravo",
        "alpha",
      ]);
    });

    it("orders by end time with runs that have none last in both directions", async () => {
      const finished = async (name: string, endTime?: number) => {
        const run = await runAt(name, 1);
        if (endTime !== undefined)
          await updateRun(db, { runId: run.id, status: "FINISHED", endTime });
      };
      await finished("late", 300);
      await finished("open");
      await finished("early", 100);
      expect(await names({ orderBy: ["attributes.end_time ASC"] })).toEqual([
        "early",
        "late",
        "open",
      ]);
      expect(await names({ orderBy: ["attributes.end_time DESC"] })).toEqual([
        "late",
        "early",
        "open",
      ]);
    });

    it("applies later clauses to break ties of earlier ones", async () => {
      const run = async (name: string, lr: string, acc: number) => {
        const created = await runAt(name, 1);
        await logBatch(db, {
          runId: created.id,
          params: [{ key: "lr", value: lr }],
          metrics: [{ key: "acc", values: [acc] }],
        });
      };
      await run("a", "0.1", 0.5);
      await run("b", "0.01", 0.7);
      await run("c", "0.1", 0.9);
      await run("d", "0.01", 0.6);
      expect(await names({ orderBy: ["params.lr ASC", "metrics.acc DESC"] })).toEqual([
        "b",
        "d",
        "c",
        "a",
      ]);
    });

    it.each([
      ["foo.bar", /prefix attributes\., metrics\., params\. or tags\..*found 'foo\.'/],
      ["attributes.nope", /cannot order by attribute 'nope'/],
      ["nope", /cannot order by attribute 'nope'/],
      ["metrics.acc sideways", /'<prefix>\.<key> \[ASC\|DESC\]'/],
    ])("rejects the order clause %s, naming orderBy[0]", async (clause, rule) => {
      await expectStoreError(searchRuns(db, { orderBy: [clause], limit: 10, offset: 0 }), {
        kind: "invalid",
        field: "orderBy[0]",
        message: rule,
      });
    });

    it("names the position of a bad clause after good ones", async () => {
      await expectStoreError(
        searchRuns(db, { orderBy: ["metrics.acc", "foo.bar"], limit: 10, offset: 0 }),
        { kind: "invalid", field: "orderBy[1]" },
      );
    });

    it("pages through runs with limit and offset and counts them all", async () => {
      for (let i = 0; i < 5; i++) await runAt(`run-${i}`, 1_000 + i);
      const page = (offset: number) => searchRuns(db, { limit: 2, offset });
      const pages = await Promise.all([page(0), page(2), page(4), page(6)]);
      expect(pages.map((p) => p.runs.map((run) => run.name))).toEqual([
        ["run-4", "run-3"],
        ["run-2", "run-1"],
        ["run-0"],
        [],
      ]);
      expect(pages.map((p) => p.totalCount)).toEqual([5, 5, 5, 5]);
    });

    it("lists active, deleted or all runs", async () => {
      await runAt("kept", 2);
      const gone = await runAt("gone", 1);
      await deleteRun(db, gone.id);
      const search = (view: "active" | "deleted" | "all") =>
        searchRuns(db, { view, limit: 10, offset: 0 });
      const [active, deleted, all] = await Promise.all([
        search("active"),
        search("deleted"),
        search("all"),
      ]);
      expect(active.runs.map((run) => run.name)).toEqual(["kept"]);
      expect(active.totalCount).toBe(1);
      expect(deleted.runs.map((run) => run.name)).toEqual(["gone"]);
      expect(deleted.totalCount).toBe(1);
      expect(all.runs.map((run) => run.name)).toEqual(["kept", "gone"]);
      expect(all.totalCount).toBe(2);
      expect(await names()).toEqual(["kept"]);
    });

    it("searches only the experiments it is given", async () => {
      const experiment = await createExperiment(db, { name: "mnist" });
      await runAt("in-default", 1);
      await runAt("in-mnist", 2, experiment.id);
      expect(await names({ experimentIds: [experiment.id] })).toEqual(["in-mnist"]);
      expect(await names({ experimentIds: ["0", experiment.id] })).toEqual([
        "in-mnist",
        "in-default",
      ]);
      const none = await searchRuns(db, { experimentIds: [], limit: 10, offset: 0 });
      expect(none).toEqual({ runs: [], totalCount: 0 });
      expect(await names({ experimentIds: ["not-an-id"] })).toEqual([]);
    });
  });
});
