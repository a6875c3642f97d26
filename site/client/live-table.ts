import { formatValue } from "../lib/format.ts";
import { relativeUrl, runPath } from "../lib/paths.ts";
import { type RunColumn, type RunRecord, runsTable } from "../lib/runs-table.ts";
import type { SnapshotRun } from "../snapshot/types.ts";
import { inlineJson } from "../src/data/page-data.ts";
import { setUpRunsTables } from "./runs-table.ts";
import { showLocalTimes } from "./times.ts";

/**
 * A live runs table. The table's markup comes from RunsTable.astro and its behaviour from
 * `runs-table.ts`, which reads the table once; so new data makes a new table, built from
 * copies of the page's own cells (keeping the component's scoped styles), set up by
 * `runs-table.ts` as any table, and put in the old one's place with what the reader did to
 * it: the filter, the sort, the columns shown, the runs picked for the curves.
 */

/** A cell's text, as RunsTable.astro shows it. */
const shown = (value: string | number | null | undefined, id: string) =>
  value == null
    ? ""
    : id === "duration" && typeof value === "number"
      ? value.toFixed(1)
      : formatValue(value);

interface TableState {
  filter: string;
  filterFocused: boolean;
  /** Column ids shown or hidden by the reader (or by default). */
  hidden: Map<string, boolean>;
  picked: Set<string>;
  sort: { id: string; descending: boolean } | undefined;
  columnsOpen: boolean;
  scrollLeft: number;
  csvName: string;
}

function columnIds(section: HTMLElement): string[] {
  try {
    const payload = JSON.parse(section.querySelector("[data-runs-data]")?.textContent ?? "{}") as {
      columns?: RunColumn[];
    };
    return payload.columns?.map((column) => column.id) ?? [];
  } catch {
    return [];
  }
}

function readState(section: HTMLElement): TableState {
  const ids = columnIds(section);
  const hidden = new Map<string, boolean>();
  for (const toggle of section.querySelectorAll<HTMLInputElement>("[data-column-toggle]")) {
    const id = ids[Number(toggle.dataset.columnToggle)];
    if (id !== undefined) hidden.set(id, !toggle.checked);
  }
  const sorted = section.querySelector<HTMLElement>(
    'th[data-col][aria-sort="ascending"], th[data-col][aria-sort="descending"]',
  );
  const sortId = sorted ? ids[Number(sorted.dataset.col)] : undefined;
  const filter = section.querySelector<HTMLInputElement>("[data-filter]");
  let csvName = "runs.csv";
  try {
    csvName =
      (
        JSON.parse(section.querySelector("[data-runs-data]")?.textContent ?? "{}") as {
          csvName?: string;
        }
      ).csvName ?? csvName;
  } catch {}
  return {
    filter: filter?.value ?? "",
    filterFocused: filter !== null && document.activeElement === filter,
    hidden,
    picked: new Set(
      [...section.querySelectorAll<HTMLInputElement>("[data-select-run]:checked")].map(
        (box) => box.dataset.selectRun ?? "",
      ),
    ),
    sort:
      sortId === undefined
        ? undefined
        : { id: sortId, descending: sorted?.getAttribute("aria-sort") === "descending" },
    columnsOpen: section.querySelector<HTMLDetailsElement>("details.columns")?.open ?? false,
    scrollLeft: section.querySelector(".scroll")?.scrollLeft ?? 0,
    csvName,
  };
}

/** `element` made again from a copy of `model` (its attributes, scoped-style ones included). */
function like<T extends Element>(model: T | null | undefined, tag: string): T {
  return (
    (model?.cloneNode(false) as T | undefined) ?? (document.createElement(tag) as Element as T)
  );
}

function cellContent(
  td: HTMLTableCellElement,
  record: RunRecord,
  column: RunColumn,
  models: { link: Element | null; status: Element | null; time: Element | null },
  page: { path: string; hasRunPage: (id: string) => boolean },
): void {
  const value = record.cells[column.id];
  if (column.id === "name") {
    if (!page.hasRunPage(record.id)) {
      td.textContent = record.name;
      return;
    }
    const link = like<HTMLAnchorElement>(models.link as HTMLAnchorElement, "a");
    link.href = relativeUrl(page.path, runPath(record.id));
    link.textContent = record.name;
    td.append(link);
  } else if (column.id === "status") {
    const badge = like<HTMLElement>(models.status as HTMLElement, "span");
    badge.className = `status status-${record.status}`;
    badge.textContent = record.status;
    td.append(badge);
  } else if (column.id === "start_time") {
    const time = like<HTMLTimeElement>(models.time as HTMLTimeElement, "time");
    const iso = new Date(record.startTime).toISOString();
    time.dateTime = iso;
    time.setAttribute("data-local-time", "");
    time.removeAttribute("title");
    time.textContent = iso.replace("T", " ").replace(/\.\d+Z$/, " UTC");
    td.append(time);
  } else td.textContent = shown(value, column.id);
}

/**
 * Replaces a runs table with one of `runs` (in the page's order). Runs in `fresh`
 * (new since the page was loaded) start picked for the curves. Returns the new table.
 */
