import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startRun } from "../../client/index.ts";
import { firstError, gql, gqlData } from "../support/gql.ts";
import { type S3Server, startS3 } from "../support/s3.ts";
import {
  type CliResult,
  runCli,
  type ServerProcess,
  type StartServerOptions,
  startServer,
} from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";

interface GcJson {
  dryRun: boolean;
  runs: {
    runId: string;
    files: number;
    bytes: number;
    metricPoints: number;
    params: number;
    tags: number;
    artifacts: number;
    resumed: boolean;
  }[];
  experiments: { id: string; name: string }[];
  failed: { runId: string; error: string }[];
  freed: { runs: number; files: number; bytes: number; metricPoints: number };
}

const token = "gc-token";
const servers: ServerProcess[] = [];
async function server(options: StartServerOptions): Promise<ServerProcess> {
  const started = await startServer({
    ...options,
    args: ["--token", token, ...(options.args ?? [])],
  });
  servers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop("SIGKILL")));
});

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

interface Kind {
  name: "local" | "s3";
  /** A fresh artifact root for one test. */
  root: () => string;
  env: () => Record<string, string>;
  /** Every file or object under a root, relative to it. */
  files: (root: string) => Promise<string[]>;
}

const kinds: Kind[] = [
  {
    name: "local",
    root: () => join(tempDir(), "artifacts"),
    env: () => ({}),
    files: async (root) =>
      existsSync(root)
        ? readdirSync(root, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => relative(root, join(e.parentPath, e.name)))
        : [],
  },
  {
    name: "s3",
    root: () => `s3://${s3.bucket}/gc-${Math.random().toString(36).slice(2)}`,
    env: () => s3.env,
    files: async (root) => {
      const prefix = `${root.slice(`s3://${s3.bucket}/`.length)}/`;
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.client.send(
          new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix, ContinuationToken: token }),
        );
        keys.push(...(page.Contents ?? []).map((o) => (o.Key ?? "").slice(prefix.length)));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
  },
];

const auth = { headers: { authorization: `Bearer ${token}` } };

/** A finished run with params, tags, 200 metric points and a few artifacts. */
async function runWithData(url: string, experiment: string, files = 3): Promise<string> {
  const run = await startRun({ trackingUri: url, token, experiment });
  run.logParams({ lr: 0.1, epochs: 2 });
  run.setTag("team", "vision");
  for (let step = 0; step < 100; step++)
    run.logMetrics({ loss: 1 / (step + 1), acc: step / 100 }, { step });
  for (let i = 0; i < files; i++)
    await run.logText(`file ${i} of ${run.id}\n`, `out/file-${i}.txt`);
  await run.logJson({ done: true }, "summary.json");
  await run.end();
  return run.id;
}

const mutate = (url: string, name: "deleteRun" | "restoreRun", runId: string) =>
  gql(
    url,
    `mutation ($id: ID!) { ${name}(input: { runId: $id }) { run { id lifecycleStage } } }`,
    { id: runId },
    auth,
  );

async function runExists(url: string, runId: string): Promise<boolean> {
  const { run } = await gqlData<{ run: { id: string } | null }>(
    url,
    "query ($id: ID!) { run(id: $id) { id } }",
    { id: runId },
    auth,
  );
  return run !== null;
}

function gcJson(result: CliResult): GcJson {
  return JSON.parse(result.stdout) as GcJson;
}

