import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operations } from "../api/operations.ts";
import { gqlData } from "../support/gql.ts";
import {
  type CliResult,
  repoRoot,
  runCli,
  type ServerProcess,
  spawnCli,
  startServer,
} from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";

/** The test project: `main` prints its argv and env, logs `loss`, exits with -P exit_code. */
const fixture = join(repoRoot, "test", "projects", "fixtures", "echo");

interface RunRecord {
  id: string;
  name: string;
  status: string;
  startTime: number;
  endTime: number | null;
  experiment: { id: string; name: string };
  params: { key: string; value: string }[];
  tags: { key: string; value: string }[];
  metrics: { key: string; last: number | string; count: number }[];
}

const runFields = `id name status startTime endTime experiment { id name }
  params { key value } tags { key value } metrics { key last count }`;

async function runRecord(url: string, id: string): Promise<RunRecord> {
  const data = await gqlData<{ run: RunRecord | null }>(
    url,
    `query ($id: ID!) { run(id: $id) { ${runFields} } }`,
    { id },
  );
  if (!data.run) throw new Error(`no run ${id}`);
  return data.run;
}

const asRecord = (list: { key: string; value: string }[]) =>
  Object.fromEntries(list.map(({ key, value }) => [key, value]));

/** The run id `labbook run` announces on stderr. */
function announcedRunId(result: { stderr: string }): string {
  const match = /labbook: run ([0-9a-f]{32}) /.exec(result.stderr);
  if (!match?.[1]) throw new Error(`no run id in: ${result.stderr}`);
  return match[1];
}

/** What the fixture's train.mjs prints first: a JSON line with what it was given. */
interface EchoLine {
  argv: string[];
  runId: string;
  trackingUri: string;
  cwd: string;
}
const echoLine = (text: string): EchoLine => {
  const line = text.split("\n").find((l) => l.startsWith('{"argv"'));
  if (!line) throw new Error(`no argv line in: ${text}`);
  return JSON.parse(line) as EchoLine;
};

const gitHead = (() => {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
})();

const expectUsage = (result: CliResult) => {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe("");
};

