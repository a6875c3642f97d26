import type { Snapshot } from "./types.ts";

/**
 * Snapshots parsed by `buildSite`, by file path, for Astro's pages: Astro renders them in the
 * same process, and parsing the file again would hold a second copy of every run's histories.
 * On `globalThis`, as Vite bundles the pages with a copy of this module of their own; by path,
 * so that builds running at once in one process each find their own.
 */
const key = Symbol.for("labbook.snapshots");
const global = globalThis as Record<symbol, Map<string, Snapshot> | undefined>;
const held = global[key] ?? new Map<string, Snapshot>();
global[key] = held;

/** Lends a parsed snapshot to the pages built from `path` until `withdrawSnapshot`. */
export function handOverSnapshot(path: string, snapshot: Snapshot): void {
  held.set(path, snapshot);
}

export function withdrawSnapshot(path: string): void {
  held.delete(path);
}

/** The snapshot of `path` when `buildSite` handed it over, else undefined. */
export const handedOverSnapshot = (path: string): Snapshot | undefined => held.get(path);
