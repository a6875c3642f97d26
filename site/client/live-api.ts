import { pulseFields, runIdCondition, type SelectedRun } from "../compare/read-selection.ts";
import { normalizeRun } from "../snapshot/normalize-run.ts";
import type { SnapshotExperiment, SnapshotRun } from "../snapshot/types.ts";

/**
 * What a live page reads from the API. Only a page served by `labbook server` has the marker
 * (`<meta name="labbook-live" content="<API URL>" data-refresh-seconds="5">`): the same files
 * on any other host make no request at all.
 */
export interface LiveConfig {
  /** The GraphQL endpoint, absolute. */
  apiUrl: string;
  refreshMs: number;
}

export function liveConfig(): LiveConfig | undefined {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="labbook-live"]');
  if (!meta?.content) return undefined;
  const seconds = Number(meta.dataset.refreshSeconds ?? "5");
  if (!(seconds > 0)) return undefined;
  return { apiUrl: new URL(meta.content, location.href).href, refreshMs: seconds * 1000 };
}

/** What one refresh did: whether the page changed, and why to stop asking (when it should). */
export interface LiveTick {
  changed: boolean;
  stop?: string | undefined;
}

/** A refresh that failed in a way retrying will not fix (the server wants a token). */
export class LiveAccessError extends Error {
  override readonly name = "LiveAccessError";
}

/** One GraphQL request; the server's cookie (set by `?token=`) goes along on its own origin. */
export async function askApi<T>(
  config: LiveConfig,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await fetch(config.apiUrl, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    credentials: "same-origin",
    cache: "no-store",
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 401)
    throw new LiveAccessError("the server needs its token: open this page with ?token=<token>");
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length || !body.data)
    throw new Error(body.errors?.[0]?.message ?? `HTTP ${response.status}`);
  return body.data;
}

/** Points per history, as `labbook report` reads them by default. */
const historyPoints = 1000;

/** A run's fields as the report's snapshot has them (see cli/commands/report.ts). */
const runFields = `id name status startTime endTime parentRunId artifactUri
  params { key value } tags { key value }
  metrics { key count last lastStep lastTimestamp min max
    history(maxPoints: ${historyPoints}) { steps values timestamps } }`;

/** Enough of a run to tell whether it changed since the last look (as a selection lists it). */
export type RunPulse = SelectedRun;

/** Changes whenever a run logs a point, a param, or changes status. */
export const fingerprint = (run: RunPulse): string =>
  [
    run.status,
    run.endTime,
    run.params.length,
    ...run.metrics.map((m) => `${m.key}:${m.count}:${m.lastStep}`),
  ].join("|");

/**
 * Which runs changed since the page last showed them: a run shown before when its fingerprint
 * moved; a run not shown yet when the page's copy is stale, that is when it is running, or its
 * status differs from `built` (the page's runs and their status; a run not there is new).
 * A refresh asks `changed`, and once the page shows them, says so with `shown`: a refresh that
 * failed half-way is asked again.
 */
export class RunWatch {
  private readonly prints = new Map<string, string>();
  private readonly built: ReadonlyMap<string, string>;

  constructor(built: ReadonlyMap<string, string>) {
    this.built = built;
  }

  changed(pulses: readonly RunPulse[]): RunPulse[] {
    return pulses.filter((run) => {
      const known = this.prints.get(run.id);
      if (known !== undefined) return known !== fingerprint(run);
      return run.status === "RUNNING" || this.built.get(run.id) !== run.status;
    });
  }

  shown(pulses: readonly RunPulse[]): void {
    for (const run of pulses) this.prints.set(run.id, fingerprint(run));
  }
}

type ExperimentHead = Omit<SnapshotExperiment, "runs">;

/** An experiment's attributes and a pulse of each of its runs (oldest first). */
export async function experimentPulse(
  config: LiveConfig,
  id: string,
): Promise<{ experiment: ExperimentHead; runs: RunPulse[] } | undefined> {
  const data = await askApi<{
    experiment: (ExperimentHead & { runs: { nodes: RunPulse[] } }) | null;
  }>(
    config,
    `query ($id: ID!) { experiment(id: $id) { id name creationTime lastUpdateTime tags { key value }
      runs(first: 1000, orderBy: ["attributes.start_time ASC"]) { nodes { ${pulseFields} } } } }`,
    { id },
  );
  if (!data.experiment) return undefined;
  const { runs, ...experiment } = data.experiment;
  return {
    experiment: {
      ...experiment,
      creationTime: Number(experiment.creationTime),
      lastUpdateTime: Number(experiment.lastUpdateTime),
    },
    runs: runs.nodes.map((run) => ({
      ...run,
      endTime: run.endTime == null ? null : Number(run.endTime),
    })),
  };
}

export async function runPulse(config: LiveConfig, id: string): Promise<RunPulse | undefined> {
  const data = await askApi<{ run: RunPulse | null }>(
    config,
    `query ($id: ID!) { run(id: $id) { ${pulseFields} } }`,
    { id },
  );
  return data.run ?? undefined;
}

/** Runs in full (histories downsampled as the report reads them), by id. */
export async function fullRuns(config: LiveConfig, ids: readonly string[]): Promise<SnapshotRun[]> {
  if (ids.length === 0) return [];
  const data = await askApi<{ runs: { nodes: SnapshotRun[] } }>(
    config,
    `query ($filter: String!) { runs(filter: $filter, first: 1000) { nodes { ${runFields} } } }`,
    { filter: runIdCondition(ids) },
  );
  return data.runs.nodes.map(normalizeRun);
}
