import type { ChildProcess } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selectBackend, startRun } from "../../client/index.ts";
import { runCli, type ServerProcess, spawnCli, startServer } from "../support/server-process.ts";
import { mnistDigits } from "./mnist-data.ts";

/** A 784-64-10 classifier trained briefly on 3,000 real MNIST digits. */
async function trainMnist(): Promise<tf.Sequential> {
  const train = mnistDigits(3000);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 64, activation: "relu" }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.003), loss: "categoricalCrossentropy" });
  const xs = tf.tensor2d(train.images);
  const ys = tf.oneHot(tf.tensor1d(train.labels, "int32"), 10).toFloat();
  await model.fit(xs, ys, { epochs: 6, batchSize: 64, shuffle: true, verbose: 0 });
  tf.dispose([xs, ys]);
  return model;
}

interface Served {
  child: ChildProcess;
  url: string;
  line: Record<string, unknown>;
}

/** `labbook models serve <uri> --port 0 --json`, resolved once it prints its line. */
async function serve(uri: string, trackingUri: string): Promise<Served> {
  const child = spawnCli([
    "models",
    "serve",
    uri,
    "--port",
    "0",
    "--json",
    "--tracking-uri",
    trackingUri,
  ]);
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk) => {
      stdout += chunk;
      const end = stdout.indexOf("\n");
      if (end >= 0) resolve(stdout.slice(0, end));
    });
    child.once("exit", (code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
  });
  const parsed = JSON.parse(line) as Record<string, unknown>;
  return { child, url: String(parsed.url), line: parsed };
}

