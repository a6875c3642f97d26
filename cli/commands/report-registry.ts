import type {
  KeyValue,
  SnapshotModelVersion,
  SnapshotRegisteredModel,
  SnapshotRegistryVersion,
  SnapshotRun,
} from "../../site/snapshot/types.ts";
import type { GraphQLTarget } from "../graphql-target.ts";

interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

interface VersionNode {
  version: number;
  status: string;
  source: string;
  runId: string | null;
  run: { name: string } | null;
  description: string;
  creationTime: number | string;
  lastUpdateTime: number | string;
  aliases: string[];
  tags: KeyValue[];
}

interface ModelNode {
  name: string;
  description: string;
  creationTime: number | string;
  lastUpdateTime: number | string;
  tags: KeyValue[];
  aliases: { alias: string; version: number }[];
  versions: { pageInfo: PageInfo; nodes: VersionNode[] };
}

const versionFields = `version status source runId run { name } description creationTime
  lastUpdateTime aliases tags { key value }`;

const normalizeVersion = (node: VersionNode): SnapshotRegistryVersion => ({
  version: node.version,
  status: node.status,
  source: node.source,
  runId: node.runId,
  runName: node.run?.name ?? null,
  description: node.description,
  creationTime: Number(node.creationTime),
  lastUpdateTime: Number(node.lastUpdateTime),
  aliases: node.aliases,
  tags: node.tags,
});

/** The versions past a model's first page (a model with more than 1000 versions). */
async function moreVersions(
  target: GraphQLTarget,
  name: string,
  after: string,
): Promise<VersionNode[]> {
  const found: VersionNode[] = [];
  let cursor: string | null = after;
  while (cursor) {
    const data: {
      registeredModel: { versions: { pageInfo: PageInfo; nodes: VersionNode[] } } | null;
    } = await target.request(
      `query ($name: String!, $after: String) { registeredModel(name: $name) {
        versions(first: 1000, after: $after) { pageInfo { hasNextPage endCursor }
          nodes { ${versionFields} } } } }`,
      { name, after: cursor },
    );
    const page = data.registeredModel?.versions;
    if (!page) break;
    found.push(...page.nodes);
    cursor = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  }
  return found;
}

/** Every registered model with all its versions, read through the API. */
export async function readRegistry(target: GraphQLTarget): Promise<SnapshotRegisteredModel[]> {
  const models: SnapshotRegisteredModel[] = [];
  let after: string | null = null;
  do {
    const data: { registeredModels: { pageInfo: PageInfo; nodes: ModelNode[] } } =
      await target.request(
        `query ($after: String) { registeredModels(first: 100, after: $after) {
          pageInfo { hasNextPage endCursor }
          nodes { name description creationTime lastUpdateTime tags { key value }
            aliases { alias version }
            versions(first: 1000) { pageInfo { hasNextPage endCursor } nodes { ${versionFields} } } } } }`,
        { after },
      );
    for (const node of data.registeredModels.nodes) {
      const versions = [...node.versions.nodes];
      if (node.versions.pageInfo.hasNextPage && node.versions.pageInfo.endCursor)
        versions.push(...(await moreVersions(target, node.name, node.versions.pageInfo.endCursor)));
      models.push({
        name: node.name,
        description: node.description,
        creationTime: Number(node.creationTime),
        lastUpdateTime: Number(node.lastUpdateTime),
        tags: node.tags,
        aliases: node.aliases,
        versions: versions.map(normalizeVersion),
      });
    }
    after = data.registeredModels.pageInfo.hasNextPage
      ? data.registeredModels.pageInfo.endCursor
      : null;
  } while (after);
  return models;
}

/** Puts each model version on the page of the run it came from (the link back from runs). */
export function attachModelVersions(
  runs: readonly SnapshotRun[],
  registry: readonly SnapshotRegisteredModel[],
): void {
  const byRun = new Map<string, SnapshotModelVersion[]>();
  for (const model of registry)
    for (const version of model.versions) {
      if (!version.runId) continue;
      const list = byRun.get(version.runId) ?? [];
      list.push({
        model: model.name,
        version: String(version.version),
        aliases: version.aliases,
        runId: version.runId,
      });
      byRun.set(version.runId, list);
    }
  for (const run of runs) run.modelVersions = byRun.get(run.id) ?? [];
}
