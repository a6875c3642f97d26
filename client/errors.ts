/**
 * What went wrong, as the SDK reports it to `onError`. `code` is the API's
 * `extensions.code` (`BAD_USER_INPUT`, `CONFLICT`, `NOT_FOUND`, …) or one of the SDK's own:
 * `UNREACHABLE` (no answer from the server), `BAD_RESPONSE` (an answer that is not the API's),
 * `RUN_ENDED` (logging to a run after `end()`).
 *
 * @example
 * const run = await startRun({
 *   onError: (error) => console.error(`labbook ${error.code}: ${error.message}`),
 * });
 */
export class LabbookError extends Error {
  override readonly name = "LabbookError";
  /** The API's `extensions.code`, or `UNREACHABLE` / `BAD_RESPONSE` / `RUN_ENDED`. */
  readonly code: string;
  /** How the SDK treats it: retry forever, retry a few times, or give up at once. */
  readonly kind: ErrorKind;
  /** The batch it concerns, when it concerns one. */
  batchId?: string;
  /** How many metric points were dropped because of it (0 when none). */
  droppedPoints = 0;

  constructor(message: string, code: string, kind: ErrorKind, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.kind = kind;
  }
}

/**
 * - `transient`: the server is away or busy; retrying later will work (the data is kept).
 * - `server`: the server failed unexpectedly; a few retries, then the batch is dropped.
 * - `rejected`: the server refused what was sent; retrying cannot help, the batch is dropped.
 *
 * @example
 * if (error.kind === "rejected") console.warn("fix the code that logs this:", error.message);
 */
export type ErrorKind = "transient" | "server" | "rejected";

/**
 * Codes that mean the request itself is wrong: sending it again gets the same answer.
 * Anything else from the server (INTERNAL_SERVER_ERROR, an unknown code) may pass later.
 */
const rejectedCodes = new Set([
  "BAD_USER_INPUT",
  "CONFLICT",
  "NOT_FOUND",
  "GRAPHQL_VALIDATION_FAILED",
  "GRAPHQL_PARSE_FAILED",
  "BAD_REQUEST",
  "PAYLOAD_TOO_LARGE",
]);
/**
 * Codes that describe the server's state, not the request: a busy database, or a server
 * restarted with another token that its operator will fix; the data waits meanwhile.
 */
const transientCodes = new Set(["SERVICE_UNAVAILABLE", "UNAUTHENTICATED"]);

/**
 * How to treat an error code the API returned.
 *
 * @example
 * errorKindOf("CONFLICT"); // "rejected"
 */
export function errorKindOf(code: string): ErrorKind {
  if (rejectedCodes.has(code)) return "rejected";
  if (transientCodes.has(code)) return "transient";
  return "server";
}

/**
 * Calls the user's error handler without letting it throw into the SDK (or, through the
 * SDK, into the training loop).
 *
 * @example
 * report(options.onError, new LabbookError("no server", "UNREACHABLE", "transient"));
 */
export function report(
  onError: ((error: LabbookError) => void) | undefined,
  error: LabbookError,
): void {
  try {
    if (onError) onError(error);
    else console.warn(`labbook: ${error.message}`);
  } catch (handlerError) {
    console.warn("labbook: the onError handler threw:", handlerError);
  }
}
