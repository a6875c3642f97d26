import type { ChartEntry } from "../lib/chart-catalog.ts";
import { type PackedRows, packRows, unpackRows } from "../lib/packed-rows.ts";
import { inlineJson } from "../src/data/page-data.ts";
import { selectionEvent, setUpCharts } from "./charts.ts";

/**
 * Live charts. `charts.ts` draws each figure once from the JSON inside it; to show new data, a
 * figure is cloned with new JSON, drawn by `charts.ts` as it draws any figure, and put in the
 * old one's place, with the reader's settings (x axis, log scale, smoothing) carried over.
 *
 * Figures whose runs the table picks listen to the document for the table's selection; a
 * replaced one would keep listening (and hold its data) for the page's life. So on a live page
 * those figures are taken over before `charts.ts` sets them up: they are drawn with the picked
 * runs' rows only, and this module redraws them when the selection changes.
 */

/** What a figure's `<script data-chart-data>` holds (see ChartFigure.astro). */
interface Payload {
  template?: string;
  names?: { metric: string; param?: string };
  packed?: PackedRows;
  rows?: unknown;
  selected?: string[];
  smoothing?: number;
  view?: { x: string; logY: boolean };
}

type Row = Record<string, unknown> & { run?: unknown };

interface LiveFigure {
  element: HTMLElement;
  /** Every run's rows, before picking. */
  rows: Row[];
  /** Whether the runs table picks its runs. */
  picked: boolean;
  /** What it was last drawn from, to skip redrawing what has not changed. */
  drawn?: string;
}

const dataScript = (figure: HTMLElement) =>
  figure.querySelector<HTMLScriptElement>("script[data-chart-data]");

const readPayload = (figure: HTMLElement): Payload | undefined => {
  try {
    return JSON.parse(dataScript(figure)?.textContent ?? "") as Payload;
  } catch {
    return undefined;
  }
};

/** The chart a figure draws, e.g. `metric:val_acc` or `scatter:lr`; undefined for one-off specs. */
const keyOf = (kind: string | undefined, payload: Payload | ChartEntry["template"]) =>
  payload && "template" in payload && payload.template && payload.names
    ? `${kind}:${payload.names.metric}:${payload.names.param ?? ""}`
    : undefined;

export class LiveCharts {
  private readonly figures = new Map<string, LiveFigure>();
  private selected: Set<string>;

  /** Takes over the page's figures; call before `setUpCharts`. */
  constructor(root: ParentNode = document) {
    let selected: string[] | undefined;
    for (const element of root.querySelectorAll<HTMLElement>("figure[data-chart]")) {
      const payload = readPayload(element);
      const key = payload && keyOf(element.dataset.kind, payload);
      if (!payload || !key) continue;
      const rows = (payload.packed ? unpackRows(payload.packed) : (payload.rows ?? [])) as Row[];
      const picked = element.hasAttribute("data-selectable");
      const shown = picked ? this.pick(rows, new Set(payload.selected ?? [])) : rows;
      if (picked) {
        selected ??= payload.selected ?? [];
        element.removeAttribute("data-selectable");
        element.dataset.livePicked = "";
        this.writePayload(element, payload, shown);
      }
      this.figures.set(key, { element, rows, picked, drawn: JSON.stringify(shown) });
    }
    this.selected = new Set(selected ?? []);
    document.addEventListener(selectionEvent, (event) => {
      this.selected = new Set((event as CustomEvent<string[]>).detail);
      for (const figure of this.figures.values()) if (figure.picked) this.redraw(figure);
    });
  }

  private pick(rows: Row[], selected: Set<string>): Row[] {
    return rows.filter((row) => selected.has(String(row.run)));
  }

  private writePayload(element: HTMLElement, payload: Payload, rows: Row[]): void {
    const next: Payload = { ...payload, packed: packRows(rows) };
    delete next.rows;
    const script = dataScript(element);
    if (script) script.textContent = inlineJson(next);
  }

  /** A copy of the figure drawing `rows`, with the reader's current settings. */
  private redraw(figure: LiveFigure): void {
    const old = figure.element;
    const payload = readPayload(old);
    if (!payload) return;
    const control = (root: ParentNode, name: string) =>
      root.querySelector<HTMLInputElement & HTMLSelectElement>(`[data-control="${name}"]`);
    const x = control(old, "x")?.value;
    const logY = control(old, "log")?.checked;
    const smoothing = control(old, "smoothing")?.value;
    if (x !== undefined && logY !== undefined) payload.view = { x, logY };
    if (smoothing !== undefined) payload.smoothing = Number(smoothing);

    const next = old.cloneNode(true) as HTMLElement;
    delete next.dataset.drawn;
    if (x !== undefined) (control(next, "x") as HTMLSelectElement).value = x;
    if (logY !== undefined) (control(next, "log") as HTMLInputElement).checked = logY;
    if (smoothing !== undefined)
      (control(next, "smoothing") as HTMLSelectElement).value = smoothing;
    const rows = figure.picked ? this.pick(figure.rows, this.selected) : figure.rows;
    this.writePayload(next, payload, rows);
    figure.drawn = JSON.stringify(rows);
    // Drawn while detached (charts.ts looks for figures under the root it is given), then moved.
    const holder = document.createElement("div");
    holder.append(next);
    setUpCharts(holder);
    old.replaceWith(next);
    figure.element = next;
  }

  /** New data for the page's charts; a metric the page had no chart for gets one. */
  update(entries: readonly ChartEntry[], selected?: readonly string[]): void {
    if (selected) this.selected = new Set(selected);
    for (const entry of entries) {
      const key = keyOf(entry.kind, entry.template);
      if (!key) continue;
      const rows = entry.pageRows() as Row[];
      const figure = this.figures.get(key) ?? this.addFigure(key, entry);
      if (!figure) continue;
      figure.rows = rows;
      const shown = figure.picked ? this.pick(rows, this.selected) : rows;
      if (figure.drawn !== JSON.stringify(shown)) this.redraw(figure);
    }
  }

  /**
   * A figure for a metric first logged after the build, cloned from one of the page's metric
   * charts; it has no files in the report, so its links go.
   */
  private addFigure(key: string, entry: ChartEntry): LiveFigure | undefined {
    if (entry.kind !== "metric" || !entry.template) return undefined;
    const model = [...this.figures.values()].find((one) => one.element.dataset.kind === "metric");
    if (!model) return undefined;
    const element = model.element.cloneNode(true) as HTMLElement;
    element.querySelector("figcaption")?.replaceChildren("new since the report was built");
    element.querySelectorAll("h3").forEach((heading) => {
      heading.remove();
    });
    const payload = readPayload(element) ?? {};
    this.writePayload(element, { ...payload, ...entry.template, smoothing: entry.smoothing }, []);
    const siblings = [...this.figures.values()].filter(
      (one) => one.element.dataset.kind === "metric",
    );
    siblings.at(-1)?.element.after(element);
    const figure: LiveFigure = { element, rows: [], picked: model.picked };
    this.figures.set(key, figure);
    return figure;
  }
}
