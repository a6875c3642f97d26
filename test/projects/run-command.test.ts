import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { OutputTail, type RunningCommand, startCommand } from "../../projects/index.ts";
import { tempDir } from "../support/temp-dir.ts";

const fixture = fileURLToPath(new URL("./fixtures/echo", import.meta.url));

/** A stream that remembers what was written to it, and can wait for a piece of text. */
function sink() {
  const stream = new PassThrough();
  let text = "";
  const waiting: { needle: string; resolve: () => void }[] = [];
  stream.on("data", (chunk: Buffer) => {
    text += chunk;
    for (const wait of waiting.splice(0))
      if (text.includes(wait.needle)) wait.resolve();
      else waiting.push(wait);
  });
  return {
    stream,
    text: () => text,
    until: (needle: string) =>
      new Promise<void>((resolve) => {
        if (text.includes(needle)) resolve();
        else waiting.push({ needle, resolve });
      }),
  };
}

function start(command: string, options: { env?: NodeJS.ProcessEnv; tailBytes?: number } = {}) {
  const out = sink();
  const err = sink();
  const running: RunningCommand = startCommand({
    command,
    cwd: fixture,
    env: { ...process.env, ...options.env },
    stdout: out.stream,
    stderr: err.stream,
    ...(options.tailBytes && { tailBytes: options.tailBytes }),
  });
  return { running, out, err };
}

describe("startCommand", () => {
  it("runs a shell line in the project dir with the env, copies stdout and stderr, keeps both", async () => {
    const { running, out, err } = start(
      'echo "out $LABBOOK_RUN_ID in $(pwd)"; echo "err line" >&2; exit 3',
      { env: { LABBOOK_RUN_ID: "abc123" } },
    );
    const result = await running.finished;
    expect(result).toMatchObject({ code: 3, signal: null });
    expect(out.text()).toBe(`out abc123 in ${fixture}\n`);
    expect(err.text()).toBe("err line\n");
    expect(result.tail.text()).toBe(`out abc123 in ${fixture}\nerr line\n`);
  });

  it("passes a signal to every process of the command, even under a shell that does not exec", async () => {
    // Two commands: the shell stays, and node is its child, not the shell itself.
    const { running, out } = start("node wait.mjs; echo 'the shell went on'");
    await out.until("ready");
    running.kill("SIGTERM");
    const result = await running.finished;
    expect(out.text()).toContain("received SIGTERM");
    expect(out.text()).not.toContain("the shell went on");
    expect(result.code === 143 || result.signal === "SIGTERM").toBe(true);
  });

  it("keeps only the last bytes of long output", async () => {
    const { running, out } = start(
      "node -e \"for (let i = 0; i < 2000; i++) console.log('line ' + i)\"",
      { tailBytes: 1000 },
    );
    const { code, tail } = await running.finished;
    expect(code).toBe(0);
    expect(out.text().split("\n")).toHaveLength(2001);
    const kept = tail.text();
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(1000);
    expect(kept.endsWith("line 1998\nline 1999\n")).toBe(true);
    expect(tail.totalBytes).toBe(Buffer.byteLength(out.text()));
  });

  it("reports a command that cannot start", async () => {
    const running = startCommand({
      command: "true",
      cwd: join(tempDir(), "missing"),
      env: process.env,
      stdout: new PassThrough(),
      stderr: new PassThrough(),
    });
    const result = await running.finished;
    expect(result.code).toBeNull();
    expect(result.error?.message).toMatch(/ENOENT/);
  });
});

describe("OutputTail", () => {
  it("keeps everything while short, and the last maxBytes after", () => {
    const tail = new OutputTail(10);
    tail.push("hello ");
    expect(tail.text()).toBe("hello ");
    tail.push(Buffer.from("world, "));
    tail.push("and more");
    expect(tail.text()).toBe(", and more");
    expect(tail.totalBytes).toBe(21);
  });

  it("drops a character cut in two at the start, and clips to maxChars with …", () => {
    const tail = new OutputTail(5);
    tail.push("éé"); // 4 bytes
    tail.push("éé"); // the kept 5 bytes start in the middle of an é
    expect(tail.text()).toBe("éé");
    const long = new OutputTail(1000);
    long.push("x".repeat(50));
    expect(long.text(10)).toBe(`…${"x".repeat(9)}`);
    const emoji = new OutputTail(1000);
    emoji.push("😀😀😀");
    // 6 code units; keeping 3 would start inside a surrogate pair.
    expect(emoji.text(4)).toBe("…😀");
  });
});
