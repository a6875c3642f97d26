/**
 * Data for a page's script, inlined as JSON: `file://` pages cannot fetch. `<` is escaped so
 * the JSON cannot close its script element.
 */
export const inlineJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
