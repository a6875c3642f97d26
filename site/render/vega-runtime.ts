import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The Vega runtime's browser build (a classic script), from the installed package. */
export function vegaBrowserBuild(): string {
  const moduleFile = fileURLToPath(import.meta.resolve("vega"));
  return readFileSync(join(dirname(moduleFile), "vega.min.js"), "utf8");
}
