import type { SnapshotArtifact, SnapshotRun } from "./types.ts";

/**
 * Steps, times and sizes arrive from GraphQL as numbers or digit strings (`Long`); the
 * snapshot and the pages work with numbers. Used by `labbook report` and by live pages.
 */
export function normalizeRun(run: SnapshotRun): SnapshotRun {
  const number = (value: unknown) => (value == null ? value : Number(value));
  return {
    ...run,
    startTime: Number(run.startTime),
    endTime: run.endTime == null ? null : Number(run.endTime),
    metrics: run.metrics.map((metric) => ({
      ...metric,
      lastStep: Number(metric.lastStep),
      lastTimestamp: Number(metric.lastTimestamp),
      history: metric.history && {
        steps: metric.history.steps.map(Number),
        values: metric.history.values,
        timestamps: metric.history.timestamps.map(Number),
      },
    })),
    ...(run.artifacts && {
      artifacts: run.artifacts.map(
        (artifact): SnapshotArtifact => ({
          ...artifact,
          size: number(artifact.size) as number,
          lastModified: number(artifact.lastModified) as number,
        }),
      ),
    }),
  };
}
