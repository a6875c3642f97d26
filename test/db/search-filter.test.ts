import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createExperiment,
  createRun,
  type Db,
  type Experiment,
  listExperiments,
  logBatch,
  metricSummariesByRunIds,
  paramsByRunIds,
  type Run,
  StoreError,
  searchRuns,
  setExperimentTag,
  tagsByRunIds,
  updateRun,
} from "../../db/index.ts";
import { checkFilter, matchesFilter, parseFilter } from "../../search/index.ts";
import { dbTargets } from "../support/db-targets.ts";

// A small, varied population: NaN and ±Infinity metrics, missing keys, quotes and case in values.
const accuracies = [
  0.95,
  0.85,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  undefined,
  0.9,
  -0.5,
  Number.NEGATIVE_INFINITY,
];
const learningRates = ["0.001", "0.01", "0.001", undefined, "0.1", "1e-4", "0.01", "0.001"];
const teams = ["vision", "nlp", "Vision", "it's", undefined, "vision", "speech", "nlp"];

const filters = [
  "metrics.acc > 0.9",
  "metrics.acc >= 0.9",
  "metrics.acc < 0.9",
  "metrics.acc = 0.85",
  "metrics.acc != 0.85",
  "metrics.acc > 0.9 and params.lr = '0.001'",
  "metrics.acc < 0.9 or tags.team = 'vision'",
  "not metrics.acc > 0.9",
  "not (metrics.acc > 0.9 or params.lr = '0.01')",
  "tags.team IN ('vision', 'nlp')",
  "tags.team NOT IN ('vision')",
  "tags.team LIKE 'vis%'",
  "tags.team ILIKE 'VIS%'",
  "tags.team LIKE 'it''s'",
  "tags.team LIKE '_lp'",
  "params.lr LIKE '0.0%' and not tags.team = 'nlp'",
  "attributes.run_name LIKE 'run-1%'",
  "attributes.status = 'FINISHED'",
  "attributes.status != 'FINISHED' and metrics.acc > -1",
  "start_time > 0 and end_time > 0",
  "params.lr > '0.001'",
  "metrics.acc IN (0.95, 0.9)",
];

describe.each(dbTargets)("run filters on $name", (target) => {
  let db: Db;
  let experiment: Experiment;
  let runs: Run[];

  beforeAll(async () => {
    db = await target.open();
    experiment = await createExperiment(db, { name: "search" });
    runs = [];
    for (let i = 0; i < accuracies.length; i++) {
      const run = await createRun(db, {
        experimentId: experiment.id,
        name: `run-${i}`,
        startTime: 1000 + i,
      });
      const acc = accuracies[i];
      const lr = learningRates[i];
      const team = teams[i];
      await logBatch(db, {
        runId: run.id,
        params: lr === undefined ? [] : [{ key: "lr", value: lr }],
        tags: team === undefined ? [] : [{ key: "team", value: team }],
        metrics: acc === undefined ? [] : [{ key: "acc", values: [0, acc], steps: [0, 1] }],
      });
      if (i % 2 === 0) await updateRun(db, { runId: run.id, status: "FINISHED" });
      runs.push(run);
    }
  });
  afterAll(() => db.close());

  it.each(filters)("agrees with the in-memory evaluator on %s", async (filter) => {
    const found = await searchRuns(db, {
      experimentIds: [experiment.id],
      filter,
      limit: 1000,
      offset: 0,
    });
    const ids = runs.map((run) => run.id);
    const [params, tags, metrics, all] = await Promise.all([
      paramsByRunIds(db, ids),
      tagsByRunIds(db, ids),
      metricSummariesByRunIds(db, ids),
      searchRuns(db, { experimentIds: [experiment.id], limit: 1000, offset: 0 }),
    ]);
    const expression = checkFilter(parseFilter(filter), filter, "runs");
    const expected = all.runs
      .filter((run) =>
        matchesFilter(expression, {
          metric: (key) => metrics.get(run.id)?.find((m) => m.key === key)?.last,
          param: (key) => params.get(run.id)?.find((p) => p.key === key)?.value,
          tag: (key) => tags.get(run.id)?.find((t) => t.key === key)?.value,
          attribute: (key) =>
            ({
              run_id: run.id,
              run_name: run.name,
              status: run.status,
              start_time: run.startTime,
              end_time: run.endTime,
              artifact_uri: run.artifactUri,
              experiment_id: run.experimentId,
            })[key],
        }),
      )
      .map((run) => run.name);
    expect(found.runs.map((run) => run.name)).toEqual(expected);
    expect(found.totalCount).toBe(expected.length);
  });

  it("means the latest value of a metric, and finds +Infinity above any number", async () => {
    const found = await searchRuns(db, {
      experimentIds: [experiment.id],
      filter: "metrics.acc > 1000000",
      limit: 10,
      offset: 0,
    });
    expect(found.runs.map((run) => run.name)).toEqual(["run-3"]);
  });

  it("combines a filter with an order, NaN and missing values last", async () => {
    const found = await searchRuns(db, {
      experimentIds: [experiment.id],
      filter: "params.lr != '0.1' or metrics.acc < 0",
      orderBy: ["metrics.acc DESC"],
      limit: 10,
      offset: 0,
    });
    expect(found.runs.map((run) => run.name)).toEqual([
      "run-0",
      "run-5",
      "run-1",
      "run-6",
      "run-7",
      "run-2",
    ]);
  });

  it.each([
    "params.lr = '' or 1=1 --'",
    "params.lr = '0.1'; DELETE FROM runs",
    "tags.team = 'x' /* c */",
  ])("refuses %s as invalid input and leaves the runs alone", async (filter) => {
    const attempt = searchRuns(db, {
      experimentIds: [experiment.id],
      filter,
      limit: 10,
      offset: 0,
    });
    await expect(attempt).rejects.toBeInstanceOf(StoreError);
    await expect(attempt).rejects.toMatchObject({ kind: "invalid", field: "filter" });
    const all = await searchRuns(db, { experimentIds: [experiment.id], limit: 100, offset: 0 });
    expect(all.totalCount).toBe(accuracies.length);
  });

  it("treats quotes inside a value as data, not SQL", async () => {
    const found = await searchRuns(db, {
      experimentIds: [experiment.id],
      filter: "tags.team = 'it''s' or tags.team = ''' OR 1=1 --'",
      limit: 10,
      offset: 0,
    });
    expect(found.runs.map((run) => run.name)).toEqual(["run-3"]);
  });

  it("filters experiments by name and tags", async () => {
    const other = await createExperiment(db, { name: "mnist-dense" });
    await setExperimentTag(db, other.id, { key: "team", value: "vision" });
    const byTag = await listExperiments(db, {
      filter: "tags.team = 'vision'",
      limit: 10,
      offset: 0,
    });
    expect(byTag.experiments.map((e) => e.name)).toEqual(["mnist-dense"]);
    const byName = await listExperiments(db, {
      filter: "name LIKE 'mnist%' or name = 'Default'",
      limit: 10,
      offset: 0,
    });
    expect(byName.experiments.map((e) => e.name).sort()).toEqual(["Default", "mnist-dense"]);
    await expect(
      listExperiments(db, { filter: "metrics.acc > 1", limit: 10, offset: 0 }),
    ).rejects.toMatchObject({
      kind: "invalid",
      field: "filter",
    });
  });
});