async function post(url: string, body: string, contentType = "application/json") {
  const response = await fetch(`${url}/invocations`, {
    method: "POST",
    headers: { "content-type": contentType },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const argmax = (rows: number[][]) => rows.map((row) => row.indexOf(Math.max(...row)));

describe("labbook models serve models:/mnist_classifier@champion", () => {
  let tracking: ServerProcess;
  let served: Served;
  let expected: number[][];
  const test = mnistDigits(100, 500);

  beforeAll(async () => {
    // Not the per-test server of test/client/support.ts: this one outlives each test.
    tracking = await startServer();
    await selectBackend({ prefer: "wasm" });
    const run = await startRun({ trackingUri: tracking.info.url, experiment: "mnist-serving" });
    const model = await trainMnist();
    expected = (model.predict(tf.tensor2d(test.images)) as tf.Tensor).arraySync() as number[][];
    // Two versions: the champion is the first, so the alias (not `latest`) decides.
    const first = await run.logModel(model, {
      inputExample: test.images.slice(0, 2),
      registeredModelName: "mnist_classifier",
    });
    expect(first.registeredModelVersion?.version).toBe(1);
    const untrained = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [784], units: 10, activation: "softmax" })],
    });
    await run.logModel(untrained, {
      artifactPath: "untrained",
      registeredModelName: "mnist_classifier",
    });
    await run.end();
    const alias = await runCli([
      "models",
      "alias",
      "mnist_classifier",
      "champion",
      "1",
      "--tracking-uri",
      tracking.info.url,
      "--json",
    ]);
    expect(alias.code, alias.stderr).toBe(0);
    expect(JSON.parse(alias.stdout)).toMatchObject({ alias: "champion", version: 1 });
    served = await serve("models:/mnist_classifier@champion", tracking.info.url);
  }, 120_000);

  afterAll(async () => {
    served?.child.kill("SIGTERM");
    await tracking?.stop();
  });

  it("answers /ping, /health and /version", async () => {
    for (const path of ["/ping", "/health"]) {
      const response = await fetch(`${served.url}${path}`);
      expect(response.status, path).toBe(200);
    }
    const version = (await (await fetch(`${served.url}/version`)).json()) as Record<
      string,
      unknown
    >;
    expect(version).toMatchObject({
      model_uri: "models:/mnist_classifier@champion",
      registered_model: { name: "mnist_classifier", version: 1 },
      signature: {
        inputs: [{ dtype: "float32", shape: [-1, 784] }],
        outputs: [{ dtype: "float32", shape: [-1, 10] }],
      },
    });
    expect(served.line).toMatchObject({
      registeredModel: { name: "mnist_classifier", version: 1 },
    });
  });

  it("gets the right digits back for real MNIST images, in every body format", async () => {
    const inputs = await post(served.url, JSON.stringify({ inputs: test.images }));
    expect(inputs.status).toBe(200);
    const predictions = inputs.body.predictions as number[][];
    expect(predictions).toHaveLength(100);
    const digits = argmax(predictions);
    // The model that was logged, run in this process, agrees on every image…
    expect(digits).toEqual(argmax(expected));
    for (const [i, row] of predictions.entries())
      for (const [k, p] of row.entries()) expect(p).toBeCloseTo(expected[i]?.[k] ?? Number.NaN, 4);
    // …and is right on most real digits it never saw (their labels are MNIST's).
    const correct = digits.filter((d, i) => d === test.labels[i]).length;
    console.log(`served mnist_classifier@champion: ${correct}/100 digits right`);
    expect(correct).toBeGreaterThanOrEqual(85);

    const instances = await post(
      served.url,
      JSON.stringify({ instances: test.images.slice(0, 10) }),
    );
    expect(instances.status).toBe(200);
    expect(argmax(instances.body.predictions as number[][])).toEqual(digits.slice(0, 10));
    const split = await post(
      served.url,
      JSON.stringify({
        dataframe_split: {
          columns: Array.from({ length: 784 }, (_, i) => `pixel${i}`),
          data: test.images.slice(0, 10),
        },
      }),
    );
    expect(split.status).toBe(200);
    expect(argmax(split.body.predictions as number[][])).toEqual(digits.slice(0, 10));
  });

  it("says what is wrong with a bad request: 400 for the shape and dtype, 415 for non-JSON", async () => {
    const shape = await post(served.url, JSON.stringify({ inputs: [[0.1, 0.2, 0.3]] }));
    expect(shape.status).toBe(400);
    expect(shape.body).toMatchObject({ error_code: "BAD_REQUEST" });
    expect(shape.body.message).toMatch(/shape \[-1, 784\]; got \[1, 3\]/);

    const rank = await post(served.url, JSON.stringify({ inputs: test.images[0] }));
    expect(rank.status).toBe(400);
    expect(rank.body.message).toMatch(/must have 2 dimensions/);

    const dtype = await post(
      served.url,
      JSON.stringify({ inputs: [["a", ...(test.images[0] ?? []).slice(1)]] }),
    );
    expect(dtype.status).toBe(400);
    expect(dtype.body.message).toMatch(
      /inputs\[0\]\[0\]: .*dtype float32 and takes numbers; got "a"/,
    );

    const ragged = await post(
      served.url,
      JSON.stringify({ inputs: [test.images[0], test.images[1]?.slice(1)] }),
    );
    expect(ragged.status).toBe(400);
    expect(ragged.body.message).toMatch(/ragged/);

    const columns = await post(
      served.url,
      JSON.stringify({ dataframe_split: { columns: ["a", "b"], data: [[1, 2]] } }),
    );
    expect(columns.status).toBe(400);
    expect(columns.body.message).toMatch(/2 columns; the model takes 784/);

    const noKey = await post(served.url, JSON.stringify({ data: [] }));
    expect(noKey.status).toBe(400);
    expect(noKey.body.message).toMatch(/inputs, instances, dataframe_split/);

    const notJson = await post(served.url, "{ inputs: [", "application/json");
    expect(notJson.status).toBe(400);
    expect(notJson.body.message).toMatch(/not JSON/);

    const csv = await post(served.url, "1,2,3\n", "text/csv");
    expect(csv.status).toBe(415);
    expect(csv.body.message).toMatch(/content type 'text\/csv' is not supported/);
  });

  it("lists models and versions from the command line", async () => {
    const list = await runCli(["models", "list", "--json", "--tracking-uri", tracking.info.url]);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([
      {
        name: "mnist_classifier",
        latestVersion: { version: 2 },
        aliases: [{ alias: "champion", version: 1 }],
      },
    ]);
    const versions = await runCli([
      "models",
      "versions",
      "mnist_classifier",
      "--tracking-uri",
      tracking.info.url,
    ]);
    expect(versions.code, versions.stderr).toBe(0);
    expect(versions.stdout).toMatch(/VERSION.*\n2 .*\n1 +champion/);
    const reserved = await runCli([
      "models",
      "alias",
      "mnist_classifier",
      "latest",
      "1",
      "--tracking-uri",
      tracking.info.url,
    ]);
    expect(reserved.code).toBe(1);
    expect(reserved.stderr).toMatch(/reserved/);
    const help = await runCli(["models", "--help"]);
    expect(help.stdout).toMatch(/labbook models serve <uri> \[--host 127.0.0.1\] \[--port 5001\]/);
  });
});
