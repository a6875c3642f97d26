import type * as Vega from "vega";
import { smooth, smoothedField, smoothingWeights } from "../charts/smoothing.ts";
import { type PackedRows, unpackRows } from "../lib/packed-rows.ts";

/** The Vega runtime, loaded by `assets/vega.min.js` as a classic script (file:// allows no modules). */
declare const vega: typeof Vega;

/** The compiled templates, by template and variant, set by `assets/chart-specs.js`. */
declare global {
  interface Window {
    labbookChartSpecs?: Record<string, Record<string, unknown>>;
  }
}

const metricPlaceholder = "__LABBOOK_METRIC__";
const paramPlaceholder = "__LABBOOK_PARAM__";

/**
 * What a chart's `<script type="application/json" data-chart-data>` holds: a shared template
 * and the keys that fill it, or a compiled spec of its own; its rows, packed by column.
 */
interface ChartPayload {
  template?: string;
  names?: { metric: string; param?: string };
  spec?: Vega.Spec;
  packed?: PackedRows;
  /** The rows, unpacked (set here from `packed`). */
  rows: { run: string }[];
  selected: string[];
  smoothing: number;
  view?: { x: "step" | "time"; logY: boolean };
}

/** The event the runs table sends when the runs to draw change; `detail` holds their ids. */
export const selectionEvent = "labbook:selection";

type Row = { run: string; value?: number } & Record<string, unknown>;

/** Adds each run's smoothed values (the fields the curves' spec folds), as the files have them. */
function withSmoothing(rows: Row[]): Row[] {
  const byRun = new Map<string, Row[]>();
  for (const row of rows) {
    const series = byRun.get(row.run);
    if (series) series.push(row);
    else byRun.set(row.run, [row]);
  }
  for (const series of byRun.values()) {
    const values = series.map((row) => Number(row.value));
    for (const weight of smoothingWeights.filter((one) => one > 0)) {
      const smoothed = smooth(values, weight);
      series.forEach((row, i) => {
        row[smoothedField(weight)] = smoothed[i];
      });
    }
  }
  return rows;
}

/** A template's variant with the chart's keys in its titles and tooltips. */
function specFor(payload: ChartPayload, variant: string): Vega.Spec | undefined {
  if (payload.spec) return payload.spec;
  if (!payload.template || !payload.names) return undefined;
  const variants = window.labbookChartSpecs?.[payload.template];
  const template = variants?.[variant] ?? variants?.["step-linear"];
  if (!template) return undefined;
  const text = JSON.stringify(template)
    .replaceAll(metricPlaceholder, payload.names.metric)
    .replaceAll(paramPlaceholder, payload.names.param ?? "");
  return JSON.parse(text) as Vega.Spec;
}

function setUpChart(figure: HTMLElement): void {
  const data = figure.querySelector("[data-chart-data]");
  const container = figure.querySelector<HTMLElement>("[data-chart-view]");
  if (!data || !container) return;
  const payload = JSON.parse(data.textContent ?? "{}") as ChartPayload;
  if (payload.packed) payload.rows = unpackRows(payload.packed) as ChartPayload["rows"];
  payload.rows ??= [];
  const metric = figure.dataset.kind === "metric";
  if (metric) withSmoothing(payload.rows as Row[]);
  const selectable = figure.hasAttribute("data-selectable");
  const state: { x: string; log: boolean; smoothing: number } = {
    x: payload.view?.x ?? "step",
    log: payload.view?.logY ?? false,
    smoothing: payload.smoothing,
  };
  let selected = new Set(payload.selected);
  let view: Vega.View | undefined;

  const rows = () =>
    selectable ? payload.rows.filter((row) => selected.has(row.run)) : payload.rows;
  const draw = async () => {
    view?.finalize();
    const spec = specFor(payload, `${state.x}-${state.log ? "log" : "linear"}`);
    if (!spec) return;
    container.textContent = "";
    const next = new vega.View(vega.parse(spec), { renderer: "svg", container, hover: true });
    next.data("points", rows());
    if (metric) next.signal("smoothing", state.smoothing);
    view = next;
    await next.runAsync();
    figure.dataset.drawn = String(Number(figure.dataset.drawn ?? 0) + 1);
  };

  const control = (name: string) =>
    figure.querySelector<HTMLInputElement & HTMLSelectElement>(`[data-control="${name}"]`);
  control("x")?.addEventListener("change", (event) => {
    state.x = (event.target as HTMLSelectElement).value;
    void draw();
  });
  control("log")?.addEventListener("change", (event) => {
    state.log = (event.target as HTMLInputElement).checked;
    void draw();
  });
  control("smoothing")?.addEventListener("change", (event) => {
    state.smoothing = Number((event.target as HTMLSelectElement).value);
    void view?.signal("smoothing", state.smoothing).runAsync();
  });
  if (selectable)
    document.addEventListener(selectionEvent, (event) => {
      selected = new Set((event as CustomEvent<string[]>).detail);
      void draw();
    });
  void draw();
}

/** Draws every chart of the page (`figure[data-chart]`) with the Vega runtime. */
export function setUpCharts(root: ParentNode = document): void {
  if (typeof vega === "undefined") return;
  for (const figure of root.querySelectorAll<HTMLElement>("figure[data-chart]")) setUpChart(figure);
}
