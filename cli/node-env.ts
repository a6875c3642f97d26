import { delimiter, dirname } from "node:path";

/** Marks that labbook, not the user, chose NODE_ENV, so commands it runs get the user's environment back. */
const marker = "LABBOOK_DEFAULTED_NODE_ENV";

export function defaultNodeEnv(): void {
  if (process.env.NODE_ENV !== undefined) return;
  process.env.NODE_ENV = "production";
  process.env[marker] = "1";
}

/**
 * The environment as the user gave it, for the commands `labbook run` starts — with the
 * Node running labbook first on PATH, so a project's `node train.ts` runs on the same Node
 * (one that runs TypeScript) even when an older system Node comes first.
 */
export function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (env[marker]) {
    delete env.NODE_ENV;
    delete env[marker];
  }
  env.PATH = [dirname(process.execPath), env.PATH].filter(Boolean).join(delimiter);
  return env;
}
