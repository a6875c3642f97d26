import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ResvgRenderOptions } from "@resvg/resvg-js";

/**
 * The faces charts are drawn in, by preference: their CSS families (system-ui, sans-serif…)
 * fall back to the first the machine has. Liberation Sans has Arial's metrics (what most
 * pages' sans-serif looks like), and resvg shapes it in a third of DejaVu Sans's time.
 */
const families = [
  { family: "Liberation Sans", files: ["LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"] },
  { family: "DejaVu Sans", files: ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"] },
];
/** Where Linux distributions put them (Debian and Ubuntu, Fedora, Arch, Alpine). */
const folders = [
  "/usr/share/fonts/truetype/liberation",
  "/usr/share/fonts/liberation-sans",
  "/usr/share/fonts/liberation",
  "/usr/share/fonts/truetype/dejavu",
  "/usr/share/fonts/dejavu-sans-fonts",
  "/usr/share/fonts/dejavu",
  "/usr/share/fonts/TTF",
  "/usr/share/fonts/ttf-dejavu",
];

let found: ResvgRenderOptions["font"] | undefined;

/**
 * resvg's fonts. It reads the fonts it is given on every drawing: every font of the system
 * costs some 5 ms a chart on a small Linux machine (more with a desktop's hundreds), the two
 * faces a chart uses well under one. So the regular and bold faces of a family above are given
 * when the machine has them, else the system's fonts are read as before.
 */
export function chartFonts(): NonNullable<ResvgRenderOptions["font"]> {
  found ??= (() => {
    for (const { family, files } of families)
      for (const folder of folders) {
        const paths = files.map((file) => join(folder, file));
        if (paths.every((path) => existsSync(path)))
          return { loadSystemFonts: false, fontFiles: paths, defaultFontFamily: family };
      }
    return { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" };
  })();
  return found;
}
