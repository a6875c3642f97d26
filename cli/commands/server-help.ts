import { envHelp } from "../env.ts";

/** `labbook server --help`, apart from the command so that printing it loads nothing else. */
export const serverHelp = `Usage: labbook server [options]

Serves the GraphQL API (GraphiQL in a browser) at http://<host>:<port>/graphql.
Data goes to ./labbook.db and ./artifacts/ unless told otherwise. The server is the only
writer of a database file: it holds <file>.lock, and other labbook commands talk to it.

Options:
  --host <address>        Address to listen on (default 127.0.0.1). Any other address
                          than loopback needs --token.
  --port <n>              Port (default 4000); 0 picks a free one and prints the URL.
  --db <url>              Database: path or file: URL, or http:// / libsql:// of a libSQL server.
  --db-auth-token <t>     Auth token for a libSQL server.
  --artifacts <dir|uri>   Artifact root for new experiments: a folder (default ./artifacts)
                          or s3://bucket/prefix (endpoint and keys from the AWS variables:
                          AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
                          AWS_REGION).
  --max-artifact-size <n> Largest artifact an upload may carry: bytes, or with a unit
                          (500MB, 20GB; default 10GB).
  --token <t>             Require 'Authorization: Bearer <t>' on every API request.
  --max-batch-points <n>  Most metric points one logBatch may carry (default 50000).
  --max-batch-params <n>  Most params one logBatch may carry (default 100).
  --max-batch-tags <n>    Most tags one logBatch may carry (default 100).
  --report <dir>          The report to serve at / (default ./report, where 'labbook report'
                          writes), once it holds one. Its pages refresh the runs still
                          running from the API; with --token, open it once with ?token=<t>.
  --no-report             Serve no report.
  --live-refresh <s>      Seconds between the report pages' refreshes (default 5; 0: off).
  --json                  Print one JSON line with the URLs once listening (for scripts).
  -h, --help              Show this help.

Environment (flags override):
${envHelp(["LABBOOK_DB_URL", "LABBOOK_DB_AUTH_TOKEN", "LABBOOK_ARTIFACTS", "LABBOOK_TOKEN", "LABBOOK_HOST", "LABBOOK_PORT"])}

SIGTERM or Ctrl-C finishes the requests in flight, then exits.`;
