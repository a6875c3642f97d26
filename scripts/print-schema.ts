import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { printSchema } from "graphql";
import { schema } from "../api/schema/index.ts";

/**
 * Writes schema.graphql from the Pothos schema (types and fields sorted, so diffs are
 * stable). With --check it only compares, and fails when the committed file is stale.
 */
const target = fileURLToPath(new URL("../schema.graphql", import.meta.url));
const printed = `${printSchema(schema)}\n`;

if (process.argv.includes("--check")) {
  let committed = "";
  try {
    committed = readFileSync(target, "utf8");
  } catch {}
  if (committed !== printed) {
    console.error(
      "schema.graphql is out of date with the Pothos schema: run 'npm run schema' and commit it.",
    );
    process.exit(1);
  }
} else {
  writeFileSync(target, printed);
  console.log(`wrote ${target}`);
}
