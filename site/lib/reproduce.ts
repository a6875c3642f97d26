import type { KeyValue } from "../snapshot/types.ts";

/** What `labbook run` recorded about how a run was made, read back from its tags. */
export interface Reproduction {
  /** Shell lines that rerun it: go to the project, check out the commit, run the command. */
  script: string;
  facts: { label: string; value: string }[];
  /** Tags shown here, left out of the general tags table. */
  tagKeys: string[];
}

const shellQuote = (text: string) =>
  /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;

/** The reproduction info of a run made by `labbook run`; undefined for other runs. */
export function reproductionOf(tags: readonly KeyValue[]): Reproduction | undefined {
  const tag = (key: string) => tags.find((one) => one.key === key)?.value;
  const command = tag("labbook.command");
  if (!command) return undefined;
  const projectDir = tag("labbook.projectDir") ?? tag("mlflow.source.name");
  const commit = tag("labbook.git.commit") ?? tag("mlflow.source.git.commit");
  const branch = tag("labbook.git.branch") ?? tag("mlflow.source.git.branch");
  const dirty = tag("labbook.git.dirty") === "true";
  const lines = [
    ...(projectDir ? [`cd ${shellQuote(projectDir)}`] : []),
    ...(commit
      ? [`git checkout ${commit}${dirty ? "  # the run had uncommitted changes on top of it" : ""}`]
      : []),
    command,
  ];
  const facts = [
    ["entry point", tag("labbook.entryPoint")],
    ["project", projectDir],
    [
      "git",
      commit &&
        `${commit}${branch ? ` (${branch})` : ""}${dirty ? ", with uncommitted changes" : ""}`,
    ],
    ["Node.js", tag("labbook.node.version")],
    ["system", tag("labbook.os")],
    [
      "lockfile",
      tag("labbook.lockfile") &&
        `${tag("labbook.lockfile")} (sha256 ${tag("labbook.lockfile.sha256")?.slice(0, 12)}…)`,
    ],
    [
      "ended",
      tag("labbook.exitCode") != null
        ? `exit code ${tag("labbook.exitCode")}`
        : tag("labbook.exitSignal") && `signal ${tag("labbook.exitSignal")}`,
    ],
  ]
    .filter((fact): fact is [string, string] => typeof fact[1] === "string" && fact[1] !== "")
    .map(([label, value]) => ({ label, value }));
  return {
    script: lines.join("\n"),
    facts,
    tagKeys: [
      "labbook.command",
      "labbook.projectDir",
      "labbook.entryPoint",
      "labbook.git.commit",
      "labbook.git.branch",
      "labbook.git.dirty",
      "labbook.node.version",
      "labbook.os",
      "labbook.lockfile",
      "labbook.lockfile.sha256",
      "labbook.exitCode",
      "labbook.exitSignal",
    ],
  };
}
