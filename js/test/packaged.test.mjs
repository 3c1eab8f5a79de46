// The npm package as users receive it: `npm pack`, then `npm install` of the
// tarball into the fixture project in fixtures/packaged/ (its bundlers are
// installed by scripts/setup), then each bundler builds the README's default
// import and the page runs in headless Chromium. This is where a
// `sideEffects` list that lets a bundler drop the wasm initialisation shows
// up (TOOLCHAIN.md pitfall 19): the build succeeds and the page fails.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "../scripts/serve.mjs";

const CHROMIUM = process.env.WIREPLAN_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const js = fileURLToPath(new URL("../", import.meta.url));
const fixture = fileURLToPath(new URL("../fixtures/packaged/", import.meta.url));
const bin = (name) => join(fixture, "node_modules", ".bin", name);
const EXPECTED = { startup: ["config", "db"], db: "mem://" };

let packDir;
let tarball;
let browser;

function run(cmd, args, options = {}) {
  return execFileSync(cmd, args, { cwd: fixture, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...options });
}

before(async () => {
  assert.ok(existsSync(bin("vite")), "fixtures/packaged/node_modules is missing: run scripts/setup");
  packDir = mkdtempSync(join(tmpdir(), "wireplan-pack-"));
  run("npm", ["pack", "--silent", "--pack-destination", packDir], { cwd: js });
  tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith(".tgz")));
  run("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts", tarball]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
});

after(async () => {
  await browser?.close();
  if (packDir) rmSync(packDir, { recursive: true, force: true });
  for (const d of ["dist-vite", "dist-webpack", "dist-esbuild"]) rmSync(join(fixture, d), { recursive: true, force: true });
});

/** The files of a bundler's output: never the CLI's wasm, which no entry point imports. */
function assertLean(dir) {
  const files = readdirSync(join(fixture, dir), { recursive: true }).map(String);
  assert.ok(files.some((f) => f.endsWith(".wasm")), `${dir} holds the library's .wasm`);
  for (const f of files) {
    assert.ok(!f.includes("wireplan-cli"), `${dir}/${f}: the CLI's wasm is in a bundle`);
    if (/\.(c?js|mjs)$/.test(f)) assert.ok(!readFileSync(join(fixture, dir, f), "utf8").includes("wireplan-cli"), `${dir}/${f} names the CLI's wasm`);
  }
}

/** Loads `url` and returns what the fixture app wrote, or the page's errors. */
async function runPage(url) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.body?.dataset.result !== undefined, null, { timeout: 20_000 }).catch(() => {});
    const result = await page.evaluate(() => document.body?.dataset.result);
    assert.deepEqual(errors, [], `the page reported errors`);
    assert.ok(result !== undefined, "the page never wrote its result");
    return JSON.parse(result);
  } finally {
    await page.close();
  }
}

async function servedPage(dir, path = "") {
  const server = await serve(join(fixture, dir));
  try {
    return await runPage(`${server.url}${path}`);
  } finally {
    await server.close();
  }
}

test("the tarball ships its README, its licences, the library's .wasm and the CLI's", () => {
  const list = run("tar", ["tzf", tarball]).split("\n").filter(Boolean);
  for (const f of ["package/package.json", "package/README.md", "package/LICENSE-MIT", "package/LICENSE-APACHE", "package/index.d.ts", "package/src/bundler.js", "package/src/web.js", "package/src/index.js", "package/src/http.js", "package/http.d.ts", "package/src/otel.js", "package/otel.d.ts"]) {
    assert.ok(list.includes(f), `${f} is not in the tarball`);
  }
  // One .wasm shared by every entry point, and the CLI's (built for WASI), which only `npx wireplan` loads.
  assert.deepEqual(list.filter((f) => f.endsWith(".wasm")).sort(), ["package/pkg/wireplan-cli.wasm", "package/pkg/wireplan_wasm_bg.wasm"]);
  // Every file the exports map and `main` name is in the tarball.
  const pkg = JSON.parse(readFileSync(join(js, "package.json"), "utf8"));
  const named = new Set([pkg.main, pkg.types]);
  const walk = (v) => (typeof v === "string" ? named.add(v) : v && typeof v === "object" && Object.values(v).forEach(walk));
  walk(pkg.exports);
  for (const f of named) assert.ok(list.includes(`package/${f.replace(/^\.\//, "")}`), `${f} is named in package.json but not in the tarball`);
});

