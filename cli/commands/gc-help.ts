import { envHelp } from "../env.ts";

/** `labbook gc --help`, apart from the command so that printing it loads nothing else. */
export const gcHelp = `Usage: labbook gc [options]

Deletes for good the runs that were deleted: their metric points, rollups, params, tags,
artifact index, and their files in the store their artifact URI names (a local folder or
an S3 bucket); then deleted experiments that have no run left (their names become free).
Until then a deleted run can be restored. Prints what it freed.

A run's files go before its rows. A run that fails (its store unreachable, a file that
cannot be deleted) is reported, stays deleted and can no longer be restored; running
labbook gc again finishes it. Exit code 1 when a run failed.

Options:
  --older-than <time>     Only runs deleted at least this long ago: 30d, 12h, 1d12h, 90m,
                          45s (default: every deleted run).
  --run <id>              Only this run (repeatable); it must be deleted.
  --dry-run               Print what would be freed, and change nothing.
  --tracking-uri <url>    A labbook server to collect on (else the server that owns the
                          database file, else the database opened here).
  --token <t>             API token for that server.
  --db <url>              Database (default ./labbook.db).
  --db-auth-token <t>     Auth token for a libSQL server.
  --json                  Print the result as JSON (runs, experiments, failed, freed).
  -h, --help              Show this help.

S3 stores are reached with the AWS variables (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION) of the process that collects: the server's, or this one's.

Environment (flags override):
${envHelp(["LABBOOK_TRACKING_URI", "LABBOOK_TOKEN", "LABBOOK_DB_URL"])}`;
