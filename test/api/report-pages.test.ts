import { mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../api/app.ts";
import type { Db } from "../../db/index.ts";
import { fileTarget } from "../support/db-targets.ts";
import { gql } from "../support/gql.ts";
import { tempDir } from "../support/temp-dir.ts";

const page = (title: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${title}</body></html>`;

/** A folder shaped like a report, beside a secret file it must never serve. */
function makeReport(): { dir: string; secret: string } {
  const parent = tempDir("labbook-report-pages-");
  const dir = join(parent, "report");
  mkdirSync(join(dir, "experiments"), { recursive: true });
  mkdirSync(join(dir, "assets"));
  mkdirSync(join(dir, "compare", "lr-sweep"), { recursive: true });
  writeFileSync(join(dir, "index.html"), page("index"));
  writeFileSync(join(dir, "experiments", "1.html"), page("experiment 1"));
  writeFileSync(join(dir, "compare", "lr-sweep", "index.html"), page("lr sweep"));
  writeFileSync(join(dir, "assets", "labbook.js"), "console.log('hi');\n");
  writeFileSync(join(dir, "snapshot.json"), '{"version":1}');
  writeFileSync(join(dir, "chart.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  writeFileSync(join(dir, "chart.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  writeFileSync(join(dir, "model.bin"), Buffer.from([1, 2, 3]));
  writeFileSync(join(dir, ".hidden"), "no");
  const secret = join(parent, "secret.txt");
  writeFileSync(secret, "the database password");
  symlinkSync(secret, join(dir, "escape.txt"));
  return { dir, secret };
}

const get = (app: App, path: string, init: RequestInit = {}) =>
  app.fetch(new Request(`http://labbook.test${path}`, init));

describe("the report served at /", () => {
  let db: Db;
  let report: { dir: string; secret: string };
  let app: App;

  beforeAll(async () => {
    db = await fileTarget.open();
    report = makeReport();
    app = createApp({ db, report: { dir: report.dir, liveRefreshSeconds: 3 } });
  });

  afterAll(async () => {
    await db?.close();
  });

  it("serves the pages marked live, with a relative API address", async () => {
    const index = await get(app, "/");
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(index.headers.get("cache-control")).toBe("no-cache");
    const html = await index.text();
    expect(html).toContain(
      '<meta name="labbook-live" content="graphql" data-refresh-seconds="3"></head>',
    );
    expect(index.headers.get("content-length")).toBe(String(Buffer.byteLength(html)));
    expect(await (await get(app, "/index.html")).text()).toBe(html);
    expect(await (await get(app, "/experiments/1.html")).text()).toContain('content="../graphql"');
    expect(await (await get(app, "/compare/lr-sweep/")).text()).toContain(
      'content="../../graphql"',
    );
    const folder = await get(app, "/compare/lr-sweep");
    expect(folder.status).toBe(301);
    expect(folder.headers.get("location")).toBe("/compare/lr-sweep/");
  });

  it("serves other files as they are, with their content types", async () => {
    const expectations: [string, string, string | null][] = [
      ["/assets/labbook.js", "text/javascript; charset=utf-8", "console.log('hi');\n"],
      ["/snapshot.json", "application/json; charset=utf-8", '{"version":1}'],
      ["/chart.svg", "image/svg+xml", null],
      ["/chart.png", "image/png", null],
      ["/model.bin", "application/octet-stream", null],
    ];
    for (const [path, type, body] of expectations) {
      const response = await get(app, path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type"), path).toBe(type);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      const text = await response.text();
      if (body !== null) expect(text).toBe(body);
    }
    const head = await get(app, "/experiments/1.html", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(0);
    expect(await head.text()).toBe("");
  });

  it("answers 404 for what is not a file of the report, however the path is spelled", async () => {
    const outside = [
      "/missing.html",
      "/experiments/",
      "/experiments",
      "/assets/..%2f..%2fsecret.txt",
      "/..%2fsecret.txt",
      "/%2e%2e%2fsecret.txt",
      "/assets/%2e%2e/%2e%2e/secret.txt",
      "/..%5csecret.txt",
      "/index.html%00.js",
      "/escape.txt", // a symlink that leads out of the folder
      "/.hidden",
      "/%E0%A4%A",
    ];
    for (const path of outside) {
      const response = await get(app, path);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).not.toContain("password");
    }
    // Raw `..` segments never reach the app: URLs are normalized first (to /secret.txt).
    expect((await get(app, "/assets/../../secret.txt")).status).toBe(404);
    expect((await get(app, "/", { method: "POST", body: "x" })).status).toBe(405);
  });

  it("leaves the API's routes as they were", async () => {
    expect(await (await get(app, "/health")).text()).toBe("OK");
    const { status, body } = await gql(app, "{ experiments { totalCount } }");
    expect(status).toBe(200);
    expect(body.data).toEqual({ experiments: { totalCount: 1 } });
  });

  it("serves a rebuilt report at once, and answers as before while there is none", async () => {
    const { dir } = report;
    renameSync(dir, `${dir}.old`);
    const none = await get(app, "/");
    expect(none.status).toBe(404);
    expect(await none.json()).toMatchObject({
      errors: [
        { message: "No route GET /; the API is at /graphql.", extensions: { code: "NOT_FOUND" } },
      ],
    });
    mkdirSync(dir);
    writeFileSync(join(dir, "index.html"), page("rebuilt"));
    expect(await (await get(app, "/")).text()).toContain("rebuilt");
  });

  it("serves the files unmarked when live refresh is off", async () => {
    const plain = createApp({ db, report: { dir: makeReport().dir, liveRefreshSeconds: 0 } });
    expect(await (await get(plain, "/")).text()).toBe(page("index"));
  });
});

describe("the report of a server with a token", () => {
  const token = "s3cret-token";
  let db: Db;
  let app: App;

  beforeAll(async () => {
    db = await fileTarget.open();
    app = createApp({ db, token, report: { dir: makeReport().dir, liveRefreshSeconds: 5 } });
  });

  afterAll(async () => {
    await db?.close();
  });

  it("needs the token: a bearer header, or ?token= once, kept in a cookie", async () => {
    const anonymous = await get(app, "/experiments/1.html");
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toContain("?token=");
    expect((await get(app, "/?token=wrong")).status).toBe(401);
    expect((await get(app, "/", { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );

    const entry = await get(app, `/experiments/1.html?token=${token}&x=1`, { redirect: "manual" });
    expect(entry.status).toBe(303);
    expect(entry.headers.get("location")).toBe("/experiments/1.html?x=1");
    const cookie = entry.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^labbook_report=[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(token);
    const session = cookie.split(";")[0] as string;
    const pageWithCookie = await get(app, "/experiments/1.html", { headers: { cookie: session } });
    expect(pageWithCookie.status).toBe(200);
    expect(await pageWithCookie.text()).toContain('name="labbook-live"');
    expect((await get(app, "/", { headers: { cookie: "labbook_report=forged" } })).status).toBe(
      401,
    );
  });

  it("lets the cookie reach the API only from the report's own pages", async () => {
    const entry = await get(app, `/?token=${token}`, { redirect: "manual" });
    const session = (entry.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const query = "{ experiments { totalCount } }";
    const from = (site: string | undefined) =>
      gql(app, query, undefined, {
        headers: { cookie: session, ...(site && { "sec-fetch-site": site }) },
      });
    expect((await from("same-origin")).status).toBe(200);
    expect((await from("same-site")).status).toBe(401);
    expect((await from("cross-site")).status).toBe(401);
    expect((await from(undefined)).status).toBe(401);
    // Only GraphQL: files and admin routes still need the header.
    const artifact = await get(app, "/artifacts/0123456789abcdef0123456789abcdef/x.txt", {
      headers: { cookie: session, "sec-fetch-site": "same-origin" },
    });
    expect(artifact.status).toBe(401);
  });
});
