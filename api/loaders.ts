import DataLoader from "dataloader";
import {
  type ArtifactRecord,
  artifactsByRunIds,
  childRunsByParentIds,
  countRunsByExperimentIds,
  type Db,
  type Experiment,
  experimentTagsByIds,
  getExperimentsByIds,
  getRunsByIds,
  type KeyValue,
  type MetricSummary,
  metricSummariesByRunIds,
  paramsByRunIds,
  type Run,
  tagsByRunIds,
} from "../db/index.ts";

/**
 * One loader per per-run (or per-experiment) list, created per request: resolving a page of
 * runs costs one statement per kind of data, whatever the page size.
 */
export function createLoaders(db: Db) {
  const listLoader = <T>(load: (ids: readonly string[]) => Promise<Map<string, T[]>>) =>
    new DataLoader<string, T[]>(async (ids) => {
      const groups = await load(ids);
      return ids.map((id) => groups.get(id) ?? []);
    });
  const oneLoader = <T>(load: (ids: readonly string[]) => Promise<Map<string, T>>) =>
    new DataLoader<string, T | null>(async (ids) => {
      const found = await load(ids);
      return ids.map((id) => found.get(id) ?? null);
    });
  return {
    experiment: oneLoader<Experiment>((ids) => getExperimentsByIds(db, ids)),
    experimentTags: listLoader<KeyValue>((ids) => experimentTagsByIds(db, ids)),
    experimentRunCount: oneLoader<number>((ids) => countRunsByExperimentIds(db, ids)),
    run: oneLoader<Run>((ids) => getRunsByIds(db, ids)),
    childRuns: listLoader<Run>((ids) => childRunsByParentIds(db, ids)),
    params: listLoader<KeyValue>((ids) => paramsByRunIds(db, ids)),
    tags: listLoader<KeyValue>((ids) => tagsByRunIds(db, ids)),
    metrics: listLoader<MetricSummary>((ids) => metricSummariesByRunIds(db, ids)),
    artifacts: listLoader<ArtifactRecord>((ids) => artifactsByRunIds(db, ids)),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
