// `npm run build`: the wasm for every target, then the CommonJS entry.
//
// 1. wasm-pack (crates.io 0.15.1) builds crates/planner-wasm with the
//    workspace's `wasm-release` profile for nodejs, web and bundler (into
//    target/wasm-pack/), and the glue of each lands in js/pkg/ beside one
//    shared .wasm. It runs offline only with the exact wasm-bindgen CLI on PATH
//    and its own wasm-opt off (TOOLCHAIN.md pitfalls 3-5), both checked here.
// 2. wasm-opt from the npm package `binaryen` (a JS build: no download)
//    shrinks the .wasm. It takes ~30 s, so the result is cached by
//    the input's hash under target/wasm-opt-cache/. WIREPLAN_WASM_OPT=0 skips it.
// 3. pkg/wireplan.cjs: the ESM sources joined into one CommonJS file,
//    for `require("wireplan")` on Node versions that cannot require ESM.
// 4. pkg/wireplan-cli.wasm: the Rust CLI (crates/planner-cli) built for
//    WASI, which `npx wireplan` runs under node:wasi (bin/cli.js). Only the
//    bin loads it: no entry point of `import "wireplan"` names it, so the
//    library's .wasm and bundles stay as lean as before.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const js = dirname(dirname(fileURLToPath(import.meta.url)));
const root = dirname(js);
const env = { ...process.env, PATH: `${join(homedir(), ".cargo", "bin")}${delimiter}${process.env.PATH}` };
const WASM_BINDGEN = "0.2.130";

