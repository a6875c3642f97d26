import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type App, createApp } from "../../api/app.ts";
import type { Db } from "../../db/index.ts";
import { dbTargets } from "../support/db-targets.ts";
import { firstError, gql, gqlData } from "../support/gql.ts";
import {
  type ExperimentByNameData,
  experimentByNameDoc,
  type MetricData,
  metricDoc,
  operations,
  type RunsData,
  runsDoc,
  type UpdateRunData,
  updateRunDoc,
} from "./operations.ts";

const runIdPattern = /^[0-9a-f]{32}$/;

describe.each(dbTargets)("the client documents against a $name database", (target) => {
  let db: Db;
  let app: App;
  let ops: ReturnType<typeof operations>;

  beforeEach(async () => {
    db = await target.open();
    app = createApp({ db });
    ops = operations(app);
  });

  afterEach(async () => {
    await db.close();
  });

  it("creates an experiment and finds it by name with its runs counted", async () => {
    const id = await ops.createExperiment("mnist");
    expect(id).toMatch(/^\d+$/);
    expect(id).not.toBe("0");
    await ops.createRun(id, "a");
    await ops.createRun(id, "b");

    const data = await gqlData<ExperimentByNameData>(app, experimentByNameDoc, { name: "mnist" });
    expect(data.experiment).toEqual({ id, name: "mnist", runs: { totalCount: 2 } });
    const missing = await gqlData<ExperimentByNameData>(app, experimentByNameDoc, {
      name: "nothing",
    });
    expect(missing.experiment).toBeNull();
  });

  it("creates a RUNNING run with the given name, or a generated one", async () => {
    const experimentId = await ops.createExperiment("e");
    const before = Date.now();
    const named = await ops.createRun(experimentId, "baseline");
    const after = Date.now();
    expect(named.id).toMatch(runIdPattern);
    expect(named).toMatchObject({ name: "baseline", status: "RUNNING" });
    expect(named.startTime).toBeGreaterThanOrEqual(before);
    expect(named.startTime).toBeLessThanOrEqual(after);

    const generated = await ops.createRun(experimentId);
    expect(generated.name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect(generated.id).not.toBe(named.id);
  });

  it("logs params, tags and metrics in one batch and reads them back in the runs page", async () => {
    const experimentId = await ops.createExperiment("e");
    const run = await ops.createRun(experimentId, "r");
    await ops.logBatch({
      runId: run.id,
      params: [
        { key: "lr", value: "0.01" },
        { key: "batch_size", value: "32" },
      ],
      tags: [{ key: "team", value: "vision" }],
      metrics: [
        { key: "loss", values: [0.9, 0.5, 0.7], steps: [0, 1, 2] },
        { key: "acc", values: [3, -2.5, 0], steps: [0, 1, 2] },
      ],
    });

    const page = await ops.runs({ ids: [experimentId] });
    expect(page.totalCount).toBe(1);
    expect(page.edges).toHaveLength(1);
    expect(page.edges[0]?.node).toEqual({
      id: run.id,
      name: "r",
      status: "RUNNING",
      params: [
        { key: "batch_size", value: "32" },
        { key: "lr", value: "0.01" },
      ],
      tags: [{ key: "team", value: "vision" }],
      metrics: [
        { key: "acc", last: 0, min: -2.5, max: 3, count: 3 },
        { key: "loss", last: 0.7, min: 0.5, max: 0.9, count: 3 },
      ],
    });
  });

  it("logs NaN, Infinity and -Infinity as strings and reads them back in history, last, min and max", async () => {
    const experimentId = await ops.createExperiment("e");
    const run = await ops.createRun(experimentId);
    await ops.logBatch({
      runId: run.id,
      metrics: [
        {
          key: "mixed",
          values: [1.5, "NaN", "Infinity", "-Infinity", 0.25],
          steps: [0, 1, 2, 3, 4],
          timestamps: [10, 11, 12, 13, 14],
        },
        { key: "nan_only", values: ["NaN", "NaN"], steps: [0, 1] },
        { key: "ends_infinite", values: [2, "Infinity"], steps: [0, 1] },
      ],
    });

    const mixed = await ops.metric(run.id, "mixed");
    expect(mixed).toEqual({
      key: "mixed",
      count: 5,
      min: "-Infinity",
      max: "Infinity",
      last: 0.25,
      history: {
        steps: [0, 1, 2, 3, 4],
        values: [1.5, "NaN", "Infinity", "-Infinity", 0.25],
        timestamps: [10, 11, 12, 13, 14],
      },
    });

    const nanOnly = await ops.metric(run.id, "nan_only");
    expect(nanOnly).toMatchObject({ count: 2, last: "NaN", min: null, max: null });
    expect(nanOnly?.history.values).toEqual(["NaN", "NaN"]);

    const endsInfinite = await ops.metric(run.id, "ends_infinite");
    expect(endsInfinite).toMatchObject({ last: "Infinity", min: 2, max: "Infinity" });

    const [node] = (await ops.runs({ ids: [experimentId] })).edges;
    expect(node?.node.metrics).toEqual([
      { key: "ends_infinite", last: "Infinity", min: 2, max: "Infinity", count: 2 },
      { key: "mixed", last: 0.25, min: "-Infinity", max: "Infinity", count: 5 },
      { key: "nan_only", last: "NaN", min: null, max: null, count: 2 },
    ]);
  });

  it("round-trips steps and timestamps beyond 2^31, up to 2^53 - 1, given as numbers or digit strings", async () => {
    const experimentId = await ops.createExperiment("e");
    const run = await ops.createRun(experimentId);
    // The largest exact integer; 2^53 itself is refused (see errors.test.ts).
    const big = Number.MAX_SAFE_INTEGER;
    await ops.logBatch({
      runId: run.id,
      metrics: [
        {
          key: "m",
          values: [1, 2, 3, 4],
          steps: [-5, 2 ** 31, String(2 ** 40), big],
          timestamps: [0, 2 ** 31 + 7, String(big - 1), big],
        },
      ],
    });
    const metric = await ops.metric(run.id, "m");
    expect(metric?.history).toEqual({
      steps: [-5, 2 ** 31, 2 ** 40, big],
      values: [1, 2, 3, 4],
      timestamps: [0, 2 ** 31 + 7, big - 1, big],
    });
    expect(metric?.last).toBe(4);
  });

  it("pages through seven runs three at a time, visiting each run exactly once", async () => {
    const experimentId = await ops.createExperiment("e");
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await ops.createRun(experimentId, `r${i}`)).id);
    // A run of another experiment must not appear in these pages.
    await ops.createRun("0", "elsewhere");

    const seen: string[] = [];
    const hasNext: boolean[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const runs = await ops.runs({ ids: [experimentId], first: 3, ...(after && { after }) });
      expect(runs.totalCount).toBe(7);
      seen.push(...runs.edges.map((edge) => edge.node.id));
      hasNext.push(runs.pageInfo.hasNextPage);
      if (!runs.pageInfo.hasNextPage) break;
      after = runs.pageInfo.endCursor ?? undefined;
      expect(after).toBeTypeOf("string");
    }
    expect(hasNext).toEqual([true, true, false]);
    expect(seen).toHaveLength(7);
    expect(new Set(seen)).toEqual(new Set(created));
  });

  it("orders runs by metrics.<key> DESC and ASC with NaN and missing metrics last", async () => {
    const experimentId = await ops.createExperiment("e");
    const values: Record<string, number | string | undefined> = {
      half: 0.5,
      high: 0.9,
      nan: "NaN",
      inf: "Infinity",
      negInf: "-Infinity",
      missing: undefined,
      low: 0.1,
    };
    for (const [name, value] of Object.entries(values)) {
      const run = await ops.createRun(experimentId, name);
      const metrics = value === undefined ? [] : [{ key: "acc", values: [value] }];
      await ops.logBatch({ runId: run.id, metrics, params: [{ key: "p", value: name }] });
    }
    const names = async (orderBy: string) =>
      (await ops.runs({ ids: [experimentId], orderBy: [orderBy] })).edges.map(
        (edge) => edge.node.name,
      );

    const descending = await names("metrics.acc DESC");
    expect(descending.slice(0, 5)).toEqual(["inf", "high", "half", "low", "negInf"]);
    expect(new Set(descending.slice(5))).toEqual(new Set(["nan", "missing"]));

    const ascending = await names("metrics.acc ASC");
    expect(ascending.slice(0, 5)).toEqual(["negInf", "low", "half", "high", "inf"]);
    expect(new Set(ascending.slice(5))).toEqual(new Set(["nan", "missing"]));
  });

  it("answers null for a run id that does not exist", async () => {
    for (const runId of ["0123456789abcdef0123456789abcdef", "not-a-run-id"]) {
      const response = await gql<MetricData>(app, metricDoc, { runId, key: "loss" });
      expect(response.status).toBe(200);
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data).toEqual({ run: null });
    }
  });

  it("answers null for a metric key the run never logged", async () => {
    const run = await ops.createRun("0");
    await ops.logBatch({ runId: run.id, metrics: [{ key: "loss", values: [1] }] });
    expect(await ops.metric(run.id, "accuracy")).toBeNull();
    expect(await ops.metric(run.id, "loss")).toMatchObject({ key: "loss", count: 1 });
  });

  it("gives a page of 100 runs by default, at most 1000, and rejects first: 1001 as BAD_USER_INPUT", async () => {
    const experimentId = await ops.createExperiment("many");
    for (let i = 0; i < 101; i++) await ops.createRun(experimentId, `r${i}`);

    const firstPage = await ops.runs({ ids: [experimentId] });
    expect(firstPage.totalCount).toBe(101);
    expect(firstPage.edges).toHaveLength(100);
    expect(firstPage.pageInfo.hasNextPage).toBe(true);

    const all = await ops.runs({ ids: [experimentId], first: 1000 });
    expect(all.edges).toHaveLength(101);
    expect(all.pageInfo.hasNextPage).toBe(false);

    const tooMany = await gql<RunsData>(app, runsDoc, { ids: [experimentId], first: 1001 });
    const error = firstError(tooMany);
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error.message).toContain("first");
    expect(tooMany.body.data).toBeNull();
  });

  it("sets a run's status: a terminal one sets the end time, RUNNING clears it", async () => {
    const run = await ops.createRun("0");
    const finished = await gqlData<UpdateRunData>(app, updateRunDoc, {
      runId: run.id,
      status: "FINISHED",
    });
    expect(finished.updateRun.run.status).toBe("FINISHED");
    expect(finished.updateRun.run.endTime).toBeGreaterThanOrEqual(run.startTime);

    const running = await gqlData<UpdateRunData>(app, updateRunDoc, {
      runId: run.id,
      status: "RUNNING",
    });
    expect(running.updateRun.run).toEqual({ id: run.id, status: "RUNNING", endTime: null });

    const [edge] = (await ops.runs({ ids: ["0"] })).edges;
    expect(edge?.node.status).toBe("RUNNING");
  });

  it("renames, deletes and restores an experiment, taking its runs along", async () => {
    const id = await ops.createExperiment("old-name");
    const run = await ops.createRun(id);

    const renamed = await gqlData<{
      renameExperiment: { experiment: { id: string; name: string } };
    }>(
      app,
      `mutation ($id: ID!, $name: String!) {
        renameExperiment(input: { experimentId: $id, name: $name }) { experiment { id name } } }`,
      { id, name: "new-name" },
    );
    expect(renamed.renameExperiment.experiment).toEqual({ id, name: "new-name" });
    const byOld = await gqlData<ExperimentByNameData>(app, experimentByNameDoc, {
      name: "old-name",
    });
    expect(byOld.experiment).toBeNull();
    const byNew = await gqlData<ExperimentByNameData>(app, experimentByNameDoc, {
      name: "new-name",
    });
    expect(byNew.experiment).toEqual({ id, name: "new-name", runs: { totalCount: 1 } });

    const lifecycle = (mutation: string) =>
      gqlData<Record<string, { experiment: { lifecycleStage: string } }>>(
        app,
        `mutation ($id: ID!) { result: ${mutation}(input: { experimentId: $id }) { experiment { lifecycleStage } } }`,
        { id },
      ).then((data) => data.result?.experiment.lifecycleStage);

    expect(await lifecycle("deleteExperiment")).toBe("DELETED");
    expect((await ops.runs({ ids: [id] })).totalCount).toBe(0);
    const deletedRuns = await gqlData<{
      runs: { nodes: { id: string; lifecycleStage: string }[] };
    }>(
      app,
      "query ($id: ID!) { runs(experimentIds: [$id], view: DELETED_ONLY) { nodes { id lifecycleStage } } }",
      { id },
    );
    expect(deletedRuns.runs.nodes).toEqual([{ id: run.id, lifecycleStage: "DELETED" }]);

    expect(await lifecycle("restoreExperiment")).toBe("ACTIVE");
    const restored = await ops.runs({ ids: [id] });
    expect(restored.edges.map((edge) => edge.node.id)).toEqual([run.id]);
  });

  it("deletes and restores a run, which stays readable by id while deleted", async () => {
    const experimentId = await ops.createExperiment("e");
    const kept = await ops.createRun(experimentId, "kept");
    const dropped = await ops.createRun(experimentId, "dropped");
    const lifecycle = (mutation: string) =>
      gqlData<Record<string, { run: { id: string; lifecycleStage: string } }>>(
        app,
        `mutation ($id: ID!) { result: ${mutation}(input: { runId: $id }) { run { id lifecycleStage } } }`,
        { id: dropped.id },
      ).then((data) => data.result?.run);

    expect(await lifecycle("deleteRun")).toEqual({ id: dropped.id, lifecycleStage: "DELETED" });
    const afterDelete = await ops.runs({ ids: [experimentId] });
    expect(afterDelete.edges.map((edge) => edge.node.name)).toEqual(["kept"]);
    const byId = await gqlData<{ run: { lifecycleStage: string } | null }>(
      app,
      "query ($id: ID!) { run(id: $id) { lifecycleStage } }",
      { id: dropped.id },
    );
    expect(byId.run).toEqual({ lifecycleStage: "DELETED" });

    expect(await lifecycle("restoreRun")).toEqual({ id: dropped.id, lifecycleStage: "ACTIVE" });
    const afterRestore = await ops.runs({ ids: [experimentId] });
    expect(new Set(afterRestore.edges.map((edge) => edge.node.id))).toEqual(
      new Set([kept.id, dropped.id]),
    );
  });

  it("sets, overwrites and deletes tags on experiments and on runs", async () => {
    const experimentId = await ops.createExperiment("e");
    const run = await ops.createRun(experimentId);
    type Tags = { key: string; value: string }[];

    const setExperimentTag = (key: string, value: string) =>
      gqlData<{ setExperimentTag: { experiment: { tags: Tags } } }>(
        app,
        `mutation ($id: ID!, $key: String!, $value: String!) {
          setExperimentTag(input: { experimentId: $id, key: $key, value: $value }) { experiment { tags { key value } } } }`,
        { id: experimentId, key, value },
      ).then((data) => data.setExperimentTag.experiment.tags);
    const deleteExperimentTag = (key: string) =>
      gql<{ deleteExperimentTag: { experiment: { tags: Tags } } }>(
        app,
        `mutation ($id: ID!, $key: String!) {
          deleteExperimentTag(input: { experimentId: $id, key: $key }) { experiment { tags { key value } } } }`,
        { id: experimentId, key },
      );

    expect(await setExperimentTag("owner", "ada")).toEqual([{ key: "owner", value: "ada" }]);
    expect(await setExperimentTag("stage", "dev")).toEqual([
      { key: "owner", value: "ada" },
      { key: "stage", value: "dev" },
    ]);
    expect(await setExperimentTag("owner", "grace")).toEqual([
      { key: "owner", value: "grace" },
      { key: "stage", value: "dev" },
    ]);
    const deleted = await deleteExperimentTag("owner");
    expect(deleted.body.data?.deleteExperimentTag.experiment.tags).toEqual([
      { key: "stage", value: "dev" },
    ]);
    expect(firstError(await deleteExperimentTag("owner")).extensions?.code).toBe("NOT_FOUND");

    const setRunTag = (key: string, value: string) =>
      gqlData<{ setRunTag: { run: { tags: Tags } } }>(
        app,
        `mutation ($id: ID!, $key: String!, $value: String!) {
          setRunTag(input: { runId: $id, key: $key, value: $value }) { run { tags { key value } } } }`,
        { id: run.id, key, value },
      ).then((data) => data.setRunTag.run.tags);
    const deleteRunTag = (key: string) =>
      gql<{ deleteRunTag: { run: { tags: Tags } } }>(
        app,
        `mutation ($id: ID!, $key: String!) {
          deleteRunTag(input: { runId: $id, key: $key }) { run { tags { key value } } } }`,
        { id: run.id, key },
      );

    expect(await setRunTag("note", "first")).toEqual([{ key: "note", value: "first" }]);
    expect(await setRunTag("note", "second")).toEqual([{ key: "note", value: "second" }]);
    const runDeleted = await deleteRunTag("note");
    expect(runDeleted.body.data?.deleteRunTag.run.tags).toEqual([]);
    expect(firstError(await deleteRunTag("note")).extensions?.code).toBe("NOT_FOUND");

    const [edge] = (await ops.runs({ ids: [experimentId] })).edges;
    expect(edge?.node.tags).toEqual([]);
  });

  it("nests runs under a parent, which lists them as children", async () => {
    const experimentId = await ops.createExperiment("e");
    const parent = await ops.createRun(experimentId, "parent");
    type Nested = { id: string; parent: { id: string } | null; children: { id: string }[] };
    const createChild = (name: string) =>
      gqlData<{ createRun: { run: Nested } }>(
        app,
        `mutation ($experimentId: ID!, $parent: ID!, $name: String!) {
          createRun(input: { experimentId: $experimentId, parentRunId: $parent, name: $name }) {
            run { id parent { id } children { id } } } }`,
        { experimentId, parent: parent.id, name },
      ).then((data) => data.createRun.run);

    const first = await createChild("child-1");
    const second = await createChild("child-2");
    expect(first.parent).toEqual({ id: parent.id });
    expect(first.children).toEqual([]);

    const read = await gqlData<{ run: Nested & { parentRunId: string | null } }>(
      app,
      "query ($id: ID!) { run(id: $id) { id parentRunId parent { id } children { id } } }",
      { id: parent.id },
    );
    expect(read.run.parentRunId).toBeNull();
    expect(read.run.parent).toBeNull();
    expect(new Set(read.run.children.map((child) => child.id))).toEqual(
      new Set([first.id, second.id]),
    );

    const unknownParent = await gql(
      app,
      `mutation ($parent: ID!) { createRun(input: { parentRunId: $parent }) { run { id } } }`,
      { parent: "0123456789abcdef0123456789abcdef" },
    );
    expect(firstError(unknownParent).extensions?.code).toBe("NOT_FOUND");
  });

  it("lists experiments in pages, with view choosing active, deleted or all", async () => {
    const a = await ops.createExperiment("a");
    const b = await ops.createExperiment("b");
    await gqlData(
      app,
      "mutation ($id: ID!) { deleteExperiment(input: { experimentId: $id }) { experiment { id } } }",
      { id: b },
    );
    type Page = {
      experiments: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        nodes: { id: string; name: string; lifecycleStage: string }[];
      };
    };
    const list = (variables: { view?: string; first?: number; after?: string }) =>
      gqlData<Page>(
        app,
        `query ($view: ViewType, $first: Int, $after: String) {
          experiments(view: $view, first: $first, after: $after) {
            totalCount pageInfo { hasNextPage endCursor } nodes { id name lifecycleStage } } }`,
        variables,
      ).then((data) => data.experiments);
    const ids = (page: Page["experiments"]) => new Set(page.nodes.map((node) => node.id));

    const active = await list({});
    expect(active.totalCount).toBe(2);
    expect(ids(active)).toEqual(new Set(["0", a]));
    expect(ids(await list({ view: "ACTIVE_ONLY" }))).toEqual(new Set(["0", a]));
    const deleted = await list({ view: "DELETED_ONLY" });
    expect(deleted.nodes).toEqual([{ id: b, name: "b", lifecycleStage: "DELETED" }]);
    const all = await list({ view: "ALL" });
    expect(all.totalCount).toBe(3);
    expect(ids(all)).toEqual(new Set(["0", a, b]));

    const walked: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 5; page++) {
      const onePage = await list({ view: "ALL", first: 1, ...(after && { after }) });
      walked.push(...onePage.nodes.map((node) => node.id));
      if (!onePage.pageInfo.hasNextPage) break;
      after = onePage.pageInfo.endCursor ?? undefined;
    }
    expect(walked).toHaveLength(3);
    expect(new Set(walked)).toEqual(new Set(["0", a, b]));
  });
});
