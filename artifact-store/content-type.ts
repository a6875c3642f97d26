/** Media types by file extension, for artifacts uploaded without a meaningful content type. */
const byExtension: Record<string, string> = {
  txt: "text/plain; charset=utf-8",
  log: "text/plain; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  tsv: "text/tab-separated-values; charset=utf-8",
  json: "application/json",
  jsonl: "application/jsonl",
  ndjson: "application/x-ndjson",
  yaml: "application/yaml",
  yml: "application/yaml",
  toml: "application/toml",
  xml: "application/xml",
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  ts: "text/plain; charset=utf-8",
  py: "text/x-python; charset=utf-8",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  tar: "application/x-tar",
  parquet: "application/vnd.apache.parquet",
  wasm: "application/wasm",
};

export const defaultContentType = "application/octet-stream";

/** The media type a file's name suggests; `application/octet-stream` when it suggests none. */
export function contentTypeFor(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  if (dot <= 0)
    return name === "MLmodel" || name === "MLproject" ? byExtension.yaml! : defaultContentType;
  return byExtension[name.slice(dot + 1).toLowerCase()] ?? defaultContentType;
}

/**
 * The content type to record for an upload: the one sent, unless it says nothing
 * (absent or `application/octet-stream`), then the one the name suggests.
 */
export function chooseContentType(path: string, sent: string | null | undefined): string {
  const given = sent?.trim();
  if (!given || given.toLowerCase().startsWith(defaultContentType)) return contentTypeFor(path);
  return given.slice(0, 200);
}
