import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildSite } from "../../site/build.ts";
import type {
  Snapshot,
  SnapshotArtifact,
  SnapshotExperiment,
  SnapshotRun,
} from "../../site/snapshot/types.ts";
import { snapshotVersion } from "../../site/snapshot/types.ts";
import { envHelp } from "../env.ts";
import { type GraphQLTarget, openGraphQLTarget } from "../graphql-target.ts";
import { printJson } from "../output.ts";
import { UsageError } from "../usage-error.ts";

export const reportHelp = `Usage: labbook report [options]

Builds a static report: an index of experiments, a page per experiment (its runs table and
curves) and per run, and every chart also as <name>.vl.json, .svg, .png and .html. The data
is read through the GraphQL API into a snapshot (snapshot.json in the output), and the site
is built from that file. The pages work from any static host, under any base path, and
opened from disk; they make no request outside the report.

Options:
  --out <dir>             Where the report goes (default ./report). It is built beside it and
                          then swapped in; an existing folder that is not a report is refused.
  --endpoint <url>        A labbook server to read from (its /graphql).
  --db <url>              A database to read, in this process (default ./labbook.db; a server
                          that owns the file is asked instead).
  --experiment <name|id>  Only this experiment (repeatable); all active ones by default.
  --max-points <n>        Points per metric history, downsampled with the extremes kept
                          (default 1000).
  --snapshot <file>       Build from a snapshot written before, reading no data.
  --token <t>             API token of the server.
  --db-auth-token <t>     Auth token for a libSQL server.
  --json                  Print a summary as JSON: { out, experiments, runs, pages, charts }.
  -h, --help              Show this help.

Environment (flags override):
${envHelp(["LABBOOK_TRACKING_URI", "LABBOOK_TOKEN", "LABBOOK_DB_URL"])}`;

const runFields = (maxPoints: number, artifacts: boolean) => `
  id name status startTime endTime parentRunId artifactUri
  params { key value } tags { key value }
  metrics { key count last lastStep lastTimestamp min max
    history(maxPoints: ${maxPoints}) { steps values timestamps } }
  ${artifacts ? "artifacts(recursive: true) { path isDir size lastModified contentType }" : ""}`;

const experimentFields = "id name creationTime lastUpdateTime tags { key value }";

interface RunsPage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: SnapshotRun[];
}

/** Which optional parts of the schema the API has (artifacts and the registry come later). */
async function capabilities(target: GraphQLTarget) {
  const data = await target.request<{ run: { fields: { name: string }[] } | null }>(
    `{ run: __type(name: "Run") { fields { name } } }`,
  );
  const runFieldNames = new Set(data.run?.fields.map((field) => field.name));
  return { artifacts: runFieldNames.has("artifacts") };
}

