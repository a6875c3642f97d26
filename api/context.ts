import type { BatchLimits, Db } from "../db/index.ts";
import { createLoaders, type Loaders } from "./loaders.ts";

/** What every resolver gets: the store, this request's DataLoaders, and the server's limits. */
export interface Context {
  db: Db;
  loaders: Loaders;
  batchLimits: BatchLimits;
}

export function createContext(db: Db, batchLimits: BatchLimits): Context {
  return { db, loaders: createLoaders(db), batchLimits };
}
