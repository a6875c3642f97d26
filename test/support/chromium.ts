import { type Browser, chromium, type Page } from "playwright-core";

/**
 * Debian's Chromium (`apt-get install chromium`, which .ci/run does), never a downloaded one,
 * with nothing that reaches out on its own: no sync, updates, QUIC or background requests.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

/** A page in a fresh context that records its console errors and every request it makes. */
export async function openRecordingPage(browser: Browser) {
  const context = await browser.newContext();
  const page: Page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (message) => {
    // The tests' static hosts have no icon to answer the browser's favicon request with.
    if (message.type() === "error" && !message.location().url.endsWith("/favicon.ico"))
      errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("request", (request) => requests.push(request.url()));
  return { context, page, errors, requests };
}
