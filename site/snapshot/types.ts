/**
 * The JSON snapshot a report is built from: what `labbook report` read through the GraphQL
 * API. The site reads this file and nothing else.
 */
import type { MetricValue } from "../charts/data.ts";
import type { ComparisonSpec } from "../compare/spec.ts";

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

/** One version of a registered model, as its page lists it. */
export interface SnapshotRegistryVersion {
  version: number;
  status: string;
  /** `runs:/<run id>/<artifact path>`. */
  source: string;
  runId: string | null;
  /** The source run's name, when the run still exists. */
  runName: string | null;
  description: string;
  /** Milliseconds UTC. */
  creationTime: number;
  lastUpdateTime: number;
  aliases: string[];
  tags: KeyValue[];
}

/** A registered model of the registry, with every version. */
export interface SnapshotRegisteredModel {
  name: string;
  description: string;
  creationTime: number;
  lastUpdateTime: number;
  tags: KeyValue[];
  aliases: { alias: string; version: number }[];
  /** Highest first. */
  versions: SnapshotRegistryVersion[];
}

/** One group of `metricGroups`: runs sharing the values of the `groupBy` keys. */
export interface SnapshotMetricGroup {
  /** The group's values, e.g. `{ key: "params.lr", value: "0.01" }`; null when runs lack it. */
  values: { key: string; value: string | null }[];
  runIds: string[];
  runCount: number;
  /** Aligned on steps: the mean, min and max over the group's runs at each step. */
  points: {
    step: number;
    mean: MetricValue | null;
    min: MetricValue | null;
    max: MetricValue | null;
    runs: number;
  }[];
}

/** The group bands of one section of a comparison (what the API aggregated). */
export interface SnapshotBands {
  /** The section's index in the comparison's `sections`. */
  section: number;
  /** Null when the API has no `metricGroups` query (an older server). */
  groups: SnapshotMetricGroup[] | null;
}

/** A comparison page: a file of `reports/`, and the runs it selected. */
export interface SnapshotComparison {
  /** The page is `compare/<stem>/index.html`. */
  stem: string;
  /** The file as named to `labbook report`, e.g. `reports/lr-sweep.yaml`. */
  file: string;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
  /** The file's text, so the page shows what it was built from. */
  source: string;
  spec: ComparisonSpec;
  /** How many runs matched the selection (more than `runs` when `limit` cut it). */
  matched: number;
  /** The runs shown, in the selection's order; histories read with `maxPoints`. */
  runs: (SnapshotRun & { experimentId: string; experimentName: string })[];
  /** Points per history the runs were read with (the page's budget over runs and metrics). */
  maxPoints: number;
  /**
   * The selection's experiments as ids (`spec.runs.experiments` resolved when the data was
   * read), so a live page selects again the same way; absent in older snapshots.
   */
  experimentIds?: string[];
  bands: SnapshotBands[];
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
  /** The labbook that read the data (`package.json`'s version). */
  labbookVersion?: string;
  /** The model registry, when the API has one. */
  registry?: SnapshotRegisteredModel[];
  /** Comparison pages, from the files of `reports/`. */
  comparisons?: SnapshotComparison[];
}
