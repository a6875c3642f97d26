import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { OutputTail } from "./output-tail.ts";

/** How a command ended. */
export interface CommandResult {
  /** The exit code; null when a signal ended it, or it never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started at all. */
  error?: Error;
  /** The last part of what it printed (stdout and stderr interleaved as they came). */
  tail: OutputTail;
}

/** A command started by `startCommand`. */
export interface RunningCommand {
  pid: number | undefined;
  /**
   * Sends a signal to the command and every process it started (its own process group), so
   * a shell that did not `exec` its command passes nothing by.
   */
  kill(signal: NodeJS.Signals): void;
  /** Resolves once the command has exited and its output is written out. */
  finished: Promise<CommandResult>;
}

export interface CommandOptions {
  /** A shell command line. */
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where the command's standard output and error go, as they come. */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** How much output to keep for the result (64 KiB by default). */
  tailBytes?: number;
}

/** MLflow runs commands with `bash -c`; so do we where bash exists, else with `sh -c`. */
const shell = process.platform === "win32" ? true : existsSync("/bin/bash") ? "/bin/bash" : true;

/**
 * Runs a shell command line in its own process group, copies its output live to the given
 * streams and keeps the last part of it. Standard input is closed: the command runs in the
 * background of the terminal, and signals reach it through `kill`.
 *
 * @example
 * const running = startCommand({
 *   command: "node train.js 5 --lr 0.01",
 *   cwd: projectDir,
 *   env: { ...process.env, LABBOOK_RUN_ID: runId },
 *   stdout: process.stdout,
 *   stderr: process.stderr,
 * });
 * process.once("SIGINT", () => running.kill("SIGINT"));
 * const { code, signal, tail } = await running.finished;
 */
export function startCommand(options: CommandOptions): RunningCommand {
  const tail = new OutputTail(options.tailBytes);
  const child = spawn(options.command, {
    shell,
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so that a signal reaches the shell and what it started.
    detached: process.platform !== "win32",
    windowsHide: true,
  });
  const copy = (from: NodeJS.ReadableStream | null, to: NodeJS.WritableStream) =>
    from?.on("data", (chunk: Buffer) => {
      tail.push(chunk);
      to.write(chunk);
    });
  copy(child.stdout, options.stdout);
  copy(child.stderr, options.stderr);

  const finished = new Promise<CommandResult>((resolve) => {
    child.once("error", (error) => resolve({ code: null, signal: null, error, tail }));
    child.once("exit", (code, signal) => {
      const done = () => resolve({ code, signal, tail });
      // 'close' follows once the output pipes are drained, unless a process the command left
      // in the background still holds them: then stop waiting for it after a moment.
      const timer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        done();
      }, 2000);
      child.once("close", () => {
        clearTimeout(timer);
        done();
      });
    });
  });

  return {
    pid: child.pid,
    kill(signal) {
      if (child.pid === undefined) return;
      try {
        if (process.platform === "win32") child.kill(signal);
        else process.kill(-child.pid, signal);
      } catch {
        // The group is gone already.
      }
    },
    finished,
  };
}
