/**
 * How a comparison's runs are read through the GraphQL API: `labbook report` reads them into
 * the snapshot with these functions, and a comparison page served live (site/client/) reads
 * them again with the same ones, so both select, read and aggregate alike. They take the
 * request function of their side (an in-process schema, a server's `/graphql`, the page's
 * `fetch`), and hold no state.
 */
import type { KeyValue, SnapshotComparison, SnapshotMetric } from "../snapshot/types.ts";
import { bandPoints } from "./sections.ts";
import type { ComparisonSpec, RunSelection } from "./spec.ts";

/** One GraphQL document with its variables; resolves the response's `data`. */
export type GraphQLRequest = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;

/** A run as the selection lists it: enough to choose sections and to tell what changed. */
export interface SelectedRun {
  id: string;
  status: string;
  endTime: number | null;
  params: { key: string }[];
  metrics: { key: string; count: number; lastStep: number }[];
}

/** The fields of `SelectedRun`, as a GraphQL selection of a run. */
export const pulseFields = "id status endTime params { key } metrics { key count lastStep }";

const quote = (text: string) => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

/** The search condition matching these run ids exactly. */
export const runIdCondition = (ids: readonly string[]): string =>
  `attributes.run_id IN (${ids.map(quote).join(", ")})`;

/**
 * Experiment ids of the names or ids a selection gives; `warn` hears of a name that matches
 * none (it adds no runs).
 */
export async function resolveExperimentIds(
  request: GraphQLRequest,
  selection: Pick<RunSelection, "experiments">,
  warn: (index: number, nameOrId: string) => void = () => {},
): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, nameOrId] of selection.experiments.entries()) {
    const data = await request<{ byName: { id: string } | null; byId: { id: string } | null }>(
      `query ($name: String!, $id: ID) { byName: experiment(name: $name) { id } byId: experiment(id: $id) { id } }`,
      { name: nameOrId, id: /^\d+$/.test(nameOrId) ? nameOrId : null },
    );
    const found = data.byName ?? data.byId;
    if (found) ids.push(found.id);
    else warn(i, nameOrId);
  }
  return ids;
}

/**
 * The selection's runs in its order (at most `limit`), each with its status and metric counts,
 * and how many matched. `experimentIds` are the selection's experiments resolved: when it names
 * some and none resolved, nothing matches.
 */
export async function selectRuns(
  request: GraphQLRequest,
  selection: RunSelection,
  experimentIds: readonly string[],
): Promise<{ runs: SelectedRun[]; matched: number }> {
  if (selection.experiments.length > 0 && experimentIds.length === 0)
    return { runs: [], matched: 0 };
  const conditions = [
    ...(selection.filter ? [`(${selection.filter})`] : []),
    ...(selection.ids.length ? [runIdCondition(selection.ids)] : []),
  ];
  const data = await request<{
    runs: {
      totalCount: number;
      nodes: (Omit<SelectedRun, "endTime" | "metrics"> & {
        endTime: number | string | null;
        metrics: { key: string; count: number; lastStep: number | string }[];
      })[];
    };
  }>(
    `query ($experimentIds: [ID!], $filter: String, $orderBy: [String!], $first: Int) {
      runs(experimentIds: $experimentIds, filter: $filter, orderBy: $orderBy, first: $first) {
        totalCount nodes { ${pulseFields} } } }`,
    {
      experimentIds: experimentIds.length ? experimentIds : null,
      filter: conditions.length ? conditions.join(" and ") : null,
      orderBy: selection.orderBy.length ? selection.orderBy : null,
      first: selection.limit,
    },
  );
  return {
    matched: data.runs.totalCount,
    runs: data.runs.nodes.map((node) => ({
      ...node,
      endTime: node.endTime == null ? null : Number(node.endTime),
      metrics: node.metrics.map((metric) => ({ ...metric, lastStep: Number(metric.lastStep) })),
    })),
  };
}

interface RunNode {
  id: string;
  name: string;
  status: string;
  startTime: number | string;
  endTime: number | string | null;
  parentRunId: string | null;
  artifactUri: string;
  experimentId: string;
  experiment: { name: string };
  params: KeyValue[];
  tags: KeyValue[];
  metrics: Omit<SnapshotMetric, "history">[];
  [history: `h${number}`]: { history: SnapshotMetric["history"] } | null;
}