test("vite build: `import { plan } from \"wireplan\"` runs in the browser", { timeout: 120_000 }, async () => {
  run(bin("vite"), ["build", "--config", "vite.config.js"]);
  assertLean("dist-vite");
  assert.deepEqual(await servedPage("dist-vite"), EXPECTED);
});

test("vite dev server (wireplan excluded from pre-bundling, as documented) runs it too", { timeout: 120_000 }, async () => {
  const { createServer } = await import(join(fixture, "node_modules", "vite", "dist", "node", "index.js"));
  const server = await createServer({ root: fixture, configFile: join(fixture, "vite.config.js"), server: { host: "127.0.0.1", port: 0 } });
  await server.listen();
  try {
    const { port } = server.httpServer.address();
    assert.deepEqual(await runPage(`http://127.0.0.1:${port}/`), EXPECTED);
  } finally {
    await server.close();
  }
});

test("webpack 5 (asyncWebAssembly): the default import runs in the browser", { timeout: 120_000 }, async () => {
  const { default: webpack } = await import(join(fixture, "node_modules", "webpack", "lib", "index.js"));
  const { default: config } = await import(join(fixture, "webpack.config.js"));
  const stats = await new Promise((resolve, reject) => webpack(config, (e, s) => (e ? reject(e) : resolve(s))));
  assert.ok(!stats.hasErrors(), stats.toString("errors-only"));
  const html = '<!doctype html><html><head><link rel="icon" href="data:,"></head><body><script type="module" src="./app.js"></script></body></html>';
  (await import("node:fs")).writeFileSync(join(fixture, "dist-webpack", "index.html"), html);
  assertLean("dist-webpack");
  assert.deepEqual(await servedPage("dist-webpack"), EXPECTED);
});

test("esbuild: `wireplan/web` with the .wasm as a file runs in the browser", { timeout: 120_000 }, async () => {
  run(bin("esbuild"), ["app-web.js", "--bundle", "--format=esm", "--loader:.wasm=file", "--outdir=dist-esbuild", "--entry-names=app"]);
  const html = '<!doctype html><html><head><link rel="icon" href="data:,"></head><body><script type="module" src="./app.js"></script></body></html>';
  (await import("node:fs")).writeFileSync(join(fixture, "dist-esbuild", "index.html"), html);
  assertLean("dist-esbuild");
  assert.deepEqual(await servedPage("dist-esbuild"), EXPECTED);
});

