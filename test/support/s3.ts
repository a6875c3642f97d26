import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll } from "vitest";
import { tempDir } from "./temp-dir.ts";

/**
 * An S3-compatible server for tests (s3rver, in this process) on 127.0.0.1 with its own
 * empty directory and one bucket. Requests can be made to fail on demand (the connection is
 * cut), to play an object storage that goes away halfway through a job.
 */
export interface S3Server {
  endpoint: string;
  bucket: string;
  /** Where s3rver keeps the objects. */
  dir: string;
  /** The AWS variables a labbook process needs to reach this server. */
  env: Record<string, string>;
  /** A client for the tests' own checks (never through the failing switch). */
  client: S3Client;
  /** Requests seen so far, as `METHOD path?query`. */
  requests: string[];
  /** From now on, cut every request for which `predicate` holds. */
  failWhen(predicate: (request: IncomingMessage) => boolean): void;
  /** Stop failing requests. */
  heal(): void;
  stop(): Promise<void>;
}

export const s3Credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export function s3TestClient(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: s3Credentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/**
 * s3rver's multi-object delete removes the keys concurrently, and each removal then cleans up
 * the folders it emptied with a `readdirSync` that fails when a sibling removal took the
 * folder first (an InternalError for the whole request). Real S3 has no folders; one removal
 * at a time keeps the test server from failing on its own.
 */
function serializeDeletes(s3rver: S3rver): void {
  const store = (
    s3rver as unknown as { store: { deleteObject(b: string, k: string): Promise<void> } }
  ).store;
  const deleteObject = store.deleteObject.bind(store);
  let tail: Promise<unknown> = Promise.resolve();
  store.deleteObject = (bucket, key) => {
    const done = tail.then(() => deleteObject(bucket, key));
    tail = done.catch(() => {});
    return done;
  };
}

export async function startS3(bucket = "labbook-test"): Promise<S3Server> {
  const dir = tempDir("labbook-s3-");
  const s3rver = new S3rver({ directory: dir, silent: true });
  serializeDeletes(s3rver);
  const handle = s3rver.callback();
  let failing: ((request: IncomingMessage) => boolean) | undefined;
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    if (failing?.(request)) {
      request.socket.destroy();
      return;
    }
    handle(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = s3TestClient(endpoint);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint,
    bucket,
    dir,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: s3Credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3Credentials.secretAccessKey,
      AWS_REGION: "us-east-1",
      // A failure is reported at once instead of after the SDK's retries.
      AWS_MAX_ATTEMPTS: "1",
    },
    client,
    requests,
    failWhen(predicate) {
      failing = predicate;
    },
    heal() {
      failing = undefined;
    },
    async stop() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The two stores a server can keep artifacts in, for `describe.each`: a local folder, and a
 * prefix of a bucket on an s3rver started before the file's tests (and stopped after).
 *
 * @example
 * describe.each(artifactStoreKinds("sdk"))("artifacts, $name store", (kind) => { … });
 */
export function artifactStoreKinds(prefix: string) {
  let s3: S3Server | undefined;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.stop();
  });
  const started = () => {
    if (!s3) throw new Error("s3rver is not started yet");
    return s3;
  };
  return [
    {
      name: "local",
      artifacts: () => join(tempDir(), "artifacts"),
      env: (): Record<string, string> => ({}),
    },
    {
      name: "s3",
      artifacts: () => `s3://${started().bucket}/${prefix}`,
      env: (): Record<string, string> => started().env,
    },
  ];
}