/**
 * Runs by id, in the order given, with their params, tags and metric summaries, and the
 * histories of `curveMetrics` downsampled to `maxPoints` (the other metrics have none).
 */
export async function readSelectedRuns(
  request: GraphQLRequest,
  ids: readonly string[],
  options: { curveMetrics: readonly string[]; maxPoints: number },
): Promise<SnapshotComparison["runs"]> {
  const { curveMetrics, maxPoints } = options;
  const keyVariables = curveMetrics.map((_, i) => `$k${i}: String!`).join(" ");
  const histories = curveMetrics
    .map(
      (_, i) =>
        `h${i}: metric(key: $k${i}) { history(maxPoints: ${maxPoints}) { steps values timestamps } }`,
    )
    .join("\n");
  const byId = new Map<string, SnapshotComparison["runs"][number]>();
  for (let start = 0; start < ids.length; start += 100) {
    const page = ids.slice(start, start + 100);
    const data = await request<{ runs: { nodes: RunNode[] } }>(
      `query ($filter: String!, $first: Int ${keyVariables}) { runs(filter: $filter, first: $first) {
        nodes { id name status startTime endTime parentRunId artifactUri experimentId
          experiment { name } params { key value } tags { key value }
          metrics { key count last lastStep lastTimestamp min max }
          ${histories} } } }`,
      {
        filter: runIdCondition(page),
        first: page.length,
        ...Object.fromEntries(curveMetrics.map((key, i) => [`k${i}`, key])),
      },
    );
    for (const node of data.runs.nodes) {
      const historyOf = (key: string) => {
        const found = node[`h${curveMetrics.indexOf(key)}`]?.history;
        return found
          ? {
              steps: found.steps.map(Number),
              values: found.values,
              timestamps: found.timestamps.map(Number),
            }
          : null;
      };
      byId.set(node.id, {
        id: node.id,
        name: node.name,
        status: node.status,
        startTime: Number(node.startTime),
        endTime: node.endTime == null ? null : Number(node.endTime),
        parentRunId: node.parentRunId,
        artifactUri: node.artifactUri,
        experimentId: node.experimentId,
        experimentName: node.experiment.name,
        params: node.params,
        tags: node.tags,
        metrics: node.metrics.map((metric) => ({
          ...metric,
          lastStep: Number(metric.lastStep),
          lastTimestamp: Number(metric.lastTimestamp),
          history: curveMetrics.includes(metric.key) ? historyOf(metric.key) : null,
        })),
      });
    }
  }
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/**
 * The group bands of each `bands` section, aggregated by the API (`metricGroups`) over the
 * runs given. Without that query (an older server), each section's groups are null.
 */
export async function readBands(
  request: GraphQLRequest,
  spec: Pick<ComparisonSpec, "sections">,
  runIds: readonly string[],
  hasMetricGroups = true,
): Promise<SnapshotComparison["bands"]> {
  const bands: SnapshotComparison["bands"] = [];
  for (const [section, entry] of spec.sections.entries()) {
    if (entry.kind !== "bands") continue;
    if (!hasMetricGroups || runIds.length === 0) {
      bands.push({ section, groups: hasMetricGroups ? [] : null });
      continue;
    }
    const data = await request<{ metricGroups: SnapshotComparison["bands"][number]["groups"] }>(
      `query ($key: String!, $groupBy: [String!]!, $runIds: [ID!], $maxPoints: Int) {
        metricGroups(key: $key, groupBy: $groupBy, runIds: $runIds, maxPoints: $maxPoints) {
          values { key value } runIds runCount points { step mean min max runs } } }`,
      { key: entry.metric, groupBy: entry.groupBy, runIds, maxPoints: bandPoints },
    );
    bands.push({
      section,
      groups: (data.metricGroups ?? []).map((group) => ({
        ...group,
        points: group.points.map((point) => ({ ...point, step: Number(point.step) })),
      })),
    });
  }
  return bands;
}
