import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, relative } from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shortSha256 } from "../../cli/commands/artifacts-list.ts";
import { progressText } from "../../cli/progress-line.ts";
import { gqlData } from "../support/gql.ts";
import { artifactStoreKinds } from "../support/s3.ts";
import {
  type CliResult,
  cliEnv,
  repoRoot,
  runCli,
  type ServerProcess,
  startServer,
} from "../support/server-process.ts";
import { tempDir } from "../support/temp-dir.ts";

interface EntryJson {
  path: string;
  isDir: boolean;
  size: number;
  sha256: string | null;
  crc32: string | null;
}

interface StoredJson extends EntryJson {
  contentType: string;
}

const token = "cli-artifacts-token";
// Each test runs several Node processes; on a busy two-core machine that takes a while.
const slow = { timeout: 120_000 };

const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");
const crc32Hex = (bytes: Uint8Array) => crc32(bytes).toString(16).padStart(8, "0");

/** Every file under a local folder, by relative path, with its content (base64). */
function tree(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => {
        const full = join(entry.parentPath, entry.name);
        return [relative(dir, full), readFileSync(full).toString("base64")];
      })
      .sort(([a = ""], [b = ""]) => (a < b ? -1 : 1)),
  );
}

function parseJson<T>(result: CliResult): T {
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** A failure as the CLI reports an expected one: one line on stderr, no stack. */
function expectOneLineFailure(result: CliResult, code: number, message: string | RegExp): void {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/unexpected failure|^\s+at /m);
  const lines = result.stderr.trimEnd().split("\n");
  // A usage error adds where to read more.
  expect(lines.length).toBe(code === 2 ? 2 : 1);
}

async function createRun(url: string): Promise<string> {
  const data = await gqlData<{ createRun: { run: { id: string } } }>(
    url,
    "mutation { createRun(input: {}) { run { id } } }",
    undefined,
    { headers: { authorization: `Bearer ${token}` } },
  );
  return data.createRun.run.id;
}

/** The files the tests upload: a file of more than 1 MiB (its own download socket) and a folder. */
function localFiles() {
  const work = tempDir();
  const weights = randomBytes(3 * 1024 * 1024 + 17);
  writeFileSync(join(work, "weights.bin"), weights);
  mkdirSync(join(work, "model/tokenizer"), { recursive: true });
  writeFileSync(join(work, "model/config.json"), '{"layers": 12}');
  writeFileSync(join(work, "model/tokenizer/vocab.txt"), "a\nb\nc\n");
  writeFileSync(join(work, "model/MLmodel"), "flavors: {}\n");
  return { work, weights };
}

