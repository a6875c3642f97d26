import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { crc32Hex } from "../../client/download-crc32.ts";
import { downloadOverSocket } from "../../client/socket-download.ts";
import { tempDir } from "../support/temp-dir.ts";

const mib = 1024 * 1024;
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

/**
 * A raw TCP server on 127.0.0.1 that reads a request's head, hands it to `answer` with the
 * socket, and resolves with the URL to fetch; `requests` collects the heads it read.
 */
async function rawServer(answer: (socket: Socket, head: string) => void) {
  const requests: string[] = [];
  const server = createServer((socket) => {
    let head = "";
    socket.on("data", function onData(chunk: Buffer) {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      requests.push(head);
      answer(socket, head);
    });
    socket.on("error", () => {});
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  return { url: new URL(`http://127.0.0.1:${port}/artifacts/run/a%20b.bin?x=1`), requests };
}

const ok = (length: number, extra = "") =>
  `HTTP/1.1 200 OK\r\ncontent-length: ${length}\r\nx-labbook-crc32: 0000abcd\r\n${extra}\r\n`;
const accept = () => true;

describe("downloadOverSocket", () => {
  it("writes a body that spans many 4 MiB buffers, with its CRC-32, its size and the head", async () => {
    const body = randomBytes(29 * mib + 12_345);
    const { url, requests } = await rawServer((socket) => {
      // The head in pieces, the body's first bytes in the same write as the head's end.
      socket.write("HTTP/1.1 200 OK\r\nContent-Le");
      socket.write(`ngth: ${body.length}\r\nX-Labbook-Crc32: 0000abcd\r\n`);
      socket.write(Buffer.concat([Buffer.from("X-Two: a\r\nx-two: b\r\n\r\n"), body]));
      socket.end();
    });
    const file = join(tempDir(), "body.bin");
    const result = await downloadOverSocket(url, { authorization: "Bearer t0ken" }, file, accept);

    expect(result).toEqual({
      kind: "done",
      head: {
        status: 200,
        headers: {
          "content-length": String(body.length),
          "x-labbook-crc32": "0000abcd",
          "x-two": "a, b",
        },
      },
      size: body.length,
      crc32: crc32Hex(crc32(body)),
    });
    expect(readFileSync(file).equals(body)).toBe(true);
    const [request = ""] = requests;
    expect(request.split("\r\n")[0]).toBe("GET /artifacts/run/a%20b.bin?x=1 HTTP/1.1");
    expect(request).toContain(`\r\nhost: ${url.host}\r\n`);
    expect(request).toContain("\r\nauthorization: Bearer t0ken\r\n");
  });

  it("creates an empty file for an empty body", async () => {
    const { url } = await rawServer((socket) => socket.end(ok(0)));
    const file = join(tempDir(), "empty.bin");
    const result = await downloadOverSocket(url, {}, file, accept);
    expect(result).toMatchObject({ kind: "done", size: 0, crc32: "00000000" });
    expect(readFileSync(file).length).toBe(0);
  });

  it.each([
    ["a status other than 200", "HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}"],
    ["a chunked body", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"],
    [
      "a compressed body",
      "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-encoding: gzip\r\n\r\nab",
    ],
    ["a body without a length", "HTTP/1.1 200 OK\r\n\r\nab"],
  ])("declines %s, writing nothing", async (_what, answer) => {
    const { url } = await rawServer((socket) => socket.end(answer));
    const file = join(tempDir(), "declined.bin");
    const result = await downloadOverSocket(url, {}, file, accept);
    expect(result.kind).toBe("declined");
    expect(existsSync(file)).toBe(false);
  });

  it("declines an answer the caller refuses on seeing its head", async () => {
    const { url } = await rawServer((socket) => socket.end(`${ok(2)}ab`));
    const file = join(tempDir(), "refused.bin");
    const seen: string[] = [];
    const result = await downloadOverSocket(url, {}, file, ({ headers }) => {
      seen.push(headers["x-labbook-crc32"] ?? "");
      return false;
    });
    expect(result).toMatchObject({ kind: "declined", head: { status: 200 } });
    expect(seen).toEqual(["0000abcd"]);
    expect(existsSync(file)).toBe(false);
  });

  it("rejects a body cut short, saying how much came", async () => {
    const { url } = await rawServer((socket) => socket.end(`${ok(6 * mib)}${"x".repeat(500)}`));
    await expect(downloadOverSocket(url, {}, join(tempDir(), "short.bin"), accept)).rejects.toThrow(
      `the connection closed after 500 of ${6 * mib} bytes`,
    );
  });

  it("rejects more bytes than the length announced", async () => {
    const { url } = await rawServer((socket) => socket.end(`${ok(10)}${"y".repeat(20)}`));
    await expect(downloadOverSocket(url, {}, join(tempDir(), "long.bin"), accept)).rejects.toThrow(
      "the server sent more than the 10 bytes it announced",
    );
  });

  it("rejects an answer that is not HTTP, and a server that closes without answering", async () => {
    const garbage = await rawServer((socket) => socket.end("SSH-2.0-OpenSSH\r\n\r\n"));
    await expect(
      downloadOverSocket(garbage.url, {}, join(tempDir(), "g.bin"), accept),
    ).rejects.toThrow("the answer is not HTTP/1.x");
    const silent = await rawServer((socket) => socket.end());
    await expect(
      downloadOverSocket(silent.url, {}, join(tempDir(), "s.bin"), accept),
    ).rejects.toThrow("the connection closed before an answer came");
  });

  it("rejects when nothing listens", async () => {
    const { url } = await rawServer(() => {});
    await new Promise((done) => servers.pop()?.close(done));
    await expect(
      downloadOverSocket(url, {}, join(tempDir(), "none.bin"), accept),
    ).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
