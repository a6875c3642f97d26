import { spawn } from "node:child_process";
import { delimiter, dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { asRecord, readHistory, readRun, server } from "../client/support.ts";
import { gqlData } from "../support/gql.ts";
import { cliEnv, type Env, repoRoot, runCli } from "../support/server-process.ts";

/**
 * The MLproject's command is `node train.ts …`, found on PATH: make it the Node running the
 * tests (22; an older system Node cannot run .ts), whatever PATH the runner was started with.
 */
const nodeFirst = (): Env => ({
  PATH: [dirname(process.execPath), process.env.PATH].filter(Boolean).join(delimiter),
});

const numbers = (values: (number | string)[]) => values.map(Number);

interface Summary {
  runId: string;
  status: string;
  exitCode: number | null;
  experimentName: string;
  command: string;
}

describe("the MNIST example (examples/mnist)", () => {
  it("trains as a project under `labbook run` and logs the run it was given", async () => {
    const { info } = await server();
    const result = await runCli(
      [
        "run",
        "examples/mnist",
        "-P",
        "epochs=2",
        "-P",
        "batch_size=128",
        "--experiment",
        "mnist-e2e",
        "--tracking-uri",
        info.url,
        "--json",
      ],
      nodeFirst(),
    );
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary).toMatchObject({ status: "FINISHED", exitCode: 0, experimentName: "mnist-e2e" });
    expect(summary.command).toBe("node train.ts --batch-size 128 --epochs 2 --lr-init 1e-3");
    // One progress line per epoch on a pipe (no bar), then the best accuracy.
    expect(result.stderr).toMatch(/epoch 1\/2: loss [\d.]+ .*val_acc [\d.]+/);
    expect(result.stderr).toMatch(/epoch 2\/2: .*\n(?:.*\n)*best val_acc/);

    const run = await readRun(info.url, summary.runId);
    expect(run.status).toBe("FINISHED");
    // Declared params logged by `labbook run` as given; the script logs the same values again
    // (ignored: params are immutable) and a few of its own.
    expect(asRecord(run.params)).toMatchObject({
      batch_size: "128",
      epochs: "2",
      lr_init: "1e-3",
      hidden_units: "128",
      optimizer: "adam",
      lr_step_size: "1",
      train_size: "8000",
      val_size: "2000",
    });
    const tags = asRecord(run.tags);
    expect(tags["labbook.tfjs.backend"]).toMatch(/^(tensorflow|wasm|cpu)$/);
    expect(tags["labbook.exitCode"]).toBe("0");
    expect(tags["labbook.output.tail"]).toContain("best val_acc");

    // One point per epoch, at steps 0 and 1.
    for (const key of ["loss", "acc", "val_loss", "val_acc", "lr"]) {
      const { history } = await readHistory(info.url, run.id, key);
      expect(history.steps, key).toEqual([0, 1]);
    }
    const valAcc = numbers((await readHistory(info.url, run.id, "val_acc")).history.values);
    expect(valAcc.at(-1)).toBeGreaterThan(0.8);
    const loss = numbers((await readHistory(info.url, run.id, "loss")).history.values);
    expect(loss[1]).toBeLessThan(loss[0] as number);
    // StepLR: halved every max(1, ⌊2/4⌋) = 1 epoch.
    const lr = numbers((await readHistory(info.url, run.id, "lr")).history.values);
    expect(lr[0]).toBeCloseTo(1e-3, 10);
    expect(lr[1]).toBeCloseTo(5e-4, 10);
    const best = await readHistory(info.url, run.id, "best_val_acc");
    expect(best.count).toBe(1);
    expect(Number(best.history.values[0])).toBe(Math.max(...valAcc));
    expect(best.history.steps[0]).toBe(valAcc.indexOf(Math.max(...valAcc)));

    // The model is logged with the run and registered as mnist_classifier.
    expect(result.stderr).toMatch(
      new RegExp(`logged runs:/${run.id}/model; registered as mnist_classifier version 1`),
    );
    const { modelVersion } = await gqlData<{
      modelVersion: { runId: string; source: string; status: string } | null;
    }>(
      info.url,
      `{ modelVersion(name: "mnist_classifier", alias: "latest") { runId source status } }`,
    );
    expect(modelVersion).toEqual({
      runId: run.id,
      source: `runs:/${run.id}/model`,
      status: "READY",
    });
    const { run: files } = await gqlData<{ run: { artifacts: { path: string }[] } }>(
      info.url,
      `query ($id: ID!) { run(id: $id) { artifacts(path: "model") { path } } }`,
      { id: run.id },
    );
    expect(files.artifacts.map((a) => a.path).sort()).toEqual([
      "model/MLmodel",
      "model/group1-shard1of1.bin",
      "model/input_example.json",
      "model/model.json",
      "model/package.json",
    ]);
  });

  it("starts a run of its own when run directly", async () => {
    const { info } = await server();
    const child = spawn(
      process.execPath,
      ["examples/mnist/train.ts", "--epochs", "1", "--batch-size", "256", "--backend", "wasm"],
      {
        cwd: repoRoot,
        env: cliEnv({ LABBOOK_TRACKING_URI: info.url }),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(code, stderr).toBe(0);
    const runId = /backend \w+, run ([0-9a-f]{32})/.exec(stderr)?.[1];
    expect(runId, stderr).toBeDefined();

    const run = await readRun(info.url, runId as string);
    // Owned by the script, so ended by it.
    expect(run.status).toBe("FINISHED");
    expect(asRecord(run.params)).toMatchObject({ batch_size: "256", epochs: "1", lr_init: "1e-3" });
    expect(asRecord(run.tags)["labbook.tfjs.backend"]).toBe("wasm");
    const { history } = await readHistory(info.url, run.id, "val_acc");
    expect(history.steps).toEqual([0]);
    const experiment = await readRunExperiment(info.url, run.id);
    expect(experiment).toBe("mnist");
  });

  it("refuses bad arguments before starting a run", async () => {
    const child = spawn(process.execPath, ["examples/mnist/train.ts", "--epochs", "zero"], {
      cwd: repoRoot,
      // No server anywhere: the arguments are checked first, so none is looked for.
      env: cliEnv({ LABBOOK_TRACKING_URI: "http://127.0.0.1:9" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(code).toBe(2);
    expect(stderr).toContain("--epochs must be a whole number ≥ 1 (got 'zero')");
  });
});

async function readRunExperiment(url: string, id: string): Promise<string | undefined> {
  const data = await gqlData<{ run: { experiment: { name: string } } | null }>(
    url,
    "query ($id: ID!) { run(id: $id) { experiment { name } } }",
    { id },
  );
  return data.run?.experiment.name;
}
