// A JS Registry checks what it is given, as the core checks descriptors:
// unknown option names are refused in the core's words (did-you-mean
// included), and every registration records where it was made, so a
// diagnostic or a failed start names the `provide()` call as Python names a
// provider's def.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { PlanError, Registry, StartError, key } from "../src/index.js";

const here = fileURLToPath(import.meta.url);

test("an unknown provide() option is refused, naming the closest one", () => {
  assert.throws(() => new Registry().provide("db", [], () => 1, { disposer: () => {} }), {
    name: "TypeError",
    message: "wireplan: unknown option `disposer` in the options of `db`; did you mean `dispose`? (known: `provides`, `lifetime`, `profiles`, `replaces`, `source`, `meta`, `dispose`, `onStart`, `onStop`, `startTimeout`, `stopTimeout`, `health`, `healthTimeout`)",
  });
  assert.throws(() => new Registry().supply("cfg", {}, { lifetme: "singleton" }), /unknown option `lifetme` in the options of `cfg`; did you mean `lifetime`\?/);
});

test("an unknown dependency field is refused: {optinal: true} is not optional", () => {
  assert.throws(() => new Registry().provide("db", [{ key: "cache", optinal: true }], () => 1), {
    name: "TypeError",
    message: "wireplan: unknown option `optinal` in dependency 0 of `db`; did you mean `optional`? (known: `key`, `optional`, `many`, `lazy`)",
  });
  assert.throws(() => new Registry({ source: false }), /unknown option `source` in the options of `new Registry\(\)`; did you mean `sources`\?/);
});

test("a diagnostic names the line of each provide() call", () => {
  const registry = new Registry();
  registry.provide("a", ["b"], () => 1);
  registry.provide("b", ["a"], () => 2);
  const line = readFileSync(here, "utf8").split("\n").findIndex((l) => l.includes('registry.provide("a", ["b"]')) + 1;
  assert.throws(() => registry.compile(), (e) => {
    assert.ok(e instanceof PlanError);
    assert.deepEqual(e.diagnostics[0].location, { file: here, line, column: 12, path: null });
    assert.equal(e.diagnostics[0].related[1].location.line, line + 1);
    assert.ok(e.message.includes(`--> ${here}:${line}:12\n`), e.message);
    return true;
  });
});

test("a failed start names the provide() call; an explicit source wins; sources: false records none", async () => {
  const registry = new Registry();
  registry.supply("config", { url: "x" });
  registry.provide("db", ["config"], () => { throw new Error("refused"); });
  registry.provide("cache", [], () => 1, { source: { file: "app/cache.js", line: 7 } });
  await assert.rejects(registry.compile().start(), (e) => {
    assert.ok(e instanceof StartError);
    assert.match(e.message, new RegExp(`^service \`db\` \\(${here.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:\\d+:\\d+\\) failed to start: refused$`));
    return true;
  });
  const described = registry.descriptors().services;
  assert.equal(described[0].source.file, here);
  assert.deepEqual(described[2].source, { file: "app/cache.js", line: 7 });
  const plain = new Registry({ sources: false }).provide("db", [], () => 1).descriptors().services[0];
  assert.equal(plain.source, undefined);
});

/** Line and column (1-based) of the first occurrence of `needle` in this file: a call's place is its method name's. */
function at(needle) {
  const lines = readFileSync(here, "utf8").split("\n");
  const line = lines.findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, needle);
  return { file: here, line: line + 1, column: lines[line].indexOf(needle) + 1 };
}

test("supply, provide, invoke and override each record the line and column of their own call", () => {
  const r = new Registry();
  r.supply("cfg", 1); r.provide("db", ["cfg"], () => 2);
  r.invoke(["db"], function warm() {});
  r.override("db", 3);
  const [cfg, db, invoke, fake] = r.descriptors().services.map((s) => s.source);
  assert.deepEqual(cfg, at('supply("cfg", 1)'));
  assert.deepEqual(db, at('provide("db", ["cfg"]'));
  assert.deepEqual(invoke, at("invoke([\"db\"]"));
  assert.deepEqual(fake, at('override("db", 3)'));
  // Many calls from one line, as a loop makes them: each is that line.
  const many = new Registry();
  for (let i = 0; i < 50; i++) many.provide(`s${i}`, [], () => i);
  for (const s of many.descriptors().services) assert.deepEqual(s.source, at("provide(`s${i}`"));
});

test("a call through a helper of the caller's, or from inside wireplan, records the first frame outside wireplan", async () => {
  const helper = (r, id) => r.provide(id, [], () => id);
  const r = new Registry();
  helper(r, "x");
  assert.deepEqual(r.descriptors().services[0].source, at("provide(id, [], () => id)"));
  // CompiledPlan#override registers the fake from inside wireplan: the source is the test's call.
  const compiled = new Registry().provide("db", [], () => "real").compile();
  const o = compiled.override("db", "fake");
  try {
    const app = await o.plan.start();
    assert.equal(app.get("db"), "fake");
    await app.stop();
    const fake = o.plan.plan.services.find((s) => s.id.startsWith("override:"));
    assert.deepEqual(fake.source, at('override("db", "fake")'));
  } finally {
    o.undo();
  }
  // A subclass's method calling the registry's, and a wrapper put on the prototype: theirs is the first frame outside wireplan.
  class Mine extends Registry {
    provide(...args) {
      return super.provide(...args);
    }
  }
  const m = new Mine();
  m.provide("z", [], () => 1);
  assert.deepEqual(m.descriptors().services[0].source, at("provide(...args);"));
  const original = Registry.prototype.provide;
  Registry.prototype.provide = function (...args) {
    return original.apply(this, args);
  };
  try {
    const w = new Registry();
    w.provide("w", [], () => 1);
    assert.deepEqual(w.descriptors().services[0].source, at("apply(this, args)"));
  } finally {
    Registry.prototype.provide = original;
  }
  // The CommonJS entry (one generated file) finds its callers the same way.
  const cjs = createRequire(import.meta.url)("../pkg/wireplan.cjs");
  const c = new cjs.Registry(); c.provide("y", [], () => 1);
  assert.deepEqual(c.descriptors().services[0].source, at('provide("y", [], () => 1)'));
});

test("key() is the string itself at run time, and refuses an empty name", () => {
  const db = key("db");
  assert.equal(db, "db");
  assert.throws(() => key(""), TypeError);
  assert.throws(() => key(42), TypeError);
});

test("App[Symbol.asyncDispose] (what `await using` calls at the end of its block) stops the app; a Scope has none", async () => {
  // Node 20 parses no `await using`; this is the call it makes.
  const log = [];
  const registry = new Registry().provide("db", [], () => "db", { dispose: () => log.push("stopped") });
  const app = await registry.compile().start();
  assert.equal(app.get("db"), "db");
  const scope = app.scope();
  await app[Symbol.asyncDispose]();
  assert.deepEqual(log, ["stopped"]);
  await app[Symbol.asyncDispose](); // a second time: already stopped
  assert.deepEqual(log, ["stopped"]);
  // A scope under `await using` could not tell its disposers that the block failed.
  assert.equal(scope[Symbol.asyncDispose], undefined);
});