describe("labbook run", () => {
  let server: ServerProcess;
  let dbPath: string;

  beforeAll(async () => {
    dbPath = join(tempDir(), "labbook.db");
    server = await startServer({ db: dbPath });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("with good -P values logs the params, records how to reproduce the run, runs the command with LABBOOK_RUN_ID and ends FINISHED", async () => {
    const result = await runCli([
      "run",
      fixture,
      "-P",
      "epochs=3",
      "-P",
      "lr=0.5",
      "--param",
      "seed=7",
      "-P",
      "comment=a b",
      "--experiment",
      "projects",
      "--run-name",
      "first",
      "--db",
      dbPath,
      "--json",
    ]);
    expect(result.code).toBe(0);
    // --json: stdout is the summary alone; the command's output went to stderr.
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    const command = `node train.mjs 3 --lr 0.5 --note 'hello world' --data ${join(fixture, "data.txt")} --exit-code 0 --seed 7 --comment 'a b'`;
    expect(summary).toMatchObject({
      runName: "first",
      experimentName: "projects",
      status: "FINISHED",
      exitCode: 0,
      signal: null,
      entryPoint: "main",
      command,
      projectDir: fixture,
      trackingUri: server.info.url,
      params: {
        epochs: "3",
        lr: "0.5",
        note: "hello world",
        data: "data.txt",
        exit_code: "0",
        seed: "7",
        comment: "a b",
      },
    });
    const runId = summary.runId as string;
    expect(result.stderr).toContain(`labbook: run ${runId} FINISHED`);
    expect(result.stderr).toContain("a line on stderr");

    // The command got the run and the server, ran in the project dir, with its args quoted
    // and the undeclared -P values appended as --key value.
    const echoed = echoLine(result.stderr);
    expect(echoed).toEqual({
      argv: [
        "3",
        "--lr",
        "0.5",
        "--note",
        "hello world",
        "--data",
        join(fixture, "data.txt"),
        "--exit-code",
        "0",
        "--seed",
        "7",
        "--comment",
        "a b",
      ],
      runId,
      trackingUri: server.info.url,
      cwd: fixture,
    });

    const run = await runRecord(server.info.url, runId);
    expect(run).toMatchObject({
      name: "first",
      status: "FINISHED",
      experiment: { name: "projects" },
    });
    expect(run.endTime).toBeGreaterThanOrEqual(run.startTime);
    expect(asRecord(run.params)).toEqual(summary.params);
    // The command logged to the run through HTTP.
    expect(run.metrics).toEqual([{ key: "loss", last: 1 / 3, count: 3 }]);

    const tags = asRecord(run.tags);
    expect(tags).toMatchObject({
      "labbook.entryPoint": "main",
      "labbook.command": command,
      "labbook.projectDir": fixture,
      "labbook.node.version": process.version,
      "labbook.exitCode": "0",
      "mlflow.source.name": fixture,
      "mlflow.source.type": "PROJECT",
      "mlflow.project.entryPoint": "main",
      "mlflow.runName": "first",
      "labbook.lockfile.sha256": createHash("sha256")
        .update(readFileSync(join(repoRoot, "package-lock.json")))
        .digest("hex"),
    });
    expect(tags["labbook.os"]).toMatch(new RegExp(`^${process.platform} `));
    if (gitHead) {
      expect(tags["labbook.git.commit"]).toBe(gitHead);
      expect(tags["mlflow.source.git.commit"]).toBe(gitHead);
      expect(["true", "false"]).toContain(tags["labbook.git.dirty"]);
    }
    const tail = tags["labbook.output.tail"] ?? "";
    expect(echoLine(tail).runId).toBe(runId);
    expect(tail).toContain("a line on stderr");
    expect(tail).toContain('logged: {"data":{"logBatch":{"points":3}}}');
  });

  it("refuses bad -P values, an unknown entry point or a missing MLproject with exit 2, and creates no run", async () => {
    const before = await operations(server.info.url).runs({});
    const common = ["--experiment", "refused", "--db", dbPath];
    const [typed, unknownEntry, noProject, twice] = await Promise.all([
      runCli(["run", fixture, "-P", "lr=fast", "-P", "exit_code=1.5", ...common]),
      runCli(["run", fixture, "-e", "train", "-P", "epochs=1", ...common]),
      runCli(["run", tempDir(), ...common]),
      runCli(["run", fixture, "-P", "epochs=1", "-P", "epochs=2", ...common]),
    ]);
    for (const result of [typed, unknownEntry, noProject, twice]) expectUsage(result);
    // The missing required value and the values of the wrong type, all in one message.
    expect(typed.stderr).toContain("entry point 'main': 3 problems with the parameters:");
    expect(typed.stderr).toContain(
      "- missing value for required parameter 'epochs' (pass -P epochs=…)",
    );
    expect(typed.stderr).toContain("- lr: 'fast' is not a float");
    expect(typed.stderr).toContain("- exit_code: '1.5' is not an int");
    expect(unknownEntry.stderr).toContain(
      `no entry point 'train' in ${join(fixture, "MLproject")}; its entry points: main, wait`,
    );
    expect(noProject.stderr).toContain("no MLproject file in");
    expect(twice.stderr).toContain("-P epochs is given twice");

    const after = await operations(server.info.url).runs({});
    expect(after.totalCount).toBe(before.totalCount);
    const experiment = await gqlData<{ experiment: unknown }>(
      server.info.url,
      'query { experiment(name: "refused") { id } }',
    );
    expect(experiment.experiment).toBeNull();
  });

  it("ends the run FAILED when the command exits non-zero, and exits with the same code (server named by --tracking-uri)", async () => {
    const result = await runCli([
      "run",
      fixture,
      "-P",
      "epochs=1",
      "-P",
      "exit_code=3",
      "--experiment",
      "projects",
      "--tracking-uri",
      `${server.info.url}/graphql`,
    ]);
    expect(result.code).toBe(3);
    const runId = announcedRunId(result);
    expect(result.stderr).toContain(`labbook: run ${runId} FAILED (exit code 3)`);
    // Without --json the command's output is on stdout, as it printed it.
    expect(echoLine(result.stdout)).toMatchObject({ runId, trackingUri: server.info.url });
    const run = await runRecord(server.info.url, runId);
    expect(run.status).toBe("FAILED");
    expect(run.endTime).not.toBeNull();
    const tags = asRecord(run.tags);
    expect(tags["labbook.exitCode"]).toBe("3");
    expect(echoLine(tags["labbook.output.tail"] ?? "").argv).toContain("3");
  });

  it("on SIGTERM passes the signal to the command, ends the run KILLED and exits 143", async () => {
    const child = spawnCli([
      "run",
      fixture,
      "-e",
      "wait",
      "--experiment",
      "projects",
      "--db",
      dbPath,
    ]);
    let stdout = "";
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (chunk) => {
        stdout += chunk;
        if (stdout.includes("ready")) resolve();
      });
      closed.then(() => reject(new Error(`labbook run ended early: ${stderr}`)));
    });
    child.kill("SIGTERM");
    expect(await closed).toBe(143);
    expect(stdout).toBe("ready\nreceived SIGTERM\n");
    const runId = announcedRunId({ stderr });
    expect(stderr).toContain(`labbook: run ${runId} KILLED (SIGTERM)`);
    const run = await runRecord(server.info.url, runId);
    expect(run.status).toBe("KILLED");
    expect(run.endTime).not.toBeNull();
    expect(asRecord(run.tags)["labbook.output.tail"]).toBe("ready\nreceived SIGTERM\n");
  });

  it("starts a server for the run when none owns the database, and stops it afterwards", async () => {
    // A copy outside any git work tree: no git tags then.
    const project = join(tempDir(), "echo");
    cpSync(fixture, project, { recursive: true });
    const db = join(tempDir(), "labbook.db");
    const artifacts = join(tempDir(), "artifacts");
    const result = await runCli([
      "run",
      project,
      "-P",
      "epochs=2",
      "--db",
      db,
      "--artifacts",
      artifacts,
    ]);
    expect(result.code).toBe(0);
    const runId = announcedRunId(result);
    const echoed = echoLine(result.stdout);
    expect(echoed.runId).toBe(runId);
    expect(echoed.trackingUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // The server it started has stopped (it removes its lock as its last act) and released
    // the database.
    expect(existsSync(`${db}.lock`)).toBe(false);
    expect(existsSync(artifacts)).toBe(true);

    // With no server left, runs show opens the file itself.
    const shown = await runCli(["runs", "show", runId, "--json", "--db", db]);
    expect(shown.code).toBe(0);
    const run = JSON.parse(shown.stdout) as RunRecord;
    expect(run).toMatchObject({
      id: runId,
      status: "FINISHED",
      experiment: { id: "0", name: "Default" },
    });
    const tags = asRecord(run.tags);
    expect(Object.keys(tags).filter((key) => key.includes(".git."))).toEqual([]);
    expect(tags["labbook.projectDir"]).toBe(project);
    expect(run.metrics).toMatchObject([{ key: "loss", count: 2 }]);

    const text = await runCli(["runs", "show", runId, "--db", db]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Run +[0-9a-f]{32}$/m);
    expect(text.stdout).toMatch(/^Status +FINISHED$/m);
    expect(text.stdout).toMatch(/^epochs +2$/m);
    expect(text.stdout).toMatch(/^loss +0\.5 +1 +0\.5 +1 +2$/m);
    expect(text.stdout).toContain("Output (tag labbook.output.tail; --json for all of it)");
    expect(text.stdout).toContain("  a line on stderr");
  });
});

