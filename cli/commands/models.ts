import { parseArgs } from "node:util";
import type { TfBackendName } from "../../client/index.ts";
import { envHelp, flagOrEnv } from "../env.ts";
import { openGraphQLTarget, targetHelp, targetOptions } from "../graphql-target.ts";
import { formatTime, printJson, printTable } from "../output.ts";
import { UsageError } from "../usage-error.ts";

export const modelsHelp = `Usage: labbook models <list|versions|alias|serve> [options]

  labbook models list [--filter <expr>] [--json]
                                  Registered models with their latest version and aliases;
                                  --filter takes e.g. "name LIKE 'mnist%' and tags.team = 'vision'".
  labbook models versions <name> [--json]
                                  A registered model's versions, highest first.
  labbook models alias <name> <alias> <version> [--json]
                                  Points an alias (champion, staging…) at a version; it moves
                                  from the version it named before. 'latest' is reserved.
  labbook models serve <uri> [--host 127.0.0.1] [--port 5001] [--backend <b>] [--json]
                                  Serves a model: runs:/<run id>/<path>, models:/<name>/<version>
                                  or models:/<name>@<alias>. GET /ping, /health, /version;
                                  POST /invocations with MLflow's JSON bodies ({"inputs": …},
                                  {"instances": …}, {"dataframe_split": …}) answers
                                  {"predictions": …}. --backend: tensorflow, wasm or cpu (the
                                  first that works by default). Stops on Ctrl-C.

${targetHelp}
  --json                  Print JSON (for scripts); serve prints one line once it listens.
  -h, --help              Show this help.

Environment (flags override):
${envHelp(["LABBOOK_TRACKING_URI", "LABBOOK_TOKEN", "LABBOOK_DB_URL"])}`;

interface VersionItem {
  version: number;
  status: string;
  source: string;
  runId: string | null;
  aliases: string[];
  description: string;
  creationTime: number;
}

interface ModelItem {
  name: string;
  description: string;
  lastUpdateTime: number;
  latestVersion: { version: number } | null;
  aliases: { alias: string; version: number }[];
  tags: { key: string; value: string }[];
}

const versionFields = "version status source runId aliases description creationTime";

const backends = ["tensorflow", "wasm", "cpu"];

export async function modelsCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...targetOptions,
      filter: { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "5001" },
      backend: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [action, ...rest] = positionals;
  if (values.help || !action) {
    console.log(modelsHelp);
    return;
  }
  if (action === "serve") return serve(rest, values);
  if (!["list", "versions", "alias"].includes(action))
    throw new UsageError(`unknown action '${action}': use list, versions, alias or serve`);
  const target = await openGraphQLTarget(values);
  try {
    if (action === "list") {
      const data = await target.request<{ registeredModels: { nodes: ModelItem[] } }>(
        `query ($filter: String) { registeredModels(filter: $filter, first: 1000) { nodes {
          name description lastUpdateTime latestVersion { version } aliases { alias version } tags { key value } } } }`,
        { filter: values.filter },
      );
      const models = data.registeredModels.nodes;
      if (values.json) return printJson(models);
      printTable(
        ["NAME", "LATEST", "ALIASES", "UPDATED", "DESCRIPTION"],
        models.map((m) => [
          m.name,
          m.latestVersion ? String(m.latestVersion.version) : "-",
          m.aliases.map((a) => `${a.alias}=${a.version}`).join(" "),
          formatTime(m.lastUpdateTime),
          m.description,
        ]),
      );
      return;
    }
    if (action === "versions") {
      const [name] = rest;
      if (!name) throw new UsageError("labbook models versions needs a model name");
      const data = await target.request<{
        registeredModel: { versions: { nodes: VersionItem[] } } | null;
      }>(
        `query ($name: String!) { registeredModel(name: $name) { versions(first: 1000) { nodes { ${versionFields} } } } }`,
        { name },
      );
      if (!data.registeredModel)
        throw new UsageError(`no registered model named '${name}' at ${target.description}`);
      const versions = data.registeredModel.versions.nodes;
      if (values.json) return printJson(versions);
      printTable(
        ["VERSION", "ALIASES", "STATUS", "CREATED", "SOURCE"],
        versions.map((v) => [
          String(v.version),
          v.aliases.join(" "),
          v.status,
          formatTime(v.creationTime),
          v.source,
        ]),
      );
      return;
    }
    const [name, alias, versionText] = rest;
    if (!name || !alias || !versionText)
      throw new UsageError("labbook models alias needs <name> <alias> <version>");
    const version = Number(versionText);
    if (!Number.isInteger(version) || version < 1)
      throw new UsageError(`'${versionText}' is not a version number (1, 2, 3…)`);
    const data = await target.request<{ setRegisteredModelAlias: { modelVersion: VersionItem } }>(
      `mutation ($input: SetRegisteredModelAliasInput!) { setRegisteredModelAlias(input: $input) { modelVersion { ${versionFields} } } }`,
      { input: { name, alias, version } },
    );
    const result = data.setRegisteredModelAlias.modelVersion;
    if (values.json) return printJson({ name, alias, ...result });
    console.log(`${name}@${alias} -> version ${result.version} (${result.source})`);
  } finally {
    await target.close();
  }
}

async function serve(
  rest: string[],
  values: {
    "tracking-uri"?: string | undefined;
    token?: string | undefined;
    host?: string | undefined;
    port?: string | undefined;
    backend?: string | undefined;
    json?: boolean | undefined;
  },
): Promise<void> {
  const [uri] = rest;
  if (!uri)
    throw new UsageError(
      "labbook models serve needs a model URI, e.g. models:/mnist_classifier@champion",
    );
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number (got '${values.port}')`);
  if (values.backend && !backends.includes(values.backend))
    throw new UsageError(
      `--backend must be one of ${backends.join(", ")} (got '${values.backend}')`,
    );
  const { default: pkg } = await import("../../package.json", { with: { type: "json" } });
  // Loaded here, not at startup: other commands need neither it nor TensorFlow.js.
  const { loadServable, startScoringServer } = await import("../../models/serve.ts");
  const servable = await loadServable(uri, {
    trackingUri: flagOrEnv(values["tracking-uri"], "LABBOOK_TRACKING_URI"),
    token: flagOrEnv(values.token, "LABBOOK_TOKEN"),
    backend: values.backend as TfBackendName | undefined,
  });
  const server = await startScoringServer(servable, {
    host: values.host ?? "127.0.0.1",
    port,
    labbookVersion: pkg.version,
  });
  const { info } = servable;
  if (values.json)
    console.log(
      JSON.stringify({
        url: server.url,
        uri,
        runId: info.runId,
        registeredModel: info.registered ?? null,
        backend: info.backend,
        signature: info.signature,
        pid: process.pid,
      }),
    );
  else
    console.log(
      `serving ${uri}${info.registered ? ` (version ${info.registered.version})` : ""} from run ${info.runId} at ${server.url} on the ${info.backend} backend\n  POST ${server.url}/invocations  {"inputs": …}`,
    );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await server.close();
  servable.dispose();
}
