// The planner API: inputs, errors, binary plans, queries, and every entry
// point (Node ESM, CommonJS, web with initSync from bytes, bundler).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import * as wireplan from "../src/index.js";

const { PlanError, Plan, Report, check, decodePlan, encodePlan, explain, fingerprint, plan } = wireplan;

const doc = {
  version: 1,
  services: [
    { id: "config" },
    { id: "db", provides: ["Database"], deps: ["config", { key: "Cache", optional: true }], source: { file: "app/db.py", line: 12 } },
    { id: "metrics", provides: ["Plugin"] },
    { id: "server", deps: [{ key: "Database" }, { key: "Plugin", many: true }, { key: "clock", lazy: true }], profiles: ["prod"] },
    { id: "clock", deps: ["server"] },
  ],
};

test("a plan from an object, a string, bytes or documents is the same plan", () => {
  const a = plan(doc, { profile: "prod" });
  const b = plan(JSON.stringify(doc), { profile: "prod" });
  const c = plan(new TextEncoder().encode(JSON.stringify(doc)), { profile: "prod" });
  const d = plan([{ name: "one.json", document: { version: 1, services: doc.services.slice(0, 2) } }, { name: "two.json", text: JSON.stringify({ version: 1, services: doc.services.slice(2) }) }], { profile: "prod" });
  assert.ok(a instanceof Plan);
  for (const p of [b, c, d]) {
    assert.equal(p.fingerprint, a.fingerprint);
    assert.deepEqual(p.startup, a.startup);
  }
  assert.deepEqual(a.startup, ["config", "metrics", "db", "server", "clock"]);
  assert.deepEqual(a.shutdown, ["clock", "server", "db", "metrics", "config"]);
  assert.deepEqual(a.layers, [["config", "metrics"], ["db"], ["server"], ["clock"]]);
  assert.deepEqual(a.shutdownLayers, [["clock"], ["server"], ["db"], ["config", "metrics"]]);
  assert.deepEqual(a.bindings.server.map((b) => b.providers), [["db"], ["metrics"], ["clock"]]);
  assert.equal(a.toJSON().fingerprint, a.fingerprint);
  assert.match(a.fingerprint, /^[0-9a-f]{32}$/);
  assert.equal(fingerprint(doc, { profile: "prod" }), a.fingerprint);
  assert.notEqual(fingerprint(doc), a.fingerprint, "the profile is part of the fingerprint");
});

test("the profile decides which services exist", () => {
  assert.equal(plan(doc, { profile: "prod" }).profile, "prod");
  assert.throws(() => plan(doc), (e) => e.code === "missing-dependency" && e.diagnostics[0].key === "server");
  const p = plan({ version: 1, services: doc.services.slice(0, 3) });
  assert.equal(p.indexOf("server"), -1);
  assert.equal(p.profile, null);
});

test("queries: dependencies, dependents, why, explain", () => {
  const p = plan(doc, { profile: "prod" });
  assert.deepEqual(p.dependencies("server").sort(), ["clock", "config", "db", "metrics"]);
  assert.deepEqual(p.dependents("config").sort(), ["clock", "db", "server"]);
  assert.deepEqual(p.why("clock", "config"), ["clock", "server", "db", "config"]);
  assert.equal(p.why("config", "clock"), null);
  const e = explain(p, "db", { why: "clock" });
  assert.equal(e.layer, 1);
  assert.deepEqual(e.why, ["clock", "server", "db"]);
  assert.throws(() => p.dependents("nope"), RangeError);
  // An id, worded as `getById` words it (the core's unknown-id text).
  assert.throws(() => p.dependencies("cloc"), { name: "RangeError", message: "wireplan: no service has the id `cloc`; did you mean `clock`?" });
});

test("PlanError: the core's words as message, the report as data", () => {
  const bad = { version: 1, services: [{ id: "a", deps: ["b"] }, { id: "b", deps: ["a"] }, { id: "c", deps: ["Missing"] }] };
  let error;
  try {
    plan(bad, { name: "bad.json" });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof PlanError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "PlanError");
  assert.equal(error.code, "dependency-cycle");
  assert.deepEqual(error.diagnostics.map((d) => d.code), ["dependency-cycle", "missing-dependency"]);
  assert.deepEqual(error.report.diagnostics[0].services, ["a", "b", "a"]);
  assert.equal(error.diagnostics[0].location.file, "bad.json");
  assert.equal(error.diagnostics[0].help.startsWith("break the cycle"), true);
  assert.ok(error.message.startsWith("error[dependency-cycle]: dependency cycle: `a` -> `b` -> `a`\n"));
  assert.ok(error.message.endsWith("error: 2 errors"));
  const r = check(bad, { name: "bad.json" });
  assert.ok(r instanceof Report);
  assert.equal(r.ok, false);
  assert.equal(r.errorCount, 2);
  assert.equal(r.text, `${error.message}\n`);
  assert.deepEqual(JSON.parse(r.json), error.report);
});

test("unreadable descriptors: invalid-descriptor with the JSON path and line:column", () => {
  assert.throws(() => plan('{"version": 1, "services": [{"id": 3}]}', { name: "x.json" }), (e) => {
    assert.equal(e.code, "invalid-descriptor");
    assert.equal(e.diagnostics[0].location.path, "services[0].id");
    assert.equal(e.diagnostics[0].location.line, 1);
    return true;
  });
  assert.throws(() => plan({ version: 2, services: [] }), (e) => e.code === "unsupported-version");
  assert.throws(() => plan(doc, { roots: "server" }), { name: "TypeError", message: /option `roots` must be an array of service ids/ });
  assert.throws(() => plan(42), TypeError);
});

