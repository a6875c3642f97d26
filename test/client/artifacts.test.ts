import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  downloadArtifacts,
  type LabbookError,
  listArtifacts,
  startRun,
  type TransferProgress,
} from "../../client/index.ts";
import { gqlData } from "../support/gql.ts";
import { artifactStoreKinds } from "../support/s3.ts";
import { tempDir } from "../support/temp-dir.ts";
import { portOf, readRun, server } from "./support.ts";

const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

/** Every file under a local folder, by relative path, with its content. */
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

async function rejection(promise: Promise<unknown>): Promise<LabbookError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!error) throw new Error("expected a rejection");
  return error as LabbookError;
}

const kinds = artifactStoreKinds("sdk");

describe.each(kinds)("the SDK's artifacts against a server, $name store", (kind) => {
  const token = "sdk-artifact-token";

  it("logs files, folders, text and JSON, and downloads them back identical", async () => {
    const { info } = await server({
      artifacts: kind.artifacts(),
      args: ["--token", token],
      env: kind.env(),
    });
    const run = await startRun({ trackingUri: info.url, token, experiment: "sdk-artifacts" });
    const work = tempDir();
    const weights = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(join(work, "weights.bin"), weights);
    mkdirSync(join(work, "model/tokenizer"), { recursive: true });
    writeFileSync(join(work, "model/config.json"), '{"layers": 12}');
    writeFileSync(join(work, "model/tokenizer/vocab.txt"), "a\nb\nc\n");
    writeFileSync(join(work, "model/MLmodel"), "flavors: {}\n");

    const single = await run.logArtifact(join(work, "weights.bin"));
    expect(single).toEqual({
      path: "weights.bin",
      size: weights.length,
      sha256: sha256(weights),
      crc32: crc32(weights).toString(16).padStart(8, "0"),
      contentType: "application/octet-stream",
    });
    expect((await run.logArtifact(join(work, "weights.bin"), "checkpoints/epoch-1")).path).toBe(
      "checkpoints/epoch-1/weights.bin",
    );
    const folder = await run.logArtifacts(join(work, "model"), "model");
    expect(folder.map((a) => a.path).sort()).toEqual([
      "model/MLmodel",
      "model/config.json",
      "model/tokenizer/vocab.txt",
    ]);
    const text = await run.logText("# Summary\naccuracy 0.91\n", "reports/summary.md");
    expect(text.contentType).toBe("text/markdown; charset=utf-8");
    const json = await run.logJson({ classes: ["cat", "dog"], threshold: 0.5 }, "labels");
    expect(json.contentType).toBe("application/json");
    await run.end();

    const options = { trackingUri: info.url, token };
    expect((await listArtifacts(run.id, "", options)).map((a) => [a.path, a.isDir])).toEqual([
      ["checkpoints", true],
      ["labels", false],
      ["model", true],
      ["reports", true],
      ["weights.bin", false],
    ]);
    expect(
      (await listArtifacts(run.id, "model", { ...options, recursive: true })).map((a) => a.path),
    ).toEqual(["model/MLmodel", "model/config.json", "model/tokenizer/vocab.txt"]);

    const dest = tempDir();
    expect(await downloadArtifacts(run.id, "model", dest, options)).toBe(join(dest, "model"));
    expect(tree(join(dest, "model"))).toEqual(tree(join(work, "model")));
    const progress: TransferProgress[] = [];
    const onProgress = (p: TransferProgress) => progress.push(p);
    expect(await downloadArtifacts(run.id, "weights.bin", dest, { ...options, onProgress })).toBe(
      join(dest, "weights.bin"),
    );
    expect(readFileSync(join(dest, "weights.bin")).equals(weights)).toBe(true);
    const size = weights.length;
    expect(progress.at(-1)).toEqual({ files: 1, totalFiles: 1, bytes: size, totalBytes: size });
    expect(progress.some((p) => p.files === 0 && p.bytes > 0 && p.bytes < size)).toBe(true);
    const everything = tempDir();
    expect(await downloadArtifacts(run.id, "", everything, options)).toBe(everything);
    expect(Object.keys(tree(everything))).toEqual([
      "checkpoints/epoch-1/weights.bin",
      "labels",
      "model/MLmodel",
      "model/config.json",
      "model/tokenizer/vocab.txt",
      "reports/summary.md",
      "weights.bin",
    ]);
    expect(JSON.parse(readFileSync(join(everything, "labels"), "utf8"))).toEqual({
      classes: ["cat", "dog"],
      threshold: 0.5,
    });
    expect(readdirSync(everything).some((name) => name.endsWith(".part"))).toBe(false);

    const missing = await rejection(downloadArtifacts(run.id, "nothing/here", dest, options));
    expect(missing.code).toBe("NOT_FOUND");
    const noRun = await rejection(downloadArtifacts("0".repeat(32), "", dest, options));
    expect(noRun.code).toBe("NOT_FOUND");
  });

  it("refuses bad paths before sending anything, and a missing file clearly", async () => {
    const { info } = await server({ artifacts: kind.artifacts(), env: kind.env() });
    const run = await startRun({ trackingUri: info.url });
    for (const path of ["../escape.txt", "/abs.txt", "a\\b.txt", "a//b.txt", "nul\0.txt"]) {
      const error = await rejection(run.logText("x", path));
      expect(error.code).toBe("BAD_USER_INPUT");
      expect(error.message).toContain("artifact path");
    }
    const missingFile = await rejection(run.logArtifact(join(tempDir(), "no-such-file.bin")));
    expect(missingFile.message).toContain("ENOENT");
    await run.end();
    expect(await listArtifacts(run.id, "", { trackingUri: info.url })).toEqual([]);
  });

  it("finishes uploads in flight before end() sets the status", async () => {
    const { info } = await server({ artifacts: kind.artifacts(), env: kind.env() });
    const run = await startRun({ trackingUri: info.url });
    const file = join(tempDir(), "late.bin");
    writeFileSync(file, randomBytes(2 * 1024 * 1024));
    const upload = run.logArtifact(file);
    await run.end();
    const { run: stored } = await gqlData<{ run: { status: string; artifact: { size: number } } }>(
      info.url,
      'query ($id: ID!) { run(id: $id) { status artifact(path: "late.bin") { size } } }',
      { id: run.id },
    );
    expect(stored).toEqual({ status: "FINISHED", artifact: { size: 2 * 1024 * 1024 } });
    await upload;
  });

  it("retries an upload while the server is away, and it lands once a server is back", async () => {
    const db = join(tempDir(), "labbook.db");
    const artifacts = kind.artifacts();
    const first = await server({ db, artifacts, env: kind.env() });
    const run = await startRun({ trackingUri: first.info.url, maxRetryDelayMs: 100 });
    await first.stop("SIGKILL");
    const upload = run.logText("written while the server was down", "notes/down.txt");
    const second = await server({ db, artifacts, env: kind.env(), port: portOf(first.info.url) });
    expect(await upload).toMatchObject({ path: "notes/down.txt", size: 33 });
    await run.end();
    expect((await readRun(second.info.url, run.id)).status).toBe("FINISHED");
    const dest = tempDir();
    await run.downloadArtifacts("notes/down.txt", dest);
    expect(readFileSync(join(dest, "notes/down.txt"), "utf8")).toBe(
      "written while the server was down",
    );
  });
});
