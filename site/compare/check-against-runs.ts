import type { SnapshotRun } from "../snapshot/types.ts";
import type { ComparisonSection } from "./spec.ts";

/**
 * What a comparison asks for that its runs do not have: a metric no run logged, a param no run
 * has. Each is a line naming the file, the field and what is missing; the page still builds
 * (the chart says it has no data), since runs still in progress may log it later.
 */
export function checkAgainstRuns(options: {
  file: string;
  sections: readonly ComparisonSection[];
  params: readonly string[];
  metrics: readonly string[];
  runs: readonly Pick<SnapshotRun, "params" | "metrics">[];
}): string[] {
  const { file, runs } = options;
  if (runs.length === 0) return [];
  const metricKeys = new Set(runs.flatMap((run) => run.metrics.map((m) => m.key)));
  const paramKeys = new Set(runs.flatMap((run) => run.params.map((p) => p.key)));
  const list = (keys: Set<string>) => [...keys].sort().join(", ") || "none";
  const problems: string[] = [];
  const metric = (field: string, key: string) => {
    if (!metricKeys.has(key))
      problems.push(
        `${file}: ${field}: no selected run logged the metric '${key}' (they logged ${list(metricKeys)})`,
      );
  };
  const param = (field: string, key: string) => {
    if (!paramKeys.has(key))
      problems.push(
        `${file}: ${field}: no selected run has the param '${key}' (they have ${list(paramKeys)})`,
      );
  };
  options.params.forEach((key, i) => {
    param(`params[${i}]`, key);
  });
  options.metrics.forEach((key, i) => {
    metric(`metrics[${i}]`, key);
  });
  options.sections.forEach((section, i) => {
    const at = `sections[${i}]`;
    switch (section.kind) {
      case "curves":
      case "best":
        metric(`${at}.metric`, section.metric);
        break;
      case "bands":
        metric(`${at}.metric`, section.metric);
        section.groupBy.forEach((key, j) => {
          if (key.startsWith("params.")) param(`${at}.groupBy[${j}]`, key.slice("params.".length));
        });
        break;
      case "parallel":
        metric(`${at}.metric`, section.metric);
        section.params.forEach((key, j) => {
          param(`${at}.params[${j}]`, key);
        });
        break;
      case "scatter":
        metric(`${at}.metric`, section.metric);
        param(`${at}.param`, section.param);
        break;
      default:
        break;
    }
  });
  return problems;
}
