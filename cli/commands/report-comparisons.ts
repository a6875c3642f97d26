import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, isAbsolute, join, relative } from "node:path";
import { checkAgainstRuns } from "../../site/compare/check-against-runs.ts";
import { ComparisonFileError } from "../../site/compare/fields.ts";
import { parseComparison } from "../../site/compare/parse.ts";
import {
  bandPoints,
  curveMetricsOf,
  effectiveSections,
  historyPointsFor,
} from "../../site/compare/sections.ts";
import type { ComparisonSpec } from "../../site/compare/spec.ts";
import { slug } from "../../site/lib/paths.ts";
import type {
  KeyValue,
  SnapshotBands,
  SnapshotComparison,
  SnapshotMetric,
  SnapshotMetricGroup,
} from "../../site/snapshot/types.ts";
import type { GraphQLTarget } from "../graphql-target.ts";

/** A comparison file read and checked, before any data is read. */
export interface ComparisonFile {
  /** As shown in messages and on the page: relative to the working directory. */
  file: string;
  stem: string;
  text: string;
  sha256: string;
  spec: ComparisonSpec;
}

/** The comparison files of a folder (`*.yaml`, `*.yml`), read and checked, by name. */
export function readComparisonFiles(dir: string): ComparisonFile[] {
  const names = readdirSync(dir)
    .filter((name) => /\.ya?ml$/i.test(name) && statSync(join(dir, name)).isFile())
    .sort();
  const byStem = new Map<string, string>();
  return names.map((name) => {
    const path = join(dir, name);
    // Named from the working directory when inside it (`reports/lr.yaml`), else in full.
    const fromHere = relative(process.cwd(), path);
    const file = fromHere && !fromHere.startsWith("..") && !isAbsolute(fromHere) ? fromHere : path;
    const stem = basename(name, extname(name));
    const other = byStem.get(slug(stem));
    if (other)
      throw new ComparisonFileError({
        file,
        field: "",
        rule: `makes the same page (compare/${slug(stem)}/) as ${other}; rename one of them`,
      });
    byStem.set(slug(stem), file);
    const bytes = readFileSync(path);
    const text = bytes.toString("utf8");
    return {
      file,
      stem,
      text,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      spec: parseComparison(text, { file, stem }),
    };
  });
}

/** The folder `labbook report` reads comparisons from: `--reports`, else `./reports` if present. */
export function comparisonsDir(flag: string | undefined): string | undefined {
  if (flag !== undefined) {
    if (!existsSync(flag) || !statSync(flag).isDirectory())
      throw new ComparisonFileError({
        file: flag,
        field: "",
        rule: "is not a folder (--reports names the folder of comparison files)",
      });
    return flag;
  }
  return existsSync("reports") && statSync("reports").isDirectory() ? "reports" : undefined;
}

const quote = (text: string) => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

/** Experiment ids of the names or ids given; a name that matches none is reported and skipped. */
async function experimentIds(
  target: GraphQLTarget,
  comparison: ComparisonFile,
  warn: (line: string) => void,
): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, nameOrId] of comparison.spec.runs.experiments.entries()) {
    const data = await target.request<{
      byName: { id: string } | null;
      byId: { id: string } | null;
    }>(
      `query ($name: String!, $id: ID) { byName: experiment(name: $name) { id } byId: experiment(id: $id) { id } }`,
      { name: nameOrId, id: /^\d+$/.test(nameOrId) ? nameOrId : null },
    );
    const found = data.byName ?? data.byId;
    if (found) ids.push(found.id);
    else
      warn(
        `${comparison.file}: runs.experiments[${i}]: no experiment named or numbered '${nameOrId}'; it adds no runs`,
      );
  }
  return ids;
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

/** The selection's run ids in its order (at most `limit`), and how many matched. */
async function selectRuns(
  target: GraphQLTarget,
  comparison: ComparisonFile,
  warn: (line: string) => void,
): Promise<{ ids: string[]; matched: number; metricCounts: Map<string, number>[] }> {
  const selection = comparison.spec.runs;
  const experiments = await experimentIds(target, comparison, warn);
  if (selection.experiments.length > 0 && experiments.length === 0)
    return { ids: [], matched: 0, metricCounts: [] };
  const conditions = [
    ...(selection.filter ? [`(${selection.filter})`] : []),
    ...(selection.ids.length
      ? [`attributes.run_id IN (${selection.ids.map(quote).join(", ")})`]
      : []),
  ];
  const data = await target.request<{
    runs: {
      totalCount: number;
      nodes: { id: string; metrics: { key: string; count: number }[] }[];
    };
  }>(
    `query ($experimentIds: [ID!], $filter: String, $orderBy: [String!], $first: Int) {
      runs(experimentIds: $experimentIds, filter: $filter, orderBy: $orderBy, first: $first) {
        totalCount nodes { id metrics { key count } } } }`,
    {
      experimentIds: experiments.length ? experiments : null,
      filter: conditions.length ? conditions.join(" and ") : null,
      orderBy: selection.orderBy.length ? selection.orderBy : null,
      first: selection.limit,
    },
  );
  return {
    ids: data.runs.nodes.map((node) => node.id),
    matched: data.runs.totalCount,
    metricCounts: data.runs.nodes.map(
      (node) => new Map(node.metrics.map((metric) => [metric.key, metric.count])),
    ),
  };
}

