import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { gqlData } from "../support/gql.ts";
import { spawnCli } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";

interface Ready {
  report: string;
  comparison: string;
  graphql: string;
  champion: string;
  dir: string;
  seconds: number;
}

describe("labbook demo (npm start), with one epoch per run", () => {
  const dir = join(tempDir("labbook-demo-test-"), "demo");
  const child = spawnCli(["demo", "--dir", dir, "--port", "0", "--epochs", "1", "--json"]);
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const ready = new Promise<Ready>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", (line) => resolve(JSON.parse(line)));
    void exited.then((code) => reject(new Error(`the demo exited (${code}) early:\n${stderr}`)));
  });

  afterAll(() => {
    child.kill("SIGKILL");
  });

  it("trains three runs, crowns a champion, and serves the API and the report", async () => {
    const urls = await ready;
    // Progress was shown, run by run.
    for (const label of ["[run 1/3", "[run 2/3", "[run 3/3"])
      expect(stderr).toContain(`${label} batch_size=`);
    expect(stderr).toMatch(/epoch 1\/1: loss/);

    const data = await gqlData<{
      experiment: {
        runs: {
          nodes: {
            id: string;
            status: string;
            params: { key: string; value: string }[];
            valAcc: { last: number };
          }[];
        };
      };
      modelVersion: { version: number; runId: string; aliases: string[] };
    }>(
      urls.graphql,
      `{ experiment(name: "mnist") { runs(orderBy: ["metrics.val_acc DESC"]) {
          nodes { id status params { key value } valAcc: metric(key: "val_acc") { last } } } }
        modelVersion(name: "mnist_classifier", alias: "champion") { version runId aliases } }`,
    );
    const runs = data.experiment.runs.nodes;
    expect(runs.map((run) => run.status)).toEqual(["FINISHED", "FINISHED", "FINISHED"]);
    const settings = runs.map((run) =>
      ["batch_size", "lr_init"]
        .map((key) => run.params.find((p) => p.key === key)?.value)
        .join(" "),
    );
    expect(new Set(settings).size).toBe(3);
    expect(data.modelVersion.runId).toBe(runs[0]?.id);
    expect(data.modelVersion.aliases).toEqual(["champion"]);

    const index = await fetch(urls.report);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<meta name="labbook-live" content="graphql"');
    const comparison = await fetch(urls.comparison);
    expect(comparison.status).toBe(200);
    const page = await comparison.text();
    for (const run of runs) expect(page).toContain(run.id);
    expect(existsSync(join(dir, "reports", "mnist-demo.yaml"))).toBe(true);
    expect(readFileSync(join(dir, "report", "snapshot.json"), "utf8")).toContain("mnist-demo");

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 300_000);
});