export function replaceRunsTable(
  section: HTMLElement,
  runs: readonly SnapshotRun[],
  options: {
    path: string;
    hasRunPage: (id: string) => boolean;
    fresh: ReadonlySet<string>;
    /** Whether each metric also has its min and max columns, as RunsTable.astro's `extremes`. */
    extremes?: boolean;
  },
): HTMLElement {
  const state = readState(section);
  const { columns, records } = runsTable(runs, { extremes: options.extremes ?? true });
  const next = section.cloneNode(true) as HTMLElement;
  const hiddenOf = (column: RunColumn) => state.hidden.get(column.id) ?? column.hidden;

  // Header: the pick column, then a cell per column, from the first one's copy.
  const headRow = next.querySelector("thead tr");
  const headModel = section.querySelector<HTMLTableCellElement>("thead th[data-col]");
  const buttonModel = headModel?.querySelector("button[data-sort]") ?? null;
  headRow?.querySelectorAll("th[data-col]").forEach((th) => {
    th.remove();
  });
  columns.forEach((column, index) => {
    const th = like<HTMLTableCellElement>(headModel, "th");
    th.dataset.col = String(index);
    th.classList.toggle("num", column.numeric);
    th.classList.toggle("hidden", hiddenOf(column));
    th.setAttribute("aria-sort", "none");
    const button = like<HTMLButtonElement>(buttonModel as HTMLButtonElement, "button");
    button.type = "button";
    button.dataset.sort = String(index);
    button.textContent = column.label;
    th.append(button);
    headRow?.append(th);
  });

  // The list of columns to show.
  const list = next.querySelector(".column-list");
  const labelModel = section.querySelector(".column-list label");
  const toggleModel = section.querySelector<HTMLInputElement>("[data-column-toggle]");
  if (list) {
    list.replaceChildren(
      ...columns.map((column, index) => {
        const label = like<HTMLLabelElement>(labelModel as HTMLLabelElement, "label");
        const toggle = like<HTMLInputElement>(toggleModel, "input");
        toggle.type = "checkbox";
        toggle.dataset.columnToggle = String(index);
        toggle.checked = !hiddenOf(column);
        label.append(toggle, column.label);
        return label;
      }),
    );
  }

  // Rows, from copies of the first row's cells.
  const rowModel = section.querySelector<HTMLTableRowElement>("tbody tr[data-run]");
  const pickModel = rowModel?.querySelector("td.pick") ?? null;
  const cellModel = rowModel?.querySelector<HTMLTableCellElement>("td[data-col]") ?? null;
  const models = {
    link: section.querySelector('tbody td[data-col] a[href*="runs/"]'),
    status: section.querySelector("tbody td[data-col] .status"),
    time: section.querySelector("tbody td[data-col] time"),
  };
  const tbody = next.querySelector("tbody");
  tbody?.replaceChildren(
    ...(records.map((record) => {
      const tr = like<HTMLTableRowElement>(rowModel, "tr");
      tr.className = "";
      tr.dataset.run = record.id;
      const pick = (pickModel?.cloneNode(true) as HTMLElement | undefined) ?? like(null, "td");
      const box = pick.querySelector<HTMLInputElement>("[data-select-run]");
      if (box) {
        box.dataset.selectRun = record.id;
        box.checked = state.picked.has(record.id) || options.fresh.has(record.id);
        box.setAttribute("aria-label", `draw ${record.name}`);
      }
      tr.append(pick);
      columns.forEach((column, index) => {
        const td = like<HTMLTableCellElement>(cellModel, "td");
        const value = record.cells[column.id];
        td.dataset.col = String(index);
        td.dataset.value = value == null ? "" : String(value);
        td.classList.toggle("num", column.numeric);
        td.classList.toggle("hidden", hiddenOf(column));
        cellContent(td, record, column, models, options);
        tr.append(td);
      });
      return tr;
    }) ?? []),
  );
  showLocalTimes(next);

  const payload = {
    columns,
    records: records.map(({ id, name, status, startTime, endTime, params, tags, metrics }) => ({
      id,
      name,
      status,
      startTime,
      endTime,
      params,
      tags,
      metrics,
    })),
    csvName: state.csvName,
  };
  const data = next.querySelector("[data-runs-data]");
  if (data) data.textContent = inlineJson(payload);
  const count = next.querySelector("[data-count]");
  if (count) count.textContent = `${records.length} runs`;
  const filter = next.querySelector<HTMLInputElement>("[data-filter]");
  if (filter) filter.value = state.filter;
  const details = next.querySelector<HTMLDetailsElement>("details.columns");
  if (details) details.open = state.columnsOpen;

  // Set up while detached (runs-table.ts looks for tables under the root it is given).
  const holder = document.createElement("div");
  holder.append(next);
  setUpRunsTables(holder);
  section.replaceWith(next);

  if (state.sort) {
    const index = columns.findIndex((column) => column.id === state.sort?.id);
    const button = next.querySelector<HTMLButtonElement>(`[data-sort="${index}"]`);
    if (index >= 0 && button) {
      button.click();
      const now = button.closest("th")?.getAttribute("aria-sort");
      if ((now === "descending") !== state.sort.descending) button.click();
    }
  }
  const scroll = next.querySelector(".scroll");
  if (scroll) scroll.scrollLeft = state.scrollLeft;
  if (state.filterFocused && filter) {
    filter.focus();
    filter.setSelectionRange(filter.value.length, filter.value.length);
  }
  return next;
}

/** The runs a table's checkboxes pick for the curves. */
export const pickedRuns = (section: ParentNode): string[] =>
  [...section.querySelectorAll<HTMLInputElement>("[data-select-run]:checked")].map(
    (box) => box.dataset.selectRun ?? "",
  );
