import type { ObjectRef } from "@pothos/core";
import { invalid } from "../../db/index.ts";
import { builder, type Types } from "../builder.ts";

/** Page sizes of every list: Relay connections with a default page of 100, at most 1,000. */
export const defaultPageSize = 100;
export const maxPageSize = 1000;

export interface Page<T> {
  items: T[];
  offset: number;
  totalCount: number;
}

/** Cursors are opaque to clients; inside they hold the offset of the item after which to go on. */
export const encodeCursor = (offset: number): string =>
  Buffer.from(`offset:${offset}`).toString("base64url");

export function decodeCursor(cursor: string): number {
  const match = /^offset:(\d+)$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!match) throw invalid("after", `'${cursor}' is not a cursor returned by this API`);
  return Number(match[1]);
}

export interface PageArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
}

/** Translates Relay's `first`/`after` into a limit and offset, checking both. */
export function pageWindow(args: PageArgs): { limit: number; offset: number } {
  const limit = args.first ?? defaultPageSize;
  if (!Number.isInteger(limit) || limit < 0 || limit > maxPageSize)
    throw invalid("first", `must be between 0 and ${maxPageSize} (got ${limit})`);
  const offset = args.after ? decodeCursor(args.after) + 1 : 0;
  return { limit, offset };
}

export const PageInfoRef = builder.objectRef<Page<unknown>>("PageInfo").implement({
  description: "Where a page sits in its list (Relay).",
  fields: (t) => ({
    hasNextPage: t.boolean({
      description: "Whether items follow this page.",
      resolve: (page) => page.offset + page.items.length < page.totalCount,
    }),
    hasPreviousPage: t.boolean({
      description: "Whether items precede this page.",
      resolve: (page) => page.offset > 0,
    }),
    startCursor: t.string({
      description: "Cursor of the first item of the page, null when the page is empty.",
      nullable: true,
      resolve: (page) => (page.items.length > 0 ? encodeCursor(page.offset) : null),
    }),
    endCursor: t.string({
      description: "Cursor of the last item of the page: pass it as `after` for the next page.",
      nullable: true,
      resolve: (page) =>
        page.items.length > 0 ? encodeCursor(page.offset + page.items.length - 1) : null,
    }),
  }),
});

/** Declares `<Name>Connection` and `<Name>Edge` for a node type. */
export function connectionType<T extends object>(
  name: string,
  node: ObjectRef<Types, T>,
  description: string,
) {
  const edge = builder.objectRef<{ node: T; cursor: string }>(`${name}Edge`).implement({
    description: `One ${name} in a list, with its cursor.`,
    fields: (t) => ({
      // Pothos' resolver type is conditional on T, which TypeScript cannot evaluate for a
      // generic T; every caller passes a concrete object type.
      node: t.field({ type: node, description: `The ${name}.`, resolve: (e) => e.node as never }),
      cursor: t.exposeString("cursor", {
        description: "Pass as `after` to list what follows this item.",
      }),
    }),
  });
  return builder.objectRef<Page<T>>(`${name}Connection`).implement({
    description,
    fields: (t) => ({
      totalCount: t.exposeInt("totalCount", {
        description: "How many items the whole list holds.",
      }),
      pageInfo: t.field({
        type: PageInfoRef,
        description: "Where this page sits.",
        resolve: (page) => page,
      }),
      edges: t.field({
        type: [edge],
        description: "The items of this page with their cursors.",
        resolve: (page) =>
          page.items.map((item, i) => ({ node: item, cursor: encodeCursor(page.offset + i) })),
      }),
      nodes: t.field({
        type: [node],
        description: "The items of this page.",
        resolve: (page) => page.items as never,
      }),
    }),
  });
}
