import { readFileSync } from "node:fs";

/**
 * Reads `fixtures/mlflow-rest-transcript.txt` (a copy of the team's `shared/` recording, kept in
 * the repository so a clean clone tests it): a real MLflow 3.6 client talking to a real MLflow
 * server, one exchange per `### <n> <METHOD> <path>` block, the Python call that made it in
 * the `=== <call>` line above.
 */
export interface Exchange {
  number: number;
  call: string;
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: Record<string, string>;
  /** The request body: JSON text, plain text, or undefined when empty. */
  body: string | undefined;
  status: number;
  contentType: string;
  /** The response body: parsed JSON, or text for other content types. */
  response: unknown;
}

/** A Python string literal (`'hello\n'`) as the recorder printed text bodies. */
function pythonString(literal: string): string {
  const inner = literal.trim().slice(1, -1);
  return inner.replace(/\\(x[0-9a-f]{2}|.)/g, (_, escaped: string) => {
    if (escaped.startsWith("x")) return String.fromCharCode(Number.parseInt(escaped.slice(1), 16));
    return { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"' }[escaped] ?? escaped;
  });
}

export function parseTranscript(file: string): Exchange[] {
  const exchanges: Exchange[] = [];
  let call = "";
  let current: Partial<Exchange> | undefined;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const marker = /^=== (.+)$/.exec(line);
    if (marker?.[1]) {
      call = marker[1].trim();
      continue;
    }
    const start = /^### (\d+) (\w+) (\S+)$/.exec(line);
    if (start) {
      current = { number: Number(start[1]), call, method: start[2], path: start[3] };
      continue;
    }
    if (!current) continue;
    const headers = /^ {2}req headers: (.*)$/.exec(line);
    if (headers?.[1]) current.headers = JSON.parse(headers[1]) as Record<string, string>;
    const body = /^ {2}req body: (.*)$/.exec(line);
    if (body?.[1] !== undefined)
      current.body =
        body[1] === "(empty)"
          ? undefined
          : body[1].startsWith("'")
            ? pythonString(body[1])
            : body[1];
    const response = /^ {2}resp (\d+) ([^:]+): (.*)$/.exec(line);
    if (response?.[1] && response[2] && response[3] !== undefined) {
      const contentType = response[2].trim();
      const text = response[3];
      exchanges.push({
        ...(current as Exchange),
        status: Number(response[1]),
        contentType,
        response: contentType === "application/json" ? JSON.parse(text) : pythonString(text),
      });
      current = undefined;
    }
  }
  return exchanges;
}
