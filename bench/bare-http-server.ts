/**
 * The least a Node HTTP server can do with a file, for the artifact benchmark's floor: `PUT`
 * writes the body to a new file in the folder given and flushes it (fsync), `GET /?file=…`
 * streams a file back. No paths, index, hash or auth: whatever labbook's server costs on top
 * of this is labbook's. Prints `{"url": …}` once it listens.
 *
 *   node bench/bare-http-server.ts <folder>
 */
import { createReadStream, createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";

const folder = process.argv[2];
if (!folder) throw new Error("usage: node bench/bare-http-server.ts <folder>");
const mib = 1024 * 1024;
let uploads = 0;

const server = createServer(async (request, response) => {
  if (request.method === "PUT") {
    const file = join(folder, `upload-${uploads++}.bin`);
    await pipeline(request, createWriteStream(file, { highWaterMark: 4 * mib }));
    const handle = await open(file, "r+");
    await handle.sync();
    await handle.close();
    response.end("{}");
    return;
  }
  const file = new URL(request.url ?? "/", "http://bare").searchParams.get("file") ?? "";
  response.writeHead(200);
  await pipeline(createReadStream(file, { highWaterMark: mib }), response);
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});
