/**
 * A chart's rows as a page carries them: by column, texts once each, whole numbers as
 * differences, other numbers to six significant digits (what tooltips show), and repeats as
 * runs of `[value, count]`. Curves of 200 runs repeat each run's id and name on every point,
 * and their steps go up by the same amount; packed, a page holds a fraction of the bytes. The
 * page's script unpacks them into the same rows.
 */

type Cell = string | number | null;

/** Integers as they are, or as `[value, count, value, count…]` when that is shorter. */
export type IntegerList = number[] | { repeats: number[] };

/** One column: texts by index into `texts`, whole numbers as running differences, or as is. */
export type PackedColumn =
  | { texts: Cell[]; index: IntegerList }
  | { delta: IntegerList }
  | { values: (number | null)[] };

/** Run-length encodes a list of integers when that makes it shorter as JSON. */
function integerList(values: readonly number[]): IntegerList {
  const repeats: number[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j < values.length && values[j] === values[i]) j++;
    repeats.push(values[i] as number, j - i);
    i = j;
  }
  return repeats.length < values.length * 0.75 ? { repeats } : [...values];
}

function integers(list: IntegerList): number[] {
  if (Array.isArray(list)) return list;
  const values: number[] = [];
  for (let i = 0; i < list.repeats.length; i += 2)
    for (let n = 0; n < (list.repeats[i + 1] as number); n++)
      values.push(list.repeats[i] as number);
  return values;
}

export interface PackedRows {
  count: number;
  columns: Record<string, PackedColumn>;
}

const six = (value: number) => (Number.isInteger(value) ? value : Number(value.toPrecision(6)));

function packColumn(cells: readonly Cell[]): PackedColumn {
  const numeric = cells.every((cell) => cell === null || typeof cell === "number");
  if (numeric) {
    const numbers = cells as (number | null)[];
    if (numbers.every((cell) => cell !== null && Number.isSafeInteger(cell))) {
      let previous = 0;
      return {
        delta: integerList(
          (numbers as number[]).map((cell) => {
            const step = cell - previous;
            previous = cell;
            return step;
          }),
        ),
      };
    }
    return {
      values: numbers.map((cell) => (cell === null || !Number.isFinite(cell) ? null : six(cell))),
    };
  }
  // Texts (and any numbers among them, kept as numbers) once each.
  const texts: Cell[] = [];
  const indexOf = new Map<Cell, number>();
  const index = cells.map((cell) => {
    let at = indexOf.get(cell);
    if (at === undefined) {
      at = texts.length;
      texts.push(cell);
      indexOf.set(cell, at);
    }
    return at;
  });
  return { texts, index: integerList(index) };
}

/** Packs rows of flat objects (every row with the same fields, as chart data is). */
export function packRows(rows: readonly object[]): PackedRows {
  const fields = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const columns: Record<string, PackedColumn> = {};
  for (const field of fields)
    columns[field] = packColumn(
      rows.map((row) => ((row as Record<string, Cell | undefined>)[field] ?? null) as Cell),
    );
  return { count: rows.length, columns };
}

/** The rows `packRows` packed (absent fields come back as null). */
export function unpackRows(packed: PackedRows): Record<string, Cell>[] {
  const rows: Record<string, Cell>[] = Array.from({ length: packed.count }, () => ({}));
  for (const [field, column] of Object.entries(packed.columns)) {
    if ("delta" in column) {
      let running = 0;
      integers(column.delta).forEach((step, i) => {
        running += step;
        (rows[i] as Record<string, Cell>)[field] = running;
      });
    } else if ("values" in column)
      column.values.forEach((value, i) => {
        (rows[i] as Record<string, Cell>)[field] = value;
      });
    else
      integers(column.index).forEach((at, i) => {
        (rows[i] as Record<string, Cell>)[field] = column.texts[at] ?? null;
      });
  }
  return rows;
}
