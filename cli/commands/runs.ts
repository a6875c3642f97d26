import { parseArgs } from "node:util";
import { envHelp } from "../env.ts";
import { openGraphQLTarget, targetHelp, targetOptions } from "../graphql-target.ts";
import { formatTime, printJson, printTable } from "../output.ts";
import { UsageError } from "../usage-error.ts";

export const runsHelp = `Usage: labbook runs list [options]

Lists runs, newest first, with their latest metric values.

Options:
  --experiment <name|id>  Only runs of this experiment (repeatable).
  --filter <expr>         e.g. "metrics.accuracy > 0.9 and params.lr = '0.001'" (MLflow's
                          search grammar, plus or, not and parentheses).
  --order-by <clause>     e.g. 'metrics.accuracy DESC', 'params.lr' (repeatable).
  --limit <n>             How many runs (default 100, at most 1000).
${targetHelp}
  --json                  Print JSON (for scripts).
  -h, --help              Show this help.

Environment (flags override):
${envHelp(["LABBOOK_TRACKING_URI", "LABBOOK_TOKEN", "LABBOOK_DB_URL"])}`;

interface RunItem {
  id: string;
  name: string;
  status: string;
  startTime: number;
  experimentId: string;
  metrics: { key: string; last: number | string }[];
  params: { key: string; value: string }[];
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
      help: { type: "boolean", short: "h" },
    },
  });
  const [action] = positionals;
  if (values.help || !action) {
    console.log(runsHelp);
    return;
  }
  if (action !== "list") throw new UsageError(`unknown action '${action}': use list`);
  const limit = Number(values.limit ?? "100");
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new UsageError(`--limit must be a whole number from 1 to 1000 (got '${values.limit}')`);
  const target = await openGraphQLTarget(values);
  try {
    let experimentIds: string[] | undefined;
    if (values.experiment) {
      experimentIds = [];
      for (const nameOrId of values.experiment) {
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
        experimentIds.push(found.id);
      }
    }
    const data = await target.request<{ runs: { totalCount: number; nodes: RunItem[] } }>(
      `query ($ids: [ID!], $filter: String, $orderBy: [String!], $first: Int) {
        runs(experimentIds: $ids, filter: $filter, orderBy: $orderBy, first: $first) {
          totalCount nodes { id name status startTime experimentId metrics { key last } params { key value } } } }`,
      { ids: experimentIds, filter: values.filter, orderBy: values["order-by"], first: limit },
    );
    const runs = data.runs.nodes;
    if (values.json) return printJson(runs);
    printTable(
      ["ID", "NAME", "STATUS", "STARTED", "METRICS"],
      runs.map((run) => [
        run.id,
        run.name,
        run.status,
        formatTime(run.startTime),
        run.metrics
          .map(
            (m) =>
              `${m.key}=${typeof m.last === "number" ? Number(m.last.toPrecision(6)) : m.last}`,
          )
          .join(" "),
      ]),
    );
    if (data.runs.totalCount > runs.length)
      console.log(`(${runs.length} of ${data.runs.totalCount}; --limit for more)`);
  } finally {
    await target.close();
  }
}