describe("labbook runs list and show", () => {
  let server: ServerProcess;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startServer();
    const ops = operations(server.info.url);
    const experimentId = await ops.createExperiment("grid");
    for (const [name, lr, batch, acc] of [
      ["slow", "0.001", "32", [0.5, 0.7]],
      ["fast", "0.1", undefined, [0.4, 0.9]],
    ] as const) {
      const run = await ops.createRun(experimentId, name);
      ids[name] = run.id;
      await ops.logBatch({
        runId: run.id,
        params: [
          { key: "lr", value: lr },
          ...(batch ? [{ key: "batch", value: batch }] : []),
          ...(name === "fast" ? [{ key: "note", value: 'a, "quoted" note' }] : []),
        ],
        metrics: [{ key: "acc", values: [...acc], steps: [0, 1] }],
      });
    }
    await ops.logBatch({ runId: ids.slow!, metrics: [{ key: "loss", values: ["NaN"] }] });
    await ops.createRun("0", "elsewhere");
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("lists runs as a table: id, name, status, then a column per param and per metric", async () => {
    const result = await runCli([
      "runs",
      "list",
      "--experiment",
      "grid",
      "--order-by",
      "metrics.acc DESC",
      "--tracking-uri",
      server.info.url,
    ]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]?.split(/\s{2,}/)).toEqual([
      "ID",
      "NAME",
      "STATUS",
      "params.batch",
      "params.lr",
      "params.note",
      "metrics.acc",
      "metrics.loss",
    ]);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(
      new RegExp(`^${ids.fast} +fast +RUNNING +0\\.1 +a, "quoted" note +0\\.9$`),
    );
    expect(lines[2]).toMatch(new RegExp(`^${ids.slow} +slow +RUNNING +32 +0\\.001 +0\\.7 +NaN$`));
  });

  it("prints CSV with every column quoted as needed, and JSON", async () => {
    const [csv, json] = await Promise.all([
      runCli([
        "runs",
        "list",
        "--experiment",
        "grid",
        "--order-by",
        "attributes.name",
        "--csv",
        "--tracking-uri",
        server.info.url,
      ]),
      runCli(["runs", "list", "--experiment", "grid", "--json", "--tracking-uri", server.info.url]),
    ]);
    expect(csv.code).toBe(0);
    const rows = csv.stdout.split("\n");
    expect(rows[0]).toBe(
      "id,name,status,experiment_id,start_time,end_time,params.batch,params.lr,params.note,metrics.acc,metrics.loss",
    );
    expect(rows[1]).toMatch(
      new RegExp(
        `^${ids.fast},fast,RUNNING,\\d+,\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z,,,0\\.1,"a, ""quoted"" note",0\\.9,$`,
      ),
    );
    expect(rows[2]).toMatch(
      new RegExp(`^${ids.slow},slow,RUNNING,\\d+,[^,]+Z,,32,0\\.001,,0\\.7,NaN$`),
    );
    expect(rows).toHaveLength(4);
    expect(rows[3]).toBe("");

    expect(json.code).toBe(0);
    const runs = JSON.parse(json.stdout) as {
      name: string;
      params: unknown[];
      metrics: unknown[];
    }[];
    expect(runs.map((r) => r.name).sort()).toEqual(["fast", "slow"]);
    expect(runs.find((r) => r.name === "slow")).toMatchObject({
      params: expect.arrayContaining([{ key: "batch", value: "32" }]),
      metrics: expect.arrayContaining([{ key: "acc", last: 0.7 }]),
    });
  });

  it("shows one run: attributes, params, metrics with min, max and count, tags; and as JSON", async () => {
    const [text, json, unknown, both] = await Promise.all([
      runCli(["runs", "show", ids.slow!, "--tracking-uri", server.info.url]),
      runCli(["runs", "show", ids.slow!, "--json", "--tracking-uri", server.info.url]),
      runCli([
        "runs",
        "show",
        "0123456789abcdef0123456789abcdef",
        "--tracking-uri",
        server.info.url,
      ]),
      runCli(["runs", "list", "--json", "--csv", "--tracking-uri", server.info.url]),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^Run +${ids.slow}$`, "m"));
    expect(text.stdout).toMatch(/^Name +slow$/m);
    expect(text.stdout).toMatch(/^Experiment +grid \(\d+\)$/m);
    expect(text.stdout).toMatch(/^batch +32$/m);
    expect(text.stdout).toMatch(/^acc +0\.7 +1 +0\.5 +0\.7 +2$/m);
    expect(text.stdout).toMatch(/^loss +NaN +0 +1$/m);
    expect(text.stdout).toMatch(/^Ended$/m);
    expect(text.stdout).toContain("\nTags\n(none)\n");

    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      id: ids.slow,
      name: "slow",
      status: "RUNNING",
      endTime: null,
      experiment: { name: "grid" },
      params: expect.arrayContaining([{ key: "lr", value: "0.001" }]),
      metrics: expect.arrayContaining([
        { key: "acc", last: 0.7, lastStep: 1, min: 0.5, max: 0.7, count: 2 },
      ]),
    });

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      "no run with id '0123456789abcdef0123456789abcdef'; see 'labbook runs list'",
    );
    expectUsage(both);
    expect(both.stderr).toContain("--json and --csv: choose one");
  });

  it("keeps experiments list and create working", async () => {
    const created = await runCli([
      "experiments",
      "create",
      "made-here",
      "--json",
      "--tracking-uri",
      server.info.url,
    ]);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: "made-here" });
    const listed = await runCli([
      "experiments",
      "list",
      "--json",
      "--tracking-uri",
      server.info.url,
    ]);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((e) => e.name).sort()).toEqual([
      "Default",
      "grid",
      "made-here",
    ]);
  });
});
