/**
 * The GraphQL documents the SDK sends, and the shapes of their answers. They select as
 * little as possible: the SDK needs ids and acknowledgements, not the data it just sent.
 *
 * @example
 * await client.request<ExperimentByNameData>(experimentByNameDoc, { name: "mnist" });
 */
export const experimentByNameDoc = "query ($name: String!) { experiment(name: $name) { id } }";

/**
 * The answer to `experimentByNameDoc`.
 *
 * @example
 * const id = (data as ExperimentByNameData).experiment?.id;
 */
export interface ExperimentByNameData {
  experiment: { id: string } | null;
}

/**
 * Creates an experiment by name.
 *
 * @example
 * await client.request<CreateExperimentData>(createExperimentDoc, { input: { name: "mnist" } });
 */
export const createExperimentDoc =
  "mutation ($input: CreateExperimentInput!) { createExperiment(input: $input) { experiment { id } } }";

/**
 * The answer to `createExperimentDoc`.
 *
 * @example
 * const id = (data as CreateExperimentData).createExperiment.experiment.id;
 */
export interface CreateExperimentData {
  createExperiment: { experiment: { id: string } };
}

/**
 * Creates a run.
 *
 * @example
 * await client.request<CreateRunData>(createRunDoc, { input: { experimentId: "1" } });
 */
export const createRunDoc =
  "mutation ($input: CreateRunInput!) { createRun(input: $input) { run { id experimentId } } }";

/**
 * The answer to `createRunDoc`.
 *
 * @example
 * const { id, experimentId } = (data as CreateRunData).createRun.run;
 */
export interface CreateRunData {
  createRun: { run: { id: string; experimentId: string } };
}

/**
 * Reads the run an `LABBOOK_RUN_ID` names.
 *
 * @example
 * await client.request<RunByIdData>(runByIdDoc, { id: process.env.LABBOOK_RUN_ID });
 */
export const runByIdDoc = "query ($id: ID!) { run(id: $id) { id experimentId status } }";

/**
 * The answer to `runByIdDoc`.
 *
 * @example
 * if (!(data as RunByIdData).run) throw new Error("no such run");
 */
export interface RunByIdData {
  run: { id: string; experimentId: string; status: string } | null;
}

/**
 * Sets a run's final status.
 *
 * @example
 * await client.request(updateRunDoc, { input: { runId, status: "FINISHED" } });
 */
export const updateRunDoc =
  "mutation ($input: UpdateRunInput!) { updateRun(input: $input) { run { id status } } }";

/**
 * The write path: one batch of params, tags and metric columns.
 *
 * @example
 * await client.post(logBatchBody(inputJson));
 */
export const logBatchDoc =
  "mutation ($input: LogBatchInput!) { logBatch(input: $input) { applied points } }";

const logBatchPrefix = `{"query":${JSON.stringify(logBatchDoc)},"variables":{"input":`;

/**
 * The request body of a batch whose input is already JSON; concatenated rather than parsed
 * and serialized again, since a batch of 5,000 points is sent as it was encoded.
 *
 * @example
 * logBatchBody('{"runId":"…","metrics":[]}');
 */
export const logBatchBody = (inputJson: string): string => `${logBatchPrefix}${inputJson}}}`;
