import { checkFilter, type FilterSubject, matchesFilter, parseFilter } from "../../search/index.ts";
import { selectionEvent } from "./charts.ts";

interface Column {
  id: string;
  label: string;
  numeric: boolean;
}

interface RunRecord {
  id: string;
  name: string;
  status: string;
  startTime: number;
  endTime: number | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, number | string>;
}

interface RunsPayload {
  columns: Column[];
  records: RunRecord[];
  csvName: string;
}

/** A run as the search grammar reads it, with the same meaning as the API's filter. */
function subjectOf(record: RunRecord): FilterSubject {
  return {
    metric: (key) => (key in record.metrics ? Number(record.metrics[key]) : undefined),
    param: (key) => record.params[key],
    tag: (key) => record.tags[key],
    attribute: (key) =>
      ({
        run_id: record.id,
        run_name: record.name,
        status: record.status,
        start_time: record.startTime,
        end_time: record.endTime,
      })[key],
  };
}

const csvField = (value: string) =>
  /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;

function setUpTable(section: HTMLElement): void {
  const data = section.querySelector("[data-runs-data]");
  const tbody = section.querySelector("tbody");
  if (!data || !tbody) return;
  const payload = JSON.parse(data.textContent ?? "{}") as RunsPayload;
  const records = new Map(payload.records.map((record) => [record.id, record]));
  const rows = () => [...tbody.querySelectorAll<HTMLTableRowElement>("tr[data-run]")];
  const count = section.querySelector("[data-count]");
  const error = section.querySelector("[data-filter-error]");

  // Sorting: a header click sorts by its column, a second click reverses.
  let sorted: { index: number; descending: boolean } | undefined;
  for (const button of section.querySelectorAll<HTMLButtonElement>("[data-sort]")) {
    button.addEventListener("click", () => {
      const index = Number(button.dataset.sort);
      const column = payload.columns[index];
      if (!column) return;
      const descending = sorted?.index === index ? !sorted.descending : column.numeric;
      sorted = { index, descending };
      const cellValue = (row: HTMLTableRowElement) =>
        row.querySelector<HTMLElement>(`td[data-col="${index}"]`)?.dataset.value ?? "";
      const compare = (a: string, b: string) => {
        if (a === "" || b === "") return a === b ? 0 : a === "" ? 1 : -1; // blanks last
        const result = column.numeric
          ? Number(a) - Number(b)
          : a.localeCompare(b, undefined, { numeric: true });
        return descending ? -result : result;
      };
      const ordered = rows().sort((a, b) => compare(cellValue(a), cellValue(b)));
      tbody.append(...ordered);
      for (const th of section.querySelectorAll<HTMLElement>("th[data-col]"))
        th.setAttribute(
          "aria-sort",
          th.dataset.col === String(index) ? (descending ? "descending" : "ascending") : "none",
        );
    });
  }

  // Filtering with the API's grammar, evaluated here.
  const filterInput = section.querySelector<HTMLInputElement>("[data-filter]");
  const applyFilter = () => {
    const source = filterInput?.value.trim() ?? "";
    let expression: ReturnType<typeof parseFilter>;
    try {
      expression = checkFilter(parseFilter(source), source, "runs");
      if (error) error.textContent = "";
      filterInput?.removeAttribute("aria-invalid");
    } catch (problem) {
      if (error) error.textContent = (problem as Error).message;
      filterInput?.setAttribute("aria-invalid", "true");
      return;
    }
    let shown = 0;
    for (const row of rows()) {
      const record = records.get(row.dataset.run ?? "");
      const match = record ? matchesFilter(expression, subjectOf(record)) : true;
      row.classList.toggle("filtered-out", !match);
      if (match) shown += 1;
    }
    if (count)
      count.textContent =
        shown === records.size ? `${shown} runs` : `${shown} of ${records.size} runs`;
  };
  filterInput?.addEventListener("input", applyFilter);
  if (filterInput?.value) applyFilter();

  // Columns: those that never vary start hidden.
  for (const toggle of section.querySelectorAll<HTMLInputElement>("[data-column-toggle]")) {
    toggle.addEventListener("change", () => {
      for (const cell of section.querySelectorAll(`[data-col="${toggle.dataset.columnToggle}"]`))
        cell.classList.toggle("hidden", !toggle.checked);
    });
  }

  // CSV of the rows shown, in their order, with the columns shown.
  section.querySelector("[data-csv]")?.addEventListener("click", () => {
    const visible = payload.columns
      .map((column, index) => ({ column, index }))
      .filter(
        ({ index }) =>
          !section.querySelector(`th[data-col="${index}"]`)?.classList.contains("hidden"),
      );
    const lines = [["run_id", ...visible.map(({ column }) => column.id)]];
    for (const row of rows().filter((one) => !one.classList.contains("filtered-out")))
      lines.push([
        row.dataset.run ?? "",
        ...visible.map(
          ({ index }) =>
            row.querySelector<HTMLElement>(`td[data-col="${index}"]`)?.dataset.value ?? "",
        ),
      ]);
    const csv = lines.map((line) => `${line.map(csvField).join(",")}\r\n`).join("");
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
    link.download = payload.csvName;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  });

  // Which runs the curves draw.
  const announce = () => {
    const ids = [...section.querySelectorAll<HTMLInputElement>("[data-select-run]:checked")].map(
      (box) => box.dataset.selectRun ?? "",
    );
    document.dispatchEvent(new CustomEvent(selectionEvent, { detail: ids }));
  };
  for (const box of section.querySelectorAll<HTMLInputElement>("[data-select-run]"))
    box.addEventListener("change", announce);
}

/** Makes every runs table of the page sortable, filterable, and choosy about columns. */
export function setUpRunsTables(root: ParentNode = document): void {
  for (const section of root.querySelectorAll<HTMLElement>("[data-runs-table]"))
    setUpTable(section);
}
