import { join } from "node:path";
import { buildSync } from "esbuild";
import { siteRoot } from "../astro-options.ts";

let bundled: string | undefined;

/**
 * The embed pages' script (`site/client/embed.ts`) as one classic script, bundled once per
 * process. Synchronous, as `chartPageHtml` is: esbuild bundles this small file in milliseconds.
 */
export function embedScript(): string {
  bundled ??=
    buildSync({
      entryPoints: [join(siteRoot, "client", "embed.ts")],
      bundle: true,
      format: "iife",
      platform: "browser",
      target: "es2022",
      minify: true,
      write: false,
      legalComments: "none",
    }).outputFiles[0]?.text ?? "";
  return bundled;
}
