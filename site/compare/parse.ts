import { parseDocument } from "yaml";
import { checkFilter, parseFilter, parseOrderClause } from "../../search/index.ts";
import { maximizedByName } from "../lib/main-metric.ts";
import { ComparisonFileError, FieldReader } from "./fields.ts";
import { renderMarkdown } from "./markdown.ts";
import {
  type ComparisonSection,
  type ComparisonSpec,
  defaultRunLimit,
  type MetricStatistic,
  maxRunLimit,
  type RunSelection,
} from "./spec.ts";

/** Metric and param keys: what the API accepts (letters, digits and `_ - . / : space`). */
const keyPattern: [RegExp, string] = [
  /^[\w.\-/: ]+$/,
  "must be a key of letters, digits and _ - . / : or spaces",
];
const runIdPattern: [RegExp, string] = [
  /^[0-9a-f]{32}$/i,
  "must be a run id (32 hexadecimal characters)",
];
const groupKeyPattern: [RegExp, string] = [
  /^(?!(metrics|attributes)\.)((params|tags)\.)?[\w.\-/: ]+$/,
  "must be params.<key> or tags.<key>, e.g. params.lr",
];
const statistics = ["last", "min", "max"] as const satisfies readonly MetricStatistic[];
const chartKinds = ["curves", "bands", "parallel", "scatter", "best"] as const;
const tableKinds = ["runs", "params-diff"] as const;

/** `metrics.val_acc` and `val_acc` both name the metric `val_acc`. */
const metricKey = (key: string) => key.replace(/^metrics\./, "");
const paramKey = (key: string) => key.replace(/^params\./, "");
/** A group-by key as the API takes it: a bare key means a param. */
const groupKey = (key: string) => (/^(params|tags)\./.test(key) ? key : `params.${key}`);

function checkProse(reader: FieldReader, key: string, text: string): void {
  const { refusedImages, unsafeLinks } = renderMarkdown(text);
  if (refusedImages[0] !== undefined)
    reader.fail(
      key,
      `has an image (${refusedImages[0]}) that is not a data: URI; a report copies no files and loads nothing from outside, so put charts in sections instead`,
    );
  if (unsafeLinks[0] !== undefined)
    reader.fail(key, `has a link a page may not carry (${unsafeLinks[0]}); use http(s) or mailto`);
}

function readSelection(reader: FieldReader | null): RunSelection {
  if (!reader)
    return { experiments: [], filter: null, ids: [], orderBy: [], limit: defaultRunLimit };
  reader.only(["experiments", "filter", "ids", "orderBy", "limit"]);
  const filter = reader.string("filter");
  if (filter !== null)
    try {
      checkFilter(parseFilter(filter), filter, "runs");
    } catch (error) {
      reader.fail("filter", `is not a valid filter: ${(error as Error).message}`);
    }
  const orderBy = reader.strings("orderBy");
  orderBy.forEach((clause, index) => {
    try {
      parseOrderClause(clause);
    } catch (error) {
      reader.fail("orderBy", `is not an ordering clause: ${(error as Error).message}`, index);
    }
  });
  return {
    experiments: reader.strings("experiments"),
    filter,
    ids: reader.strings("ids", { pattern: runIdPattern }).map((id) => id.toLowerCase()),
    orderBy,
    limit: reader.integer("limit", { min: 1, max: maxRunLimit, fallback: defaultRunLimit }),
  };
}

function readChart(reader: FieldReader): ComparisonSection {
  const kind = reader.oneOf("chart", chartKinds, "curves");
  const title = reader.string("title");
  const metric = () => metricKey(reader.string("metric", { required: true, pattern: keyPattern }));
  switch (kind) {
    case "curves":
      reader.only(["chart", "metric", "x", "log", "title"]);
      return {
        kind,
        metric: metric(),
        x: reader.oneOf("x", ["step", "time"], "step"),
        logY: reader.boolean("log", false),
        title,
      };
    case "bands": {
      reader.only(["chart", "metric", "groupBy", "log", "title"]);
      const groupBy = reader.strings("groupBy", { pattern: groupKeyPattern }).map(groupKey);
      if (groupBy.length === 0)
        reader.fail(
          "groupBy",
          "is required: the params whose values make a group, e.g. [params.lr]",
        );
      return {
        kind,
        metric: metric(),
        groupBy,
        x: "step",
        logY: reader.boolean("log", false),
        title,
      };
    }
    case "parallel":
      reader.only(["chart", "metric", "params", "value", "title"]);
      return {
        kind,
        metric: metric(),
        params: reader.strings("params", { pattern: keyPattern }).map(paramKey),
        value: reader.oneOf("value", statistics, "last"),
        title,
      };
    case "scatter":
      reader.only(["chart", "param", "metric", "value", "title"]);
      return {
        kind,
        param: paramKey(reader.string("param", { required: true, pattern: keyPattern })),
        metric: metric(),
        value: reader.oneOf("value", statistics, "last"),
        title,
      };
    case "best": {
      reader.only(["chart", "metric", "goal", "title"]);
      const key = metric();
      return {
        kind,
        metric: key,
        goal: reader.oneOf("goal", ["max", "min"], maximizedByName(key) ? "max" : "min"),
        title,
      };
    }
  }
}

function readSection(reader: FieldReader): ComparisonSection {
  const present = ["markdown", "chart", "table"].filter((key) => reader.has(key));
  if (present.length !== 1)
    throw new ComparisonFileError({
      file: reader.file,
      field: reader.path,
      rule: `must have exactly one of markdown, chart or table${present.length ? ` (it has ${present.join(" and ")})` : ""}`,
    });
  if (reader.has("markdown")) {
    reader.only(["markdown"]);
    const markdown = reader.string("markdown", { required: true });
    checkProse(reader, "markdown", markdown);
    return { kind: "markdown", markdown };
  }
  if (reader.has("table")) {
    reader.only(["table"]);
    const table = reader.oneOf("table", tableKinds, "runs");
    return { kind: table === "runs" ? "runs-table" : "params-diff" };
  }
  return readChart(reader);
}

/**
 * Reads a comparison file (YAML) and checks every field, failing with the file, the field and
 * the rule it breaks. Nothing is read from the data here; `checkAgainstRuns` does that once
 * the runs are known.
 *
 * @example
 * const spec = parseComparison(readFileSync("reports/lr.yaml", "utf8"), { file: "reports/lr.yaml", stem: "lr" });
 */
export function parseComparison(
  text: string,
  options: { file: string; stem: string },
): ComparisonSpec {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const [problem] = document.errors;
  if (problem)
    throw new ComparisonFileError({
      file: options.file,
      field: "",
      rule: `is not valid YAML: ${problem.message.split("\n")[0]?.replace(/:$/, "")}`,
      cause: problem,
    });
  const root = new FieldReader(options.file, "", document.toJS() ?? {});
  root.only(["title", "description", "runs", "params", "metrics", "sections"]);
  const description = root.string("description");
  if (description !== null) checkProse(root, "description", description);
  const sections = root.list("sections");
  if (sections?.length === 0)
    root.fail("sections", "must list at least one section (or leave it out for the default page)");
  return {
    title: root.string("title") ?? options.stem,
    description,
    runs: readSelection(root.mapping("runs")),
    params: root.strings("params", { pattern: keyPattern }).map(paramKey),
    metrics: root.strings("metrics", { pattern: keyPattern }).map(metricKey),
    sections: sections?.map(readSection) ?? [],
  };
}
