// Light imports only: every command loads this before it runs, `--help` included.
import { LabbookError } from "../client/errors.ts";
import { isStoreError } from "../db/errors.ts";
import { GraphQLRequestError } from "./graphql-request-error.ts";
import { UsageError } from "./usage-error.ts";

const isParseArgsError = (error: unknown) =>
  error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS");

/**
 * Prints what went wrong and what to do next. Expected failures get one line (exit 2 for a
 * command called wrongly, 1 otherwise); only the unexpected get a stack.
 */
export function reportFailure(error: unknown): void {
  if (error instanceof UsageError || isParseArgsError(error)) {
    console.error(`labbook: ${(error as Error).message}`);
    console.error("See 'labbook <command> --help'.");
    process.exitCode = 2;
    return;
  }
  const expected =
    error instanceof GraphQLRequestError ||
    // The SDK's errors (commands that move files go through it) say what failed and where.
    error instanceof LabbookError ||
    isStoreError(error) ||
    (error instanceof Error && error.message.startsWith("cannot reach"));
  if (expected) console.error(`labbook: ${(error as Error).message}`);
  else console.error("labbook: unexpected failure:", error);
  process.exitCode = 1;
}
