import { fileURLToPath } from "node:url";
import type { AstroInlineConfig } from "astro";

/** The site's folder (this file's). */
export const siteRoot = fileURLToPath(new URL(".", import.meta.url));

/**
 * Astro's configuration for a report. Every page is a file named as its source is
 * (`runs/[id].astro` → `runs/abc.html`, `compare/[stem]/index.astro` → `compare/lr/index.html`),
 * links name the file (from disk a folder does not open its index.html), styles are inlined,
 * and nothing is served from `/_astro/`: a report has no absolute URL and works under any base
 * path.
 */
export function astroConfig(options: {
  snapshotPath: string;
  outDir: string;
  /** Vite's cache, per build (several builds may run at once). */
  cacheDir: string;
}): AstroInlineConfig {
  return {
    root: siteRoot,
    configFile: false,
    outDir: options.outDir,
    output: "static",
    logLevel: "warn",
    telemetry: false,
    devToolbar: { enabled: false },
    build: { format: "preserve", inlineStylesheets: "always" },
    vite: {
      // The chart files are written into the same folder while Astro builds: do not empty it.
      build: { emptyOutDir: false },
      cacheDir: options.cacheDir,
      define: { __LABBOOK_SNAPSHOT__: JSON.stringify(options.snapshotPath) },
      logLevel: "warn",
    },
  } as AstroInlineConfig;
}