/** A port on 127.0.0.1 where nothing listens: taken from the system, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const kinds = artifactStoreKinds("cli");

describe.each(kinds)("labbook artifacts against a server, $name store", (kind) => {
  let server: ServerProcess;
  let runId: string;
  let files: ReturnType<typeof localFiles>;
  /** The CLI, pointed at this test's server. */
  const cli = (...args: string[]) =>
    runCli(["artifacts", ...args, "--tracking-uri", server.info.url, "--token", token]);

  beforeAll(async () => {
    server = await startServer({
      artifacts: kind.artifacts(),
      args: ["--token", token],
      env: kind.env(),
    });
    runId = await createRun(server.info.url);
    files = localFiles();
  }, slow.timeout);
  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  it(
    "uploads a file under an artifact path and a folder's files, and prints them",
    slow,
    async () => {
      const file = parseJson<StoredJson[]>(
        await cli("upload", runId, join(files.work, "weights.bin"), "checkpoints", "--json"),
      );
      expect(file).toEqual([
        {
          path: "checkpoints/weights.bin",
          size: files.weights.length,
          sha256: sha256(files.weights),
          crc32: crc32Hex(files.weights),
          contentType: "application/octet-stream",
        },
      ]);

      // Through the environment this time, as a script would set it.
      const folder = await runCli(
        ["artifacts", "upload", runId, join(files.work, "model"), "model"],
        {
          LABBOOK_TRACKING_URI: server.info.url,
          LABBOOK_TOKEN: token,
        },
      );
      expect(folder.stderr).toBe("");
      expect(folder.code).toBe(0);
      const config = readFileSync(join(files.work, "model/config.json"));
      expect(folder.stdout).toMatch(/^PATH +SIZE +SHA256$/m);
      expect(folder.stdout).toMatch(
        new RegExp(`^model/config\\.json +14 B +${sha256(config).slice(0, 12)}$`, "m"),
      );
      expect(folder.stdout).toMatch(/^model\/tokenizer\/vocab\.txt /m);
      expect(folder.stdout).toMatch(/^stored 3 files \(32 B\) with run [0-9a-f]{32}$/m);

      const top = parseJson<StoredJson[]>(
        await cli("upload", runId, join(files.work, "model/MLmodel"), "--json"),
      );
      expect(top.map((f) => f.path)).toEqual(["MLmodel"]);
    },
  );

  it("lists a folder as a table and as JSON, and every file with --recursive", slow, async () => {
    const table = await cli("list", runId);
    expect(table.stderr).toBe("");
    expect(table.code).toBe(0);
    expect(table.stdout.trimEnd().split("\n")).toEqual([
      expect.stringMatching(/^PATH +SIZE +SHA256$/),
      expect.stringMatching(/^MLmodel +12 B +[0-9a-f]{12}$/),
      expect.stringMatching(/^checkpoints\/ +3\.1 MB$/),
      expect.stringMatching(/^model\/ +32 B$/),
    ]);

    const entries = parseJson<EntryJson[]>(await cli("list", runId, "model", "--json"));
    expect(entries.map((e) => [e.path, e.isDir])).toEqual([
      ["model/MLmodel", false],
      ["model/config.json", false],
      ["model/tokenizer", true],
    ]);
    const config = readFileSync(join(files.work, "model/config.json"));
    expect(entries[1]).toEqual({
      path: "model/config.json",
      isDir: false,
      size: config.length,
      sha256: sha256(config),
      crc32: crc32Hex(config),
    });

    const every = parseJson<EntryJson[]>(await cli("list", runId, "--recursive", "--json"));
    expect(every.map((e) => e.path)).toEqual([
      "MLmodel",
      "checkpoints/weights.bin",
      "model/MLmodel",
      "model/config.json",
      "model/tokenizer/vocab.txt",
    ]);
    // A path naming a file lists that file; a folder typed with a trailing '/' is that folder.
    const one = parseJson<EntryJson[]>(
      await cli("list", runId, "checkpoints/weights.bin", "--json"),
    );
    expect(one.map((e) => e.path)).toEqual(["checkpoints/weights.bin"]);
    const slash = parseJson<EntryJson[]>(await cli("list", runId, "checkpoints/", "--json"));
    expect(slash.map((e) => e.path)).toEqual(["checkpoints/weights.bin"]);
  });

  it(
    "downloads a file, a folder and everything, byte for byte, into dest/<path>",
    slow,
    async () => {
      const dest = tempDir();
      const single = await cli("download", runId, "checkpoints/weights.bin", "--dest", dest);
      // Not a terminal: no progress on stderr, only the local path on stdout.
      expect(single.stderr).toBe("");
      expect(single.code).toBe(0);
      expect(single.stdout).toBe(`${join(dest, "checkpoints/weights.bin")}\n`);
      expect(readFileSync(join(dest, "checkpoints/weights.bin")).equals(files.weights)).toBe(true);

      const folder = parseJson<{ path: string; files: number; bytes: number }>(
        await cli("download", runId, "model", "--dest", dest, "--json"),
      );
      expect(folder).toEqual({ path: join(dest, "model"), files: 3, bytes: 32 });
      expect(tree(join(dest, "model"))).toEqual(tree(join(files.work, "model")));

      const everything = join(tempDir(), "fresh/folder");
      const all = parseJson<{ path: string; files: number; bytes: number }>(
        await cli("download", runId, "--dest", everything, "--json"),
      );
      expect(all).toEqual({ path: everything, files: 5, bytes: files.weights.length + 12 + 32 });
      expect(tree(everything)).toEqual({
        MLmodel: readFileSync(join(files.work, "model/MLmodel")).toString("base64"),
        "checkpoints/weights.bin": files.weights.toString("base64"),
        ...Object.fromEntries(
          Object.entries(tree(join(files.work, "model"))).map(([path, content]) => [
            `model/${path}`,
            content,
          ]),
        ),
      });
      expect(readdirSync(everything).some((name) => name.endsWith(".part"))).toBe(false);
    },
  );

  it("reports an unknown run, a missing artifact and a bad path in one line", slow, async () => {
    const unknown = "0".repeat(32);
    for (const args of [
      ["list", unknown],
      ["download", unknown, "--dest", tempDir()],
      ["upload", unknown, join(files.work, "weights.bin")],
    ])
      expectOneLineFailure(
        await cli(...args),
        1,
        `labbook: no run with id '${unknown}' at ${server.info.url}`,
      );
    expectOneLineFailure(
      await cli("download", runId, "nothing/here", "--dest", tempDir()),
      1,
      `has no artifact 'nothing/here'`,
    );
    expectOneLineFailure(await cli("list", runId, "nothing"), 1, `has no artifact 'nothing'`);
    for (const args of [
      ["download", runId, "../escape"],
      ["list", runId, "model/../.."],
      ["upload", runId, join(files.work, "weights.bin"), "../up"],
    ])
      expectOneLineFailure(
        await cli(...args),
        2,
        /labbook: artifact path ".*": '\.' and '\.\.' segments are not allowed/,
      );
    const refused = await runCli(["artifacts", "list", runId, "--tracking-uri", server.info.url]);
    expectOneLineFailure(refused, 1, /^labbook: .*(token|UNAUTHENTICATED|Unauthorized)/i);
  });
});

