import { StoreError, type StoreErrorKind } from "./errors.ts";
import type { KeyValue } from "./experiments.ts";

/**
 * Points of one metric as three parallel columns. Typed arrays, because a job crosses to the
 * writer thread: their buffers are transferred, not copied, where structured-cloning a
 * thousand point objects per batch cost more than writing them.
 */
export interface PointColumns {
  steps: Float64Array<ArrayBuffer>;
  timestamps: Float64Array<ArrayBuffer>;
  values: Float64Array<ArrayBuffer>;
}

/** A validated logBatch, ready to write: what one SAVEPOINT of a group commit applies. */
export interface BatchJob {
  runId: string;
  batchId: string | undefined;
  /** Fingerprint of the request, to tell a retry from a reused batch id ("" without an id). */
  payloadHash: string;
  params: KeyValue[];
  tags: KeyValue[];
  metrics: Map<string, PointColumns>;
  points: number;
}

export interface LogBatchResult {
  /** False when the batch id had been applied before and this call only acknowledged it. */
  applied: boolean;
  points: number;
}

/** What a job came to: each job of a group commit succeeds or fails alone. */
export type BatchOutcome = { ok: true; result: LogBatchResult } | { ok: false; error: WireError };

export function newColumns(length: number): PointColumns {
  return {
    steps: new Float64Array(length),
    timestamps: new Float64Array(length),
    values: new Float64Array(length),
  };
}

/** The points of `a`, then those of `b` (a key listed twice in one batch). */
export function concatColumns(a: PointColumns, b: PointColumns): PointColumns {
  const joined = newColumns(a.values.length + b.values.length);
  for (const column of ["steps", "timestamps", "values"] as const) {
    joined[column].set(a[column]);
    joined[column].set(b[column], a.values.length);
  }
  return joined;
}

/** The buffers a job's postMessage transfers. */
export function transferablesOf(job: BatchJob): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const { steps, timestamps, values } of job.metrics.values())
    buffers.push(steps.buffer, timestamps.buffer, values.buffer);
  return buffers;
}

/** An error as a plain object, so it survives postMessage with its kind, field and code. */
export interface WireError {
  message: string;
  kind?: StoreErrorKind | undefined;
  field?: string | undefined;
  code?: string | undefined;
}

export function errorToWire(error: unknown): WireError {
  if (error instanceof StoreError)
    return { message: error.message, kind: error.kind, field: error.field };
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return {
    message: typeof message === "string" ? message : String(error),
    code: typeof code === "string" ? code : undefined,
  };
}

export function errorFromWire(wire: WireError): Error {
  if (wire.kind) return new StoreError(wire.kind, wire.message, { field: wire.field });
  // The driver's code (e.g. SQLITE_BUSY) stays on the error, where translateBusy looks.
  return Object.assign(new Error(wire.message), { code: wire.code });
}
