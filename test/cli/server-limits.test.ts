import { afterAll, describe, expect, it } from "vitest";
import { firstError, gql } from "../support/gql.ts";
import { runCli, type ServerProcess, startServer } from "../support/server-process.ts";

const createRun = "mutation { createRun(input: {}) { run { id } } }";
const logBatch = "mutation ($input: LogBatchInput!) { logBatch(input: $input) { points } }";

describe("labbook server batch limits", () => {
  let server: ServerProcess | undefined;
  afterAll(() => server?.stop());

  it("takes its batch limits from flags", async () => {
    server = await startServer({ args: ["--max-batch-points", "10", "--max-batch-tags", "1"] });
    const url = server.info.url;
    const created = await gql<{ createRun: { run: { id: string } } }>(url, createRun);
    const runId = created.body.data?.createRun.run.id;
    const values = (n: number) => Array.from({ length: n }, (_, i) => i);
    const fits = await gql(url, logBatch, {
      input: { runId, metrics: [{ key: "m", values: values(10) }] },
    });
    expect(fits.body.errors).toBeUndefined();
    const tooMany = await gql(url, logBatch, {
      input: { runId, metrics: [{ key: "m", values: values(11) }] },
    });
    expect(firstError(tooMany)).toMatchObject({
      extensions: { code: "BAD_USER_INPUT", field: "metrics" },
    });
    expect(firstError(tooMany).message).toContain("at most 10 points");
    const tags = [
      { key: "a", value: "1" },
      { key: "b", value: "2" },
    ];
    const tooManyTags = await gql(url, logBatch, { input: { runId, tags } });
    expect(firstError(tooManyTags).message).toContain("at most 1 tags");
  });

  it("refuses a limit that is not a positive whole number", async () => {
    const result = await runCli(["server", "--port", "0", "--max-batch-points", "0"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--max-batch-points must be a whole number of at least 1");
  });
});
