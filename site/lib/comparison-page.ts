import type { ComparisonSpec } from "../compare/spec.ts";
import type { SnapshotComparison, SnapshotRun } from "../snapshot/types.ts";

/**
 * The runs as a comparison's runs table shows them: the file's params and metrics only (all of
 * them when it names none).
 */
export function comparisonTableRuns<Run extends SnapshotRun>(
  runs: readonly Run[],
  spec: Pick<ComparisonSpec, "params" | "metrics">,
): Run[] {
  return runs.map((run) => ({
    ...run,
    params: spec.params.length ? run.params.filter((p) => spec.params.includes(p.key)) : run.params,
    metrics: spec.metrics.length
      ? run.metrics.filter((m) => spec.metrics.includes(m.key))
      : run.metrics,
  }));
}

/**
 * The line under a comparison's title (its filter, shown as code, follows):
 * `3 runs (the first 3 of 5 that match) from mnist`.
 */
export function selectionSummary(
  runs: readonly Pick<SnapshotComparison["runs"][number], "experimentName">[],
  matched: number,
): string {
  const experiments = [...new Set(runs.map((run) => run.experimentName))];
  return [
    `${runs.length} run${runs.length === 1 ? "" : "s"}`,
    ...(matched > runs.length ? [` (the first ${runs.length} of ${matched} that match)`] : []),
    ...(experiments.length > 0 ? [` from ${experiments.join(", ")}`] : []),
  ].join("");
}

/**
 * What a comparison page records for its script to select and read its runs again when served
 * live (`<script type="application/json" data-comparison>`).
 */
export interface ComparisonPageData {
  stem: string;
  /** The file's spec, with the sections the page was built with. */
  spec: ComparisonSpec;
  /** The selection's experiments resolved to ids; null when the snapshot did not record them. */
  experimentIds: string[] | null;
  matched: number;
  /** Points per history the page's curves were read with. */
  maxPoints: number;
  /** The runs shown, in order: their status then, and whether the report has a page of theirs. */
  runs: { id: string; status: string; page: boolean }[];
}

export function comparisonPageData(
  comparison: SnapshotComparison,
  hasRunPage: (id: string) => boolean,
): ComparisonPageData {
  return {
    stem: comparison.stem,
    spec: comparison.spec,
    experimentIds: comparison.experimentIds ?? null,
    matched: comparison.matched,
    maxPoints: comparison.maxPoints,
    runs: comparison.runs.map((run) => ({
      id: run.id,
      status: run.status,
      page: hasRunPage(run.id),
    })),
  };
}
