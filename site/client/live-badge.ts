/**
 * A small note in the page's corner saying that it follows the server, and when it last
 * changed; tests and readers alike watch its `data-live-state` and `data-live-updates`.
 */
export class LiveBadge {
  private readonly element: HTMLElement;
  private updates = 0;
  private readonly refreshSeconds: number;

  constructor(refreshSeconds: number) {
    this.refreshSeconds = refreshSeconds;
    const element = document.createElement("div");
    element.dataset.live = "";
    element.setAttribute("role", "status");
    Object.assign(element.style, {
      position: "fixed",
      right: "0.8rem",
      bottom: "0.8rem",
      padding: "0.25rem 0.6rem",
      borderRadius: "999px",
      font: "12px system-ui, sans-serif",
      background: "#f3f4f6",
      border: "1px solid #e5e7eb",
      color: "#374151",
      zIndex: "10",
    });
    document.body.append(element);
    this.element = element;
    this.show("ok", `live · every ${refreshSeconds} s`);
  }

  private show(state: "ok" | "error" | "stopped", text: string, title?: string): void {
    this.element.dataset.liveState = state;
    this.element.textContent = `${state === "error" ? "⚠" : "●"} ${text}`;
    this.element.style.color =
      state === "ok" ? "#166534" : state === "error" ? "#92400e" : "#374151";
    this.element.title =
      title ??
      `This page follows the labbook server: runs in progress refresh every ${this.refreshSeconds} s.`;
  }

  /** The page was redrawn from new data. */
  updated(): void {
    this.updates += 1;
    this.element.dataset.liveUpdates = String(this.updates);
    this.show("ok", `live · updated ${new Date().toLocaleTimeString()}`);
  }

  /** A refresh went through (with or without news). */
  fine(): void {
    if (this.element.dataset.liveState !== "ok")
      this.show("ok", `live · every ${this.refreshSeconds} s`);
  }

  failed(message: string): void {
    this.show("error", "live · server unreachable, retrying", message);
  }

  stopped(text: string, title?: string): void {
    this.show("stopped", text, title);
  }
}
