import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createExperiment,
  createRun,
  type Db,
  deleteRun,
  logBatch,
  type MetricBand,
  type MetricGroup,
  metricGroups,
  StoreError,
} from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";

const t0 = Date.UTC(2024, 0, 1);

/** Bands rounded so hand-computed means compare exactly. */
const rounded = (points: readonly MetricBand[]) =>
  points.map((band) => ({
    ...band,
    mean: band.mean === null ? null : Number(band.mean.toFixed(9)),
  }));

const valuesOf = (group: MetricGroup) => group.values.map((one) => one.value);

describe.each(dbTargets)("metricGroups on $name", (target) => {
  let db: Db;
  let counting = false;
  const statements: string[] = [];
  const ids: Record<string, string> = {};
  let sweep: string;
  let seeds: string;

  beforeAll(async () => {
    db = await target.open({
      onStatement: (sql) => {
        if (counting) statements.push(sql);
      },
    });
    sweep = (await createExperiment(db, { name: "sweep" })).id;
    const other = (await createExperiment(db, { name: "other" })).id;
    // A and B share lr 0.1; C and E share 0.01; D has no lr. E never logs the loss.
    const runs: {
      name: string;
      experimentId?: string;
      lr?: string;
      team?: string;
      steps?: number[];
      values?: number[];
    }[] = [
      { name: "A", lr: "0.1", team: "vision", steps: [0, 1, 2], values: [1, 0.8, 0.6] },
      {
        name: "B",
        lr: "0.1",
        team: "nlp",
        steps: [0, 1, 2, 3, 4],
        values: [3, 0.4, 0.5, 0.1, Number.NaN],
      },
      {
        name: "C",
        lr: "0.01",
        team: "vision",
        steps: [0, 2],
        values: [2, Number.POSITIVE_INFINITY],
      },
      { name: "D", steps: [1], values: [5] },
      { name: "E", lr: "0.01" },
      { name: "F", lr: "0.1", steps: [0], values: [100] }, // deleted below
      { name: "G", experimentId: other, lr: "0.1", steps: [0], values: [-7] },
    ];
    for (const [i, spec] of runs.entries()) {
      const run = await createRun(db, {
        experimentId: spec.experimentId ?? sweep,
        name: spec.name,
        startTime: t0 + i * 1000,
        tags: spec.team ? [{ key: "team", value: spec.team }] : [],
      });
      ids[spec.name] = run.id;
      await logBatch(db, {
        runId: run.id,
        params: spec.lr ? [{ key: "lr", value: spec.lr }] : [],
        metrics: spec.steps ? [{ key: "loss", steps: spec.steps, values: spec.values ?? [] }] : [],
      });
    }
    await deleteRun(db, ids.F as string);

    // 20 runs with a seed each, two points: for counting statements against groups.
    seeds = (await createExperiment(db, { name: "seeds" })).id;
    for (let seed = 0; seed < 20; seed++) {
      const run = await createRun(db, { experimentId: seeds, name: `seed-${seed}` });
      await logBatch(db, {
        runId: run.id,
        params: [{ key: "seed", value: String(seed) }],
        metrics: [{ key: "acc", steps: [0, 1], values: [seed / 100, seed / 50] }],
      });
    }
  });

  afterAll(async () => {
    await db?.close();
  });

  it("groups runs by a param and aggregates each step over the runs that logged it", async () => {
    const groups = await metricGroups(db, {
      key: "loss",
      groupBy: ["params.lr"],
      experimentIds: [sweep],
    });
    // Numbers in numeric order, the runs without the param last; the deleted run F is left out.
    expect(groups.map(valuesOf)).toEqual([["0.01"], ["0.1"], [null]]);
    expect(groups.map((group) => group.values[0]?.key)).toEqual([
      "params.lr",
      "params.lr",
      "params.lr",
    ]);
    expect(groups.map((group) => group.runIds)).toEqual([[ids.C, ids.E], [ids.A, ids.B], [ids.D]]);
    const [slow, fast, missing] = groups;
    // C: 2 at step 0; +Infinity at step 2 is left out of mean/min/max but the run counts.
    expect(slow?.points).toEqual([
      { step: 0, mean: 2, min: 2, max: 2, runs: 1 },
      { step: 2, mean: null, min: null, max: null, runs: 1 },
    ]);
    // A: 1, .8, .6 at steps 0–2; B: 3, .4, .5, .1, NaN at steps 0–4.
    expect(rounded(fast?.points ?? [])).toEqual([
      { step: 0, mean: 2, min: 1, max: 3, runs: 2 },
      { step: 1, mean: 0.6, min: 0.4, max: 0.8, runs: 2 },
      { step: 2, mean: 0.55, min: 0.5, max: 0.6, runs: 2 },
      { step: 3, mean: 0.1, min: 0.1, max: 0.1, runs: 1 },
      { step: 4, mean: null, min: null, max: null, runs: 1 },
    ]);
    expect(missing?.points).toEqual([{ step: 1, mean: 5, min: 5, max: 5, runs: 1 }]);
  });

  it("buckets steps into at most maxPoints equal widths, folding every point of a bucket", async () => {
    // Steps 0–4 in two buckets of width 3: steps 0–2 (step 0) and 3–5 (step 3).
    const two = await metricGroups(db, {
      key: "loss",
      groupBy: ["params.lr"],
      experimentIds: [sweep],
      maxPoints: 2,
    });
    expect(two[0]?.points).toEqual([
      { step: 0, mean: 2, min: 2, max: 2, runs: 1 }, // C: 2 and +Infinity
    ]);
    // A's mean over steps 0–2 is 0.8, B's 1.3: the mean of the two runs is 1.05.
    expect(rounded(two[1]?.points ?? [])).toEqual([
      { step: 0, mean: 1.05, min: 0.4, max: 3, runs: 2 },
      { step: 3, mean: 0.1, min: 0.1, max: 0.1, runs: 1 },
    ]);
    expect(two[2]?.points).toEqual([{ step: 0, mean: 5, min: 5, max: 5, runs: 1 }]);

    // One bucket: each run weighs the same (A 0.8, B 1.0 over its four finite points): 0.9,
    // where pooling the seven points would give 0.914.
    const one = await metricGroups(db, {
      key: "loss",
      groupBy: ["params.lr"],
      experimentIds: [sweep],
      maxPoints: 1,
    });
    expect(rounded(one[1]?.points ?? [])).toEqual([
      { step: 0, mean: 0.9, min: 0.1, max: 3, runs: 2 },
    ]);
    // More buckets than steps: every step is its own bucket.
    const many = await metricGroups(db, {
      key: "loss",
      groupBy: ["params.lr"],
      experimentIds: [sweep],
      maxPoints: 1000,
    });
    expect(many[1]?.points.map((band) => band.step)).toEqual([0, 1, 2, 3, 4]);
  });

  it("keeps to a window of steps, with buckets starting at its first logged step", async () => {
    const exact = await metricGroups(db, {
      key: "loss",
      groupBy: ["params.lr"],
      experimentIds: [sweep],
      minStep: 1,
      maxStep: 2,
    });
    expect(rounded(exact[1]?.points ?? []).map((band) => [band.step, band.mean])).toEqual([
      [1, 0.6],
      [2, 0.55],
    ]);
    expect(exact[0]?.points.map((band) => band.step)).toEqual([2]);
    const bucketed = await metricGroups(db, {
      key: "loss",
      groupBy: ["params.lr"],
      experimentIds: [sweep],
      minStep: 1,
      maxStep: 2,
      maxPoints: 1,
    });
    // A: (.8 + .6) / 2 = .7, B: (.4 + .5) / 2 = .45.
    expect(rounded(bucketed[1]?.points ?? [])).toEqual([
      { step: 1, mean: 0.575, min: 0.4, max: 0.8, runs: 2 },
    ]);
  });

  it("groups by several keys, params and tags, with null for the runs that lack one", async () => {
    const groups = await metricGroups(db, {
      key: "loss",
      groupBy: ["params.lr", "tags.team"],
      experimentIds: [sweep],
    });
    expect(groups.map(valuesOf)).toEqual([
      ["0.01", "vision"],
      ["0.01", null],
      ["0.1", "nlp"],
      ["0.1", "vision"],
      [null, null],
    ]);
    expect(groups.map((group) => group.runIds)).toEqual([
      [ids.C],
      [ids.E],
      [ids.B],
      [ids.A],
      [ids.D],
    ]);
    // E never logged the loss: its group has no points.
    expect(groups[1]?.points).toEqual([]);
    expect(groups[0]?.values).toEqual([
      { key: "params.lr", value: "0.01" },
      { key: "tags.team", value: "vision" },
    ]);
  });

  it("selects runs as runs() does: ids, experiments, filter; no groupBy makes one group", async () => {
    const all = await metricGroups(db, { key: "loss", groupBy: [], experimentIds: [sweep] });
    expect(all).toHaveLength(1);
    expect(all[0]?.values).toEqual([]);
    expect(all[0]?.runIds).toEqual([ids.A, ids.B, ids.C, ids.D, ids.E]);
    expect(rounded(all[0]?.points ?? [])[1]).toEqual({
      step: 1,
      mean: 2.066666667, // (.8 + .4 + 5) / 3
      min: 0.4,
      max: 5,
      runs: 3,
    });

    const filtered = await metricGroups(db, {
      key: "loss",
      groupBy: ["tags.team"],
      experimentIds: [sweep],
      filter: "params.lr = '0.1' and metrics.loss >= 0",
    });
    // B's last value is NaN, so `metrics.loss >= 0` is false for it, as in runs(filter:).
    expect(filtered.map((group) => [valuesOf(group), group.runIds])).toEqual([
      [["vision"], [ids.A]],
    ]);

    const picked = await metricGroups(db, {
      key: "loss",
      groupBy: ["param.lr"],
      runIds: [ids.A as string, ids.C as string, ids.G as string],
    });
    expect(picked.map((group) => [valuesOf(group), group.runIds])).toEqual([
      [["0.01"], [ids.C]],
      [["0.1"], [ids.A, ids.G]],
    ]);
    expect(picked[1]?.points[0]).toEqual({ step: 0, mean: -3, min: -7, max: 1, runs: 2 });

    expect(await metricGroups(db, { key: "loss", groupBy: [], runIds: [] })).toEqual([]);
    const none = await metricGroups(db, {
      key: "no-such-metric",
      groupBy: ["params.lr"],
      experimentIds: [sweep],
    });
    expect(none.map((group) => group.points)).toEqual([[], [], []]);
  });

  it("runs two statements whether it finds one group or twenty", async () => {
    const counts: number[] = [];
    for (const groupBy of [[], ["params.seed"]]) {
      statements.length = 0;
      counting = true;
      let groups: MetricGroup[];
      try {
        groups = await metricGroups(db, { key: "acc", groupBy, experimentIds: [seeds] });
      } finally {
        counting = false;
      }
      expect(groups).toHaveLength(groupBy.length === 0 ? 1 : 20);
      for (const group of groups) expect(group.points.map((band) => band.step)).toEqual([0, 1]);
      counts.push(statements.length);
    }
    expect(counts).toEqual([2, 2]);
  });

  it("refuses bad input with the field and the rule", async () => {
    const attempt = (options: Partial<Parameters<typeof metricGroups>[1]>) =>
      metricGroups(db, { key: "loss", groupBy: [], ...options }).then(
        () => undefined,
        (error: unknown) => {
          expect(error).toBeInstanceOf(StoreError);
          const { kind, field, message } = error as StoreError;
          return { kind, field, message };
        },
      );
    expect(await attempt({ groupBy: ["metrics.loss"] })).toMatchObject({
      kind: "invalid",
      field: "groupBy[0]",
      message: expect.stringMatching(/'metrics.loss' must be a param or tag key: 'params.<key>'/),
    });
    expect(await attempt({ groupBy: ["params.lr", "lr"] })).toMatchObject({
      field: "groupBy[1]",
    });
    expect(await attempt({ groupBy: ["params."] })).toMatchObject({
      field: "groupBy[0]",
      message: "groupBy[0]: must be a non-empty string",
    });
    expect(await attempt({ groupBy: ["params.lr", "param.lr"] })).toMatchObject({
      field: "groupBy[1]",
      message: "groupBy[1]: 'params.lr' is named twice",
    });
    expect(
      await attempt({ groupBy: Array.from({ length: 11 }, (_, i) => `tags.t${i}`) }),
    ).toMatchObject({
      field: "groupBy",
    });
    expect(await attempt({ key: "" })).toMatchObject({ field: "key" });
    expect(await attempt({ maxPoints: 0 })).toMatchObject({
      field: "maxPoints",
      message: "maxPoints: must be an integer of at least 1 (got 0)",
    });
    expect(await attempt({ minStep: 5, maxStep: 1 })).toMatchObject({ field: "minStep" });
    expect(await attempt({ runIds: ["nope"] })).toMatchObject({
      field: "runIds[0]",
      message: "runIds[0]: 'nope' is not a run id (32 hexadecimal characters)",
    });
    expect(await attempt({ experimentIds: ["x"] })).toMatchObject({ field: "experimentIds[0]" });
    expect(await attempt({ filter: "params.lr =" })).toMatchObject({ field: "filter" });
  });
});