describe("labbook artifacts without a server", () => {
  it("starts one on the database for the command, and stops it", slow, async () => {
    const dir = tempDir();
    const db = join(dir, "labbook.db");
    const owner = await startServer({
      db,
      artifacts: join(dir, "artifacts"),
      args: ["--token", token],
    });
    const runId = await createRun(owner.info.url);
    await owner.stop();
    const { work } = localFiles();

    const artifacts = join(dir, "artifacts");
    const env = { LABBOOK_TOKEN: token };
    const upload = await runCli(
      ["artifacts", "upload", runId, join(work, "model"), "--db", db, "--artifacts", artifacts],
      env,
    );
    expect(upload.stderr).toBe("");
    expect(upload.code).toBe(0);
    expect(upload.stdout).toMatch(/^stored 3 files/m);
    // The variables as well as the flags: a script sets them once.
    const byEnv = { ...env, LABBOOK_DB_URL: db, LABBOOK_ARTIFACTS: artifacts };
    const listed = await runCli(["artifacts", "list", runId, "--recursive", "--json"], byEnv);
    expect(parseJson<EntryJson[]>(listed).map((e) => e.path)).toEqual([
      "MLmodel",
      "config.json",
      "tokenizer/vocab.txt",
    ]);
    const dest = tempDir();
    const downloaded = await runCli(["artifacts", "download", runId, "--dest", dest], byEnv);
    expect(downloaded).toMatchObject({ code: 0, stdout: `${dest}\n`, stderr: "" });
    expect(tree(dest)).toEqual(tree(join(work, "model")));
    // The server it started is gone with it: the file has no owner.
    expect(existsSync(`${db}.lock`)).toBe(false);
  });

  it("says so in one line when the server named cannot be reached", slow, async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = "1".repeat(32);
    for (const args of [
      ["list", run],
      ["download", run, "--dest", tempDir()],
      ["upload", run, join(repoRoot, "package.json")],
    ]) {
      const result = await runCli(["artifacts", ...args, "--tracking-uri", url]);
      expectOneLineFailure(result, 1, `labbook: cannot reach the labbook server at ${url}/graphql`);
    }
  });
});