test("check() reports warnings without failing", () => {
  const r = check(doc, { profile: "prod", roots: ["db"] });
  assert.equal(r.ok, true);
  assert.deepEqual(r.diagnostics.map((d) => d.code), ["unused-service", "unused-service", "unused-service"]);
  assert.equal(r.warningCount, 3);
  assert.match(r.text, /^warning\[unused-service\]/);
  assert.match(check(doc, { color: true }).text, /\x1b\[/, "color on request");
  const p = plan(doc, { profile: "prod", roots: ["db"] });
  assert.deepEqual(p.unused, ["clock", "metrics", "server"]);
  assert.equal(p.warnings.length, 3);
});

test("binary plans: round trip, fingerprint check, corruption is a typed PlanError", () => {
  const p = plan(doc, { profile: "prod" });
  const bytes = encodePlan(p);
  assert.ok(bytes instanceof Uint8Array);
  assert.deepEqual([...bytes.slice(0, 8)].map((b) => String.fromCharCode(b)).join(""), "WIREPLAN");
  assert.equal(decodePlan(bytes).toJSONString(), p.toJSONString());
  assert.equal(decodePlan(bytes, { fingerprint: p.fingerprint }).fingerprint, p.fingerprint);
  assert.equal(decodePlan(bytes, { descriptors: doc, profile: "prod" }).fingerprint, p.fingerprint);
  const invalid = (b, o, pattern) =>
    assert.throws(() => decodePlan(b, o), (e) => e instanceof PlanError && e.code === "invalid-plan" && pattern.test(e.message));
  invalid(bytes, { descriptors: doc }, /fingerprint/);
  invalid(bytes.slice(0, bytes.length - 3), undefined, /truncated|checksum/);
  const flipped = bytes.slice();
  flipped[flipped.length - 1] ^= 0xff;
  invalid(flipped, undefined, /checksum|corrupt/);
  invalid(new Uint8Array(100), undefined, /bad magic/);
  assert.throws(() => decodePlan(bytes, { fingerprint: "xyz" }), TypeError);
  assert.throws(() => decodePlan([1, 2, 3]), TypeError);
  // Random bytes never crash the module.
  let seed = 7;
  for (let i = 0; i < 200; i++) {
    const b = bytes.slice();
    for (let k = 0; k < 4; k++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      b[seed % b.length] = seed >>> 24;
    }
    try {
      decodePlan(b);
    } catch (e) {
      assert.ok(e instanceof PlanError);
    }
  }
});

test("CommonJS: require gives the same API", () => {
  const require = createRequire(import.meta.url);
  const cjs = require("wireplan");
  const esm = Object.keys(wireplan).sort();
  assert.deepEqual(Object.keys(cjs).sort(), esm);
  assert.deepEqual(cjs.plan(doc, { profile: "prod" }).startup, plan(doc, { profile: "prod" }).startup);
  assert.throws(() => cjs.plan("{"), cjs.PlanError);
});

test("web entry: nothing works before init; initSync from bytes needs no fetch", () => {
  // Its own process: the Node entry of this one has already set up the wasm.
  const script = `
    import * as web from ${JSON.stringify(new URL("../src/web.js", import.meta.url).href)};
    import { readFileSync } from "node:fs";
    try { web.plan("{}"); } catch (e) { console.log(e.message); }
    web.initSync(readFileSync(${JSON.stringify(fileURLToPath(new URL("../pkg/wireplan_wasm_bg.wasm", import.meta.url)))}));
    await web.init();
    console.log(web.plan({version: 1, services: [{id: "a"}, {id: "b", deps: ["a"]}]}).startup.join(","));
    try { web.plan("{"); } catch (e) { console.log(e instanceof web.PlanError, e.code); }`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "wireplan: the WebAssembly module is not initialized: call `await init()` or `initSync(module)` from `wireplan/web` first\na,b\ntrue invalid-descriptor\n");
});

test("bundler entry: loads where ES module wasm imports work", () => {
  const script = 'import { plan } from "wireplan/src/bundler.js"; console.log(plan({version: 1, services: [{id: "a"}, {id: "b", deps: ["a"]}]}).startup.join(","));';
  const r = spawnSync(process.execPath, ["--experimental-wasm-modules", "--no-warnings", "--input-type=module", "-e", script.replace("wireplan/src/bundler.js", new URL("../src/bundler.js", import.meta.url).href)], { encoding: "utf8" });
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "a,b\n");
});

test("package exports resolve for node import and require", () => {
  const require = createRequire(import.meta.url);
  assert.match(require.resolve("wireplan"), /pkg[\\/]wireplan\.cjs$/);
  assert.ok(import.meta.resolve("wireplan").endsWith("/src/index.js"));
  assert.ok(import.meta.resolve("wireplan/web").endsWith("/src/web.js"));
});

test("limits in the options reach the core: exceeding one is a limit-exceeded error", () => {
  const doc = { version: 1, services: [{ id: "a" }, { id: "b" }, { id: "c" }] };
  assert.equal(wireplan.plan(doc, { limits: { max_services: 3 } }).size, 3);
  assert.throws(
    () => wireplan.plan(doc, { limits: { max_services: 2 } }),
    (e) => e instanceof wireplan.PlanError && e.report.diagnostics[0].code === "limit-exceeded",
  );
});
