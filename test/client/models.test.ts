import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  downloadModel,
  type LabbookError,
  loadModel,
  parseModelUri,
  registerModel,
  setModelAlias,
  startRun,
} from "../../client/index.ts";
import { gqlData } from "../support/gql.ts";
import { tempDir } from "../support/temp-dir.ts";
import { server } from "./support.ts";

/** A small trained classifier: 6 features, 3 classes, two dense layers. */
async function trainedModel(): Promise<{ model: tf.Sequential; xs: tf.Tensor2D }> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [6], units: 16, activation: "relu" }),
      tf.layers.dense({ units: 3, activation: "softmax" }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" });
  const xs = tf.randomNormal([64, 6], 0, 1, "float32", 7) as tf.Tensor2D;
  const ys = tf.oneHot(tf.randomUniform([64], 0, 3, "int32", 8) as tf.Tensor1D, 3).toFloat();
  await model.fit(xs, ys, { epochs: 3, verbose: 0 });
  ys.dispose();
  return { model, xs };
}

async function rejection(promise: Promise<unknown>): Promise<LabbookError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!error) throw new Error("expected a rejection");
  return error as LabbookError;
}

describe("logModel and loadModel, against a real server", () => {
  it("logs an MLflow-like model folder, registers it, and loads it back predicting the same", async () => {
    const { info } = await server();
    const options = { trackingUri: info.url };
    const run = await startRun({ ...options, experiment: "models" });
    const { model, xs } = await trainedModel();
    const expected = (model.predict(xs) as tf.Tensor).arraySync();

    const logged = await run.logModel(model, {
      inputExample: xs.slice([0, 0], [2, 6]),
      registeredModelName: "sdk_model",
    });
    expect(logged.modelUri).toBe(`runs:/${run.id}/model`);
    expect(logged.files.map((f) => f.path).sort()).toEqual([
      "model/MLmodel",
      "model/group1-shard1of1.bin",
      "model/input_example.json",
      "model/model.json",
      "model/package.json",
    ]);
    // The MLmodel file goes last: a folder with one is whole.
    expect(logged.files.at(-1)?.path).toBe("model/MLmodel");
    expect(logged.registeredModelVersion).toMatchObject({
      name: "sdk_model",
      version: 1,
      source: `runs:/${run.id}/model`,
      runId: run.id,
      status: "READY",
    });

    // The folder as a reader sees it.
    const { dir } = await downloadModel(logged.modelUri, tempDir(), options);
    const mlmodel = parse(readFileSync(join(dir, "MLmodel"), "utf8"));
    expect(mlmodel).toMatchObject({
      artifact_path: "model",
      run_id: run.id,
      model_uuid: expect.stringMatching(/^[0-9a-f]{32}$/),
      utc_time_created: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/),
      model_size_bytes: logged.modelSizeBytes,
      flavors: {
        tfjs: {
          format: "layers-model",
          tfjs_version: tf.version.tfjs,
          backend: tf.getBackend(),
          model_file: "model.json",
        },
      },
      saved_input_example_info: { artifact_path: "input_example.json", type: "ndarray" },
      env: { node: process.versions.node, npm: "package.json" },
    });
    expect(JSON.parse(mlmodel.signature.inputs)).toEqual([
      {
        type: "tensor",
        "tensor-spec": { dtype: "float32", shape: [-1, 6] },
        name: expect.any(String),
      },
    ]);
    expect(JSON.parse(mlmodel.signature.outputs)).toEqual([
      {
        type: "tensor",
        "tensor-spec": { dtype: "float32", shape: [-1, 3] },
        name: expect.any(String),
      },
    ]);
    const sizes = ["model.json", "group1-shard1of1.bin", "package.json", "input_example.json"]
      .map((file) => readFileSync(join(dir, file)).length)
      .reduce((a, b) => a + b);
    expect(mlmodel.model_size_bytes).toBe(sizes);
    const example = JSON.parse(readFileSync(join(dir, "input_example.json"), "utf8"));
    expect(example).toEqual({ inputs: xs.slice([0, 0], [2, 6]).arraySync() });
    const environment = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(environment.engines).toEqual({ node: process.versions.node });
    expect(environment.dependencies["@tensorflow/tfjs"]).toBe(tf.version.tfjs);

    // Loaded by every kind of URI, it predicts exactly what the original did.
    await setModelAlias("sdk_model", "champion", 1, options);
    for (const uri of [
      logged.modelUri,
      "models:/sdk_model/1",
      "models:/sdk_model@champion",
      "models:/sdk_model@latest",
      "models:/sdk_model/latest",
    ]) {
      const loaded = await loadModel<tf.LayersModel>(uri, options);
      expect((loaded.predict(xs) as tf.Tensor).arraySync(), uri).toEqual(expected);
      loaded.dispose();
    }

    // A second version; the alias moves only when set.
    const second = await run.logModel(model, { artifactPath: "models/v2" });
    const v2 = await registerModel(second.modelUri, "sdk_model", options);
    expect(v2.version).toBe(2);
    const resolved = await gqlData<{ modelVersion: { version: number } }>(
      info.url,
      `{ modelVersion(name: "sdk_model", alias: "champion") { version } }`,
    );
    expect(resolved.modelVersion.version).toBe(1);
    expect((await setModelAlias("sdk_model", "champion", 2, options)).aliases).toEqual([
      "champion",
    ]);
    await run.end();
    model.dispose();
    xs.dispose();
  });

  it("names what is wrong with a URI, a missing version and a reserved alias", async () => {
    const { info } = await server();
    const options = { trackingUri: info.url };
    expect(parseModelUri("models:/a@champion")).toEqual({
      kind: "alias",
      name: "a",
      alias: "champion",
    });
    expect(() => parseModelUri("s3://bucket/model")).toThrow(/not a model URI/);
    const missing = await rejection(loadModel("models:/nothing/1", options));
    expect(missing.message).toMatch(/no such model version/);
    const run = await startRun({ ...options, experiment: "models" });
    const { model } = await trainedModel();
    await run.logModel(model, { registeredModelName: "reserved_test" });
    const reserved = await rejection(setModelAlias("reserved_test", "latest", 1, options));
    expect(reserved.message).toMatch(/reserved/);
    const notModel = await rejection(registerModel(`runs:/${run.id}/nothing`, "x", options));
    expect(notModel.message).toMatch(/no model at 'nothing'/);
    await run.end();
  });
});
