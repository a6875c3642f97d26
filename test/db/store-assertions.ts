import { is } from "drizzle-orm";
import { SQLiteTable } from "drizzle-orm/sqlite-core";
import { expect } from "vitest";
import { type Db, StoreError, type StoreErrorKind } from "../../db/index.ts";
import * as schema from "../../db/schema/index.ts";

export interface ExpectedStoreError {
  kind: StoreErrorKind;
  /** The input field the error must name; checked when given (`undefined` checks it is absent). */
  field?: string | undefined;
  /** What the message must say, e.g. the rule that was broken. */
  message?: RegExp | string;
}

/** Awaits `work`, which must fail with a StoreError of the expected kind, field and message. */
export async function expectStoreError(
  work: Promise<unknown>,
  expected: ExpectedStoreError,
): Promise<StoreError> {
  const outcome = await work.then(
    (value: unknown) => ({ resolved: value }),
    (error: unknown) => ({ rejected: error }),
  );
  if (!("rejected" in outcome))
    throw new Error(
      `expected a StoreError (${expected.kind}), but it succeeded with ${JSON.stringify(outcome.resolved)}`,
    );
  const error = outcome.rejected;
  if (!(error instanceof StoreError))
    throw new Error(`expected a StoreError (${expected.kind}), got ${String(error)}`, {
      cause: error,
    });
  expect(error.kind).toBe(expected.kind);
  if ("field" in expected) {
    expect(error.field).toBe(expected.field);
    // An `invalid` message starts with the field it is about: `metrics[0].steps[1]: must be…`.
    if (expected.kind === "invalid" && expected.field !== undefined)
      expect(error.message.slice(0, expected.field.length + 2)).toBe(`${expected.field}: `);
  }
  if (expected.message !== undefined) expect(error.message).toMatch(expected.message);
  return error;
}

/** Every table of the labbook schema, found from its exports so new tables are covered too. */
const tables: [string, SQLiteTable][] = [];
for (const [name, value] of Object.entries(schema))
  if (is(value, SQLiteTable)) tables.push([name, value]);

/**
 * Every row of every labbook table, each table sorted, so two dumps are equal exactly when
 * the database holds the same data. Used to prove that a rejected write left nothing behind.
 */
export async function dumpTables(db: Db): Promise<Record<string, string[]>> {
  const entries = await Promise.all(
    tables.map(async ([name, table]) => {
      const rows: unknown[] = await db.orm.select().from(table);
      return [name, rows.map((row) => JSON.stringify(row)).sort()] as const;
    }),
  );
  return Object.fromEntries(entries);
}
