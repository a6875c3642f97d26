import { normalizeRun } from "../../site/snapshot/normalize-run.ts";
import type { Snapshot, SnapshotExperiment, SnapshotRun } from "../../site/snapshot/types.ts";
import { snapshotVersion } from "../../site/snapshot/types.ts";
import type { GraphQLTarget } from "../graphql-target.ts";
import { UsageError } from "../usage-error.ts";
import { type ComparisonFile, readComparison } from "./report-comparisons.ts";
import { attachModelVersions, readRegistry } from "./report-registry.ts";

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

/** Which optional parts of the schema the API has (a server may be older than this labbook). */
async function capabilities(target: GraphQLTarget) {
  const data = await target.request<{
    run: { fields: { name: string }[] } | null;
    query: { fields: { name: string }[] } | null;
  }>(
    `{ run: __type(name: "Run") { fields { name } } query: __type(name: "Query") { fields { name } } }`,
  );
  const runFieldNames = new Set(data.run?.fields.map((field) => field.name));
  const queryFieldNames = new Set(data.query?.fields.map((field) => field.name));
  return {
    artifacts: runFieldNames.has("artifacts"),
    registry: queryFieldNames.has("registeredModels"),
    metricGroups: queryFieldNames.has("metricGroups"),
  };
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

/** Reads what a report shows through the GraphQL API. */
export async function readSnapshot(
  target: GraphQLTarget,
  options: {
    experiments?: readonly string[] | undefined;
    maxPoints: number;
    source: string;
    artifactBaseUrl: string | null;
    /** Comparison files, read and checked. */
    comparisons?: readonly ComparisonFile[];
    log: (line: string) => void;
  },
): Promise<Snapshot> {
  const { artifacts, registry: hasRegistry, metricGroups } = await capabilities(target);
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
  const { default: pkg } = await import("../../package.json", { with: { type: "json" } });
  const registry = hasRegistry ? await readRegistry(target) : undefined;
  if (registry) {
    attachModelVersions(
      experiments.flatMap((experiment) => experiment.runs),
      registry,
    );
    options.log(`registry: ${registry.length} models read`);
  }
  const comparisons = [];
  for (const file of options.comparisons ?? []) {
    const comparison = await readComparison(target, file, {
      maxPoints: options.maxPoints,
      hasMetricGroups: metricGroups,
      warn: (line) => options.log(`warning: ${line}`),
    });
    options.log(`comparison ${file.file}: ${comparison.runs.length} runs read`);
    comparisons.push(comparison);
  }
  return {
    version: snapshotVersion,
    generatedAt: Date.now(),
    source: options.source,
    maxPoints: options.maxPoints,
    artifactBaseUrl: options.artifactBaseUrl,
    experiments,
    labbookVersion: pkg.version,
    ...(registry && { registry }),
    comparisons,
  };
}