describe.each(kinds)("labbook gc, $name store", (kind) => {
  const gc = (db: string, args: string[] = [], env: Record<string, string> = {}) =>
    runCli(["gc", "--db", db, "--token", token, ...args], { ...kind.env(), ...env });

  it("removes deleted runs for good — rows and files — keeps the rest, and says what it freed", async () => {
    const db = join(tempDir(), "labbook.db");
    const root = kind.root();
    const { info } = await server({ db, artifacts: root, env: kind.env() });
    const kept = await runWithData(info.url, "gc");
    const restored = await runWithData(info.url, "gc");
    const goneA = await runWithData(info.url, "gc", 2);
    const goneB = await runWithData(info.url, "gc", 5);
    for (const id of [restored, goneA, goneB]) await mutate(info.url, "deleteRun", id);
    await mutate(info.url, "restoreRun", restored);
    const before = await kind.files(root);
    expect(before.filter((f) => f.includes(goneB))).toHaveLength(6);

    const dry = await gc(db, ["--dry-run", "--json"]);
    expect(dry.code).toBe(0);
    const planned = gcJson(dry);
    expect(planned.dryRun).toBe(true);
    expect(planned.runs.map((r) => r.runId)).toEqual([goneA, goneB]);
    expect(planned.runs[1]).toMatchObject({
      files: 6,
      metricPoints: 200,
      params: 2,
      tags: expect.any(Number),
      artifacts: 6,
    });
    expect(await kind.files(root)).toEqual(before);
    expect(await runExists(info.url, goneA)).toBe(true);

    const result = await gc(db);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^freed 2 runs: 9 artifact files \([\d.]+ (bytes|KB)\), 400 metric points, 4 params, \d+ tags$/m,
    );
    expect(result.stdout).toContain(`run ${goneA} (`);

    expect(await runExists(info.url, goneA)).toBe(false);
    expect(await runExists(info.url, goneB)).toBe(false);
    const after = await kind.files(root);
    expect(after.filter((f) => f.includes(goneA) || f.includes(goneB))).toEqual([]);
    expect(after).toEqual(before.filter((f) => !f.includes(goneA) && !f.includes(goneB)));
    if (kind.name === "local") {
      const experimentDir = dirname(dirname(dirname(join(root, after[0] ?? ""))));
      expect(readdirSync(experimentDir).sort()).toEqual([kept, restored].sort());
    }
    // What was kept is whole: metrics, params, artifacts.
    for (const id of [kept, restored]) {
      const { run } = await gqlData<{
        run: {
          lifecycleStage: string;
          metric: { count: number };
          params: unknown[];
          artifacts: unknown[];
        };
      }>(
        info.url,
        'query ($id: ID!) { run(id: $id) { lifecycleStage metric(key: "loss") { count } params { key } artifacts(recursive: true) { path } } }',
        { id },
        auth,
      );
      expect(run).toMatchObject({ lifecycleStage: "ACTIVE", metric: { count: 100 } });
      expect(run.params).toHaveLength(2);
      expect(run.artifacts).toHaveLength(4);
      const download = await fetch(`${info.url}/artifacts/${id}/out/file-0.txt`, auth);
      expect(await download.text()).toBe(`file 0 of ${id}\n`);
    }

    const again = await gc(db, ["--json"]);
    expect(gcJson(again).freed).toMatchObject({ runs: 0, files: 0 });
  });

  it("takes --older-than and --run, and refuses runs that are not deleted", async () => {
    const db = join(tempDir(), "labbook.db");
    const root = kind.root();
    const { info } = await server({ db, artifacts: root, env: kind.env() });
    const active = await runWithData(info.url, "select", 1);
    const a = await runWithData(info.url, "select", 1);
    const b = await runWithData(info.url, "select", 1);
    await mutate(info.url, "deleteRun", a);
    await mutate(info.url, "deleteRun", b);

    expect(gcJson(await gc(db, ["--older-than", "1d", "--json"])).runs).toEqual([]);
    const one = gcJson(await gc(db, ["--run", b, "--json"]));
    expect(one.runs.map((r) => r.runId)).toEqual([b]);
    expect(await runExists(info.url, a)).toBe(true);

    const notDeleted = await gc(db, ["--run", active]);
    expect(notDeleted.code).toBe(1);
    expect(notDeleted.stderr).toContain(`run '${active}' is not deleted; delete it first`);
    const badDuration = await gc(db, ["--older-than", "soon"]);
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toContain("--older-than takes a duration such as 30d");

    expect(gcJson(await gc(db, ["--older-than", "0s", "--json"])).runs.map((r) => r.runId)).toEqual(
      [a],
    );
    expect(await kind.files(root)).toEqual(
      expect.arrayContaining([expect.stringContaining(active)]),
    );
    expect((await kind.files(root)).every((f) => f.includes(active))).toBe(true);
  });

  it("collects a deleted experiment's runs, then the experiment, freeing its name", async () => {
    const db = join(tempDir(), "labbook.db");
    const root = kind.root();
    const { info } = await server({ db, artifacts: root, env: kind.env() });
    const run = await runWithData(info.url, "short-lived", 1);
    const { experiment } = await gqlData<{ experiment: { id: string } }>(
      info.url,
      'query { experiment(name: "short-lived") { id } }',
      undefined,
      auth,
    );
    await gqlData(
      info.url,
      "mutation ($id: ID!) { deleteExperiment(input: { experimentId: $id }) { experiment { id } } }",
      { id: experiment.id },
      auth,
    );
    const result = gcJson(await gc(db, ["--json"]));
    expect(result.runs.map((r) => r.runId)).toEqual([run]);
    expect(result.experiments).toMatchObject([{ id: experiment.id, name: "short-lived" }]);
    await gqlData(
      info.url,
      'mutation { createExperiment(input: { name: "short-lived" }) { experiment { id } } }',
      undefined,
      auth,
    );
    expect(await kind.files(root)).toEqual([]);
    if (kind.name === "local") expect(existsSync(join(root, experiment.id))).toBe(false);
  });
});

