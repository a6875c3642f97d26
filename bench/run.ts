import { benchArtifacts } from "./artifacts.ts";
import { benchHistory } from "./history.ts";
import { benchIngestion } from "./ingestion.ts";
import { benchMlflowLogBatch } from "./mlflow-log-batch.ts";
import { benchReportBuild } from "./report-build.ts";
import { benchSdkOverhead } from "./sdk-overhead.ts";
import { benchSearch } from "./search.ts";
import { benchServing } from "./serving.ts";

/** `npm run bench`: each benchmark prints labbook beside its baseline, measured in this run. */
const benches: Record<string, () => Promise<string[]>> = {
  ingestion: benchIngestion,
  history: benchHistory,
  search: benchSearch,
  artifacts: benchArtifacts,
  sdk: benchSdkOverhead,
  serving: benchServing,
  mlflow: benchMlflowLogBatch,
  "report-build": benchReportBuild,
};

const only = process.argv.slice(2);
for (const [name, bench] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.error(`running ${name}…`);
  for (const line of await bench()) console.log(line);
}
