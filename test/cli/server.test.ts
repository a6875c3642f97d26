import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CreateExperimentData,
  createExperimentDoc,
  type ExperimentByNameData,
  experimentByNameDoc,
  operations,
} from "../api/operations.ts";
import { firstError, gql, gqlData } from "../support/gql.ts";
import {
  type CliResult,
  runCli,
  type ServerProcess,
  type StartServerOptions,
  startServer,
} from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";

interface ExperimentJson {
  id: string;
  name: string;
  lifecycleStage: string;
  runCount: number;
}

interface RunJson {
  id: string;
  name: string;
  status: string;
  experimentId: string;
  metrics: { key: string; last: number | string }[];
  params: { key: string; value: string }[];
}

const servers: ServerProcess[] = [];
// Each test starts several Node processes; on a busy two-core machine that takes a while.
const slow = { timeout: 180_000 };

async function server(options: StartServerOptions = {}): Promise<ServerProcess> {
  const started = await startServer(options);
  servers.push(started);
  return started;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop("SIGKILL")));
});

const freshDbPath = () => join(tempDir(), "labbook.db");
const lockOf = (dbPath: string) =>
  JSON.parse(readFileSync(`${dbPath}.lock`, "utf8")) as { pid: number; url?: string };

function parseJson<T>(result: CliResult): T {
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

const experimentNamed = async (target: string, name: string) =>
  (await gqlData<ExperimentByNameData>(target, experimentByNameDoc, { name })).experiment;

/** Hashes of the database files, to show a command left them untouched. */
function fileHashes(dbPath: string): Record<string, string | null> {
  const hashes: Record<string, string | null> = {};
  for (const suffix of ["", "-wal", ".lock"]) {
    const path = `${dbPath}${suffix}`;
    hashes[suffix || "db"] = existsSync(path)
      ? createHash("sha256").update(readFileSync(path)).digest("hex")
      : null;
  }
  return hashes;
}

describe("labbook server", slow, () => {
  it("with --port 0 prints its URL as a JSON line and serves GraphQL there", async () => {
    const dbPath = freshDbPath();
    const running = await server({ db: dbPath });
    const { info } = running;
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(new URL(info.url).port)).toBeGreaterThan(0);
    expect(info.graphql).toBe(`${info.url}/graphql`);
    expect(info.pid).toBe(running.child.pid);
    expect(info.db).toBe(dbPath);

    const created = await gqlData<CreateExperimentData>(info.graphql, createExperimentDoc, {
      name: "served",
    });
    expect(created.createExperiment.experiment.name).toBe("served");
    const health = await fetch(`${info.url}/health`);
    expect(await health.text()).toBe("OK");
  });

  it("holds <db>.lock with its pid and URL while it runs, and removes it on SIGTERM", async () => {
    const dbPath = freshDbPath();
    const running = await server({ db: dbPath });
    expect(lockOf(dbPath)).toMatchObject({ pid: running.info.pid, url: running.info.url });

    expect(await running.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    expect(existsSync(`${dbPath}.lock`)).toBe(false);
  });

  it("refuses a second server on the same file, naming the owner and its URL, and changes nothing", async () => {
    const dbPath = freshDbPath();
    const owner = await server({ db: dbPath });
    await operations(owner.info.url).createExperiment("before");
    const before = fileHashes(dbPath);

    const second = await runCli([
      "server",
      "--port",
      "0",
      "--db",
      dbPath,
      "--artifacts",
      join(tempDir(), "artifacts"),
    ]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(String(owner.info.pid));
    expect(second.stderr).toContain(owner.info.url);
    expect(second.stdout).toBe("");

    expect(fileHashes(dbPath)).toEqual(before);
    expect(lockOf(dbPath)).toMatchObject({ pid: owner.info.pid, url: owner.info.url });
    const list = await gqlData<{ experiments: { nodes: { name: string }[] } }>(
      owner.info.url,
      "{ experiments { nodes { name } } }",
    );
    expect(list.experiments.nodes.map((e) => e.name).sort()).toEqual(["Default", "before"]);
  });

  it("lets experiments create and list with --db of its file go through it", async () => {
    const dbPath = freshDbPath();
    const owner = await server({ db: dbPath });

    const created = parseJson<ExperimentJson>(
      await runCli(["experiments", "create", "from-cli", "--json", "--db", dbPath]),
    );
    expect(created).toMatchObject({ name: "from-cli", lifecycleStage: "ACTIVE", runCount: 0 });
    // The server sees it at once, and still owns the file: the CLI did not open it.
    expect(await experimentNamed(owner.info.url, "from-cli")).toMatchObject({ id: created.id });
    expect(lockOf(dbPath).pid).toBe(owner.info.pid);

    await operations(owner.info.url).createExperiment("from-api");
    const listed = parseJson<ExperimentJson[]>(
      await runCli(["experiments", "list", "--json", "--db", dbPath]),
    );
    expect(listed.map((e) => e.name).sort()).toEqual(["Default", "from-api", "from-cli"]);
  });

  it("after SIGKILL leaves a stale lock that a new server takes over, with the old data", async () => {
    const dbPath = freshDbPath();
    const first = await server({ db: dbPath });
    const ops = operations(first.info.url);
    const experimentId = await ops.createExperiment("survivor");
    const run = await ops.createRun(experimentId, "run-1");
    await ops.logBatch({ runId: run.id, metrics: [{ key: "loss", values: [0.5, 0.25] }] });

    expect(await first.stop("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
    expect(lockOf(dbPath).pid).toBe(first.info.pid);

    const second = await server({ db: dbPath });
    expect(second.info.pid).not.toBe(first.info.pid);
    expect(lockOf(dbPath)).toMatchObject({ pid: second.info.pid, url: second.info.url });
    expect(await experimentNamed(second.info.url, "survivor")).toEqual({
      id: experimentId,
      name: "survivor",
      runs: { totalCount: 1 },
    });
    expect(await operations(second.info.url).metric(run.id, "loss")).toMatchObject({
      count: 2,
    });
  });

  it("on SIGTERM answers the request in flight, then exits 0 and removes its lock", async () => {
    const dbPath = freshDbPath();
    const running = await server({ db: dbPath });
    const port = Number(new URL(running.info.url).port);
    const body = JSON.stringify({
      query: 'mutation { createExperiment(input: { name: "in-flight" }) { experiment { name } } }',
    });

    // Send the headers and part of the body. `Expect: 100-continue` makes Node answer
    // "100 Continue" as it hands the request to the app: then the request is in flight.
    const socket = await connected(port);
    const reply = collect(socket);
    socket.write(
      [
        "POST /graphql HTTP/1.1",
        `Host: 127.0.0.1:${port}`,
        "Content-Type: application/json",
        `Content-Length: ${Buffer.byteLength(body)}`,
        "Expect: 100-continue",
        "",
        "",
      ].join("\r\n"),
    );
    socket.write(body.slice(0, 20));
    await reply.until((text) => text.includes("100 Continue"));

    running.child.kill("SIGTERM");
    // The server stops accepting connections when it takes the signal.
    while (await accepts(port));

    socket.write(body.slice(20));
    const answer = await reply.ended;
    const [head = "", payload = ""] = answer
      .replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, "")
      .split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
    // It tells the client to close the connection, rather than keep it (and itself) alive.
    expect(head).toMatch(/^connection: close$/im);
    expect(JSON.parse(payload)).toEqual({
      data: { createExperiment: { experiment: { name: "in-flight" } } },
    });

    expect(await running.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(`${dbPath}.lock`)).toBe(false);

    // With no server left, the CLI opens the file itself, and finds the experiment.
    const listed = parseJson<ExperimentJson[]>(
      await runCli(["experiments", "list", "--json", "--db", dbPath]),
    );
    expect(listed.map((e) => e.name)).toContain("in-flight");
    expect(existsSync(`${dbPath}.lock`)).toBe(false);
  });

  it("refuses --host 0.0.0.0 without --token with exit 2, saying to pass --token", async () => {
    const dbPath = freshDbPath();
    const result = await runCli(["server", "--host", "0.0.0.0", "--port", "0", "--db", dbPath]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--token");
    expect(result.stderr).toContain("0.0.0.0");
    expect(result.stdout).toBe("");
    expect(existsSync(dbPath)).toBe(false);
    expect(existsSync(`${dbPath}.lock`)).toBe(false);
  });

  it("with --token refuses API requests without the Bearer token, from clients and the CLI", async () => {
    const dbPath = freshDbPath();
    const token = "cli-secret";
    const running = await server({ db: dbPath, args: ["--token", token] });

    const anonymous = await gql(running.info.graphql, createExperimentDoc, { name: "anon" });
    expect(anonymous.status).toBe(401);
    expect(firstError(anonymous).extensions?.code).toBe("UNAUTHENTICATED");
    const wrong = await gql(
      running.info.graphql,
      createExperimentDoc,
      { name: "anon" },
      { headers: { authorization: "Bearer not-it" } },
    );
    expect(wrong.status).toBe(401);

    // The CLI finds the server through the lock, so the server's token applies to it too.
    const refused = await runCli(["experiments", "create", "anon", "--db", dbPath]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Bearer");

    const withFlag = await runCli([
      "experiments",
      "create",
      "by-flag",
      "--json",
      "--db",
      dbPath,
      "--token",
      token,
    ]);
    expect(parseJson<ExperimentJson>(withFlag).name).toBe("by-flag");
    const withEnv = await runCli(["experiments", "create", "by-env", "--json", "--db", dbPath], {
      LABBOOK_TOKEN: token,
    });
    expect(parseJson<ExperimentJson>(withEnv).name).toBe("by-env");

    const names = await gqlData<{ experiments: { nodes: { name: string }[] } }>(
      running.info.graphql,
      "{ experiments { nodes { name } } }",
      undefined,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(names.experiments.nodes.map((e) => e.name).sort()).toEqual([
      "Default",
      "by-env",
      "by-flag",
    ]);
  });
});

describe("the labbook command line", slow, () => {
  it("prints usage and exits 0 for --help, server --help, experiments --help and runs --help", async () => {
    const [main, serverHelp, experiments, runs] = await Promise.all([
      runCli(["--help"]),
      runCli(["server", "--help"]),
      runCli(["experiments", "--help"]),
      runCli(["runs", "--help"]),
    ]);
    for (const result of [main, serverHelp, experiments, runs]) {
      expect(result.code).toBe(0);
      expect(result.stderr).toBe("");
    }
    expect(main.stdout).toContain("Usage: labbook <command>");
    for (const command of ["server", "experiments", "runs"]) expect(main.stdout).toContain(command);
    expect(serverHelp.stdout).toContain("Usage: labbook server");
    expect(serverHelp.stdout).toContain("--port");
    expect(experiments.stdout).toContain("Usage: labbook experiments");
    expect(runs.stdout).toContain("Usage: labbook runs list");
    expect(runs.stdout).toContain("--order-by");
  });

  it("exits 2 with a message for an unknown command or an unknown flag", async () => {
    const [command, flag, serverFlag] = await Promise.all([
      runCli(["frobnicate"]),
      runCli(["experiments", "list", "--bogus"]),
      runCli(["server", "--bogus"]),
    ]);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("unknown command 'frobnicate'");
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--bogus");
    expect(serverFlag.code).toBe(2);
    expect(serverFlag.stderr).toContain("--bogus");
    for (const result of [command, flag, serverFlag]) expect(result.stdout).toBe("");
  });

  it("prints runs as JSON ordered by --order-by 'metrics.acc DESC'", async () => {
    const dbPath = freshDbPath();
    const running = await server({ db: dbPath });
    const ops = operations(running.info.url);
    const experimentId = await ops.createExperiment("ordered");
    for (const [name, acc] of [
      ["mid", 0.5],
      ["best", 0.9],
      ["worst", 0.1],
    ] as const) {
      const run = await ops.createRun(experimentId, name);
      await ops.logBatch({
        runId: run.id,
        params: [{ key: "name", value: name }],
        metrics: [{ key: "acc", values: [acc] }],
      });
    }
    const unmeasured = await ops.createRun(experimentId, "unmeasured");

    const runs = parseJson<RunJson[]>(
      await runCli([
        "runs",
        "list",
        "--json",
        "--order-by",
        "metrics.acc DESC",
        "--experiment",
        "ordered",
        "--db",
        dbPath,
      ]),
    );
    expect(runs.map((run) => run.name)).toEqual(["best", "mid", "worst", "unmeasured"]);
    expect(runs[0]).toMatchObject({
      status: "RUNNING",
      experimentId,
      metrics: [{ key: "acc", last: 0.9 }],
      params: [{ key: "name", value: "best" }],
    });
    expect(runs[3]?.id).toBe(unmeasured.id);
  });

  it("reads LABBOOK_DB_URL and LABBOOK_PORT, and lets --db and --port override them", async () => {
    const envDb = freshDbPath();
    const fromEnv = await server({
      db: null,
      port: null,
      env: { LABBOOK_DB_URL: envDb, LABBOOK_PORT: "0" },
    });
    expect(fromEnv.info.db).toBe(envDb);
    expect(lockOf(envDb).pid).toBe(fromEnv.info.pid);
    // LABBOOK_PORT=0 took effect: not the default port 4000.
    expect(new URL(fromEnv.info.url).port).not.toBe("4000");

    // The CLI finds the same file, and so its server, from the variable.
    const viaEnv = await runCli(["experiments", "create", "env-made", "--json"], {
      LABBOOK_DB_URL: envDb,
    });
    expect(parseJson<ExperimentJson>(viaEnv).name).toBe("env-made");
    expect(await experimentNamed(fromEnv.info.url, "env-made")).not.toBeNull();

    const ignoredDb = freshDbPath();
    const flagDb = freshDbPath();
    const fromFlags = await server({
      db: flagDb,
      port: "0",
      env: { LABBOOK_DB_URL: ignoredDb, LABBOOK_PORT: "not-a-port" },
    });
    expect(fromFlags.info.db).toBe(flagDb);
    expect(existsSync(ignoredDb)).toBe(false);

    const badPort = await runCli(["server", "--db", freshDbPath()], {
      LABBOOK_PORT: "not-a-port",
    });
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain("'not-a-port'");
  });

  it("talks to the server named by --tracking-uri, as its /graphql URL or its base URL", async () => {
    const running = await server();
    const unused = freshDbPath();
    for (const [name, uri] of [
      ["by-graphql-url", running.info.graphql],
      ["by-base-url", running.info.url],
      ["by-base-url-slash", `${running.info.url}/`],
    ] as const) {
      const result = await runCli([
        "experiments",
        "create",
        name,
        "--json",
        "--tracking-uri",
        uri,
        "--db",
        unused,
      ]);
      expect(parseJson<ExperimentJson>(result).name).toBe(name);
      expect(await experimentNamed(running.info.url, name)).not.toBeNull();
    }
    const fromEnv = await runCli(["experiments", "list", "--json"], {
      LABBOOK_TRACKING_URI: running.info.url,
    });
    expect(parseJson<ExperimentJson[]>(fromEnv).map((e) => e.name)).toContain("by-base-url");
    // The database named by --db was never opened.
    expect(existsSync(unused)).toBe(false);
  });
});

function connected(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Whether a new connection to the port is accepted (false once the server stopped listening). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(port, "127.0.0.1");
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}

/** Everything a socket receives: wait for some of it, or for the end. */
function collect(socket: Socket) {
  let text = "";
  const waiters: { test: (text: string) => boolean; resolve: () => void }[] = [];
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    text += chunk;
    for (const waiter of waiters.splice(0))
      if (waiter.test(text)) waiter.resolve();
      else waiters.push(waiter);
  });
  const ended = new Promise<string>((resolve, reject) => {
    socket.once("end", () => resolve(text));
    socket.once("error", reject);
  });
  return {
    ended,
    until: (test: (text: string) => boolean) =>
      new Promise<void>((resolve) => {
        if (test(text)) resolve();
        else waiters.push({ test, resolve });
      }),
  };
}
