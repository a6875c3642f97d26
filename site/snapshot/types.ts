/**
 * The JSON snapshot a report is built from: what `labbook report` read through the GraphQL
 * API. The site reads this file and nothing else.
 */
import type { MetricValue } from "../charts/data.ts";

export const snapshotVersion = 1;

export interface KeyValue {
  key: string;
  value: string;
}

/** A metric's summary, and its history downsampled (`maxPoints`) with the extremes kept. */
export interface SnapshotMetric {
  key: string;
  count: number;
  last: MetricValue;
  lastStep: number;
  lastTimestamp: number;
  min: MetricValue | null;
  max: MetricValue | null;
  history: { steps: number[]; values: MetricValue[]; timestamps: number[] } | null;
}

/** A file or folder of a run's artifacts (when the API has artifacts). */
export interface SnapshotArtifact {
  path: string;
  isDir: boolean;
  size: number;
  lastModified: number;
  contentType: string | null;
}

/** A model version made from a run (when the API has a model registry). */
export interface SnapshotModelVersion {
  model: string;
  version: string;
  aliases: string[];
  runId: string | null;
}

export interface SnapshotRun {
  id: string;
  name: string;
  status: string;
  startTime: number;
  endTime: number | null;
  parentRunId: string | null;
  artifactUri: string;
  params: KeyValue[];
  tags: KeyValue[];
  metrics: SnapshotMetric[];
  artifacts?: SnapshotArtifact[];
  modelVersions?: SnapshotModelVersion[];
}

export interface SnapshotExperiment {
  id: string;
  name: string;
  creationTime: number;
  lastUpdateTime: number;
  tags: KeyValue[];
  runs: SnapshotRun[];
}

export interface Snapshot {
  version: typeof snapshotVersion;
  /** Milliseconds UTC. */
  generatedAt: number;
  /** Where the data came from: a server's URL or "a database" (no paths or secrets). */
  source: string;
  /** The `maxPoints` histories were read with. */
  maxPoints: number;
  /** Base URL of the server's `/artifacts/<run>/<path>`, when the report may link there. */
  artifactBaseUrl: string | null;
  experiments: SnapshotExperiment[];
}
