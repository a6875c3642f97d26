/**
 * Every environment variable labbook reads, in one place: commands read them here and
 * nowhere else, and flags override them.
 */
export const envVars = {
  LABBOOK_TRACKING_URI:
    "Base URL of a labbook server (http://127.0.0.1:4000; /graphql also accepted).",
  LABBOOK_DB_URL:
    "Database: a file path or file: URL (default ./labbook.db), or http:// / libsql:// of a libSQL server.",
  LABBOOK_DB_AUTH_TOKEN: "Auth token for a libSQL server (Turso, sqld with JWT).",
  LABBOOK_ARTIFACTS:
    "Artifact root for new experiments: a directory (default ./artifacts) or s3://bucket/prefix.",
  LABBOOK_TOKEN: "API token: the server requires 'Authorization: Bearer <token>'; clients send it.",
  LABBOOK_HOST: "Address the server listens on (default 127.0.0.1).",
  LABBOOK_PORT: "Port the server listens on (default 4000; 0 picks a free one).",
} as const;

export type EnvVar = keyof typeof envVars;

export function readEnv(name: EnvVar): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

/** `--flag` when given, else the variable, else the default. */
export function flagOrEnv(
  flag: string | undefined,
  name: EnvVar,
  fallback?: string,
): string | undefined {
  return flag ?? readEnv(name) ?? fallback;
}

export function envHelp(names: readonly EnvVar[]): string {
  const width = Math.max(...names.map((name) => name.length));
  return names.map((name) => `  ${name.padEnd(width)}  ${envVars[name]}`).join("\n");
}
