import { buildSync } from "esbuild";
import { pageScriptBundle } from "./bundle-options.ts";

let bundled: string | undefined;

/**
 * The embed pages' script (`site/client/embed.ts`) as one classic script, bundled once per
 * process. Synchronous, as `chartPageHtml` is: esbuild bundles this small file in milliseconds.
 */
export function embedScript(): string {
  bundled ??= buildSync(pageScriptBundle("embed.ts")).outputFiles[0]?.text ?? "";
  return bundled;
}
