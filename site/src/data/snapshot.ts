import { readFileSync } from "node:fs";
import { handedOverSnapshot } from "../../snapshot/handover.ts";
import type { Snapshot } from "../../snapshot/types.ts";

/** Set by `buildSite` (Vite's `define`): the snapshot file this build reads. */
declare const __LABBOOK_SNAPSHOT__: string;

let cached: Snapshot | undefined;

/** The report's data, read once per build (or as `buildSite` parsed it). */
export function snapshot(): Snapshot {
  cached ??=
    handedOverSnapshot(__LABBOOK_SNAPSHOT__) ??
    (JSON.parse(readFileSync(__LABBOOK_SNAPSHOT__, "utf8")) as Snapshot);
  return cached;
}

let runsWithPages: Set<string> | undefined;

/** Whether a run has a page in this report (runs of the experiments it was built from). */
export function hasRunPage(runId: string | null | undefined): boolean {
  runsWithPages ??= new Set(
    snapshot().experiments.flatMap((experiment) => experiment.runs.map((run) => run.id)),
  );
  return runId != null && runsWithPages.has(runId);
}

/** When this build started (milliseconds UTC): comparison pages record it. */
export const builtAt = Date.now();
