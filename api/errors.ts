import { GraphQLError } from "graphql";
import { createGraphQLError } from "graphql-yoga";
import { isStoreError, type StoreErrorKind } from "../db/index.ts";

/** GraphQL's stable `extensions.code` for each kind of store error. */
export const graphqlCodeByKind: Record<StoreErrorKind, string> = {
  invalid: "BAD_USER_INPUT",
  not_found: "NOT_FOUND",
  already_exists: "CONFLICT",
  conflict: "CONFLICT",
  busy: "SERVICE_UNAVAILABLE",
};

export interface ErrorLogger {
  error(message: string, error: unknown): void;
}

/**
 * Turns an error raised while executing an operation into what the client sees: store errors
 * keep their message and get their code; errors GraphQL itself raised (syntax, validation,
 * coercion) pass through; anything else is masked and logged with its cause.
 */
export function createErrorMasker(logger: ErrorLogger) {
  return (error: unknown, message: string): Error => {
    const graphqlError = error instanceof GraphQLError ? error : undefined;
    const original = graphqlError ? graphqlError.originalError : error;
    const located = { nodes: graphqlError?.nodes, path: graphqlError?.path };
    if (isStoreError(original))
      return createGraphQLError(original.message, {
        ...located,
        extensions: {
          code: graphqlCodeByKind[original.kind],
          ...(original.field && { field: original.field }),
        },
      });
    if (graphqlError && (!original || original instanceof GraphQLError)) return graphqlError;
    logger.error("unexpected error while executing a GraphQL operation", error);
    return createGraphQLError(message, {
      ...located,
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    });
  };
}
