import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import * as tf from "@tensorflow/tfjs";
import { selectBackend, setModelAlias, startRun } from "../client/index.ts";
import { benchDir, format, root, startServer } from "./support.ts";

/**
 * `/invocations` of `labbook models serve models:/mnist_classifier@champion` (a separate
 * process, as a user runs it) with a batch of 100 real MNIST digits as `{"inputs": …}`:
 * latency (sequential requests: p50, p95, p99) and throughput (4 clients at once), beside the
 * same prediction made in this process (tensor from the arrays, predict, read back) — what
 * HTTP and JSON add. Run it alone: `node bench/serving.ts`.
 */

const batch = 100;
const warmup = 20;
const sequential = 200;
const clients = 4;
const throughputMs = 5000;

function mnistBatch(): number[][] {
  const byClass = createRequire(import.meta.url)("mnist") as { raw: number[] }[];
  const pixels = 28 * 28;
  return Array.from({ length: batch }, (_, i) => {
    const raw = byClass[i % 10]?.raw ?? [];
    const index = 600 + Math.floor(i / 10);
    return raw.slice(index * pixels, (index + 1) * pixels);
  });
}

/** The example's classifier (784-128-10), trained a little on other real digits. */
async function trainedModel(): Promise<tf.Sequential> {
  const byClass = createRequire(import.meta.url)("mnist") as { raw: number[] }[];
  const pixels = 28 * 28;
  const images: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const raw = byClass[i % 10]?.raw ?? [];
    const index = Math.floor(i / 10);
    images.push(raw.slice(index * pixels, (index + 1) * pixels));
    labels.push(i % 10);
  }
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 128, activation: "relu" }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.003), loss: "categoricalCrossentropy" });
  const xs = tf.tensor2d(images);
  const ys = tf.oneHot(tf.tensor1d(labels, "int32"), 10).toFloat();
  await model.fit(xs, ys, { epochs: 3, batchSize: 64, verbose: 0 });
  tf.dispose([xs, ys]);
  return model;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

export async function benchServing(): Promise<string[]> {
  const { dir, cleanup } = benchDir();
  const tracking = await startServer(join(dir, "labbook.db"), join(dir, "artifacts"));
  const backend = await selectBackend({ prefer: "tensorflow" });
  const model = await trainedModel();
  const run = await startRun({ trackingUri: tracking.url, experiment: "bench-serving" });
  const logged = await run.logModel(model, { registeredModelName: "mnist_classifier" });
  await run.end();
  const version = logged.registeredModelVersion?.version ?? 1;
  await setModelAlias("mnist_classifier", "champion", version, { trackingUri: tracking.url });

  const child = spawn(
    process.execPath,
    [
      join(root, "cli/labbook.ts"),
      "models",
      "serve",
      "models:/mnist_classifier@champion",
      "--port",
      "0",
      "--json",
      "--backend",
      backend,
      "--tracking-uri",
      tracking.url,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`labbook models serve exited with ${code}`)));
      createInterface({ input: child.stdout! }).once("line", (line) =>
        resolve((JSON.parse(line) as { url: string }).url),
      );
    });
    const images = mnistBatch();
    const body = JSON.stringify({ inputs: images });
    const invoke = async () => {
      const response = await fetch(`${url}/invocations`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      const result = (await response.json()) as { predictions?: number[][] };
      if (response.status !== 200 || result.predictions?.length !== batch)
        throw new Error(
          `/invocations answered ${response.status}: ${JSON.stringify(result).slice(0, 200)}`,
        );
    };
    for (let i = 0; i < warmup; i++) await invoke();
    const latencies: number[] = [];
    for (let i = 0; i < sequential; i++) {
      const start = performance.now();
      await invoke();
      latencies.push(performance.now() - start);
    }
    latencies.sort((a, b) => a - b);

    let requests = 0;
    const deadline = performance.now() + throughputMs;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < deadline) {
          await invoke();
          requests++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;

    // The same prediction in this process: what serving adds is HTTP and JSON.
    const inProcess: number[] = [];
    for (let i = 0; i < warmup + sequential; i++) {
      const start = performance.now();
      tf.tidy(() => (model.predict(tf.tensor2d(images)) as tf.Tensor).arraySync());
      if (i >= warmup) inProcess.push(performance.now() - start);
    }
    inProcess.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const direct = percentile(inProcess, 50);
    return [
      `serving: POST /invocations, ${batch} MNIST digits per request (${format(body.length / 1024, 0)} KiB of JSON), backend ${backend}, 784-128-10 model`,
      `  latency (${sequential} sequential): p50 ${format(p50, 2)} ms, p95 ${format(percentile(latencies, 95), 2)} ms, p99 ${format(percentile(latencies, 99), 2)} ms`,
      `  throughput (${clients} clients, ${throughputMs / 1000} s): ${format(requests / seconds, 0)} requests/s = ${format((requests * batch) / seconds, 0)} images/s`,
      `  in-process predict of the same batch: p50 ${format(direct, 2)} ms (serving p50 is ${format(p50 / direct, 1)}x)`,
    ];
  } finally {
    child.kill("SIGTERM");
    await tracking.stop();
    model.dispose();
    cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`)
  for (const line of await benchServing()) console.log(line);
