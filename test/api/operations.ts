import { type GqlTarget, gqlData } from "../support/gql.ts";

/**
 * The GraphQL documents clients rely on, verbatim: the API tests send them as written, so a
 * schema change that breaks one of them breaks a test.
 */

export const createExperimentDoc = `
mutation ($name: String!) { createExperiment(input: { name: $name }) { experiment { id name } } }`;

export const createRunDoc = `
mutation ($experimentId: ID!, $name: String) {
  createRun(input: { experimentId: $experimentId, name: $name }) { run { id name status startTime } } }`;

export const logBatchDoc = `
mutation ($input: LogBatchInput!) { logBatch(input: $input) { run { id } } }`;

export const updateRunDoc = `
mutation ($runId: ID!, $status: RunStatus!) {
  updateRun(input: { runId: $runId, status: $status }) { run { id status endTime } } }`;

export const runsDoc = `
query ($ids: [ID!], $orderBy: [String!], $first: Int, $after: String) {
  runs(experimentIds: $ids, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name status params { key value } tags { key value }
                   metrics { key last min max count } } } } }`;

export const metricDoc = `
query ($runId: ID!, $key: String!) {
  run(id: $runId) { metric(key: $key) { key count min max last history { steps values timestamps } } } }`;

export const experimentByNameDoc = `
query ($name: String!) { experiment(name: $name) { id name runs(first: 10) { totalCount } } }`;

/** A metric value on the wire: a JSON number, or "NaN", "Infinity", "-Infinity". */
export type WireValue = number | string;

export interface CreateExperimentData {
  createExperiment: { experiment: { id: string; name: string } };
}

export interface CreateRunData {
  createRun: { run: { id: string; name: string; status: string; startTime: number } };
}

export interface LogBatchData {
  logBatch: { run: { id: string } };
}

export interface UpdateRunData {
  updateRun: { run: { id: string; status: string; endTime: number | null } };
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface RunNode {
  id: string;
  name: string;
  status: string;
  params: KeyValue[];
  tags: KeyValue[];
  metrics: {
    key: string;
    last: WireValue;
    min: WireValue | null;
    max: WireValue | null;
    count: number;
  }[];
}

export interface RunsData {
  runs: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { node: RunNode }[];
  };
}

export interface MetricData {
  run: {
    metric: {
      key: string;
      count: number;
      min: WireValue | null;
      max: WireValue | null;
      last: WireValue;
      history: { steps: number[]; values: WireValue[]; timestamps: number[] };
    } | null;
  } | null;
}

export interface ExperimentByNameData {
  experiment: { id: string; name: string; runs: { totalCount: number } } | null;
}

/** Metric points for `LogBatchInput.metrics`. */
export interface MetricColumns {
  key: string;
  values: WireValue[];
  steps?: (number | string)[];
  timestamps?: (number | string)[];
}

export interface LogBatchInput {
  runId: string;
  batchId?: string;
  params?: KeyValue[];
  tags?: KeyValue[];
  metrics?: MetricColumns[];
}

/** The documents above as functions, for tests that need data in place before they look. */
export function operations(target: GqlTarget) {
  return {
    async createExperiment(name: string): Promise<string> {
      const data = await gqlData<CreateExperimentData>(target, createExperimentDoc, { name });
      return data.createExperiment.experiment.id;
    },
    async createRun(
      experimentId: string,
      name?: string,
    ): Promise<CreateRunData["createRun"]["run"]> {
      const data = await gqlData<CreateRunData>(target, createRunDoc, { experimentId, name });
      return data.createRun.run;
    },
    async logBatch(input: LogBatchInput): Promise<void> {
      await gqlData<LogBatchData>(target, logBatchDoc, { input });
    },
    runs(variables: { ids?: string[]; orderBy?: string[]; first?: number; after?: string }) {
      return gqlData<RunsData>(target, runsDoc, variables).then((data) => data.runs);
    },
    metric(runId: string, key: string) {
      return gqlData<MetricData>(target, metricDoc, { runId, key }).then(
        (data) => data.run?.metric,
      );
    },
  };
}
