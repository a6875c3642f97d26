import { benchArtifacts } from "./artifacts.ts";
import { benchHistory } from "./history.ts";
import { benchIngestion } from "./ingestion.ts";
import { benchSearch } from "./search.ts";

/** `npm run bench`: each benchmark prints labbook beside its baseline, measured in this run. */
const benches: Record<string, () => Promise<string[]>> = {
  ingestion: benchIngestion,
  history: benchHistory,
  search: benchSearch,
  artifacts: benchArtifacts,
};

const only = process.argv.slice(2);
for (const [name, bench] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.error(`running ${name}…`);
  for (const line of await bench()) console.log(line);
}
