import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startRun } from "../client/index.ts";
import { benchDir, format, startServer } from "./support.ts";

const calls = 100_000;
const rounds = 25;

/** The training loop without tracking: some arithmetic the JIT cannot drop. */
function baseline(offset: number): number {
  let sum = 0;
  for (let i = 0; i < calls; i++) {
    const loss = 1 / (offset + i + 1);
    sum += loss;
  }
  return sum;
}

/** The same loop, logging each value the way training code does. */
function withLogging(
  run: { logMetric(key: string, value: number, options: { step: number }): void },
  offset: number,
): number {
  let sum = 0;
  for (let i = 0; i < calls; i++) {
    const loss = 1 / (offset + i + 1);
    sum += loss;
    run.logMetric("loss", loss, { step: offset + i });
  }
  return sum;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/**
 * What `logMetric` costs the training loop: 100k calls in a loop against the same loop
 * without logging, both measured here, alternately, against a real `labbook server`. The
 * logging side includes everything `logMetric` does while the loop runs (buffering, and cutting
 * a batch every 5,000 points); encoding and sending happen between rounds (`flush`), as they
 * do while a real loop awaits its next batch of data, and are reported apart as CPU time.
 */
export async function benchSdkOverhead(): Promise<string[]> {
  const { dir, cleanup } = benchDir();
  const server = await startServer(join(dir, "labbook.db"), join(dir, "artifacts"));
  try {
    const run = await startRun({ trackingUri: server.url, experiment: "sdk-overhead" });
    const base: number[] = [];
    const logged: number[] = [];
    const sending: number[] = [];
    let sink = 0;
    for (let round = 0; round < rounds; round++) {
      const offset = round * calls;
      let start = performance.now();
      sink += baseline(offset);
      base.push(performance.now() - start);
      start = performance.now();
      sink += withLogging(run, offset);
      logged.push(performance.now() - start);
      // What the SDK then does on this process's CPU: encoding and sending the batches.
      const cpu = process.cpuUsage();
      await run.flush();
      const used = process.cpuUsage(cpu);
      sending.push((used.user + used.system) / 1000);
    }
    await run.end();
    const stats = run.stats();
    if (stats.sent !== rounds * calls) throw new Error(`sent ${stats.sent} of ${rounds * calls}`);
    // The first rounds warm the JIT up; compare the steady state.
    const steadyBase = base.slice(5);
    const steadyLogged = logged.slice(5);
    const perCallNs = (ms: number) => (ms * 1e6) / calls;
    const medianOverhead = perCallNs(median(steadyLogged) - median(steadyBase));
    const bestOverhead = perCallNs(Math.min(...steadyLogged) - Math.min(...steadyBase));
    const sendingNs = perCallNs(median(sending.slice(5)));
    return [
      `sdk overhead: ${format(calls)} logMetric calls in a loop, ${rounds - 5} rounds after 5 warm-up rounds (sum ${sink.toFixed(3)})`,
      `  loop alone:        median ${format(median(steadyBase), 2)} ms, best ${format(Math.min(...steadyBase), 2)} ms`,
      `  loop + logMetric:  median ${format(median(steadyLogged), 2)} ms, best ${format(Math.min(...steadyLogged), 2)} ms`,
      `  logMetric costs the caller ${format(medianOverhead, 1)} ns per call (median; best ${format(bestOverhead, 1)} ns) — target < 1,000 ns`,
      `  encoding and sending, later and off the loop: ${format(sendingNs, 1)} ns of this process's CPU per point (median)`,
    ];
  } finally {
    await server.stop();
    cleanup();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  for (const line of await benchSdkOverhead()) console.log(line);
