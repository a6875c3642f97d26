import { describe, expect, it } from "vitest";
import { demoSummary } from "../../cli/demo-summary.ts";

const outcome = {
  dir: "/home/me/labbook-demo",
  paths: {
    db: "/home/me/labbook-demo/labbook.db",
    artifacts: "/home/me/labbook-demo/artifacts",
    report: "/home/me/labbook-demo/report",
  },
  comparisonStem: "mnist-demo",
  champion: { runId: "a".repeat(32), runName: "demo-64-3e-3", valAcc: 0.946, version: 2 },
  experiment: "mnist",
  seconds: 48,
  cwd: "/home/me",
};
const serveCommand =
  "npx labbook server --db labbook-demo/labbook.db --artifacts labbook-demo/artifacts --report labbook-demo/report";

describe("the demo's closing output", () => {
  it("names the live URLs while it serves", () => {
    const { json, lines } = demoSummary({ ...outcome, url: "http://127.0.0.1:4000" });
    expect(json).toMatchObject({
      report: "http://127.0.0.1:4000/",
      comparison: "http://127.0.0.1:4000/compare/mnist-demo/",
      graphql: "http://127.0.0.1:4000/graphql",
    });
    const text = lines.join("\n");
    expect(text).toContain("ready in 48 s");
    expect(text).toContain("Ctrl-C stops the server");
    expect(text).toContain(serveCommand);
  });

  it("with --no-serve, names where the report was written and how to serve it, and no URL", () => {
    const { json, lines } = demoSummary({ ...outcome, url: undefined });
    expect(json).toEqual({
      reportDir: "/home/me/labbook-demo/report",
      comparisonPage: "/home/me/labbook-demo/report/compare/mnist-demo/index.html",
      champion: "models:/mnist_classifier@champion",
      dir: "/home/me/labbook-demo",
      seconds: 48,
      serve: serveCommand,
    });
    const text = lines.join("\n");
    expect(text).toContain("labbook-demo/report/index.html");
    expect(text).toContain("labbook-demo/report/compare/mnist-demo/index.html");
    expect(text).toContain(serveCommand);
    expect(text).not.toMatch(/ready|https?:\/\/|Ctrl-C|report \(live\)/);
  });
});
