import { join, relative } from "node:path";
import type { Champion } from "./demo-steps.ts";

/** What the demo made, for its last words. */
export interface DemoOutcome {
  /** The server's base URL while the demo serves; undefined with `--no-serve` (it has stopped). */
  url: string | undefined;
  /** The demo's folder (absolute) and its parts. */
  dir: string;
  paths: { db: string; artifacts: string; report: string };
  comparisonStem: string;
  champion: Champion;
  experiment: string;
  seconds: number;
  /** Where paths are shown from (the working directory). */
  cwd: string;
}

/**
 * The demo's closing output: a JSON line for scripts (`--json`) and the lines for a person.
 * Serving, it names the live URLs; with `--no-serve` nothing is served any more, so it names
 * where the report was written and how to serve it.
 */
export function demoSummary(outcome: DemoOutcome): {
  json: Record<string, unknown>;
  lines: string[];
} {
  const { url, champion } = outcome;
  const shown = (path: string) => relative(outcome.cwd, path) || ".";
  const kept = shown(outcome.dir);
  const serveCommand = `npx labbook server --db ${join(kept, "labbook.db")} --artifacts ${join(kept, "artifacts")} --report ${join(kept, "report")}`;
  const championLine = `  champion model:  models:/mnist_classifier@champion (run ${champion.runName}, val_acc ${champion.valAcc.toFixed(4)})`;
  const championModel = "models:/mnist_classifier@champion";

  if (url === undefined) {
    const comparison = join(outcome.paths.report, "compare", outcome.comparisonStem, "index.html");
    return {
      json: {
        reportDir: outcome.paths.report,
        comparisonPage: comparison,
        champion: championModel,
        dir: outcome.dir,
        seconds: outcome.seconds,
        serve: serveCommand,
      },
      lines: [
        `\nlabbook demo done in ${outcome.seconds} s (nothing is served: --no-serve):`,
        `  report:          ${shown(join(outcome.paths.report, "index.html"))} (opens from disk too)`,
        `  comparison:      ${shown(comparison)}`,
        championLine,
        `The data stays in ${kept}/; this serves the API and the report, its pages live:`,
        `  ${serveCommand}`,
      ],
    };
  }
  const urls = {
    report: `${url}/`,
    comparison: `${url}/compare/${outcome.comparisonStem}/`,
    graphql: `${url}/graphql`,
  };
  return {
    json: { ...urls, champion: championModel, dir: outcome.dir, seconds: outcome.seconds },
    lines: [
      `\nlabbook demo ready in ${outcome.seconds} s:`,
      `  report (live):   ${urls.report}`,
      `  comparison:      ${urls.comparison}`,
      `  GraphQL API:     ${urls.graphql}`,
      championLine,
      `                   npx labbook models serve ${championModel} --tracking-uri ${url} --port 5001`,
      `  more runs:       npx labbook run examples/mnist -P epochs=5 --experiment ${outcome.experiment} --tracking-uri ${url}`,
      `Ctrl-C stops the server; the data stays in ${kept}/, and this serves it again:\n  ${serveCommand}`,
    ],
  };
}
