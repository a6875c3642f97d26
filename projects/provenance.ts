import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { arch, platform, release } from "node:os";
import { dirname, join, resolve } from "node:path";

/** The git state of a project's directory. */
export interface GitInfo {
  commit: string;
  /** Absent on a detached HEAD. */
  branch?: string;
  /** Whether tracked files differ from the commit (untracked files do not count, as `git describe --dirty`). */
  dirty: boolean;
}

function git(args: readonly string[], cwd: string): Promise<string | undefined> {
  return new Promise((done) => {
    execFile("git", args, { cwd, timeout: 10_000, windowsHide: true }, (error, stdout) =>
      done(error ? undefined : stdout.trim()),
    );
  });
}

/**
 * The commit, branch and dirty state of the git work tree holding `dir`; `undefined` when
 * `dir` is not in one, or git is not installed.
 *
 * @example
 * await gitInfo("examples/mnist"); // { commit: "3f2a…", branch: "main", dirty: false }
 */
export async function gitInfo(dir: string): Promise<GitInfo | undefined> {
  const commit = await git(["rev-parse", "--verify", "HEAD"], dir);
  if (!commit) return undefined;
  const [branch, status] = await Promise.all([
    git(["symbolic-ref", "--short", "-q", "HEAD"], dir),
    git(["status", "--porcelain", "--untracked-files=no"], dir),
  ]);
  // A status that could not be read counts as dirty: nothing proves the tree clean.
  return { commit, ...(branch && { branch }), dirty: status !== "" };
}

/** A lockfile and the SHA-256 of its bytes. */
export interface LockfileInfo {
  path: string;
  sha256: string;
}

/**
 * The nearest `package-lock.json` in `dir` or a directory above it, with its hash: what
 * pins the project's dependencies.
 *
 * @example
 * findLockfile("examples/mnist"); // { path: "/work/labbook/package-lock.json", sha256: "9c1e…" }
 */
export function findLockfile(dir: string, name = "package-lock.json"): LockfileInfo | undefined {
  let current = resolve(dir);
  for (;;) {
    const path = join(current, name);
    try {
      const bytes = readFileSync(path);
      return { path, sha256: createHash("sha256").update(bytes).digest("hex") };
    } catch {
      // Not here; look further up.
    }
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/**
 * The tags that say how to reproduce a run of a project: labbook's own (`labbook.*`) and
 * MLflow's (`mlflow.source.*`, `mlflow.project.*`), so MLflow's tools read them too.
 *
 * @example
 * const tags = await provenanceTags({ projectDir, entryPoint: "main", command: "node train.js 5" });
 * tags["labbook.git.commit"]; // "3f2a…" when the project is in a git work tree
 */
export async function provenanceTags(options: {
  projectDir: string;
  entryPoint: string;
  command: string;
}): Promise<Record<string, string>> {
  const [gitState, lockfile] = [
    await gitInfo(options.projectDir),
    findLockfile(options.projectDir),
  ];
  const tags: Record<string, string> = {
    "labbook.projectDir": options.projectDir,
    "labbook.entryPoint": options.entryPoint,
    "labbook.command": options.command,
    "labbook.node.version": process.version,
    "labbook.os": `${platform()} ${release()} ${arch()}`,
    "mlflow.source.type": "PROJECT",
    "mlflow.source.name": options.projectDir,
    "mlflow.project.entryPoint": options.entryPoint,
    "mlflow.project.backend": "local",
  };
  if (gitState) {
    tags["labbook.git.commit"] = gitState.commit;
    tags["labbook.git.dirty"] = String(gitState.dirty);
    tags["mlflow.source.git.commit"] = gitState.commit;
    if (gitState.branch) {
      tags["labbook.git.branch"] = gitState.branch;
      tags["mlflow.source.git.branch"] = gitState.branch;
    }
  }
  if (lockfile) {
    tags["labbook.lockfile"] = lockfile.path;
    tags["labbook.lockfile.sha256"] = lockfile.sha256;
  }
  return tags;
}
