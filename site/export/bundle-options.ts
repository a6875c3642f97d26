import { join } from "node:path";
import type { BuildOptions } from "esbuild";
import { siteRoot } from "../astro-options.ts";

/**
 * How a page script in `site/client/` is bundled: one classic (IIFE) file, minified, with no
 * module scripts, which file:// refuses.
 */
export const pageScriptBundle = (entry: string) =>
  ({
    entryPoints: [join(siteRoot, "client", entry)],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    legalComments: "none",
  }) satisfies BuildOptions;