test("TypeScript, strict, module nodenext: ESM and CommonJS consumers with no DOM lib and no @types/node", { timeout: 120_000 }, () => {
  // Typed keys, `await using`, and the .d.cts a `require` resolves to.
  const r = spawnSync(process.execPath, [join(fixture, "node_modules", "typescript", "bin", "tsc"), "-p", "ts"], { cwd: fixture, encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test("TypeScript with the DOM lib: the factory's signal is the DOM's AbortSignal (it goes to fetch)", { timeout: 120_000 }, () => {
  const r = spawnSync(process.execPath, [join(fixture, "node_modules", "typescript", "bin", "tsc"), "-p", "ts-dom"], { cwd: fixture, encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test("attw --pack: the types of every entry resolve for node10, node16 (CJS and ESM) and bundlers", { timeout: 120_000 }, () => {
  const attw = join(fixture, "node_modules", "@arethetypeswrong", "cli", "dist", "index.js");
  const main = spawnSync(process.execPath, [attw, "--pack", js, "--entrypoints", ".", "--format", "ascii"], { cwd: fixture, encoding: "utf8" });
  assert.equal(main.status, 0, main.stdout + main.stderr);
  // `wireplan/web` is for browsers and edge workers: ESM only, by design.
  const web = spawnSync(process.execPath, [attw, "--pack", js, "--entrypoints", "./web", "--profile", "esm-only", "--format", "ascii"], { cwd: fixture, encoding: "utf8" });
  assert.equal(web.status, 0, web.stdout + web.stderr);
  // `wireplan/http` is for Node's HTTP server: ESM only too.
  const http = spawnSync(process.execPath, [attw, "--pack", js, "--entrypoints", "./http", "--profile", "esm-only", "--format", "ascii"], { cwd: fixture, encoding: "utf8" });
  assert.equal(http.status, 0, http.stdout + http.stderr);
  // `wireplan/otel` (the OpenTelemetry exporter, the API passed in): ESM only.
  const otel = spawnSync(process.execPath, [attw, "--pack", js, "--entrypoints", "./otel", "--profile", "esm-only", "--format", "ascii"], { cwd: fixture, encoding: "utf8" });
  assert.equal(otel.status, 0, otel.stdout + otel.stderr);
});

/** Bundles a worker as wrangler does (the `workerd` condition, the .wasm kept as a module) and runs it in workerd (miniflare). */
async function runWorker(entry) {
  const out = mkdtempSync(join(tmpdir(), "wireplan-worker-"));
  try {
    run(bin("esbuild"), [entry, "--bundle", "--format=esm", "--conditions=workerd,worker", "--loader:.wasm=copy", `--outdir=${out}`, "--platform=neutral", "--main-fields=module,main", "--log-level=warning"]);
    const { Miniflare } = await import(join(fixture, "node_modules", "miniflare", "dist", "src", "index.js"));
    const name = entry.split("/").pop();
    const mf = new Miniflare({ modules: true, scriptPath: join(out, name), modulesRoot: out, modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }], compatibilityDate: "2025-01-01" });
    try {
      const res = await mf.dispatchFetch("http://localhost/");
      return { status: res.status, text: await res.text() };
    } finally {
      await mf.dispose();
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

test("workerd (Cloudflare Workers, via miniflare): the `workerd` condition with initSync of the imported .wasm module", { timeout: 120_000 }, async () => {
  const r = await runWorker("workerd/worker.js");
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(JSON.parse(r.text), EXPECTED);
});

test("workerd: init() with nothing it can fetch names the edge path", { timeout: 120_000 }, async () => {
  const r = await runWorker("workerd/no-init-arg.js");
  assert.equal(r.status, 500);
  assert.match(r.text, /^wireplan: could not load the WebAssembly module next to `wireplan\/web`.*import wasm from "wireplan\/wireplan\.wasm".*initSync\(wasm\)/);
});

test("Node from the tarball: `import` and `require` of the installed package plan and run", () => {
  const esm = spawnSync(process.execPath, ["--input-type=module", "-e", `
    import { Registry, plan } from "wireplan";
    const p = plan({ version: 1, services: [{ id: "config" }, { id: "db", deps: ["config"] }] });
    const app = await new Registry().provide("db", [], () => "ok").compile().start();
    console.log(p.startup.join(","), app.get("db"));
    await app.stop();`], { cwd: fixture, encoding: "utf8" });
  assert.equal(esm.stderr, "");
  assert.equal(esm.stdout, "config,db ok\n");
  const cjs = spawnSync(process.execPath, ["-e", `
    const { Registry, plan } = require("wireplan");
    const p = plan({ version: 1, services: [{ id: "config" }, { id: "db", deps: ["config"] }] });
    new Registry().provide("db", [], () => "ok").compile().start().then(async (app) => {
      console.log(p.startup.join(","), app.get("db"), require.resolve("wireplan").endsWith("wireplan.cjs"));
      await app.stop();
    });`], { cwd: fixture, encoding: "utf8" });
  assert.equal(cjs.stderr, "");
  assert.equal(cjs.stdout, "config,db ok true\n");
});
