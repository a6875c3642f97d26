import { readFileSync } from "node:fs";
import type { Snapshot } from "../../snapshot/types.ts";

/** Set by `buildSite` (Vite's `define`): the snapshot file this build reads. */
declare const __LABBOOK_SNAPSHOT__: string;

let cached: Snapshot | undefined;

/** The report's data, read once per build. */
export function snapshot(): Snapshot {
  cached ??= JSON.parse(readFileSync(__LABBOOK_SNAPSHOT__, "utf8")) as Snapshot;
  return cached;
}
