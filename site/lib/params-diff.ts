import type { KeyValue, SnapshotRun } from "../snapshot/types.ts";
import { varyingParamKeys } from "./runs-table.ts";

/** Runs side by side on the params that tell them apart. */
export interface ParamsDiff {
  /** Params whose value differs between the runs (a run without one differs too), by key. */
  keys: string[];
  /** Params every run has with the same value. */
  same: KeyValue[];
  rows: { id: string; name: string; values: Record<string, string | undefined> }[];
}

/**
 * The params that differ between runs, and those that do not (listed once).
 *
 * @example
 * paramsDiff(runs).keys; // ["batch_size", "lr_init"]
 */
export function paramsDiff(
  runs: readonly Pick<SnapshotRun, "id" | "name" | "params">[],
): ParamsDiff {
  const keys = runs.length > 1 ? varyingParamKeys(runs) : [];
  const first = runs[0]?.params ?? [];
  return {
    keys,
    same: first
      .filter((param) => !keys.includes(param.key))
      .sort((a, b) => a.key.localeCompare(b.key)),
    rows: runs.map((run) => ({
      id: run.id,
      name: run.name,
      values: Object.fromEntries(
        keys.map((key) => [key, run.params.find((param) => param.key === key)?.value]),
      ),
    })),
  };
}
