import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../api/app.ts";
import { createExperiment, createRun, type Db, logBatch } from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";
import { firstError, gql, gqlData } from "../support/gql.ts";

const metricGroupsDoc = `query ($key: String!, $groupBy: [String!]!, $experimentIds: [ID!], $runIds: [ID!],
  $filter: String, $maxPoints: Int, $minStep: Long, $maxStep: Long) {
  metricGroups(key: $key, groupBy: $groupBy, experimentIds: $experimentIds, runIds: $runIds,
    filter: $filter, maxPoints: $maxPoints, minStep: $minStep, maxStep: $maxStep) {
    values { key value } runIds runCount points { step mean min max runs }
  }
}`;

interface Data {
  metricGroups: {
    values: { key: string; value: string | null }[];
    runIds: string[];
    runCount: number;
    points: {
      step: number;
      mean: number | string | null;
      min: number | string | null;
      max: number | string | null;
      runs: number;
    }[];
  }[];
}

describe.each(dbTargets)("the metricGroups query on $name", (target) => {
  let db: Db;
  let app: App;
  let experimentId: string;
  const runIds: string[] = [];

  beforeAll(async () => {
    db = await target.open();
    app = createApp({ db });
    experimentId = (await createExperiment(db, { name: "seeds" })).id;
    // Two seeds per optimizer; one sgd run diverges to NaN at its last step.
    const runs = [
      { optimizer: "adam", seed: "1", values: [1, 0.5, 0.25] },
      { optimizer: "adam", seed: "2", values: [3, 1.5, 0.75] },
      { optimizer: "sgd", seed: "1", values: [2, 2, 2] },
      { optimizer: "sgd", seed: "2", values: [4, 8, Number.NaN] },
    ];
    for (const [i, spec] of runs.entries()) {
      const run = await createRun(db, { experimentId, startTime: 1_700_000_000_000 + i });
      runIds.push(run.id);
      await logBatch(db, {
        runId: run.id,
        params: [
          { key: "optimizer", value: spec.optimizer },
          { key: "seed", value: spec.seed },
        ],
        metrics: [{ key: "loss", steps: [10, 20, 30], values: spec.values }],
      });
    }
  });

  afterAll(async () => {
    await db?.close();
  });

  it("answers the shape the report codes against", async () => {
    const data = await gqlData<Data>(app, metricGroupsDoc, {
      key: "loss",
      groupBy: ["params.optimizer"],
      experimentIds: [experimentId],
    });
    expect(data.metricGroups).toEqual([
      {
        values: [{ key: "params.optimizer", value: "adam" }],
        runIds: [runIds[0], runIds[1]],
        runCount: 2,
        points: [
          { step: 10, mean: 2, min: 1, max: 3, runs: 2 },
          { step: 20, mean: 1, min: 0.5, max: 1.5, runs: 2 },
          { step: 30, mean: 0.5, min: 0.25, max: 0.75, runs: 2 },
        ],
      },
      {
        values: [{ key: "params.optimizer", value: "sgd" }],
        runIds: [runIds[2], runIds[3]],
        runCount: 2,
        points: [
          { step: 10, mean: 3, min: 2, max: 4, runs: 2 },
          { step: 20, mean: 5, min: 2, max: 8, runs: 2 },
          // The NaN is left out: the mean of the one finite value.
          { step: 30, mean: 2, min: 2, max: 2, runs: 2 },
        ],
      },
    ]);
  });

  it("buckets with maxPoints and zooms with minStep/maxStep given as Long strings", async () => {
    const data = await gqlData<Data>(app, metricGroupsDoc, {
      key: "loss",
      groupBy: ["params.optimizer"],
      runIds: runIds.slice(0, 2),
      maxPoints: 1,
      minStep: "15",
      maxStep: "30",
    });
    // adam seed 1: (.5 + .25) / 2; seed 2: (1.5 + .75) / 2; their mean 0.75.
    expect(data.metricGroups[0]?.points).toEqual([
      { step: 20, mean: 0.75, min: 0.25, max: 1.5, runs: 2 },
    ]);
  });

  it("refuses a bad groupBy key with BAD_USER_INPUT naming it", async () => {
    const error = firstError(
      await gql(app, metricGroupsDoc, { key: "loss", groupBy: ["params.seed", "metrics.acc"] }),
    );
    expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "groupBy[1]" });
    expect(error.message).toMatch(/groupBy\[1\]: 'metrics.acc' must be a param or tag key/);
    const filterError = firstError(
      await gql(app, metricGroupsDoc, { key: "loss", groupBy: [], filter: "params.seed ==" }),
    );
    expect(filterError.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "filter" });
  });
});
