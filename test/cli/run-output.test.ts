import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gqlData } from "../support/gql.ts";
import { type S3Server, startS3 } from "../support/s3.ts";
import { repoRoot, runCli, type ServerProcess, startServer } from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";

const echo = join(repoRoot, "test", "projects", "fixtures", "echo");
const lines = 20_000;

/** A project whose command prints far more than the tag keeps (about 300 KB). */
function chattyProject(): string {
  const dir = tempDir();
  writeFileSync(
    join(dir, "MLproject"),
    "name: chatty\nentry_points:\n  main:\n    command: node print.mjs\n",
  );
  writeFileSync(
    join(dir, "print.mjs"),
    `for (let i = 0; i < ${lines}; i++) (i % 1000 === 999 ? console.error : console.log)(\`line \${i} of the training output\`);\n`,
  );
  return dir;
}

function runIdOf(stderr: string): string {
  const match = /labbook: run ([0-9a-f]{32}) /.exec(stderr);
  if (!match?.[1]) throw new Error(`no run id in: ${stderr}`);
  return match[1];
}

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

describe.each([
  { name: "local", artifacts: () => tempDir(), env: () => ({}) },
  { name: "s3", artifacts: () => `s3://${s3.bucket}/runs`, env: () => s3.env },
])("labbook run keeps the command's output as logs/output.txt, $name store", (kind) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ artifacts: kind.artifacts(), env: kind.env() });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("all of it, stdout and stderr, even past the tag's 5,000 characters", async () => {
    const result = await runCli(["run", chattyProject(), "--tracking-uri", server.info.url]);
    expect(result.code).toBe(0);
    const runId = runIdOf(result.stderr);
    const response = await fetch(`${server.info.url}/artifacts/${runId}/logs/output.txt`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const text = await response.text();
    // Standard output and error are two pipes: their lines interleave as they arrive.
    const printed = text.trimEnd().split("\n");
    expect(printed).toHaveLength(lines);
    expect(new Set(printed)).toEqual(
      new Set(Array.from({ length: lines }, (_, i) => `line ${i} of the training output`)),
    );
    expect(printed.filter((line) => !line.endsWith("999 of the training output"))).toEqual(
      Array.from({ length: lines }, (_, i) => i)
        .filter((i) => i % 1000 !== 999)
        .map((i) => `line ${i} of the training output`),
    );
    const { run } = await gqlData<{
      run: { tags: { key: string; value: string }[]; artifacts: { path: string; size: number }[] };
    }>(
      server.info.url,
      'query ($id: ID!) { run(id: $id) { tags { key value } artifacts(path: "logs") { path size } } }',
      { id: runId },
    );
    expect(run.artifacts).toEqual([{ path: "logs/output.txt", size: Buffer.byteLength(text) }]);
    const tail = run.tags.find((t) => t.key === "labbook.output.tail")?.value ?? "";
    expect(tail.length).toBeLessThanOrEqual(5000);
    expect(text.endsWith(tail.slice(1))).toBe(true);
  });

  it("for a command that fails too", async () => {
    const result = await runCli([
      "run",
      echo,
      "-P",
      "epochs=2",
      "-P",
      "exit_code=3",
      "--tracking-uri",
      server.info.url,
    ]);
    expect(result.code).toBe(3);
    const runId = runIdOf(result.stderr);
    const text = await (
      await fetch(`${server.info.url}/artifacts/${runId}/logs/output.txt`)
    ).text();
    expect(text).toContain('{"argv":["2"');
    expect(text).toContain("a line on stderr");
    expect(text).toContain("logged: ");
  });
});

describe("labbook run with a server of its own", () => {
  it("puts logs/output.txt in the --artifacts folder, MLflow's layout", async () => {
    const dir = tempDir();
    const artifacts = join(dir, "artifacts");
    const result = await runCli([
      "run",
      echo,
      "-P",
      "epochs=1",
      "--db",
      join(dir, "labbook.db"),
      "--artifacts",
      artifacts,
      "--json",
    ]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { runId: string; experimentId: string };
    const file = join(artifacts, summary.experimentId, summary.runId, "artifacts/logs/output.txt");
    const text = readFileSync(file, "utf8");
    expect(text).toContain(`"runId":"${summary.runId}"`);
    expect(text).toContain("a line on stderr");
  });
});
