import { paramsDiff } from "../lib/params-diff.ts";
import { relativeUrl, runPath } from "../lib/paths.ts";
import type { SnapshotRun } from "../snapshot/types.ts";

const element = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  content: (string | Node)[] = [],
  className?: string,
): HTMLElementTagNameMap[K] => {
  const made = document.createElement(tag);
  if (className) made.className = className;
  made.append(...content);
  return made;
};

const code = (text: string) => element("code", [text]);

/** A run's name, linked to its page when the report has one (as RunLink.astro). */
function runName(
  run: { id: string; name: string },
  page: { path: string; hasRunPage: (id: string) => boolean },
): HTMLElement {
  if (page.hasRunPage(run.id)) {
    const link = element("a", [run.name]);
    link.href = relativeUrl(page.path, runPath(run.id));
    return link;
  }
  const name = element("span", [run.name]);
  name.title = `run ${run.id} has no page in this report yet`;
  return name;
}

/**
 * A comparison's params diff (ParamsDiffTable.astro) made again from `runs`: the params that
 * tell them apart, a row per run, and those every run shares. Its styles are global, so plain
 * elements look as the built ones do.
 */
export function replaceParamsDiff(
  section: HTMLElement,
  runs: readonly SnapshotRun[],
  page: { path: string; hasRunPage: (id: string) => boolean },
): void {
  const diff = paramsDiff(runs);
  const parts: HTMLElement[] = [];
  if (runs.length < 2) parts.push(element("p", ["A params diff needs two runs or more."], "muted"));
  else if (diff.keys.length === 0)
    parts.push(element("p", ["Every run has the same params."], "muted"));
  else {
    const head = element("tr", [element("th", ["run"])]);
    for (const key of diff.keys) {
      const th = element("th", [code(key)]);
      th.dataset.param = key;
      head.append(th);
    }
    const rows = diff.rows.map((row) => {
      const tr = element("tr", [element("td", [runName(row, page)])]);
      tr.dataset.run = row.id;
      for (const key of diff.keys) {
        const value = row.values[key];
        tr.append(element("td", [value ?? element("span", ["—"], "muted")]));
      }
      return tr;
    });
    const table = element("table", [element("thead", [head]), element("tbody", rows)]);
    parts.push(element("div", [table], "scroll"));
  }
  if (diff.same.length > 0) {
    const same = element("p", ["The same in every run: "], "same muted");
    diff.same.forEach((param, i) => {
      if (i > 0) same.append(", ");
      same.append(code(param.key), ` = ${param.value}`);
    });
    parts.push(same);
  }
  section.replaceChildren(...parts);
}
