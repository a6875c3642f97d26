import { defineMdastPlugin, markdownToHtml } from "satteri";

/** Markdown as a comparison page shows it, and what in it a page may not have. */
export interface RenderedMarkdown {
  html: string;
  /** Images other than `data:` URIs: a report copies no files and loads nothing from outside. */
  refusedImages: string[];
  /** Links a page refuses to carry (`javascript:` and the like). */
  unsafeLinks: string[];
}

/** Link schemes prose may use; anything else with a scheme is refused. */
const safeScheme = /^(https?|mailto):/i;
const hasScheme = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Renders a comparison's prose (GitHub-flavoured Markdown: tables, task lists, strikethrough)
 * with Astro's own Markdown engine (Sätteri). Raw HTML is shown as text, not run: a report
 * file is reviewed as prose, and a stray `<script>` should not become one.
 *
 * @example
 * renderMarkdown("Runs with **lr = 1e-3** converge faster.").html;
 * // "<p>Runs with <strong>lr = 1e-3</strong> converge faster.</p>\n"
 */
export function renderMarkdown(source: string): RenderedMarkdown {
  const refusedImages: string[] = [];
  const unsafeLinks: string[] = [];
  const guard = defineMdastPlugin({
    name: "labbook-report-prose",
    html(node, ctx) {
      ctx.replaceNode(node, { type: "text", value: node.value });
    },
    image(node) {
      if (!node.url.startsWith("data:")) refusedImages.push(node.url);
    },
    link(node) {
      if (hasScheme.test(node.url) && !safeScheme.test(node.url)) unsafeLinks.push(node.url);
    },
  });
  const { html } = markdownToHtml(source, {
    mdastPlugins: [guard],
    features: { frontmatter: false, gfm: true },
  });
  return { html, refusedImages, unsafeLinks };
}
