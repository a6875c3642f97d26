import type { SpecialValue } from "./schema/metrics.ts";

/** A metric value as stored: finite in `value`, or named in `special`. */
export interface StoredValue {
  value: number | null;
  special: SpecialValue | null;
}

export function encodeMetricValue(value: number): StoredValue {
  if (Number.isFinite(value)) return { value, special: null };
  if (Number.isNaN(value)) return { value: null, special: "NaN" };
  return { value: null, special: value > 0 ? "Infinity" : "-Infinity" };
}

export function decodeMetricValue(value: number | null, special: string | null): number {
  switch (special) {
    case "NaN":
      return Number.NaN;
    case "Infinity":
      return Number.POSITIVE_INFINITY;
    case "-Infinity":
      return Number.NEGATIVE_INFINITY;
    default:
      return value ?? Number.NaN;
  }
}
