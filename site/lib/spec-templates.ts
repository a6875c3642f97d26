import type { TopLevelSpec } from "vega-lite";
import { metricLinesSpec } from "../charts/metric-lines.ts";
import { paramScatterSpec } from "../charts/param-scatter.ts";

/**
 * Pages draw with compiled Vega specs, one per control setting. They differ between charts
 * only by the names in titles, so a report ships each once (`assets/chart-specs.js`) with
 * placeholders, and a chart names its template and its keys. Metric and param keys hold only
 * letters, digits and `_ - . / : space`, so putting them in the JSON text needs no escaping.
 */
export const metricPlaceholder = "__LABBOOK_METRIC__";
export const paramPlaceholder = "__LABBOOK_PARAM__";

/** A chart's template name and the keys that fill it. */
export interface TemplateRef {
  template: string;
  names: { metric: string; param?: string };
}

export const metricTemplate = (legend: boolean): string => `metric-${legend ? "legend" : "single"}`;
export const scatterTemplate = (numeric: boolean, logX: boolean): string =>
  `scatter-${numeric ? (logX ? "log" : "linear") : "nominal"}`;

/** Every template as Vega-Lite, by template name and then variant (`step-linear`, `time-log`…). */
export function templateSpecs(): Record<string, Record<string, TopLevelSpec>> {
  const templates: Record<string, Record<string, TopLevelSpec>> = {};
  for (const legend of [true, false]) {
    const variants: Record<string, TopLevelSpec> = {};
    for (const x of ["step", "time"] as const)
      for (const scale of ["linear", "log"] as const)
        variants[`${x}-${scale}`] = metricLinesSpec({
          metric: metricPlaceholder,
          x,
          logY: scale === "log",
          legend,
        });
    templates[metricTemplate(legend)] = variants;
  }
  for (const [numeric, logX] of [
    [true, true],
    [true, false],
    [false, false],
  ] as const)
    templates[scatterTemplate(numeric, logX)] = {
      "step-linear": paramScatterSpec({
        param: paramPlaceholder,
        metric: metricPlaceholder,
        numeric,
        logX,
      }),
    };
  return templates;
}