describe("labbook gc when a store fails halfway", () => {
  it("S3 unreachable midway (through the server): collected, failed, and the next gc finishes", async () => {
    const db = join(tempDir(), "labbook.db");
    const root = `s3://${s3.bucket}/halfway`;
    const { info } = await server({ db, artifacts: root, env: s3.env });
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await runWithData(info.url, "halfway", 2));
    const kept = await runWithData(info.url, "halfway", 2);
    for (const id of runs) await mutate(info.url, "deleteRun", id);
    const [first, second, third] = runs as [string, string, string];

    // The object storage goes away after the first run's files are deleted.
    let deletes = 0;
    s3.failWhen(
      (request) =>
        request.method === "POST" && (request.url ?? "").includes("?delete") && ++deletes > 1,
    );
    const failing = await runCli(["gc", "--db", db, "--token", token, "--json"], s3.env);
    expect(failing.code).toBe(1);
    const partial = gcJson(failing);
    expect(partial.runs.map((r) => r.runId)).toEqual([first]);
    expect(partial.failed.map((f) => f.runId)).toEqual([second, third]);
    expect(partial.failed[0]?.error).toMatch(/did not answer|cannot delete/);
    expect(await runExists(info.url, first)).toBe(false);
    // The failed runs keep their rows, and can no longer be restored: their files are going.
    expect(await runExists(info.url, second)).toBe(true);
    const restore = await mutate(info.url, "restoreRun", second);
    expect(firstError(restore).message).toContain("is being deleted for good");
    // Uploads to them are refused too.
    const late = await fetch(`${info.url}/artifacts/${second}/late.txt`, {
      method: "PUT",
      body: "x",
      ...auth,
    });
    expect(late.status).toBe(400);

    s3.heal();
    const human = await runCli(["gc", "--db", db, "--token", token], s3.env);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("freed 2 runs: 6 artifact files");
    expect(human.stdout).toContain("(finishing an earlier gc)");
    for (const id of runs) expect(await runExists(info.url, id)).toBe(false);
    const left = await kinds[1]!.files(root);
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((key) => key.includes(kept))).toBe(true);
  });

  it("a local file that cannot be deleted (the database opened directly): the next gc finishes", async (context) => {
    const dir = tempDir();
    const db = join(dir, "labbook.db");
    const root = join(dir, "artifacts");
    const first = await server({ db, artifacts: root });
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await runWithData(first.info.url, "stuck", 3));
    for (const id of runs) await mutate(first.info.url, "deleteRun", id);
    const [a, b, c] = runs as [string, string, string];
    await first.stop();

    // One of b's files cannot be removed: immutable for root, a read-only folder otherwise.
    const files = await kinds[0]!.files(root);
    const stuck = join(root, files.find((f) => f.includes(b) && f.endsWith("file-1.txt")) ?? "");
    let undo: () => void;
    if (process.getuid?.() === 0) {
      try {
        execFileSync("chattr", ["+i", stuck], { stdio: "ignore" });
      } catch {
        context.skip("chattr +i does not work on this file system");
      }
      undo = () => execFileSync("chattr", ["-i", stuck]);
    } else {
      chmodSync(dirname(stuck), 0o555);
      undo = () => chmodSync(dirname(stuck), 0o755);
    }
    let failing: CliResult;
    try {
      failing = await runCli(["gc", "--db", db, "--json"]);
    } finally {
      undo();
    }
    expect(failing.code).toBe(1);
    const partial = gcJson(failing);
    expect(partial.runs.map((r) => r.runId)).toEqual([a, c]);
    expect(partial.failed).toMatchObject([
      { runId: b, error: expect.stringMatching(/EPERM|EACCES/) },
    ]);
    expect(existsSync(stuck)).toBe(true);

    const second = await server({ db, artifacts: root });
    expect(await runExists(second.info.url, b)).toBe(true);
    expect(firstError(await mutate(second.info.url, "restoreRun", b)).message).toContain(
      "is being deleted for good",
    );
    await second.stop();

    const finishing = await runCli(["gc", "--db", db, "--json"]);
    expect(finishing.code).toBe(0);
    expect(gcJson(finishing).runs).toMatchObject([
      { runId: b, resumed: true, files: expect.any(Number) },
    ]);
    expect(await kinds[0]!.files(root)).toEqual([]);
    const third = await server({ db, artifacts: root });
    for (const id of runs) expect(await runExists(third.info.url, id)).toBe(false);
  });
});
