import { parseArgs } from "node:util";
import { envHelp } from "../env.ts";
import {
  GraphQLRequestError,
  type GraphQLTarget,
  openGraphQLTarget,
  targetHelp,
  targetOptions,
} from "../graphql-target.ts";
import { formatTime, printJson, printTable } from "../output.ts";
import { UsageError } from "../usage-error.ts";

export const runsHelp = `Usage: labbook runs list [options]
       labbook runs show <run id> [--json]

  list    Runs, newest first, as a table: id, name, status, then one column per param
          (params.<key>) and per metric (metrics.<key>, its final value).
  show    One run: its attributes, params, metrics (final, min, max, count) and tags.

Options of list:
  --experiment <name|id>  Only runs of this experiment (repeatable).
  --filter <expr>         e.g. "metrics.accuracy > 0.9 and params.lr = '0.001'" (MLflow's
                          search grammar, plus or, not and parentheses).
  --order-by <clause>     e.g. 'metrics.accuracy DESC', 'params.lr' (repeatable).
  --limit <n>             How many runs (default 100, at most 1000).
  --csv                   Print CSV (the table's columns, plus experiment and times).
${targetHelp}
  --json                  Print JSON (for scripts).
  -h, --help              Show this help.

Environment (flags override):
${envHelp(["LABBOOK_TRACKING_URI", "LABBOOK_TOKEN", "LABBOOK_DB_URL"])}`;

type MetricValue = number | string;

interface RunItem {
  id: string;
  name: string;
  status: string;
  startTime: number;
  endTime: number | null;
  experimentId: string;
  metrics: { key: string; last: MetricValue }[];
  params: { key: string; value: string }[];
}

interface RunDetail extends RunItem {
  experiment: { id: string; name: string };
  lifecycleStage: string;
  artifactUri: string;
  parentRunId: string | null;
  tags: { key: string; value: string }[];
  metrics: {
    key: string;
    last: MetricValue;
    lastStep: number;
    min: MetricValue | null;
    max: MetricValue | null;
    count: number;
  }[];
}

/** A metric value for people: six significant digits. */
const short = (value: MetricValue | null | undefined) =>
  value == null ? "" : typeof value === "number" ? String(Number(value.toPrecision(6))) : value;
/** A metric value for machines: every digit. */
const exact = (value: MetricValue | null | undefined) => (value == null ? "" : String(value));
const isoTime = (ms: number | null | undefined) => (ms == null ? "" : new Date(ms).toISOString());

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
const csvField = (value: string) =>
  /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;

const sortedKeys = (lists: readonly (readonly { key: string }[])[]) =>
  [...new Set(lists.flatMap((list) => list.map((item) => item.key)))].sort();

/** The params and metrics of runs as columns: one per key found in any of them. */
function runColumns(runs: readonly RunItem[]) {
  const paramKeys = sortedKeys(runs.map((run) => run.params));
  const metricKeys = sortedKeys(runs.map((run) => run.metrics));
  const cells = (run: RunItem, format: (value: MetricValue) => string) => {
    const params = new Map(run.params.map((p) => [p.key, p.value]));
    const metrics = new Map(run.metrics.map((m) => [m.key, m.last]));
    return [
      ...paramKeys.map((key) => params.get(key) ?? ""),
      ...metricKeys.map((key) => {
        const value = metrics.get(key);
        return value === undefined ? "" : format(value);
      }),
    ];
  };
  return {
    headers: [...paramKeys.map((k) => `params.${k}`), ...metricKeys.map((k) => `metrics.${k}`)],
    cells,
  };
}

async function experimentIdsOf(target: GraphQLTarget, namesOrIds: readonly string[]) {
  const ids: string[] = [];
  for (const nameOrId of namesOrIds) {
    const data = await target.request<{
      byName: { id: string } | null;
      byId: { id: string } | null;
    }>(
      "query ($name: String!, $id: ID) { byName: experiment(name: $name) { id } byId: experiment(id: $id) { id } }",
      { name: nameOrId, id: /^\d+$/.test(nameOrId) ? nameOrId : null },
    );
    const found = data.byName ?? data.byId;
    if (!found)
      throw new UsageError(
        `no experiment named or numbered '${nameOrId}'; see 'labbook experiments list'`,
      );
    ids.push(found.id);
  }
  return ids;
}

async function listRuns(
  target: GraphQLTarget,
  values: {
    experiment?: string[] | undefined;
    filter?: string | undefined;
    "order-by"?: string[] | undefined;
    json?: boolean | undefined;
    csv?: boolean | undefined;
  },
  limit: number,
) {
  const experimentIds = values.experiment
    ? await experimentIdsOf(target, values.experiment)
    : undefined;
  const data = await target.request<{ runs: { totalCount: number; nodes: RunItem[] } }>(
    `query ($ids: [ID!], $filter: String, $orderBy: [String!], $first: Int) {
      runs(experimentIds: $ids, filter: $filter, orderBy: $orderBy, first: $first) {
        totalCount nodes { id name status startTime endTime experimentId metrics { key last } params { key value } } } }`,
    { ids: experimentIds, filter: values.filter, orderBy: values["order-by"], first: limit },
  );
  const runs = data.runs.nodes;
  if (values.json) return printJson(runs);
  const columns = runColumns(runs);
  if (values.csv) {
    const rows = [
      ["id", "name", "status", "experiment_id", "start_time", "end_time", ...columns.headers],
      ...runs.map((run) => [
        run.id,
        run.name,
        run.status,
        run.experimentId,
        isoTime(run.startTime),
        isoTime(run.endTime),
        ...columns.cells(run, exact),
      ]),
    ];
    process.stdout.write(rows.map((row) => `${row.map(csvField).join(",")}\n`).join(""));
    return;
  }
  printTable(
    ["ID", "NAME", "STATUS", ...columns.headers],
    runs.map((run) => [run.id, run.name, run.status, ...columns.cells(run, short)]),
  );
  if (data.runs.totalCount > runs.length)
    console.log(`(${runs.length} of ${data.runs.totalCount}; --limit for more)`);
}

