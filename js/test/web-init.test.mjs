// `wireplan/web`'s init: a failed attempt is not remembered, no-argument init
// where nothing can be fetched says what to do instead, and initSync takes a
// module, bytes or an ArrayBuffer. Each case runs in a fresh process, since
// the module is instantiated once per process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const web = new URL("../src/web.js", import.meta.url).href;
const wasmFile = fileURLToPath(new URL("../pkg/wireplan_wasm_bg.wasm", import.meta.url));

function run(body) {
  const script = `
    import * as web from ${JSON.stringify(web)};
    import { readFileSync } from "node:fs";
    const good = readFileSync(${JSON.stringify(wasmFile)});
    const ok = () => web.plan({ version: 1, services: [{ id: "a" }, { id: "b", deps: ["a"] }] }).startup.join(",");
    ${body}`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.stderr, "");
  return r.stdout;
}

test("a failed init() is not cached: a retry with good bytes works", () => {
  const out = run(`
    try { await web.init(new Uint8Array([0, 97, 115, 109, 9, 9])); } catch (e) { console.log("rejected:", e.message.startsWith("wireplan: could not instantiate")); }
    await web.init(good);
    console.log(ok());`);
  assert.equal(out, "rejected: true\na,b\n");
});

test("init() with nothing to fetch names the edge path", () => {
  const out = run(`
    try { await web.init(); } catch (e) { console.log(/initSync\\(wasm\\)/.test(e.message), /wireplan_wasm_bg\\.wasm/.test(e.message)); }
    web.initSync(new WebAssembly.Module(good));
    console.log(ok());`);
  assert.equal(out, "true true\na,b\n");
});

test("initSync takes an ArrayBuffer; without an argument it says what it needs", () => {
  const out = run(`
    try { web.initSync(); } catch (e) { console.log(e instanceof TypeError, /initSync\\(wasm\\)/.test(e.message)); }
    web.initSync(good.buffer.slice(good.byteOffset, good.byteOffset + good.byteLength));
    console.log(ok());
    await web.init();
    console.log("init after initSync resolves");`);
  assert.equal(out, "true true\na,b\ninit after initSync resolves\n");
});
