/**
 * Reading a comparison file's fields with errors that name the file, the field and the rule
 * (`reports/lr.yaml: sections[2].metric: must be a metric key, e.g. val_acc`).
 */

/** A comparison file that cannot be used, and why. */
export class ComparisonFileError extends Error {
  override readonly name = "ComparisonFileError";
  readonly file: string;
  /** The field's path, e.g. `runs.filter` or `sections[1].groupBy[0]`; empty for the file. */
  readonly field: string;
  readonly rule: string;

  constructor(options: { file: string; field: string; rule: string; cause?: unknown }) {
    super(`${options.file}: ${options.field ? `${options.field}: ` : ""}${options.rule}`, {
      cause: options.cause,
    });
    this.file = options.file;
    this.field = options.field;
    this.rule = options.rule;
  }
}

/** Reads one object of the file: its fields by name, failing with the field's full path. */
export class FieldReader {
  readonly file: string;
  readonly path: string;
  readonly object: Record<string, unknown>;

  constructor(file: string, path: string, value: unknown) {
    this.file = file;
    this.path = path;
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw new ComparisonFileError({
        file,
        field: path,
        rule: `must be a mapping of fields (key: value), not ${describe(value)}`,
      });
    this.object = value as Record<string, unknown>;
  }

  /** The path of one of this object's fields. */
  field(key: string, index?: number): string {
    const name = this.path ? `${this.path}.${key}` : key;
    return index === undefined ? name : `${name}[${index}]`;
  }

  fail(key: string, rule: string, index?: number): never {
    throw new ComparisonFileError({ file: this.file, field: this.field(key, index), rule });
  }

  has(key: string): boolean {
    return this.object[key] !== undefined && this.object[key] !== null;
  }

  /** Refuses fields this object does not have (a typo should not pass silently). */
  only(allowed: readonly string[]): void {
    for (const key of Object.keys(this.object))
      if (!allowed.includes(key))
        throw new ComparisonFileError({
          file: this.file,
          field: this.field(key),
          rule: `is not a field here; the fields are ${allowed.join(", ")}`,
        });
  }

  string(key: string, options: { required: true; pattern?: [RegExp, string] }): string;
  string(key: string, options?: { required?: false; pattern?: [RegExp, string] }): string | null;
  string(
    key: string,
    options: { required?: boolean; pattern?: [RegExp, string] } = {},
  ): string | null {
    const value = this.object[key];
    if (value === undefined || value === null) {
      if (options.required) this.fail(key, "is required");
      return null;
    }
    if (typeof value !== "string" && typeof value !== "number")
      this.fail(key, `must be text, not ${describe(value)}`);
    const text = String(value);
    if (text.trim() === "") this.fail(key, "must not be empty");
    if (options.pattern && !options.pattern[0].test(text)) this.fail(key, options.pattern[1]);
    return text;
  }

  /** A list of texts; one text stands for a list of one. */
  strings(key: string, options: { pattern?: [RegExp, string] } = {}): string[] {
    const value = this.object[key];
    if (value === undefined || value === null) return [];
    const list = Array.isArray(value) ? value : [value];
    return list.map((item, index) => {
      if (typeof item !== "string" && typeof item !== "number")
        this.fail(key, `must be text, not ${describe(item)}`, index);
      const text = String(item);
      if (text.trim() === "") this.fail(key, "must not be empty", index);
      if (options.pattern && !options.pattern[0].test(text))
        this.fail(key, options.pattern[1], index);
      return text;
    });
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.object[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "boolean") this.fail(key, `must be true or false, not ${describe(value)}`);
    return value;
  }

  integer(key: string, options: { min: number; max: number; fallback: number }): number {
    const value = this.object[key];
    if (value === undefined || value === null) return options.fallback;
    if (typeof value !== "number" || !Number.isInteger(value))
      this.fail(key, `must be a whole number, not ${describe(value)}`);
    if (value < options.min || value > options.max)
      this.fail(key, `must be from ${options.min} to ${options.max}, not ${value}`);
    return value;
  }

  oneOf<T extends string>(key: string, options: readonly T[], fallback: T): T {
    const value = this.object[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "string" || !options.includes(value as T))
      this.fail(key, `must be one of ${options.join(", ")}, not ${describe(value)}`);
    return value as T;
  }

  /** A list of mappings, each read by its own reader. */
  list(key: string): FieldReader[] | null {
    const value = this.object[key];
    if (value === undefined || value === null) return null;
    if (!Array.isArray(value)) this.fail(key, `must be a list, not ${describe(value)}`);
    return value.map((item, index) => new FieldReader(this.file, this.field(key, index), item));
  }

  /** A nested mapping. */
  mapping(key: string): FieldReader | null {
    const value = this.object[key];
    if (value === undefined || value === null) return null;
    return new FieldReader(this.file, this.field(key), value);
  }
}

/** A value named for an error message: `a list`, `the number 3`, `'abc'`. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `'${value}'`;
  return `${typeof value === "number" ? "the number" : "the value"} ${String(value)}`;
}
