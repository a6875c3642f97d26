import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { dataName } from "../charts/encoding.ts";

/**
 * A small memo by the spec's JSON: a report's charts of one metric share their spec (the data
 * differs), and compiling and parsing one costs tens of milliseconds, more than drawing it.
 */
function memo<T>(make: (spec: TopLevelSpec) => T): (spec: TopLevelSpec) => T {
  const made = new Map<string, T>();
  return (spec) => {
    const key = JSON.stringify(spec);
    let value = made.get(key);
    if (value === undefined) {
      if (made.size >= 100) made.clear();
      value = make(spec);
      made.set(key, value);
    }
    return value;
  };
}

/**
 * Compiles a Vega-Lite spec to Vega (what the pages draw with; they carry no compiler). The
 * result is shared between calls with equal specs: read it, do not change it.
 */
export const toVega: (spec: TopLevelSpec) => vega.Spec = memo((spec) => compile(spec).spec);

/**
 * A spec parsed for a view, shared by views: they read it (and normalize its event defaults in
 * place, the same way each time).
 */
const parsed = memo((spec) => vega.parse(toVega(spec)));

/**
 * A headless Vega view of a chart with its data attached, run once: what the tests count
 * marks in and what SVG and PNG exports are drawn from.
 */
export async function renderView(
  spec: TopLevelSpec,
  rows: readonly object[],
  signals: Record<string, unknown> = {},
): Promise<vega.View> {
  const view = new vega.View(parsed(spec), { renderer: "none" });
  view.data(dataName, rows as object[]);
  for (const [name, value] of Object.entries(signals)) view.signal(name, value);
  await view.runAsync();
  return view;
}

interface SceneMark {
  marktype?: string;
  role?: string;
  name?: string;
  items?: SceneItem[];
}
interface SceneItem {
  items?: SceneMark[];
  tooltip?: unknown;
  datum?: unknown;
}

/** Every drawn mark of a view (not axes, legends or the invisible hover cells). */
function dataMarks(view: vega.View): SceneMark[] {
  const marks: SceneMark[] = [];
  const visit = (mark: SceneMark) => {
    if (
      mark.marktype &&
      mark.marktype !== "group" &&
      mark.role === "mark" &&
      !mark.name?.endsWith("_voronoi")
    )
      marks.push(mark);
    for (const item of mark.items ?? []) for (const inner of item.items ?? []) visit(inner);
  };
  visit((view.scenegraph() as unknown as { root: SceneMark }).root);
  return marks;
}

/**
 * How many marks a view drew, by mark type: a line or an area counts once per path (one per
 * series), any other mark once per item (a point, a bar).
 */
export function countMarks(view: vega.View): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const mark of dataMarks(view)) {
    const type = mark.marktype ?? "";
    const items = mark.items?.length ?? 0;
    const drawn = type === "line" || type === "area" ? Math.min(items, 1) : items;
    if (drawn > 0) counts[type] = (counts[type] ?? 0) + drawn;
  }
  return counts;
}

/** The items of a view's marks of one type, e.g. the tooltips of its `symbol` points. */
export function markItems(view: vega.View, marktype: string): SceneItem[] {
  return dataMarks(view)
    .filter((mark) => mark.marktype === marktype)
    .flatMap((mark) => mark.items ?? []);
}
