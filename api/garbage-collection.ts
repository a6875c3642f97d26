import {
  type ArtifactStores,
  isArtifactStoreError,
  parseArtifactUri,
} from "../artifact-store/index.ts";
import {
  type CollectableExperiment,
  type CollectableRun,
  collectableExperiments,
  collectableRuns,
  type Db,
  type GcSelection,
  loggedModelLocations,
  purgeExperiment,
  purgeRunRows,
  type RunFootprint,
  runFootprint,
  startPurge,
} from "../db/index.ts";

export interface GcOptions extends GcSelection {
  /** Report what would be freed, and change nothing. */
  dryRun?: boolean | undefined;
}

/** One run collected (or that would be, in a dry run), or that failed to be. */
export interface GcRun extends RunFootprint {
  runId: string;
  name: string;
  experimentId: string;
  artifactUri: string;
  /** Artifact files deleted from the store, and their bytes. */
  files: number;
  bytes: number;
  /** Finished for an earlier collection that stopped halfway. */
  resumed: boolean;
}

export interface GcFailure {
  runId: string;
  artifactUri: string;
  error: string;
}

export interface GcResult {
  dryRun: boolean;
  runs: GcRun[];
  /** Deleted experiments removed because no run was left in them. */
  experiments: CollectableExperiment[];
  /** Runs that could not be collected now; they stay tombstoned and the next gc retries. */
  failed: GcFailure[];
  /** The sums over `runs`. */
  freed: RunFootprint & { runs: number; files: number; bytes: number };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The folder MLflow's layout puts around a run's `artifacts/`: `<experiment>/<run>`. */
const runFolderUri = (artifactUri: string) =>
  artifactUri.endsWith("/artifacts") ? artifactUri.slice(0, -"/artifacts".length) : undefined;

/**
 * Removes deleted runs for good: their metric points, rollups, series, params, tags, batch
 * ids, artifact index and the files in their store (local or S3), then deleted experiments
 * left without runs. Files go before rows, and each run is tombstoned first: a store that
 * fails halfway leaves the run tombstoned (no longer restorable) with its rows, and the next
 * collection finishes it. Runs that fail are reported, the others collected.
 */
export async function collectGarbage(
  db: Db,
  stores: ArtifactStores,
  options: GcOptions = {},
): Promise<GcResult> {
  const now = options.now ?? Date.now();
  const selection = { olderThanMs: options.olderThanMs, runIds: options.runIds, now };
  const candidates = await collectableRuns(db, selection);
  const failed: GcFailure[] = [];
  const runs: GcRun[] = [];

  // A location no store can open would leave a run tombstoned for ever: refuse it up front.
  const openable = candidates.filter((run) => {
    try {
      parseArtifactUri(run.artifactUri);
      return true;
    } catch (error) {
      failed.push({ runId: run.runId, artifactUri: run.artifactUri, error: messageOf(error) });
      return false;
    }
  });

  if (options.dryRun) {
    for (const run of openable) {
      try {
        const files = await stores.open(run.artifactUri).list();
        runs.push({
          ...describe(run),
          ...(await runFootprint(db, run.runId)),
          files: files.length,
          bytes: files.reduce((sum, file) => sum + file.size, 0),
        });
      } catch (error) {
        failed.push({ runId: run.runId, artifactUri: run.artifactUri, error: messageOf(error) });
      }
    }
    const experiments = options.runIds ? [] : await collectableExperiments(db, selection);
    return result(true, runs, experiments, failed);
  }

  const tombstoned = new Set(
    await startPurge(
      db,
      openable.map((run) => run.runId),
    ),
  );
  for (const run of openable) {
    if (!tombstoned.has(run.runId)) continue; // restored since it was chosen
    try {
      const freedFiles = await stores.open(run.artifactUri).deleteAll();
      const folder = runFolderUri(run.artifactUri);
      if (folder) await stores.open(folder).removeIfEmpty();
      const footprint = await purgeRunRows(db, run.runId);
      runs.push({ ...describe(run), ...footprint, ...freedFiles });
    } catch (error) {
      failed.push({
        runId: run.runId,
        artifactUri: run.artifactUri,
        error: isArtifactStoreError(error) ? error.message : messageOf(error),
      });
    }
  }

  const experiments: CollectableExperiment[] = [];
  if (!options.runIds)
    for (const experiment of await collectableExperiments(db, selection)) {
      // Its logged models (MLflow 3) go with it, rows and files: where the files are is read first.
      const modelLocations = await loggedModelLocations(db, experiment.id);
      if (!(await purgeExperiment(db, experiment.id))) continue;
      experiments.push(experiment);
      for (const location of modelLocations)
        if (location.startsWith(`${db.artifactRoot}/`))
          await stores
            .open(location.replace(/\/artifacts$/, ""))
            .deleteAll()
            .catch(() => {});
      if (modelLocations.length > 0)
        await stores
          .open(`${experiment.artifactLocation}/models`)
          .removeIfEmpty()
          .catch(() => {});
      // Its folder, when it is the one the server made (a location given at creation may be
      // any folder, and is not ours to remove).
      if (experiment.artifactLocation === `${db.artifactRoot}/${experiment.id}`)
        await stores
          .open(experiment.artifactLocation)
          .removeIfEmpty()
          .catch(() => {});
    }
  return result(false, runs, experiments, failed);
}

const describe = (run: CollectableRun) => ({
  runId: run.runId,
  name: run.name,
  experimentId: run.experimentId,
  artifactUri: run.artifactUri,
  resumed: run.resumed,
});

function result(
  dryRun: boolean,
  runs: GcRun[],
  experiments: CollectableExperiment[],
  failed: GcFailure[],
): GcResult {
  const sum = (key: keyof RunFootprint | "files" | "bytes") =>
    runs.reduce((total, run) => total + run[key], 0);
  return {
    dryRun,
    runs,
    experiments,
    failed,
    freed: {
      runs: runs.length,
      files: sum("files"),
      bytes: sum("bytes"),
      metricPoints: sum("metricPoints"),
      metricSeries: sum("metricSeries"),
      params: sum("params"),
      tags: sum("tags"),
      artifacts: sum("artifacts"),
    },
  };
}
