/**
 * Projects: MLflow's `MLproject` format (entry points, typed parameters, command templates)
 * and what it takes to run one reproducibly — the resolved command, its provenance, its
 * output. Pure of the tracking store: `labbook run` (cli/) records the run.
 */
export * from "./command.ts";
export * from "./errors.ts";
export * from "./mlproject.ts";
export * from "./output-tail.ts";
export * from "./parameters.ts";
export * from "./plan.ts";
export * from "./provenance.ts";
export * from "./run-command.ts";
export * from "./shell-quote.ts";
