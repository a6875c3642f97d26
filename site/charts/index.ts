/** Chart specs: pure functions returning Vega-Lite specs; data goes beside them. */
export * from "./data.ts";
export * from "./encoding.ts";
export * from "./metric-lines.ts";
export * from "./param-scatter.ts";
export * from "./smoothing.ts";
