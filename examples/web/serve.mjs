// Serves the demo page on http://127.0.0.1:8080/ (or the port given), with the web build of
// the package (bindings-wasm/pkg/web, built by bindings-wasm/build.sh) under /pkg/.
//
//     node examples/web/serve.mjs [port]

import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const pkg = fileURLToPath(new URL("../../bindings-wasm/pkg/web/", import.meta.url));
/** @type {Record<string, string>} */
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm" };

/** Starts the server; resolves to its address. @param {number} port */
export function serve(port) {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    const file = path.startsWith("/pkg/") ? join(pkg, path.slice(5)) : join(here, path === "/" ? "index.html" : path);
    if (!file.startsWith(here) && !file.startsWith(pkg)) return void res.writeHead(403).end();
    if (!existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 8080);
  await serve(port);
  console.log(`demo on http://127.0.0.1:${port}/`);
}
