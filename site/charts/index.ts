/** Chart specs: pure functions returning Vega-Lite specs; data goes beside them. */
export * from "./best-value-bars.ts";
export * from "./data.ts";
export * from "./encoding.ts";
export * from "./format.ts";
export * from "./group-bands.ts";
export * from "./metric-lines.ts";
export * from "./parallel-coordinates.ts";
export * from "./param-scatter.ts";
export * from "./smoothing.ts";
