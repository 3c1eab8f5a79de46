// A tiny static server for the browser test and the demo: serves js/ on 127.0.0.1, on a
// free port (never a fixed one: TOOLCHAIN.md pitfall 15).
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".css": "text/css" };

/** Starts serving `root`; resolves to `{url, close}`. */
export function serve(root) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    let file = join(root, path);
    if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (file.endsWith(sep)) file = join(file, "index.html");
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" }).end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

// `node scripts/serve.mjs`: serve js/ to look at the demo by hand.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { fileURLToPath } = await import("node:url");
  const { url } = await serve(fileURLToPath(new URL("../", import.meta.url)));
  console.log(`demo: ${url}demo/`);
}
