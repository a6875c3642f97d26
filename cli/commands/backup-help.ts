import { envHelp } from "../env.ts";

/** `labbook backup --help`, apart from the command so that printing it loads nothing else. */
export const backupHelp = `Usage: labbook backup <file> [options]

Writes a consistent copy of the database to <file> (SQLite's VACUUM INTO), while a server
goes on serving: when a labbook server owns the database file, it makes the copy (so <file>
is on its machine); otherwise the file is opened here, under the writer lock. The copy
appears whole or not at all, and opens like any labbook database (--db <file>).

Options:
  --db <url>              Database to copy (default ./labbook.db). A libSQL server's
                          database cannot be copied this way: back it up where it runs.
  --token <t>             API token of the server that owns the file.
  --force                 Replace <file> if it exists (only a SQLite database, such as an
                          older backup, is replaced).
  --json                  Print the result as JSON: { path, bytes, db, via, server? }.
  -h, --help              Show this help.

Environment (flags override):
${envHelp(["LABBOOK_DB_URL", "LABBOOK_TOKEN"])}`;