async function experimentsToReport(
  target: GraphQLTarget,
  namesOrIds: readonly string[] | undefined,
): Promise<Omit<SnapshotExperiment, "runs">[]> {
  if (!namesOrIds?.length) {
    const found: Omit<SnapshotExperiment, "runs">[] = [];
    let after: string | null = null;
    do {
      const data: {
        experiments: {
          nodes: Omit<SnapshotExperiment, "runs">[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      } = await target.request(
        `query ($after: String) { experiments(first: 1000, after: $after) {
          nodes { ${experimentFields} } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      found.push(...data.experiments.nodes);
      after = data.experiments.pageInfo.hasNextPage ? data.experiments.pageInfo.endCursor : null;
    } while (after);
    return found;
  }
  const found: Omit<SnapshotExperiment, "runs">[] = [];
  for (const nameOrId of namesOrIds) {
    const data = await target.request<{
      byName: Omit<SnapshotExperiment, "runs"> | null;
      byId: Omit<SnapshotExperiment, "runs"> | null;
    }>(
      `query ($name: String!, $id: ID) { byName: experiment(name: $name) { ${experimentFields} }
        byId: experiment(id: $id) { ${experimentFields} } }`,
      { name: nameOrId, id: /^\d+$/.test(nameOrId) ? nameOrId : null },
    );
    const experiment = data.byName ?? data.byId;
    if (!experiment)
      throw new UsageError(
        `no experiment named or numbered '${nameOrId}'; see 'labbook experiments list'`,
      );
    if (!found.some((one) => one.id === experiment.id)) found.push(experiment);
  }
  return found;
}

/** Every active run of an experiment, a page at a time, with downsampled histories. */
async function runsOf(
  target: GraphQLTarget,
  experimentId: string,
  options: {
    maxPoints: number;
    artifacts: boolean;
    progress: (done: number, total: number) => void;
  },
): Promise<SnapshotRun[]> {
  const runs: SnapshotRun[] = [];
  let after: string | null = null;
  do {
    const data: { experiment: { runs: RunsPage } | null } = await target.request(
      `query ($id: ID!, $after: String) { experiment(id: $id) {
        runs(first: 100, after: $after, orderBy: ["attributes.start_time ASC"]) {
          totalCount pageInfo { hasNextPage endCursor }
          nodes { ${runFields(options.maxPoints, options.artifacts)} } } } }`,
      { id: experimentId, after },
    );
    const page = data.experiment?.runs;
    if (!page) break;
    runs.push(...page.nodes.map(normalizeRun));
    options.progress(runs.length, page.totalCount);
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return runs;
}

/** Steps and times arrive as numbers or digit strings (Long); the snapshot holds numbers. */
function normalizeRun(run: SnapshotRun): SnapshotRun {
  const number = (value: unknown) => (value == null ? value : Number(value));
  return {
    ...run,
    startTime: Number(run.startTime),
    endTime: run.endTime == null ? null : Number(run.endTime),
    metrics: run.metrics.map((metric) => ({
      ...metric,
      lastStep: Number(metric.lastStep),
      lastTimestamp: Number(metric.lastTimestamp),
      history: metric.history && {
        steps: metric.history.steps.map(Number),
        values: metric.history.values,
        timestamps: metric.history.timestamps.map(Number),
      },
    })),
    ...(run.artifacts && {
      artifacts: run.artifacts.map(
        (artifact): SnapshotArtifact => ({
          ...artifact,
          size: number(artifact.size) as number,
          lastModified: number(artifact.lastModified) as number,
        }),
      ),
    }),
  };
}

/** Reads what a report shows through the GraphQL API. */
export async function readSnapshot(
  target: GraphQLTarget,
  options: {
    experiments?: readonly string[] | undefined;
    maxPoints: number;
    source: string;
    artifactBaseUrl: string | null;
    log: (line: string) => void;
  },
): Promise<Snapshot> {
  const { artifacts } = await capabilities(target);
  const experiments: SnapshotExperiment[] = [];
  for (const experiment of await experimentsToReport(target, options.experiments)) {
    const runs = await runsOf(target, experiment.id, {
      maxPoints: options.maxPoints,
      artifacts,
      progress: (done, total) => options.log(`  ${experiment.name}: ${done}/${total} runs read`),
    });
    experiments.push({
      ...experiment,
      creationTime: Number(experiment.creationTime),
      lastUpdateTime: Number(experiment.lastUpdateTime),
      runs,
    });
  }
  return {
    version: snapshotVersion,
    generatedAt: Date.now(),
    source: options.source,
    maxPoints: options.maxPoints,
    artifactBaseUrl: options.artifactBaseUrl,
    experiments,
  };
}

/** A folder `labbook report` may replace: absent, empty, or a report it wrote before. */
function checkReplaceable(out: string): void {
  if (!existsSync(out)) return;
  const entries = readdirSync(out);
  if (entries.length === 0 || entries.includes("snapshot.json")) return;
  throw new UsageError(
    `${out} exists and is not a labbook report (no snapshot.json); choose another --out or remove it`,
  );
}

/**
 * Puts a built folder in place of `out`: the old report moves aside first, so `out` is either
 * the old report or the new one (never half of one) but for the instant between two renames.
 */
function swapIn(built: string, out: string, workDir: string): void {
  const old = join(workDir, "previous");
  if (existsSync(out)) renameSync(out, old);
  try {
    renameSync(built, out);
  } catch (error) {
    if (existsSync(old)) renameSync(old, out);
    throw error;
  }
}

export async function reportCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: "string" },
      endpoint: { type: "string" },
      "tracking-uri": { type: "string" },
      db: { type: "string" },
      "db-auth-token": { type: "string" },
      token: { type: "string" },
      experiment: { type: "string", multiple: true },
      "max-points": { type: "string" },
      snapshot: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(reportHelp);
    return;
  }
  if (values.endpoint && values.db)
    throw new UsageError("give --endpoint or --db, not both: the report reads from one of them");
  const maxPoints = Number(values["max-points"] ?? 1000);
  if (!Number.isInteger(maxPoints) || maxPoints < 2)
    throw new UsageError(
      `--max-points must be a whole number of at least 2, not '${values["max-points"]}'`,
    );
  const out = resolve(values.out ?? "report");
  checkReplaceable(out);
  const log = (line: string) => console.error(`labbook: ${line}`);

  let snapshot: Snapshot;
  if (values.snapshot) {
    snapshot = JSON.parse(readFileSync(values.snapshot, "utf8")) as Snapshot;
    if (snapshot.version !== snapshotVersion)
      throw new UsageError(
        `${values.snapshot} is not a labbook snapshot of version ${snapshotVersion}`,
      );
  } else {
    const endpoint = values.endpoint ?? values["tracking-uri"];
    const target = await openGraphQLTarget({
      "tracking-uri": endpoint,
      token: values.token,
      db: values.db,
      "db-auth-token": values["db-auth-token"],
    });
    try {
      log(`reading ${target.description}`);
      const remote = /^https?:/.test(target.description);
      snapshot = await readSnapshot(target, {
        experiments: values.experiment,
        maxPoints,
        source: remote ? target.description : "a labbook database",
        artifactBaseUrl: remote ? target.description.replace(/\/graphql\/?$/, "/artifacts") : null,
        log,
      });
    } finally {
      await target.close();
    }
  }

  mkdirSync(dirname(out), { recursive: true });
  const workDir = join(dirname(out), `.${basename(out)}.building-${process.pid}`);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir);
  try {
    const snapshotPath = join(workDir, "snapshot.json");
    writeFileSync(snapshotPath, JSON.stringify(snapshot));
    const built = join(workDir, "site");
    const result = await buildSite({ snapshotPath, outDir: built, log });
    writeFileSync(join(built, "snapshot.json"), readFileSync(snapshotPath));
    swapIn(built, out, workDir);
    const runs = snapshot.experiments.reduce((sum, experiment) => sum + experiment.runs.length, 0);
    const summary = {
      out,
      experiments: snapshot.experiments.length,
      runs,
      pages: result.pages,
      charts: result.charts,
    };
    if (values.json) printJson(summary);
    else
      log(
        `report written to ${out}: ${summary.experiments} experiments, ${runs} runs, ${result.pages} pages, ${result.charts} charts (open ${join(out, "index.html")})`,
      );
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
