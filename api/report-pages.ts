import { createReadStream, existsSync } from "node:fs";
import { readFile, realpath, stat } from "node:fs/promises";
import { extname, join, sep } from "node:path";
import { Readable } from "node:stream";
import { hasBearerToken } from "./auth.ts";
import { errorResponse } from "./http-errors.ts";
import { hasSessionCookie, isToken, sessionCookie } from "./report-session.ts";

export interface ReportPagesOptions {
  /** The folder `labbook report` wrote. Looked at on every request, so a rebuild shows at once. */
  dir: string;
  /** Seconds between the pages' refreshes of runs in progress; 0 serves the files as they are. */
  liveRefreshSeconds: number;
  /** The API's token: when set, the report needs it too (its pages hold the same data). */
  token?: string | undefined;
  /** Where the GraphQL API is, from the server's root (`/graphql`). */
  graphqlPath: string;
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".yaml": "text/yaml; charset=utf-8",
  ".yml": "text/yaml; charset=utf-8",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
};

/** The marker the pages' script looks for; without it (any other host) the pages stay static. */
export const liveMetaName = "labbook-live";

/** The report's file for a URL path, or undefined for a path that could leave the folder. */
function relativeFile(pathname: string): string[] | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (/[\0\\]/.test(decoded)) return undefined;
  const segments = decoded.split("/").slice(1);
  if (segments.length === 0 || segments.at(-1) === "") segments.splice(-1, 1, "index.html");
  // No `..` or `.`, no empty segment, no hidden file: nothing a report links to.
  if (segments.some((segment) => segment === "" || segment.startsWith("."))) return undefined;
  return segments;
}

/** `../../graphql` from `/experiments/1.html`: relative, so a proxy's base path is kept. */
function relativeApiUrl(pathname: string, graphqlPath: string): string {
  const depth = pathname.split("/").length - 2;
  return `${"../".repeat(depth)}${graphqlPath.replace(/^\//, "")}`;
}

const escapeAttribute = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** Adds the live marker before `</head>`; a page without a head is left as it is. */
export function injectLiveMarker(html: string, apiUrl: string, refreshSeconds: number): string {
  const at = html.search(/<\/head>/i);
  if (at < 0) return html;
  const meta = `<meta name="${liveMetaName}" content="${escapeAttribute(apiUrl)}" data-refresh-seconds="${refreshSeconds}">`;
  return `${html.slice(0, at)}${meta}${html.slice(at)}`;
}

const htmlPage = (status: number, title: string, body: string, headers: HeadersInit = {}) =>
  new Response(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${body}</p></body></html>`,
    { status, headers: { "content-type": "text/html; charset=utf-8", ...headers } },
  );

/**
 * Serves a built report at the server's root: files of the folder only (no path leaves it,
 * symlinks included), with their content types, and HTML pages marked live so that their
 * script refreshes the runs in progress from the API. Resolves undefined when the folder
 * holds no report (no `index.html`), so the caller answers as it would without one.
 */
export function createReportPages(options: ReportPagesOptions) {
  const { dir, token } = options;
  const notFound = (pathname: string) =>
    errorResponse(404, "NOT_FOUND", `No file ${pathname} in the report, and no API route there.`);

  return async function serveReportPage(request: Request): Promise<Response | undefined> {
    if (!existsSync(join(dir, "index.html"))) return undefined;
    const url = new URL(request.url);
    if (request.method !== "GET" && request.method !== "HEAD")
      return errorResponse(405, "METHOD_NOT_ALLOWED", "The report is read with GET.", {
        allow: "GET, HEAD",
      });

    if (token) {
      const given = url.searchParams.get("token");
      if (given !== null) {
        if (!isToken(given, token))
          return htmlPage(
            401,
            "Wrong token",
            "That is not the token this server was started with.",
          );
        // Into a cookie, out of the address bar (and the history).
        url.searchParams.delete("token");
        return new Response(null, {
          status: 303,
          headers: { location: `${url.pathname}${url.search}`, "set-cookie": sessionCookie(token) },
        });
      }
      if (!hasBearerToken(request, token) && !hasSessionCookie(request, token))
        return htmlPage(
          401,
          "This report needs the server's token",
          "The server was started with a token, and the report holds the same data as the API. Open this address with <code>?token=&lt;the token&gt;</code> once; the browser then keeps a cookie for this server.",
          { "www-authenticate": "Bearer" },
        );
    }

    const segments = relativeFile(url.pathname);
    if (!segments) return notFound(url.pathname);
    let file: string;
    try {
      const root = await realpath(dir);
      file = await realpath(join(root, ...segments));
      if (!file.startsWith(`${root}${sep}`)) return notFound(url.pathname);
      const info = await stat(file);
      if (info.isDirectory()) {
        if (!existsSync(join(file, "index.html"))) return notFound(url.pathname);
        return new Response(null, { status: 301, headers: { location: `${url.pathname}/` } });
      }
      if (!info.isFile()) return notFound(url.pathname);
    } catch {
      // Browsers ask every site for an icon; a report has none, and that is no error.
      if (url.pathname === "/favicon.ico") return new Response(null, { status: 204 });
      return notFound(url.pathname);
    }

    const type = contentTypes[extname(file).toLowerCase()] ?? "application/octet-stream";
    const headers: Record<string, string> = {
      "content-type": type,
      // A rebuilt report replaces these files: ask again each time (answers are cheap).
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    };
    if (type.startsWith("text/html") && options.liveRefreshSeconds > 0) {
      const html = injectLiveMarker(
        await readFile(file, "utf8"),
        relativeApiUrl(url.pathname, options.graphqlPath),
        options.liveRefreshSeconds,
      );
      const body = Buffer.from(html);
      headers["content-length"] = String(body.length);
      return new Response(request.method === "HEAD" ? null : body, { headers });
    }
    headers["content-length"] = String((await stat(file)).size);
    if (request.method === "HEAD") return new Response(null, { headers });
    return new Response(Readable.toWeb(createReadStream(file)) as ReadableStream, { headers });
  };
}