/** A tag value on one line of a table: the first line, and how many more there are. */
function oneLine(value: string, width = 100): string {
  const lines = value.split(/\r?\n/);
  let first = lines[0] ?? "";
  if (first.length > width) first = `${first.slice(0, width - 1)}…`;
  return lines.length > 1 ? `${first} … (+${lines.length - 1} lines)` : first;
}

const outputTailTag = "labbook.output.tail";

async function showRun(target: GraphQLTarget, id: string, json: boolean | undefined) {
  const data = await target.request<{ run: RunDetail | null }>(
    `query ($id: ID!) { run(id: $id) {
      id name status startTime endTime experimentId lifecycleStage artifactUri parentRunId
      experiment { id name }
      params { key value } tags { key value }
      metrics { key last lastStep min max count } } }`,
    { id },
  );
  const run = data.run;
  if (!run)
    throw new GraphQLRequestError(`no run with id '${id}'; see 'labbook runs list'`, "NOT_FOUND");
  if (json) return printJson(run);
  const duration =
    run.endTime != null ? ` (${((run.endTime - run.startTime) / 1000).toFixed(1)} s)` : "";
  const attributes: [string, string][] = [
    ["Run", run.id],
    ["Name", run.name],
    ["Experiment", `${run.experiment.name} (${run.experiment.id})`],
    ["Status", run.status],
    ["Started", formatTime(run.startTime)],
    ["Ended", run.endTime != null ? `${formatTime(run.endTime)}${duration}` : ""],
    ["Artifacts", run.artifactUri],
  ];
  if (run.parentRunId) attributes.push(["Parent", run.parentRunId]);
  if (run.lifecycleStage !== "ACTIVE") attributes.push(["Lifecycle", run.lifecycleStage]);
  const width = Math.max(...attributes.map(([label]) => label.length));
  for (const [label, value] of attributes)
    console.log(`${label.padEnd(width)}  ${value}`.trimEnd());

  console.log("\nParams");
  if (run.params.length)
    printTable(
      ["KEY", "VALUE"],
      run.params.map((p) => [p.key, oneLine(p.value)]),
    );
  else console.log("(none)");
  console.log("\nMetrics");
  if (run.metrics.length)
    printTable(
      ["KEY", "LAST", "STEP", "MIN", "MAX", "COUNT"],
      run.metrics.map((m) => [
        m.key,
        short(m.last),
        String(m.lastStep),
        short(m.min),
        short(m.max),
        String(m.count),
      ]),
    );
  else console.log("(none)");
  console.log("\nTags");
  const tags = [...run.tags].sort((a, b) => a.key.localeCompare(b.key));
  if (tags.length)
    printTable(
      ["KEY", "VALUE"],
      tags.map((t) => [
        t.key,
        t.key === outputTailTag ? "(the command's output: below)" : oneLine(t.value),
      ]),
    );
  else console.log("(none)");
  const output = run.tags.find((t) => t.key === outputTailTag)?.value;
  if (output) {
    const lines = output.replace(/\n$/, "").split("\n");
    const shown = lines.slice(-20);
    console.log(
      `\nOutput (${shown.length < lines.length ? `last ${shown.length} lines of ` : ""}tag ${outputTailTag}; --json for all of it)`,
    );
    for (const line of shown) console.log(`  ${line}`);
  }
}

export async function runsCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...targetOptions,
      experiment: { type: "string", multiple: true },
      "order-by": { type: "string", multiple: true },
      filter: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean" },
      csv: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [action, argument, ...more] = positionals;
  if (values.help || !action) {
    console.log(runsHelp);
    return;
  }
  if (action !== "list" && action !== "show")
    throw new UsageError(`unknown action '${action}': use list or show`);
  if (values.json && values.csv) throw new UsageError("--json and --csv: choose one");
  if (action === "show" && !argument)
    throw new UsageError("labbook runs show needs a run id; see 'labbook runs list'");
  if (more.length || (action === "list" && argument))
    throw new UsageError(`unexpected argument '${action === "list" ? argument : more[0]}'`);
  if (action === "show" && values.csv) throw new UsageError("runs show prints a table or --json");
  const limit = Number(values.limit ?? "100");
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new UsageError(`--limit must be a whole number from 1 to 1000 (got '${values.limit}')`);
  const target = await openGraphQLTarget(values);
  try {
    if (action === "show") await showRun(target, argument!, values.json);
    else await listRuns(target, values, limit);
  } finally {
    await target.close();
  }
}
