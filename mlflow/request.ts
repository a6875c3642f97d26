import { invalidParameter, MlflowError } from "./errors.ts";

/**
 * A request's parameters as MLflow sends them: the query string for GET, a JSON body otherwise
 * (and the query string as well, which some clients use for DELETE). Getters check types and
 * name the parameter in their errors, as MLflow's server does.
 */
export class RequestParams {
  readonly #values: Record<string, unknown>;
  /** Segments matched from the route's path (`{model_id}`). */
  readonly path: Record<string, string>;

  constructor(values: Record<string, unknown>, path: Record<string, string> = {}) {
    this.#values = values;
    this.path = path;
  }

  has(name: string): boolean {
    const value = this.#values[name];
    return value !== undefined && value !== null;
  }

  raw(name: string): unknown {
    return this.#values[name];
  }

  /** A string; undefined when absent unless `required`. Numbers are taken as their text. */
  string(name: string): string | undefined;
  string(name: string, options: { required: true }): string;
  string(name: string, options: { required?: boolean } = {}): string | undefined {
    const value = this.#values[name];
    if (value === undefined || value === null) {
      if (options.required) throw missing(name);
      return undefined;
    }
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    if (typeof value !== "string")
      throw invalidParameter(
        `Invalid value ${JSON.stringify(value)} for parameter '${name}' supplied: it must be a string.`,
      );
    return value;
  }

  /** An integer (int64 fields may come as JSON numbers or as strings of digits). */
  integer(name: string): number | undefined;
  integer(name: string, options: { required: true }): number;
  integer(name: string, options: { required?: boolean } = {}): number | undefined {
    const value = this.#values[name];
    if (value === undefined || value === null || value === "") {
      if (options.required) throw missing(name);
      return undefined;
    }
    const number =
      typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof number !== "number" || !Number.isSafeInteger(number))
      throw invalidParameter(
        `Invalid value ${JSON.stringify(value)} for parameter '${name}' supplied: it must be an integer.`,
      );
    return number;
  }

  /** A list of strings: a JSON array, or a repeated query parameter. */
  strings(name: string): string[] {
    const value = this.#values[name];
    if (value === undefined || value === null) return [];
    const list = Array.isArray(value) ? value : [value];
    return list.map((item, i) => {
      if (typeof item === "string") return item;
      if (typeof item === "number") return String(item);
      throw invalidParameter(
        `Invalid value ${JSON.stringify(item)} for parameter '${name}[${i}]' supplied: it must be a string.`,
      );
    });
  }

  /** A list of objects (repeated messages). */
  objects(name: string): RequestParams[] {
    const value = this.#values[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value))
      throw invalidParameter(`Invalid value for parameter '${name}' supplied: it must be a list.`);
    return value.map((item, i) => {
      if (typeof item !== "object" || item === null || Array.isArray(item))
        throw invalidParameter(
          `Invalid value for parameter '${name}[${i}]' supplied: it must be an object.`,
        );
      return new RequestParams(item as Record<string, unknown>);
    });
  }

  /** A nested object (a message field). */
  object(name: string, options: { required?: boolean } = {}): RequestParams | undefined {
    const value = this.#values[name];
    if (value === undefined || value === null) {
      if (options.required) throw missing(name);
      return undefined;
    }
    if (typeof value !== "object" || Array.isArray(value))
      throw invalidParameter(
        `Invalid value for parameter '${name}' supplied: it must be an object.`,
      );
    return new RequestParams(value as Record<string, unknown>);
  }

  /** `{ key, value }` pairs (tags, params): both strings, both required. */
  keyValues(name: string): { key: string; value: string }[] {
    return this.objects(name).map((item) => ({
      key: item.string("key", { required: true }),
      value: item.string("value") ?? "",
    }));
  }
}

const missing = (name: string) =>
  invalidParameter(
    `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`,
  );

/** Largest JSON body the REST face reads whole (MLflow limits a log-batch request to 1 MB). */
export const maxJsonBodyBytes = 32 * 1024 * 1024;

/** The request's parameters: the query string, overlaid by a JSON body when there is one. */
export async function readParams(
  request: Request,
  url: URL,
  path: Record<string, string> = {},
): Promise<RequestParams> {
  const values: Record<string, unknown> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(key);
    values[key] = all.length === 1 ? all[0] : all;
  }
  if (request.method === "GET" || request.method === "HEAD") return new RequestParams(values, path);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxJsonBodyBytes) throw tooLarge();
  const text = await readText(request);
  if (text.trim() === "") return new RequestParams(values, path);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new MlflowError("MALFORMED_REQUEST", "The request body is not valid JSON.");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new MlflowError("MALFORMED_REQUEST", "The request body must be a JSON object.");
  return new RequestParams({ ...values, ...(body as Record<string, unknown>) }, path);
}

const tooLarge = () =>
  new MlflowError(
    "INVALID_PARAMETER_VALUE",
    `The request body is larger than ${maxJsonBodyBytes} bytes; send smaller batches.`,
    413,
  );

async function readText(request: Request): Promise<string> {
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxJsonBodyBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
