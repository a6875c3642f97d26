import {
  type Db,
  metricHistory,
  metricSummariesByRunIds,
  paramsByRunIds,
  tagsByRunIds,
} from "../../db/index.ts";
import { gql, gqlData } from "./gql.ts";

/**
 * Numbered batches whose presence can be read back exactly: batch i logs the param `p<i>`, the
 * tag `t<i>` and `pointsPerBatch` points of `loss` at steps [i·pointsPerBatch, (i+1)·pointsPerBatch).
 * A batch written in part would show as a step range neither full nor empty, or a param
 * without its points.
 */
export const pointsPerBatch = 1000;
export const batchMetric = "loss";

export const batchIdOf = (i: number) => `batch-${i}`;

/** A batch as both the store's `logBatch` and the API's `LogBatchInput` take it. */
export interface NumberedBatch {
  runId: string;
  batchId: string;
  params: { key: string; value: string }[];
  tags: { key: string; value: string }[];
  metrics: { key: string; values: number[]; steps: number[] }[];
}

export function numberedBatch(runId: string, i: number): NumberedBatch {
  const steps = Array.from({ length: pointsPerBatch }, (_, j) => i * pointsPerBatch + j);
  return {
    runId,
    batchId: batchIdOf(i),
    params: [{ key: `p${i}`, value: `v${i}` }],
    tags: [{ key: `t${i}`, value: `batch ${i}` }],
    metrics: [{ key: batchMetric, values: steps.map((step) => 1 / (step + 1)), steps }],
  };
}

const logBatchAppliedDoc = `
mutation ($input: LogBatchInput!) { logBatch(input: $input) { applied } }`;

/** Sends one batch; resolves with `applied`, rejects on any transport or GraphQL error. */
export async function sendBatch(url: string, input: NumberedBatch): Promise<boolean> {
  const data = await gqlData<{ logBatch: { applied: boolean } }>(url, logBatchAppliedDoc, {
    input,
  });
  return data.logBatch.applied;
}

/** What a run holds, as far as numbered batches go. */
export interface RunContents {
  params: Map<string, string>;
  tags: Map<string, string>;
  /** Points of `loss` per batch number (step ÷ pointsPerBatch). */
  pointsByBatch: Map<number, number>;
  /** The metric summary's count, and the number of history points. */
  summaryCount: number;
  historyLength: number;
  /** Whether every step of `loss` appears once. */
  stepsUnique: boolean;
}

function contentsOf(
  params: readonly { key: string; value: string }[],
  tags: readonly { key: string; value: string }[],
  summaryCount: number,
  steps: readonly number[],
): RunContents {
  const pointsByBatch = new Map<number, number>();
  for (const step of steps) {
    const batch = Math.floor(step / pointsPerBatch);
    pointsByBatch.set(batch, (pointsByBatch.get(batch) ?? 0) + 1);
  }
  return {
    params: new Map(params.map((p) => [p.key, p.value])),
    tags: new Map(tags.map((t) => [t.key, t.value])),
    pointsByBatch,
    summaryCount,
    historyLength: steps.length,
    stepsUnique: new Set(steps).size === steps.length,
  };
}

const runContentsDoc = `
query ($runId: ID!, $key: String!) {
  run(id: $runId) {
    params { key value }
    tags { key value }
    metric(key: $key) { count history { steps } }
  }
}`;

interface RunContentsData {
  run: {
    params: { key: string; value: string }[];
    tags: { key: string; value: string }[];
    metric: { count: number; history: { steps: number[] } } | null;
  } | null;
}

/** A run's contents read through a server's GraphQL API. */
export async function runContentsViaApi(url: string, runId: string): Promise<RunContents> {
  const { run } = await gqlData<RunContentsData>(url, runContentsDoc, {
    runId,
    key: batchMetric,
  });
  if (!run) throw new Error(`run ${runId} not found at ${url}`);
  return contentsOf(run.params, run.tags, run.metric?.count ?? 0, run.metric?.history.steps ?? []);
}

/** A run's contents read with the store functions from an open database. */
export async function runContentsViaStore(db: Db, runId: string): Promise<RunContents> {
  const params = (await paramsByRunIds(db, [runId])).get(runId) ?? [];
  const tags = (await tagsByRunIds(db, [runId])).get(runId) ?? [];
  const summary = (await metricSummariesByRunIds(db, [runId]))
    .get(runId)
    ?.find((s) => s.key === batchMetric);
  const steps = summary ? (await metricHistory(db, summary.seriesId)).steps : [];
  return contentsOf(params, tags, summary?.count ?? 0, steps);
}

/**
 * Whether batch i is in a run whole (its param, tag and every point), absent (none of them),
 * or in part — which must never happen.
 */
export function presenceOf(contents: RunContents, i: number): "whole" | "absent" | "partial" {
  const points = contents.pointsByBatch.get(i) ?? 0;
  const param = contents.params.get(`p${i}`);
  const tag = contents.tags.get(`t${i}`);
  if (points === pointsPerBatch && param === `v${i}` && tag === `batch ${i}`) return "whole";
  if (points === 0 && param === undefined && tag === undefined) return "absent";
  return "partial";
}

/** A client logging numbered batches to a server, `concurrency` requests at a time. */
export interface BatchStream {
  /** Batch numbers sent so far, in order. */
  readonly sent: readonly number[];
  /** Batch numbers answered with success. */
  readonly acked: ReadonlySet<number>;
  /** Batch numbers whose request failed, with why. */
  readonly failed: ReadonlyMap<number, string>;
  /** Requests sent and not answered yet. */
  inFlight(): number;
  /** Resolves (in the microtask after the answer) once `count` batches are acknowledged. */
  whenAcked(count: number): Promise<void>;
  /** Sends no new request; resolves once every request sent is settled. */
  stop(): Promise<void>;
}

export function startBatchStream(url: string, runId: string, concurrency: number): BatchStream {
  const sent: number[] = [];
  const acked = new Set<number>();
  const failed = new Map<number, string>();
  const waiters: { count: number; resolve: () => void }[] = [];
  let next = 0;
  let inFlight = 0;
  let stopped = false;

  const settleWaiters = () => {
    for (const waiter of waiters.splice(0))
      if (acked.size >= waiter.count) waiter.resolve();
      else waiters.push(waiter);
  };

  const worker = async () => {
    while (!stopped) {
      const i = next++;
      sent.push(i);
      inFlight++;
      // gql, not sendBatch: a GraphQL error is a failed request here, not an exception.
      const outcome = await gql<{ logBatch: { applied: boolean } }>(url, logBatchAppliedDoc, {
        input: numberedBatch(runId, i),
      }).then(
        (response) =>
          response.status === 200 && !response.body.errors && response.body.data?.logBatch
            ? undefined
            : `HTTP ${response.status}: ${JSON.stringify(response.body.errors)}`,
        (error: unknown) => String(error),
      );
      inFlight--;
      if (outcome === undefined) acked.add(i);
      else failed.set(i, outcome);
      settleWaiters();
    }
  };
  const workers = Array.from({ length: concurrency }, () => worker());

  return {
    sent,
    acked,
    failed,
    inFlight: () => inFlight,
    whenAcked: (count) =>
      new Promise((resolve) => {
        waiters.push({ count, resolve });
        settleWaiters();
      }),
    async stop() {
      stopped = true;
      await Promise.all(workers);
    },
  };
}
