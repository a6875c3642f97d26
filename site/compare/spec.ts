/**
 * A comparison file (`reports/<name>.yaml`) once checked: which runs, what to show of them,
 * and the page's sections in order. `parseComparison` turns the file's text into this.
 */

/** Which runs a comparison shows: every condition given must hold. */
export interface RunSelection {
  /** Experiment names or ids; every experiment when empty. */
  experiments: string[];
  /** The API's search grammar, e.g. `metrics.val_acc > 0.9 and params.lr = '0.001'`. */
  filter: string | null;
  /** Only these run ids, when not empty. */
  ids: string[];
  /** Ordering clauses (`metrics.val_acc DESC`): the tables' order, and which runs `limit` keeps. */
  orderBy: string[];
  /** At most this many runs (200 by default, at most 1000). */
  limit: number;
}

/** Which value of a metric a per-run chart plots. */
export type MetricStatistic = "last" | "min" | "max";

export type ComparisonSection =
  | { kind: "markdown"; markdown: string }
  | { kind: "runs-table" }
  | { kind: "params-diff" }
  | {
      kind: "curves";
      metric: string;
      x: "step" | "time";
      logY: boolean;
      title: string | null;
    }
  | {
      kind: "bands";
      metric: string;
      /** Keys as the API takes them: `params.lr`, `tags.seed`. */
      groupBy: string[];
      x: "step";
      logY: boolean;
      title: string | null;
    }
  | {
      kind: "parallel";
      /** Param keys (without `params.`); empty: the page's params. */
      params: string[];
      metric: string;
      value: MetricStatistic;
      title: string | null;
    }
  | {
      kind: "scatter";
      param: string;
      metric: string;
      value: MetricStatistic;
      title: string | null;
    }
  | {
      kind: "best";
      metric: string;
      /** Whether higher is better; from the metric's name unless the file says. */
      goal: "max" | "min";
      title: string | null;
    };

export type ComparisonSectionKind = ComparisonSection["kind"];

export interface ComparisonSpec {
  title: string;
  /** Markdown shown under the title. */
  description: string | null;
  runs: RunSelection;
  /** Param keys shown in the runs table; empty: those whose value differs between runs. */
  params: string[];
  /** Metric keys shown in the runs table; empty: every metric. */
  metrics: string[];
  sections: ComparisonSection[];
}

export const defaultRunLimit = 200;
export const maxRunLimit = 1000;
