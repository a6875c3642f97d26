import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const entry = resolve(root, "client/index.ts");

/** Every specifier a file imports or re-exports, type-only ones included (they name files too). */
function specifiersOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const pattern =
    /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s+["']([^"']+)["']/g;
  return [...text.matchAll(pattern)].map((match) => match[1] ?? match[2] ?? match[3] ?? "");
}

describe("the client SDK's import graph", () => {
  it("reaches only files under client/ and Node's built-in modules, statically", () => {
    const files = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file)) return;
      files.add(file);
      for (const specifier of specifiersOf(file)) {
        if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier));
        else packages.add(specifier);
      }
    };
    visit(entry);
    expect(
      [...files].map((file) => relative(root, file)).filter((f) => !f.startsWith("client/")),
    ).toEqual([]);
    // No package at all: only `node:` built-ins.
    expect([...packages].filter((name) => !name.startsWith("node:"))).toEqual([]);
    expect(files.size).toBeGreaterThan(5);
  });

  it("loads only client/ files and built-ins when Node imports it", () => {
    // A resolve hook in a fresh Node records every module the import pulls in.
    const script = `
      import { registerHooks } from "node:module";
      const seen = [];
      registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
      await import(${JSON.stringify(pathToFileURL(entry).href)});
      console.log(JSON.stringify(seen));`;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: root,
      encoding: "utf8",
    });
    const loaded = JSON.parse(output) as string[];
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    const outside = loaded.filter(
      (url) =>
        !builtins.has(url) &&
        !url.startsWith("node:") &&
        !url.startsWith(`${pathToFileURL(resolve(root, "client")).href}/`),
    );
    expect(outside).toEqual([]);
    expect(loaded.some((url) => url.endsWith("/client/run.ts"))).toBe(true);
  });
});
