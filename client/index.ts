/**
 * labbook's client SDK: what training code imports. It speaks HTTP to a labbook server and
 * loads nothing of the server side (no GraphQL library, no database driver).
 *
 * @example
 * import { startRun } from "labbook";
 *
 * const run = await startRun({ experiment: "mnist" });
 * run.logParams({ lr: 0.001, batch_size: 64 });
 * for (let epoch = 0; epoch < 10; epoch++) run.logMetrics({ loss: 1 / (epoch + 1) }, { step: epoch });
 * await run.end();
 */

export {
  type ArtifactEntry,
  type ArtifactInfo,
  type ArtifactOptions,
  downloadArtifacts,
  listArtifacts,
  type ManyTransferOptions,
  type TransferProgress,
} from "./artifacts.ts";
export type { StartRunOptions } from "./config.ts";
export { type ErrorKind, LabbookError } from "./errors.ts";
export type { EndStatus } from "./exit-hooks.ts";
export {
  downloadModel,
  inferSignature,
  type LoadModelOptions,
  type LogModelOptions,
  loadModel,
  loadModelDir,
  type ModelInfo,
  type ModelSignature,
  type ModelUri,
  type ModelVersionInfo,
  parseModelUri,
  registerModel,
  resolveModelUri,
  type SavableModel,
  setModelAlias,
  type TensorSpec,
  type TfjsFlavor,
} from "./models.ts";
export type { MetricOptions, Run, RunStats } from "./run.ts";
export { type SendUnsentOptions, sendUnsent } from "./send-unsent.ts";
export { startRun } from "./start-run.ts";
export {
  type LabbookCallback,
  type LabbookCallbackOptions,
  labbookCallback,
  type SelectBackendOptions,
  selectBackend,
  type TfBackendName,
  type TfModule,
} from "./tfjs.ts";
export { graphqlUrl, trackingBaseUrl } from "./tracking-uri.ts";