describe("labbook artifacts, called wrongly or for help", () => {
  it("is listed by labbook --help and explains itself and each action", async () => {
    const main = await runCli(["--help"]);
    expect(main.stdout).toMatch(
      /^ {2}artifacts +List, download and upload a run's artifact files\.$/m,
    );
    const help = await runCli(["artifacts", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: labbook artifacts <list|download|upload> [options]");
    expect(await runCli(["artifacts"])).toMatchObject({ code: 0, stdout: help.stdout });
    for (const [action, usage, option] of [
      ["list", "Usage: labbook artifacts list <run id> [path] [options]", "--recursive"],
      ["download", "Usage: labbook artifacts download <run id> [path] [options]", "--dest <dir>"],
      [
        "upload",
        "Usage: labbook artifacts upload <run id> <local path> [artifact path] [options]",
        "--tracking-uri <url>",
      ],
    ] as const) {
      const own = await runCli(["artifacts", action, "--help"]);
      expect(own.code).toBe(0);
      expect(own.stdout).toContain(usage);
      expect(own.stdout).toContain(option);
      expect(own.stdout).toContain("LABBOOK_TRACKING_URI");
    }
  });

  it("says what is missing or wrong, with exit code 2, before looking for a server", async () => {
    // LABBOOK_DB_URL points nowhere usable: a server would fail; these never get that far.
    const env = { LABBOOK_DB_URL: join(tempDir(), "missing/dir/labbook.db") };
    const cases: [string[], string | RegExp][] = [
      [["nope"], "unknown action 'nope': use list, download or upload"],
      [["list"], /labbook artifacts list needs a run id: labbook artifacts list <run id>/],
      [["download"], "labbook artifacts download needs a run id"],
      [["upload"], "labbook artifacts upload needs a run id"],
      [["upload", "abc"], "labbook artifacts upload needs a local file or folder after the run id"],
      [["upload", "abc", join(tempDir(), "absent")], /no file or folder at .*absent/],
      [["list", "abc", "a", "b"], "unexpected argument 'b'"],
      [["list", "abc", "--dest", "x"], "--dest is an option of 'labbook artifacts download'"],
      [["download", "abc", "--recursive"], "--recursive is an option of 'labbook artifacts list'"],
      [["download", "abc", "--dest", `${repoRoot}package.json`], /--dest .* is not a folder/],
      [["list", "abc", "--bogus"], /Unknown option '--bogus'/],
      [["list", "abc", "--tracking-uri", "ftp://x"], /is not an http\(s\) URL/],
    ];
    for (const [args, message] of cases)
      expectOneLineFailure(await runCli(["artifacts", ...args], env), 2, message);
  });
});

describe("progress", () => {
  it("reads as files and bytes done of the total", () => {
    expect(
      progressText({ files: 3, totalFiles: 12, bytes: 1_200_000, totalBytes: 40_000_000 }),
    ).toBe("3/12 files, 1.2 MB of 40.0 MB");
    expect(progressText({ files: 1, totalFiles: 1, bytes: 5, totalBytes: 5 })).toBe(
      "1/1 file, 5 B of 5 B",
    );
    expect(shortSha256(null)).toBe("pending");
    expect(shortSha256("ab".repeat(32))).toBe("abababababab");
  });

  // `script` (util-linux) runs the command on a pseudo-terminal, as a person would.
  const hasScript = process.platform === "linux" && existsSync("/usr/bin/script");
  it.skipIf(!hasScript)("is shown on stderr when it is a terminal", slow, async () => {
    const server = await startServer({ args: ["--token", token] });
    try {
      const runId = await createRun(server.info.url);
      const { work } = localFiles();
      const onTerminal = (args: string[]) => {
        const command = [process.execPath, "cli/labbook.ts", "artifacts", ...args]
          .concat(["--tracking-uri", server.info.url])
          .map((arg) => `'${arg}'`)
          .join(" ");
        return new Promise<string>((resolve, reject) =>
          execFile(
            "/usr/bin/script",
            ["-qec", command, "/dev/null"],
            { cwd: repoRoot, env: cliEnv({ LABBOOK_TOKEN: token }) },
            (error, stdout) => (error ? reject(error) : resolve(stdout)),
          ),
        );
      };
      const uploaded = await onTerminal(["upload", runId, join(work, "model")]);
      expect(uploaded).toContain("uploading 3/3 files, 32 B of 32 B");
      const dest = tempDir();
      const output = await onTerminal(["download", runId, "--dest", dest]);
      expect(output).toContain("downloading 3/3 files, 32 B of 32 B");
      expect(output).toContain(dest);
      expect(tree(dest)).toEqual(tree(join(work, "model")));
    } finally {
      await server.stop("SIGKILL");
    }
  });
});
