import { parseArgs } from "node:util";
import { envHelp } from "../env.ts";
import { openGraphQLTarget, targetHelp, targetOptions } from "../graphql-target.ts";
import { formatTime, printJson, printTable } from "../output.ts";
import { UsageError } from "../usage-error.ts";

export const experimentsHelp = `Usage: labbook experiments <list|create|delete|restore> [options]

  labbook experiments list [--all] [--filter <expr>] [--json]
                                                Experiments with their run counts; --filter
                                                takes e.g. "name LIKE 'mnist%' or tags.team = 'vision'".
  labbook experiments create <name> [--json]    Creates an experiment, prints its id.
  labbook experiments delete <id>               Marks it and its runs deleted (restorable).
  labbook experiments restore <id>              Restores it.

${targetHelp}
  --json                  Print JSON (for scripts).
  -h, --help              Show this help.

Environment (flags override):
${envHelp(["LABBOOK_TRACKING_URI", "LABBOOK_TOKEN", "LABBOOK_DB_URL"])}`;

interface ExperimentItem {
  id: string;
  name: string;
  lifecycleStage: string;
  creationTime: number;
  runCount: number;
}

const experimentFields = "id name lifecycleStage creationTime runCount";

export async function experimentsCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...targetOptions,
      all: { type: "boolean" },
      filter: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [action, argument] = positionals;
  if (values.help || !action) {
    console.log(experimentsHelp);
    return;
  }
  const target = await openGraphQLTarget(values);
  try {
    if (action === "list") {
      const data = await target.request<{ experiments: { nodes: ExperimentItem[] } }>(
        `query ($view: ViewType, $filter: String) {
          experiments(view: $view, filter: $filter, first: 1000) { nodes { ${experimentFields} } } }`,
        { view: values.all ? "ALL" : "ACTIVE_ONLY", filter: values.filter },
      );
      const experiments = data.experiments.nodes;
      if (values.json) return printJson(experiments);
      printTable(
        ["ID", "NAME", "RUNS", "CREATED", "STAGE"],
        experiments.map((e) => [
          e.id,
          e.name,
          String(e.runCount),
          formatTime(e.creationTime),
          e.lifecycleStage,
        ]),
      );
      return;
    }
    if (!argument)
      throw new UsageError(`labbook experiments ${action} needs an argument; see --help`);
    const mutations: Record<string, [string, Record<string, unknown>]> = {
      create: ["createExperiment(input: { name: $arg })", { arg: argument }],
      delete: ["deleteExperiment(input: { experimentId: $arg })", { arg: argument }],
      restore: ["restoreExperiment(input: { experimentId: $arg })", { arg: argument }],
    };
    const chosen = mutations[action];
    if (!chosen)
      throw new UsageError(`unknown action '${action}': use list, create, delete or restore`);
    const argType = action === "create" ? "String!" : "ID!";
    const data = await target.request<Record<string, { experiment: ExperimentItem }>>(
      `mutation ($arg: ${argType}) { result: ${chosen[0]} { experiment { ${experimentFields} } } }`,
      chosen[1],
    );
    const experiment = data.result?.experiment;
    if (values.json) return printJson(experiment);
    console.log(
      `${action === "create" ? "created" : `${action}d`} experiment ${experiment?.id} (${experiment?.name})`,
    );
  } finally {
    await target.close();
  }
}
