import { mkdirSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { flagOrEnv } from "./env.ts";

/** Where the data lives, from flags and variables: the database and the artifact root. */
export interface StorageConfig {
  dbUrl: string;
  dbAuthToken: string | undefined;
  /** A URI; local directories become `file:` URIs. */
  artifactRoot: string;
  /** The local artifact directory, when the root is one. */
  artifactDir: string | undefined;
}

export const storageOptions = {
  db: { type: "string" },
  "db-auth-token": { type: "string" },
  artifacts: { type: "string" },
} as const;

export function storageConfig(values: {
  db?: string | undefined;
  "db-auth-token"?: string | undefined;
  artifacts?: string | undefined;
}): StorageConfig {
  const dbUrl = flagOrEnv(values.db, "LABBOOK_DB_URL", "labbook.db") ?? "labbook.db";
  const artifacts = flagOrEnv(values.artifacts, "LABBOOK_ARTIFACTS", "artifacts") ?? "artifacts";
  const isUri = /^[a-z][a-z0-9+.-]+:/i.test(artifacts) && !isAbsolute(artifacts);
  const artifactDir = isUri
    ? artifacts.startsWith("file:")
      ? new URL(artifacts).pathname
      : undefined
    : resolve(artifacts);
  return {
    dbUrl,
    dbAuthToken: flagOrEnv(values["db-auth-token"], "LABBOOK_DB_AUTH_TOKEN"),
    artifactRoot: artifactDir ? pathToFileURL(artifactDir).href : artifacts,
    artifactDir,
  };
}

export function ensureArtifactDir(config: StorageConfig): void {
  if (config.artifactDir) mkdirSync(config.artifactDir, { recursive: true });
}
