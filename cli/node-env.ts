/** Marks that labbook, not the user, chose NODE_ENV, so commands it runs get the user's environment back. */
const marker = "LABBOOK_DEFAULTED_NODE_ENV";

export function defaultNodeEnv(): void {
  if (process.env.NODE_ENV !== undefined) return;
  process.env.NODE_ENV = "production";
  process.env[marker] = "1";
}

/** The environment as the user gave it, for the commands `labbook run` starts. */
export function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (env[marker]) {
    delete env.NODE_ENV;
    delete env[marker];
  }
  return env;
}
