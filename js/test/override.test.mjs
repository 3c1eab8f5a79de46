// Test overrides: registry.override, registry.copy, and overrides on a
// compiled plan that undo themselves (the JS side of Python's plan.override).
import { test } from "node:test";
import assert from "node:assert/strict";
import { LookupError, PlanError, Registry } from "../src/index.js";

class Mailer {
  constructor() {
    this.sent = [];
  }
}
class FakeMailer {
  constructor(config) {
    this.config = config;
    this.sent = [];
  }
}

/** A module-level plan, as an application keeps one. */
function appPlan(log = []) {
  const registry = new Registry();
  registry.supply("config", { from: "app@example.org" });
  registry.provide("smtp", ["config"], () => new Mailer(), { provides: ["Mailer"], dispose: () => log.push("smtp closed") });
  registry.provide("signup", ["Mailer"], (mailer) => ({ mailer }));
  return { registry, compiled: registry.compile() };
}

test("compiled.override(key, value): apps started meanwhile use the fake; undo restores; running apps never see it", async () => {
  const log = [];
  const { compiled } = appPlan(log);
  const before = await compiled.start();
  const fake = new FakeMailer();
  const o = compiled.override("Mailer", fake);
  const during = await compiled.start();
  assert.equal(during.get("Mailer"), fake);
  assert.equal(during.get("signup").mailer, fake);
  assert.ok(before.get("Mailer") instanceof Mailer);
  assert.deepEqual(o.plan.startup, ["config", "override:Mailer", "signup"]);
  // The replaced provider is gone whole: its dispose does not run for the fake.
  await during.stop();
  assert.deepEqual(log, []);
  assert.throws(() => during.getById("smtp"), (e) => e instanceof LookupError && e.code === "replaced" && /`smtp` is replaced: `Mailer` is provided by `override:Mailer`/.test(e.message));
  o.undo();
  o.undo();
  const after = await compiled.start();
  assert.ok(after.get("Mailer") instanceof Mailer);
  await Promise.all([before.stop(), after.stop()]);
  assert.deepEqual(log, ["smtp closed", "smtp closed"]);
});

test("a factory fake is planned with its dependencies and keeps the replaced lifetime; nesting, the newest wins; undoing an older one", async () => {
  const { compiled } = appPlan();
  const outer = compiled.override("Mailer", ["config"], (config) => new FakeMailer(config));
  const a = await compiled.start();
  assert.equal(a.get("Mailer").config.from, "app@example.org");
  const inner = compiled.override({ Mailer: "inner", config: { from: "test@example.org" } });
  const b = await compiled.start();
  assert.equal(b.get("Mailer"), "inner");
  assert.equal(b.get("config").from, "test@example.org");
  outer.undo(); // the older one: the newer one stays, compiled again without it
  const c = await compiled.start();
  assert.equal(c.get("Mailer"), "inner");
  inner.undo();
  const d = await compiled.start();
  assert.ok(d.get("Mailer") instanceof Mailer);
  await Promise.all([a, b, c, d].map((x) => x.stop()));
});

test("withOverride runs a function with the fake and undoes it after, even when it throws; `using` undoes at block end", async () => {
  const { compiled } = appPlan();
  const fake = new FakeMailer();
  const got = await compiled.withOverride("Mailer", fake, async () => {
    const app = await compiled.start();
    const m = app.get("Mailer");
    await app.stop();
    return m;
  });
  assert.equal(got, fake);
  await assert.rejects(compiled.withOverride({ Mailer: fake }, () => {
    throw new Error("test failed");
  }), /test failed/);
  const app = await compiled.start();
  assert.ok(app.get("Mailer") instanceof Mailer);
  await app.stop();
  if (typeof Symbol.dispose === "symbol") {
    const o = compiled.override("Mailer", fake);
    o[Symbol.dispose]();
    assert.ok((await compiled.start()).get("Mailer") instanceof Mailer);
  }
});

test("bad overrides: an unknown key names the closest; a fake that does not plan throws at override(); no key", () => {
  const { compiled } = appPlan();
  assert.throws(() => compiled.override("Mailr", 1), (e) => e instanceof LookupError && e.code === "unknown-key" && /^wireplan: cannot override: no service provides `Mailr`; did you mean `Mailer`\? \(override at .*override\.test\.mjs:\d+:\d+\)$/.test(e.message));
  assert.throws(() => compiled.override("Mailer", ["Smtp"], () => 1), (e) => e instanceof PlanError && e.code === "missing-dependency");
  assert.throws(() => compiled.override({}), /names no key/);
  assert.throws(() => new Registry().override("", 1), /`override` needs a key/);
  assert.throws(() => new Registry().override("x", [], () => 1, { provides: ["y"] }), /an override takes no `provides`/);
});

test("registry.copy() and registry.override(): an independent registry with a fake, the original untouched", async () => {
  const { registry } = appPlan();
  const isolated = registry.copy();
  isolated.override("Mailer", "fake");
  const fake = await isolated.compile().start();
  const real = await registry.compile().start();
  assert.equal(fake.get("signup").mailer, "fake");
  assert.ok(real.get("signup").mailer instanceof Mailer);
  await Promise.all([fake.stop(), real.stop()]);
});

test("a test's override undone by node:test's t.after", async (t) => {
  const { compiled } = appPlan();
  const o = compiled.override("Mailer", "fake");
  t.after(() => o.undo());
  const app = await compiled.start();
  assert.equal(app.get("Mailer"), "fake");
  await app.stop();
});

test("a factory fake keeps the lifetime of what it replaces (a scoped unit of work stays scoped) unless told", async () => {
  const registry = new Registry();
  registry.provide("tx", [], () => ({ real: true }), { lifetime: "scoped" });
  const compiled = registry.compile();
  const o = compiled.override("tx", [], () => ({ fake: true }));
  const app = await compiled.start();
  await app.withScope(async (scope) => {
    const a = await scope.get("tx");
    assert.equal(a.fake, true);
    assert.equal(await scope.get("tx"), a);
  });
  assert.throws(() => app.get("tx"), /is scoped/);
  await app.stop();
  o.undo();
  const asSingleton = compiled.override("tx", [], () => ({ fake: true }), { lifetime: "singleton" });
  const b = await compiled.start();
  assert.equal(b.get("tx").fake, true);
  await b.stop();
  asSingleton.undo();
});
