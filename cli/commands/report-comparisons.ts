import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, isAbsolute, join, relative } from "node:path";
import { checkAgainstRuns } from "../../site/compare/check-against-runs.ts";
import { ComparisonFileError } from "../../site/compare/fields.ts";
import { parseComparison } from "../../site/compare/parse.ts";
import {
  type GraphQLRequest,
  readBands,
  readSelectedRuns,
  resolveExperimentIds,
  selectRuns,
} from "../../site/compare/read-selection.ts";
import {
  curveMetricsOf,
  effectiveSections,
  historyPointsFor,
} from "../../site/compare/sections.ts";
import type { ComparisonSpec } from "../../site/compare/spec.ts";
import { slug } from "../../site/lib/paths.ts";
import type { SnapshotComparison } from "../../site/snapshot/types.ts";
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

/** The selection's experiments by id; a name that matches none is reported and skipped. */
const experimentIdsOf = (
  request: GraphQLRequest,
  comparison: ComparisonFile,
  warn: (line: string) => void,
) =>
  resolveExperimentIds(request, comparison.spec.runs, (i, nameOrId) =>
    warn(
      `${comparison.file}: runs.experiments[${i}]: no experiment named or numbered '${nameOrId}'; it adds no runs`,
    ),
  );

/**
 * Reads what one comparison page shows through the API: the runs it selects (histories
 * downsampled to the page's budget) and the group bands its sections ask for.
 */
export async function readComparison(
  target: GraphQLTarget,
  comparison: ComparisonFile,
  options: { maxPoints: number; hasMetricGroups: boolean; warn: (line: string) => void },
): Promise<SnapshotComparison> {
  const request: GraphQLRequest = (query, variables) => target.request(query, variables);
  const experimentIds = await experimentIdsOf(request, comparison, options.warn);
  const selected = await selectRuns(request, comparison.spec.runs, experimentIds);
  const { matched } = selected;
  const ids = selected.runs.map((run) => run.id);
  if (matched > ids.length)
    options.warn(
      `${comparison.file}: runs.limit: ${matched} runs match; the page shows the first ${ids.length}`,
    );
  // Which metrics make curves is known from the summaries, before any history is read.
  const sections = effectiveSections(comparison.spec, selected.runs);
  const curveMetrics = curveMetricsOf(sections);
  const maxPoints = historyPointsFor(ids.length, curveMetrics.length, options.maxPoints);
  const runs = await readSelectedRuns(request, ids, { curveMetrics, maxPoints });
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
    experimentIds,
    bands: await readBands(request, spec, ids, options.hasMetricGroups),
  };
}
