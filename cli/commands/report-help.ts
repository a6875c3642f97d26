import { envHelp } from "../env.ts";

/** `labbook report --help`, apart from the command so that printing it loads nothing else. */
export const reportHelp = `Usage: labbook report [options]

Builds a static report: an index of experiments, a page per experiment (its runs table and
curves) and per run, the model registry (models.html, a page per model), a comparison page
per file of the reports folder (compare/<file name>/index.html), and every chart also as
<name>.vl.json, .svg, .png and .html. The data is read through the GraphQL API into a
snapshot (snapshot.json in the output), and the site is built from that file. The pages work
from any static host, under any base path, and opened from disk; they make no request
outside the report.

Options:
  --out <dir>             Where the report goes (default ./report). It is built beside it and
                          then swapped in; an existing folder that is not a report is refused.
  --endpoint <url>        A labbook server to read from (its /graphql).
  --db <url>              A database to read, in this process (default ./labbook.db; a server
                          that owns the file is asked instead).
  --experiment <name|id>  Only this experiment (repeatable); all active ones by default.
  --max-points <n>        Points per metric history, downsampled with the extremes kept
                          (default 1000; comparison pages share out fewer).
  --reports <dir>         Comparison files (*.yaml), one page each (default ./reports when it
                          exists). See the README's "Comparisons as code".
  --snapshot <file>       Build from a snapshot written before, reading no data.
  --token <t>             API token of the server.
  --db-auth-token <t>     Auth token for a libSQL server.
  --json                  Print a summary as JSON: { out, experiments, runs, models,
                          comparisons, pages, charts }.
  -h, --help              Show this help.

Environment (flags override):
${envHelp(["LABBOOK_TRACKING_URI", "LABBOOK_TOKEN", "LABBOOK_DB_URL"])}`;
