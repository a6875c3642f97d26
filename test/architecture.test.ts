import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Which of our folders each folder may import; the table in ARCHITECTURE.md. */
const allowed: Record<string, readonly string[]> = {
  search: [],
  db: ["search"],
  "artifact-store": [],
  api: ["db", "artifact-store", "mlflow"],
  mlflow: ["db", "artifact-store", "search"],
  client: [],
  models: ["client"],
  projects: [],
  site: ["search"],
  cli: ["api", "db", "client", "models", "projects", "artifact-store", "site"],
  scripts: ["api", "db"],
  bench: ["api", "db", "client", "cli", "models"],
  examples: ["client"],
};
const driverPackages = ["@libsql/client", "drizzle-orm", "libsql"];
/** The object storage SDK: only artifact-store/ talks to S3. */
const s3Packages = ["@aws-sdk/client-s3", "@aws-sdk/lib-storage"];
const serverPackages = [
  ...driverPackages,
  ...s3Packages,
  "graphql",
  "graphql-yoga",
  "@pothos/core",
  "dataloader",
];
/** Files outside db/ that may use the driver directly: baselines and fixture makers. */
const driverExceptions = [/^bench\/baseline-/, /^scripts\/make-fixture-/];

interface Import {
  specifier: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name === "migrations") return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") || name.endsWith(".astro") ? [path] : [];
  });
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  const found: Import[] = [];
  const pattern =
    /(?:^|\n)\s*(import|export)\s+(type\s+)?[^;]*?\sfrom\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s+["']([^"']+)["']/g;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[3] ?? match[4] ?? match[5];
    if (specifier) found.push({ specifier, typeOnly: match[2] !== undefined });
  }
  return found;
}

const topFolder = (file: string) => relative(root, file).split("/")[0] ?? "";
const packageName = (specifier: string) =>
  specifier.startsWith("@")
    ? specifier.split("/").slice(0, 2).join("/")
    : (specifier.split("/")[0] ?? "");

const files = Object.keys(allowed).flatMap((folder) => sourceFiles(join(root, folder)));

describe("architecture (ARCHITECTURE.md)", () => {
  it("keeps every folder to the imports its row allows", () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = topFolder(file);
      for (const { specifier } of importsOf(file)) {
        if (!specifier.startsWith(".")) continue;
        const to = topFolder(resolve(dirname(file), specifier));
        if (to !== from && !allowed[from]?.includes(to))
          violations.push(
            `${relative(root, file)} imports ${specifier} (${from} may not import ${to})`,
          );
      }
    }
    expect(violations).toEqual([]);
  });

  it("keeps the database driver inside db/", () => {
    const violations = files
      .filter((file) => topFolder(file) !== "db")
      .filter((file) => !driverExceptions.some((pattern) => pattern.test(relative(root, file))))
      .flatMap((file) =>
        importsOf(file)
          .filter(({ specifier }) => driverPackages.includes(packageName(specifier)))
          .map(({ specifier }) => `${relative(root, file)} imports ${specifier}`),
      );
    expect(violations).toEqual([]);
  });

  it("keeps the S3 SDK inside artifact-store/", () => {
    const violations = files
      .filter((file) => topFolder(file) !== "artifact-store")
      .flatMap((file) =>
        importsOf(file)
          .filter(({ specifier }) => s3Packages.includes(packageName(specifier)))
          .map(({ specifier }) => `${relative(root, file)} imports ${specifier}`),
      );
    expect(violations).toEqual([]);
  });

  it("keeps the site off the database and the API: it reads a snapshot", () => {
    const violations = files
      .filter((file) => topFolder(file) === "site")
      .flatMap((file) =>
        importsOf(file)
          .filter(({ specifier }) => serverPackages.includes(packageName(specifier)))
          .map(({ specifier }) => `${relative(root, file)} imports ${specifier}`),
      );
    expect(violations).toEqual([]);
  });

  it("keeps the client SDK and the examples free of server-side packages", () => {
    const violations = files
      .filter((file) => topFolder(file) === "client" || topFolder(file) === "examples")
      .flatMap((file) =>
        importsOf(file)
          .filter(({ specifier }) => serverPackages.includes(packageName(specifier)))
          .map(({ specifier }) => `${relative(root, file)} imports ${specifier}`),
      );
    expect(violations).toEqual([]);
  });

  it("has no runtime import cycles", () => {
    const graph = new Map<string, string[]>();
    for (const file of files)
      graph.set(
        file,
        importsOf(file)
          .filter(({ specifier, typeOnly }) => specifier.startsWith(".") && !typeOnly)
          .map(({ specifier }) => resolve(dirname(file), specifier)),
      );
    const cycles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "visiting") {
        cycles.push(
          [...path.slice(path.indexOf(file)), file].map((f) => relative(root, f)).join(" -> "),
        );
        return;
      }
      state.set(file, "visiting");
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, "done");
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
