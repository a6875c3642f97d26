import { type ChartEntry, layoutKey } from "../lib/chart-catalog.ts";
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
 *
 * A figure with a compiled spec of its own (a comparison's bands, parallel coordinates, bars)
 * cannot be compiled again here: it is redrawn with new rows while its layout holds (see
 * `layoutKey`), and otherwise left as built with a note to rebuild.
 */

/** What a figure's `<script data-chart-data>` holds (see ChartFigure.astro). */
interface Payload {
  template?: string;
  names?: { metric: string; param?: string };
  /** A compiled Vega spec, for a figure without a template; `layout` is its key. */
  spec?: { title?: unknown } & Record<string, unknown>;
  layout?: string;
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
  /** What the rows are drawn with. */
  look: Look;
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

/** The text of a spec's title (Vega-Lite's or Vega's: a text, or an object with one). */
const titleOf = (title: unknown): string | undefined => {
  if (typeof title === "string") return title;
  const text = (title as { text?: unknown } | undefined)?.text;
  return typeof text === "string" ? text : undefined;
};

export interface LiveChartsOptions {
  /** The figures to take over (the whole page by default). */
  root?: ParentNode;
  /**
   * A figure's key, which `updateKeyed` names it by; by default its kind and keys
   * (`metric:val_acc:`), for figures drawn from a shared template only.
   */
  keyOf?: (figure: HTMLElement) => string | undefined;
  /**
   * Puts a figure made for a chart the page did not have; by default after the page's last
   * metric chart. Returns false where it has no place.
   */
  place?: (key: string, figure: HTMLElement) => boolean;
}

/** What a figure's rows are drawn with: its template and keys, or its own spec's title. */
interface Look {
  template?: string | undefined;
  names?: { metric: string; param?: string } | undefined;
  title?: string | undefined;
}

const payloadLook = (payload: Payload): Look =>
  payload.template
    ? { template: payload.template, names: payload.names }
    : { title: titleOf(payload.spec?.title) };

const entryLook = (entry: ChartEntry): Look =>
  entry.template
    ? { template: entry.template.template, names: entry.template.names }
    : { title: titleOf((entry.spec as { title?: unknown }).title) };

/** What a figure was last drawn from, to skip redrawing what has not changed. */
const drawnOf = (rows: readonly Row[], look: Look) =>
  JSON.stringify([
    rows,
    look.template ?? "",
    look.names?.metric ?? "",
    look.names?.param ?? "",
    look.title ?? "",
  ]);

export class LiveCharts {
  private readonly figures = new Map<string, LiveFigure>();
  private selected: Set<string>;
  private readonly place: ((key: string, figure: HTMLElement) => boolean) | undefined;

  /** Takes over the page's figures; call before `setUpCharts`. */
  constructor(options: LiveChartsOptions = {}) {
    const root = options.root ?? document;
    this.place = options.place;
    let selected: string[] | undefined;
    for (const element of root.querySelectorAll<HTMLElement>("figure[data-chart]")) {
      const payload = readPayload(element);
      const key =
        payload && (options.keyOf ? options.keyOf(element) : keyOf(element.dataset.kind, payload));
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
      const look = payloadLook(payload);
      this.figures.set(key, { element, rows, picked, look, drawn: drawnOf(shown, look) });
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
    const look = figure.look;
    if (look.template) {
      payload.template = look.template;
      payload.names = look.names;
    } else if (payload.spec && look.title !== undefined) {
      const title = payload.spec.title;
      payload.spec.title =
        title && typeof title === "object" ? { ...title, text: look.title } : look.title;
    }
    this.writePayload(next, payload, rows);
    figure.drawn = drawnOf(rows, look);
    // Drawn while detached (charts.ts looks for figures under the root it is given), then moved.
    const holder = document.createElement("div");
    holder.append(next);
    setUpCharts(holder);
    old.replaceWith(next);
    figure.element = next;
  }

  /** New data for the page's charts; a metric the page had no chart for gets one. */
  update(entries: readonly ChartEntry[], selected?: readonly string[]): void {
    this.updateKeyed(
      entries.flatMap((entry) => {
        const key = keyOf(entry.kind, entry.template);
        return key ? [[key, entry] as const] : [];
      }),
      selected,
    );
  }

  /** New data for the page's charts, each named by its figure's key (see `keyOf`). */
  updateKeyed(
    entries: readonly (readonly [string, ChartEntry])[],
    selected?: readonly string[],
  ): void {
    if (selected) this.selected = new Set(selected);
    for (const [key, entry] of entries) {
      const figure = this.figures.get(key) ?? this.addFigure(key, entry);
      if (!figure || figure.element.hasAttribute("data-live-stale")) continue;
      const payload = readPayload(figure.element);
      if (payload?.spec && payload.layout !== layoutKey(entry.spec)) {
        this.markStale(figure);
        continue;
      }
      figure.look = entryLook(entry);
      const rows = entry.pageRows() as Row[];
      figure.rows = rows;
      const shown = figure.picked ? this.pick(rows, this.selected) : rows;
      if (figure.drawn !== drawnOf(shown, figure.look)) this.redraw(figure);
    }
  }

  /** A figure the page cannot redraw here (its layout changed): it says so and stays as built. */
  private markStale(figure: LiveFigure): void {
    figure.element.dataset.liveStale = "";
    const note = document.createElement("span");
    note.className = "muted";
    note.textContent = "changed since the report was built: rebuild it to redraw this chart";
    figure.element.querySelector("figcaption")?.prepend(note);
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
    if (this.place) {
      if (!this.place(key, element)) return undefined;
    } else {
      const siblings = [...this.figures.values()].filter(
        (one) => one.element.dataset.kind === "metric",
      );
      siblings.at(-1)?.element.after(element);
    }
    const figure: LiveFigure = { element, rows: [], picked: model.picked, look: entryLook(entry) };
    this.figures.set(key, figure);
    return figure;
  }
}
