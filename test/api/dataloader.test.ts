import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../api/app.ts";
import { createExperiment, createRun, type Db, logBatch } from "../../db/index.ts";
import { fileTarget } from "../support/db-targets.ts";
import { gqlData } from "../support/gql.ts";
import { type RunsData, runsDoc } from "./operations.ts";

const pageSizes = [5, 50, 200] as const;

describe("the runs document's SQL statements", () => {
  let db: Db;
  let app: App;
  let counting = false;
  const statements: string[] = [];
  const experimentIds = new Map<number, string>();

  beforeAll(async () => {
    db = await fileTarget.open({
      onStatement: (sql) => {
        if (counting) statements.push(sql);
      },
    });
    app = createApp({ db });
    // One experiment per page size, each run with params, tags and two metrics.
    for (const size of pageSizes) {
      const experiment = await createExperiment(db, { name: `runs-${size}` });
      experimentIds.set(size, experiment.id);
      for (let i = 0; i < size; i++) {
        const run = await createRun(db, { experimentId: experiment.id, name: `run-${i}` });
        await logBatch(db, {
          runId: run.id,
          params: [
            { key: "lr", value: String(i / 1000) },
            { key: "layers", value: String(i % 7) },
          ],
          tags: [{ key: "index", value: String(i) }],
          metrics: [
            { key: "loss", values: [1, 1 / (i + 2)], steps: [0, 1] },
            { key: "acc", values: [i / size], steps: [0] },
          ],
        });
      }
    }
  });

  afterAll(async () => {
    await db.close();
  });

  /** Sends the runs document for one experiment's whole page and counts the SQL it caused. */
  async function countStatements(size: number): Promise<{ count: number; data: RunsData }> {
    statements.length = 0;
    counting = true;
    try {
      const data = await gqlData<RunsData>(app, runsDoc, {
        ids: [experimentIds.get(size)],
        orderBy: ["metrics.acc DESC"],
        first: size,
      });
      return { count: statements.length, data };
    } finally {
      counting = false;
    }
  }

  it("is the same number for pages of 5, 50 and 200 runs with params, tags and metrics", async () => {
    const counts: number[] = [];
    for (const size of pageSizes) {
      const { count, data } = await countStatements(size);
      // The page really holds every run with its data, so the loaders had work to do.
      expect(data.runs.totalCount).toBe(size);
      expect(data.runs.edges).toHaveLength(size);
      for (const { node } of data.runs.edges) {
        expect(node.params).toHaveLength(2);
        expect(node.tags).toHaveLength(1);
        expect(node.metrics.map((metric) => metric.key)).toEqual(["acc", "loss"]);
      }
      counts.push(count);
    }
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts).toEqual(counts.map(() => counts[0]));
  });

  it("reads each kind of per-run data with one statement for the whole page", async () => {
    await countStatements(200);
    const touching = (table: string) =>
      statements.filter((sql) => new RegExp(`from "?${table}"?(\\s|$)`, "i").test(sql)).length;
    expect(touching("params")).toBe(1);
    expect(touching("run_tags")).toBe(1);
    expect(touching("metric_series")).toBe(1);
  });
});