/** The selected runs with their params, tags, metric summaries and the curves' histories. */
async function readRuns(
  target: GraphQLTarget,
  ids: readonly string[],
  curveMetrics: readonly string[],
  maxPoints: number,
): Promise<SnapshotComparison["runs"]> {
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
    const data = await target.request<{ runs: { nodes: RunNode[] } }>(
      `query ($filter: String!, $first: Int ${keyVariables}) { runs(filter: $filter, first: $first) {
        nodes { id name status startTime endTime parentRunId artifactUri experimentId
          experiment { name } params { key value } tags { key value }
          metrics { key count last lastStep lastTimestamp min max }
          ${histories} } } }`,
      {
        filter: `attributes.run_id IN (${page.map(quote).join(", ")})`,
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

/** The group bands of each `bands` section, aggregated by the API over the selected runs. */
async function readBands(
  target: GraphQLTarget,
  comparison: Pick<SnapshotComparison, "spec">,
  runIds: readonly string[],
  hasMetricGroups: boolean,
): Promise<SnapshotBands[]> {
  const bands: SnapshotBands[] = [];
  for (const [section, entry] of comparison.spec.sections.entries()) {
    if (entry.kind !== "bands") continue;
    if (!hasMetricGroups || runIds.length === 0) {
      bands.push({ section, groups: hasMetricGroups ? [] : null });
      continue;
    }
    const data = await target.request<{ metricGroups: SnapshotMetricGroup[] }>(
      `query ($key: String!, $groupBy: [String!]!, $runIds: [ID!], $maxPoints: Int) {
        metricGroups(key: $key, groupBy: $groupBy, runIds: $runIds, maxPoints: $maxPoints) {
          values { key value } runIds runCount points { step mean min max runs } } }`,
      { key: entry.metric, groupBy: entry.groupBy, runIds, maxPoints: bandPoints },
    );
    bands.push({
      section,
      groups: data.metricGroups.map((group) => ({
        ...group,
        points: group.points.map((point) => ({ ...point, step: Number(point.step) })),
      })),
    });
  }
  return bands;
}

/**
 * Reads what one comparison page shows through the API: the runs it selects (histories
 * downsampled to the page's budget) and the group bands its sections ask for.
 */
export async function readComparison(
  target: GraphQLTarget,
  comparison: ComparisonFile,
  options: { maxPoints: number; hasMetricGroups: boolean; warn: (line: string) => void },
): Promise<SnapshotComparison> {
  const { ids, matched, metricCounts } = await selectRuns(target, comparison, options.warn);
  if (matched > ids.length)
    options.warn(
      `${comparison.file}: runs.limit: ${matched} runs match; the page shows the first ${ids.length}`,
    );
  // Which metrics make curves is known from the summaries, before any history is read.
  const summaries = metricCounts.map((counts) => ({
    metrics: [...counts].map(([key, count]) => ({ key, count })),
  }));
  const sections = effectiveSections(comparison.spec, summaries);
  const curveMetrics = curveMetricsOf(sections);
  const maxPoints = historyPointsFor(ids.length, curveMetrics.length, options.maxPoints);
  const runs = await readRuns(target, ids, curveMetrics, maxPoints);
  for (const problem of checkAgainstRuns({
    file: comparison.file,
    sections: comparison.spec.sections,
    params: comparison.spec.params,
    metrics: comparison.spec.metrics,
    runs,
  }))
    options.warn(problem);
  const spec = { ...comparison.spec, sections };
  if (!options.hasMetricGroups && sections.some((section) => section.kind === "bands"))
    options.warn(
      `${comparison.file}: the API has no metricGroups query (an older labbook server); group bands are left empty`,
    );
  return {
    stem: comparison.stem,
    file: comparison.file,
    sha256: comparison.sha256,
    source: comparison.text,
    spec,
    matched,
    runs,
    maxPoints,
    bands: await readBands(target, { spec }, ids, options.hasMetricGroups),
  };
}
