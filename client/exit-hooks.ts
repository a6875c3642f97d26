import { inspect } from "node:util";
import { killEmbeddedServer, ownsEmbeddedServer, stopEmbeddedServer } from "./embedded-server.ts";

/**
 * How a run ends when the process does.
 *
 * @example
 * await run.end("FAILED" satisfies EndStatus);
 */
export type EndStatus = "FINISHED" | "FAILED" | "KILLED";

/**
 * What the exit hooks need of a run.
 *
 * @example
 * trackRun({ end: async () => {}, persistUnsent: () => {} });
 */
export interface ExitParticipant {
  /** Flushes, and sets the status when this SDK created the run. Bounded in time, never throws. */
  end(status: EndStatus): Promise<void>;
  /** For the `exit` event: writes what was not sent to a file, synchronously. */
  persistUnsent(): void;
}

/**
 * The process-wide state of the exit hooks.
 *
 * @example
 * installExitHooks().live.size; // runs still open
 */
export interface Hooks {
  live: Set<ExitParticipant>;
  dying: boolean;
}

/**
 * One registry per process, even if two copies of the SDK are loaded (a symbol on
 * `globalThis`): process handlers must be installed once, or every exit would flush twice.
 */
const key = Symbol.for("labbook.client.exit-hooks");
const globals = globalThis as typeof globalThis & { [key]?: Hooks };

const signalExitCodes = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Registers a run with the exit hooks, installing them on first use: the run is flushed and
 * ended FINISHED when the process runs out of work (FAILED when `process.exitCode` is set),
 * FAILED on an uncaught exception or unhandled rejection (then exit 1), KILLED on SIGINT or
 * SIGTERM (then exit 130 or 143). A handler stands aside when the program installed its own:
 * then the program decides what an exception or a signal means.
 *
 * @example
 * trackRun(run); // from startRun
 * untrackRun(run); // from run.end()
 */
export function trackRun(run: ExitParticipant): void {
  installExitHooks().live.add(run);
}

/**
 * Removes a run from the exit hooks (it has ended).
 *
 * @example
 * untrackRun(run);
 */
export function untrackRun(run: ExitParticipant): void {
  globals[key]?.live.delete(run);
}

/**
 * Installs the process handlers (once per process); `trackRun` does it too. Whoever may start
 * the embedded server calls it, so the server is stopped when the process ends.
 *
 * @example
 * installExitHooks();
 */
export function installExitHooks(): Hooks {
  const existing = globals[key];
  if (existing) return existing;
  const hooks: Hooks = { live: new Set(), dying: false };
  globals[key] = hooks;

  const endAll = (status: EndStatus) =>
    Promise.all([...hooks.live].map((run) => run.end(status))).then(() => stopEmbeddedServer());

  // Out of work: end what is still open, then stop our server. Node emits 'beforeExit' again
  // once this settles; then there is nothing left to do and the process exits.
  process.on("beforeExit", () => {
    if (hooks.dying || (hooks.live.size === 0 && !ownsEmbeddedServer())) return;
    endAll(process.exitCode ? "FAILED" : "FINISHED").catch((error: unknown) =>
      console.warn("labbook: while ending runs:", error),
    );
  });

  const die = (status: EndStatus, code: number) => {
    if (hooks.dying) return;
    hooks.dying = true;
    // Our own work must keep the process alive until it is done.
    const keepAlive = setInterval(() => {}, 2 ** 30);
    endAll(status)
      .catch((error: unknown) => console.warn("labbook: while ending runs:", error))
      .finally(() => {
        clearInterval(keepAlive);
        process.exit(code);
      });
  };

  process.on("uncaughtException", (error, origin) => {
    if (process.listenerCount("uncaughtException") > 1) return;
    // With a listener Node no longer prints the error: print it as Node would have.
    console.error(
      origin === "unhandledRejection" ? `Unhandled rejection: ${inspect(error)}` : error,
    );
    if (hooks.dying) return;
    die("FAILED", 1);
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => {
      if (process.listenerCount(signal) > 1) return;
      // A second Ctrl-C while flushing: the user will not wait. The 'exit' hook keeps the data.
      if (hooks.dying) process.exit(signalExitCodes[signal]);
      die("KILLED", signalExitCodes[signal]);
    });

  // process.exit() (ours or the program's) skips everything asynchronous: keep what was not
  // sent on disk, and do not leave our server running.
  process.on("exit", () => {
    for (const run of hooks.live) run.persistUnsent();
    hooks.live.clear();
    killEmbeddedServer();
  });
  return hooks;
}
