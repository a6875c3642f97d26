/** The search language, pure: parsing, checking and in-memory evaluation. No database inside. */
export type * from "./ast.ts";
export * from "./check-filter.ts";
export * from "./errors.ts";
export * from "./evaluate.ts";
export * from "./identifiers.ts";
export * from "./parse-filter.ts";
export * from "./parse-order-by.ts";
