// Bundlers drop modules they believe are free of side effects. Every module
// that instantiates the wasm or hands the glue over (`setWasm`,
// `__wbg_set_wasm`) must be listed in `sideEffects`, or `vite build` and
// webpack 5 tree-shake the initialisation away and the first call says the
// module is not initialized (TOOLCHAIN.md pitfall 19).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const js = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(js, "package.json"), "utf8"));

function modulesThatInitialize() {
  const found = [];
  for (const dir of ["src", "pkg"]) {
    const abs = join(js, dir);
    // No pkg/ (no build) must fail, not leave the generated glue unchecked.
    assert.ok(existsSync(abs), `${abs} is missing: build it with \`npm run build\` (in js/)`);
    for (const name of readdirSync(abs)) {
      if (!/\.(c?js|mjs)$/.test(name)) continue;
      const text = readFileSync(join(abs, name), "utf8");
      if (/\bsetWasm\s*\(|__wbg_set_wasm\s*\(|\.__wbindgen_start\s*\(/.test(text)) found.push(`./${dir}/${name}`);
    }
  }
  return found;
}

test("every module that initializes the wasm is listed in sideEffects", () => {
  const listed = new Set(pkg.sideEffects);
  const needed = modulesThatInitialize();
  assert.ok(needed.includes("./src/bundler.js"), "the scan must find the bundler entry");
  assert.ok(needed.some((f) => f.startsWith("./pkg/")), "the scan must find the generated glue in pkg/");
  for (const file of needed) assert.ok(listed.has(file), `${file} initializes the wasm but is not in sideEffects`);
});

test("every entry point of the exports map is listed in sideEffects", () => {
  const listed = new Set(pkg.sideEffects);
  const entries = new Set();
  const walk = (v) => {
    if (typeof v === "string") { if (/\.(c?js|mjs)$/.test(v)) entries.add(v); }
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(pkg.exports["."]);
  walk(pkg.exports["./web"]);
  for (const entry of entries) assert.ok(listed.has(entry), `${entry} is an entry but not in sideEffects`);
});