function run(cmd, args, options = {}) {
  return execFileSync(cmd, args, { env, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", ...options });
}

function log(message) {
  process.stderr.write(`wireplan build: ${message}\n`);
}

let bindgen = "";
try {
  bindgen = run("wasm-bindgen", ["--version"]).trim();
} catch {
  // reported below
}
if (bindgen !== `wasm-bindgen ${WASM_BINDGEN}`) {
  throw new Error(`wasm-bindgen ${WASM_BINDGEN} must be on PATH (found: ${bindgen || "none"}); run scripts/setup`);
}

// One folder, pkg/, holds the glue of every target and ONE copy of the
// .wasm: wasm-bindgen emits the same module for nodejs, web and bundler (the
// build checks it), and each glue finds `wireplan_wasm_bg.wasm` next to
// itself. The glue files get target names so they can share the folder.
const targets = [
  // [wasm-pack target, the glue files it writes -> their names in pkg/]
  ["nodejs", { "wireplan_wasm.js": "wireplan_node.cjs" }],
  ["web", { "wireplan_wasm.js": "wireplan_web.js" }],
  ["bundler", { "wireplan_wasm.js": "wireplan_wasm.js", "wireplan_wasm_bg.js": "wireplan_wasm_bg.js" }],
];

const wasmOpt = join(js, "node_modules", ".bin", "wasm-opt");
const useOpt = process.env.WIREPLAN_WASM_OPT !== "0" && existsSync(wasmOpt);
const cache = join(root, "target", "wasm-opt-cache");
// -Oz for size; the name and producers sections are not needed to run.
const OPT_FLAGS = ["-Oz", "--strip-debug", "--strip-producers"];

const pkg = join(js, "pkg");
rmSync(pkg, { recursive: true, force: true });
for (const old of ["pkg-node", "pkg-web", "pkg-bundler"]) rmSync(join(js, old), { recursive: true, force: true });
mkdirSync(pkg, { recursive: true });
let wasmBytes = null;
for (const [target, glue] of targets) {
  const out = join(root, "target", "wasm-pack", target);
  run("wasm-pack", [
    "--quiet", "build", join(root, "crates", "planner-wasm"),
    "--profile", "wasm-release", "--target", target,
    "--out-dir", out, "--out-name", "wireplan_wasm", "--no-pack",
  ], { stdio: ["ignore", "inherit", "inherit"] });
  const bytes = readFileSync(join(out, "wireplan_wasm_bg.wasm"));
  if (wasmBytes === null) wasmBytes = bytes;
  else if (!bytes.equals(wasmBytes)) throw new Error(`wasm-bindgen made a different .wasm for --target ${target}: one shared copy is not possible`);
  for (const [from, to] of Object.entries(glue)) copyFileSync(join(out, from), join(pkg, to));
}
// The web and bundler glue are ES modules; the node glue is .cjs.
writeFileSync(join(pkg, "package.json"), `${JSON.stringify({ type: "module", sideEffects: true }, null, 2)}\n`);

const wasmFile = join(pkg, "wireplan_wasm_bg.wasm");
writeFileSync(wasmFile, wasmBytes);
if (useOpt) {
  // The key covers the input, the flags and binaryen's version.
  const binaryen = JSON.parse(readFileSync(join(js, "node_modules", "binaryen", "package.json"), "utf8")).version;
  const key = createHash("sha256").update(wasmBytes).update(`${OPT_FLAGS.join(" ")} binaryen ${binaryen}`).digest("hex").slice(0, 32);
  const cached = join(cache, `${key}.wasm`);
  if (!existsSync(cached)) {
    log("wasm-opt -Oz (about 30 s; cached afterwards)");
    mkdirSync(cache, { recursive: true });
    run(wasmOpt, [...OPT_FLAGS, wasmFile, "-o", `${cached}.tmp`], { stdio: ["ignore", "inherit", "inherit"] });
    copyFileSync(`${cached}.tmp`, cached);
    rmSync(`${cached}.tmp`);
  }
  copyFileSync(cached, wasmFile);
}
log(`pkg/wireplan_wasm_bg.wasm ${(readFileSync(wasmFile).length / 1024).toFixed(1)} KiB${useOpt ? " (wasm-opt -Oz)" : ""}`);

// ---- The CLI for `npx wireplan` ---------------------------------------------
// The release profile as it is: wasm-opt -Oz would take it from 2.0 to 1.6 MB
// but costs 40 s and makes a 10k-service graph 50% slower to check.
run("cargo", ["build", "--quiet", "-p", "wireplan-cli", "--release", "--target", "wasm32-wasip1"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
const cliWasm = join(pkg, "wireplan-cli.wasm");
copyFileSync(join(root, "target", "wasm32-wasip1", "release", "wireplan.wasm"), cliWasm);
log(`pkg/wireplan-cli.wasm ${(readFileSync(cliWasm).length / 1024).toFixed(1)} KiB (the CLI, for npx only)`);

// CommonJS consumers get the same declarations as a .d.cts, so TypeScript
// (module nodenext) reads them as a CommonJS module's, not ESM's ("masquerading
// as ESM"). index.d.ts stays the one hand-written source.
writeFileSync(join(js, "index.d.cts"), `// Generated by js/scripts/build.mjs from index.d.ts: do not edit.\n${readFileSync(join(js, "index.d.ts"), "utf8")}`);

// The package's licence files are the repository's (one source of truth).
for (const f of ["LICENSE-MIT", "LICENSE-APACHE"]) copyFileSync(join(root, f), join(js, f));

// ---- CommonJS entry ---------------------------------------------------------
// Each ES module becomes a block: its one-line imports (`import { a, b }
// from "./x.js";`) read from the shared `modules` object, and its exports
// (`export function|class|const NAME`) are added to it at the block's end.
const sources = ["wasm.js", "errors.js", "api.js", "cache.js", "events.js", "runtime.js"];
const internal = new Set(["setWasm", "setPending", "wasm", "stripNewline", "describe", "eventText"]);
const publicNames = [];
let body = "";
for (const m of sources) {
  const names = [];
  let block = "";
  for (const line of readFileSync(join(js, "src", m), "utf8").split("\n")) {
    if (/^import /.test(line)) {
      const imported = line.match(/^import \{([^}]*)\} from "\.\/[a-z]+\.js";$/);
      if (!imported || / as /.test(line)) throw new Error(`src/${m}: an import the CommonJS join cannot handle: ${line}`);
      block += `  const {${imported[1]}} = modules;\n`;
      continue;
    }
    const exported = line.match(/^export (?:async )?(?:function|class|const|let) (\w+)/);
    if (exported) names.push(exported[1]);
    if (/^export (?!(?:async )?(?:function|class|const|let) )/.test(line)) throw new Error(`src/${m}: an export the CommonJS join cannot handle: ${line}`);
    block += line === "" ? "\n" : `  ${line.replace(/^export /, "")}\n`;
  }
  body += `// ---- src/${m}\n{\n${block}  Object.assign(modules, { ${names.join(", ")} });\n}\n`;
  publicNames.push(...names.filter((n) => !internal.has(n)));
}
const cjs = `"use strict";
// Generated by js/scripts/build.mjs from src/{${sources.join(",")}}: do not edit.
const modules = {};
// As src/v8-guard.js: no inlining of JS-to-wasm calls on Node 20's V8 11,
// whose deoptimizer can abort the process on them.
{
  const major = Number(String(process.versions.v8 || "").split(".")[0]);
  if (major > 0 && major < 12) {
    try {
      require("node:v8").setFlagsFromString("--no-turbo-inline-js-wasm-calls");
    } catch {}
  }
}
${body}
modules.setWasm(require("./wireplan_node.cjs"));

/** Nothing to do in Node: the module is ready on require. */
function init() {
  return Promise.resolve();
}

/** Nothing to do in Node: the module is ready on require. */
function initSync() {}

const { ${publicNames.join(", ")} } = modules;
module.exports = { ${[...publicNames, "init", "initSync"].join(", ")} };
`;
writeFileSync(join(pkg, "wireplan.cjs"), cjs);
log(`pkg/wireplan.cjs (${publicNames.length + 2} exports)`);
