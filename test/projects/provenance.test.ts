import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findLockfile, gitInfo, provenanceTags } from "../../projects/index.ts";
import { tempDir } from "../support/temp-dir.ts";

const hasGit = (() => {
  try {
    execFileSync("git", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const git = (cwd: string, ...args: string[]) =>
  execFileSync(
    "git",
    ["-c", "user.name=labbook", "-c", "user.email=labbook@example.invalid", ...args],
    { cwd, encoding: "utf8" },
  ).trim();

/** A git repository with one commit on branch 'trunk', and a project folder inside. */
function repository(): { root: string; project: string; commit: string } {
  const root = tempDir();
  const project = join(root, "projects", "demo");
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, "MLproject"), "entry_points:\n  main:\n    command: x\n");
  git(root, "init", "-q", "-b", "trunk");
  git(root, "add", ".");
  git(root, "commit", "-q", "-m", "first");
  return { root, project, commit: git(root, "rev-parse", "HEAD") };
}

describe("gitInfo", () => {
  it.skipIf(!hasGit)(
    "reads the commit, branch and a clean state from inside the tree",
    async () => {
      const { project, commit } = repository();
      expect(await gitInfo(project)).toEqual({ commit, branch: "trunk", dirty: false });
    },
  );

  it.skipIf(!hasGit)("is dirty when a tracked file changed, not for an untracked one", async () => {
    const { root, project } = repository();
    writeFileSync(join(project, "notes.txt"), "untracked\n");
    expect((await gitInfo(project))?.dirty).toBe(false);
    writeFileSync(join(project, "MLproject"), "entry_points:\n  main:\n    command: y\n");
    expect((await gitInfo(root))?.dirty).toBe(true);
  });

  it.skipIf(!hasGit)("has no branch on a detached HEAD", async () => {
    const { root, commit } = repository();
    git(root, "checkout", "-q", "--detach");
    expect(await gitInfo(root)).toEqual({ commit, dirty: false });
  });

  it("is undefined outside a git work tree", async () => {
    expect(await gitInfo(tempDir())).toBeUndefined();
  });
});

describe("findLockfile", () => {
  it("finds the nearest package-lock.json above, with the SHA-256 of its bytes", () => {
    const root = tempDir();
    const deep = join(root, "a", "b", "c");
    mkdirSync(deep, { recursive: true });
    const bytes = '{ "lockfileVersion": 3 }\n';
    writeFileSync(join(root, "a", "package-lock.json"), bytes);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    expect(findLockfile(deep)).toEqual({ path: join(root, "a", "package-lock.json"), sha256 });
    writeFileSync(join(deep, "package-lock.json"), "{}");
    expect(findLockfile(deep)?.path).toBe(join(deep, "package-lock.json"));
  });

  it("is undefined when there is none up to the root", () => {
    expect(findLockfile(tempDir(), "labbook-no-such-lockfile.json")).toBeUndefined();
  });
});

describe("provenanceTags", () => {
  it.skipIf(!hasGit)(
    "records entry point, command, git, Node, OS and lockfile, labbook's and MLflow's way",
    async () => {
      const { root, project, commit } = repository();
      writeFileSync(join(root, "package-lock.json"), "{}");
      const tags = await provenanceTags({
        projectDir: project,
        entryPoint: "main",
        command: "node train.js 5",
      });
      expect(tags).toEqual({
        "labbook.projectDir": project,
        "labbook.entryPoint": "main",
        "labbook.command": "node train.js 5",
        "labbook.node.version": process.version,
        "labbook.os": expect.stringMatching(
          new RegExp(`^${process.platform} \\S+ ${process.arch}$`),
        ),
        "labbook.git.commit": commit,
        "labbook.git.branch": "trunk",
        "labbook.git.dirty": "false",
        "labbook.lockfile": join(root, "package-lock.json"),
        "labbook.lockfile.sha256": createHash("sha256").update("{}").digest("hex"),
        "mlflow.source.type": "PROJECT",
        "mlflow.source.name": project,
        "mlflow.source.git.commit": commit,
        "mlflow.source.git.branch": "trunk",
        "mlflow.project.entryPoint": "main",
        "mlflow.project.backend": "local",
      });
    },
  );

  it("leaves out git tags outside a work tree", async () => {
    const tags = await provenanceTags({ projectDir: tempDir(), entryPoint: "main", command: "x" });
    expect(Object.keys(tags).filter((key) => key.includes("git"))).toEqual([]);
    expect(tags["labbook.command"]).toBe("x");
  });
});
