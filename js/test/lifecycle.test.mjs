// Issue 17's lifecycle in the JS runtime: start and stop hooks separate from
// construction (options and `ctx.lifecycle.append`), `invoke`, per-service
// timeouts, events in the contract's shape, `logEvents`, health.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry, StartError, StopError, TimeoutError, logEvents } from "../src/index.js";

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

/** config <- db <- api, config <- cache <- api: layers [config] [cache, db] [api]. */
function app(log, overrides = {}) {
  const registry = new Registry();
  for (const [id, deps] of [["config", []], ["cache", ["config"]], ["db", ["config"]], ["api", ["cache", "db"]]]) {
    registry.provide(id, deps, () => {
      log.push(`build ${id}`);
      return { id };
    }, {
      dispose: (x, { error }) => log.push(`dispose ${x.id}${error ? ` (${error.message})` : ""}`),
      onStart: (x) => log.push(`start ${x.id}`),
      onStop: (x, { error }) => log.push(`stop ${x.id}${error ? ` (${error.message})` : ""}`),
      ...overrides[id],
    });
  }
  return registry;
}

test("every service is built before any start hook; hooks in plan order; stop hooks reverse, then disposers reverse", async () => {
  const log = [];
  const a = await app(log).compile().start();
  assert.deepEqual(log, ["build config", "build cache", "build db", "build api", "start config", "start cache", "start db", "start api"]);
  log.length = 0;
  await a.stop();
  assert.deepEqual(log, ["stop api", "stop db", "stop cache", "stop config", "dispose api", "dispose db", "dispose cache", "dispose config"]);
});

test("the start hooks of one layer run concurrently; the next layer waits for them", async () => {
  const log = [];
  const slow = (ms) => async (x) => {
    log.push(`begin ${x.id}`);
    await tick(ms);
    log.push(`end ${x.id}`);
  };
  const a = await app(log, { cache: { onStart: slow(20) }, db: { onStart: slow(5) } }).compile().start();
  assert.deepEqual(log.slice(4), ["start config", "begin cache", "begin db", "end db", "end cache", "start api"]);
  await a.stop();
});

test("a failing start hook rolls back: stop hooks of the started in reverse, then every disposer told the cause; StartError names it", async () => {
  const log = [];
  const boom = new Error("port in use");
  const registry = app(log, { db: { onStart: () => { throw boom; } } });
  const err = await registry.compile().start().then(() => null, (e) => e);
  assert.ok(err instanceof StartError);
  assert.equal(err.service, "db");
  assert.equal(err.phase, "start-hook");
  assert.equal(err.cause, boom);
  assert.match(err.message, /service `db` \(.*lifecycle\.test\.mjs:\d+:\d+\) failed to start: port in use/);
  assert.deepEqual(log.slice(4), [
    "start config", "start cache",
    "stop cache (port in use)", "stop config (port in use)",
    "dispose api (port in use)", "dispose db (port in use)", "dispose cache (port in use)", "dispose config (port in use)",
  ]);
});

test("an async start hook that rejects fails fast: its sibling's signal aborts; a stop hook's failure is a StopError and every one runs", async () => {
  const log = [];
  let aborted = false;
  const registry = app(log, {
    cache: { onStart: async (_, { signal }) => { await tick(50); aborted = signal.aborted; } },
    db: { onStart: async () => { await tick(1); throw new Error("no route"); } },
  });
  const err = await registry.compile().start().then(() => null, (e) => e);
  assert.equal(err.service, "db");
  await tick(60);
  assert.equal(aborted, true);
  // cache's hook was given up on: its stop hook does not run, it is disposed.
  assert.ok(!log.includes("stop cache (no route)"));
  assert.ok(log.includes("dispose cache (no route)"));

  const log2 = [];
  const a = await app(log2, { cache: { onStop: () => { throw new Error("flush failed"); } } }).compile().start();
  const stopErr = await a.stop().then(() => null, (e) => e);
  assert.ok(stopErr instanceof AggregateError);
  assert.equal(stopErr.errors.length, 1);
  assert.ok(stopErr.errors[0] instanceof StopError);
  assert.equal(stopErr.errors[0].message, "service `cache` failed to stop: flush failed");
  assert.deepEqual(log2.slice(8), ["stop api", "stop db", "stop config", "dispose api", "dispose db", "dispose cache", "dispose config"]);
});

test("fx-style: a factory appends hooks through ctx.lifecycle; the option's hooks run first and stop last", async () => {
  const log = [];
  const registry = new Registry();
  registry.provide("server", [], (ctx) => {
    ctx.lifecycle.append({ onStart: () => log.push("listen"), onStop: () => log.push("close") });
    ctx.lifecycle.append({ onStart: async () => log.push("announce"), onStop: async () => log.push("withdraw") });
    return {};
  }, { onStart: () => log.push("option start"), onStop: () => log.push("option stop") });
  registry.provide("req", [], (ctx) => ctx.lifecycle.append({ onStart() {} }), { lifetime: "scoped" });
  const a = await registry.compile().start();
  assert.deepEqual(log, ["option start", "listen", "announce"]);
  await assert.rejects(a.withScope((s) => s.get("req")), /`req` is not a singleton: lifecycle hooks belong to singletons/);
  await a.stop();
  assert.deepEqual(log.slice(3), ["withdraw", "close", "option stop"]);
  assert.throws(() => new Registry().provide("x", [], () => 1, { lifetime: "scoped", onStart() {} }), /`x` is scoped: onStart belongs to singletons/);
  const bad = new Registry().provide("x", [], (ctx) => ctx.lifecycle.append({ onStrat() {} }));
  await assert.rejects(bad.compile().start(), /unknown option `onStrat` in `lifecycle.append`; did you mean `onStart`\?/);
});

test("invoke: its dependencies are resolved, it runs at start after everything is built, in plan order; they are roots", async () => {
  const log = [];
  const registry = app(log);
  registry.provide("unused", [], () => log.push("build unused"));
  registry.invoke(["api", { key: "missing", optional: true }], function seed(api, missing, ctx) {
    log.push(`invoke ${api.id} ${missing} ${ctx.id}`);
  });
  registry.invoke([], function seed() {});
  registry.invoke([], async () => "warmed", { id: "warm caches" });
  const a = await registry.compile({ roots: [] }).start();
  assert.deepEqual(log, ["build config", "build cache", "build db", "build api", "start config", "start cache", "start db", "start api", "invoke api undefined invoke:seed"]);
  assert.deepEqual(a.plan.startup.filter((id) => id.startsWith("invoke") || id === "warm caches").sort(), ["invoke:seed", "invoke:seed#2", "warm caches"]);
  assert.equal(a.plan.startup.includes("unused"), false);
  assert.equal(a.getById("warm caches"), "warmed");
  await a.stop();

  const failing = app([]);
  failing.invoke(["db"], async () => {
    throw new Error("migration failed");
  });
  const err = await failing.compile().start().then(() => null, (e) => e);
  assert.ok(err instanceof StartError);
  assert.equal(err.service, "invoke:<anonymous>");
  assert.equal(err.phase, "invoke");
  assert.match(err.message, /failed to start: migration failed/);
  assert.throws(() => new Registry().invoke("db", () => {}), /the dependencies of `invoke` must be an array/);
});

test("per-service timeouts: a service's own startTimeout/stopTimeout beat the app-wide ones, for factories and hooks", async () => {
  // A slow cache is allowed 100 ms while the app allows 10.
  const r1 = new Registry();
  r1.provide("cache", [], async () => { await tick(30); return {}; }, { startTimeout: 100 });
  r1.provide("db", [], async () => ({}), { onStart: () => tick(30), startTimeout: 100 });
  const a = await r1.compile().start({ startTimeout: 10 });
  await a.stop();

  // A service's own short timeout fails its hook while the app has none.
  const r2 = new Registry();
  r2.provide("db", [], () => ({}), { onStart: () => tick(200), startTimeout: 20 });
  const err = await r2.compile().start().then(() => null, (e) => e);
  assert.ok(err.cause instanceof TimeoutError);
  assert.equal(err.cause.message, "`db` did not start within 20 ms");
  assert.equal(err.phase, "start-hook");

  // Stop: its own stopTimeout bounds its stop hook and its dispose each; the hook's signal aborts.
  const r3 = new Registry();
  let stopSignal = null;
  r3.provide("db", [], () => ({}), { onStop: (_, { signal }) => { stopSignal = signal; return tick(200); }, dispose: () => tick(200), stopTimeout: 20 });
  r3.provide("cache", [], () => ({}), { dispose: () => tick(30) });
  const b = await r3.compile().start({ stopTimeout: 100 });
  const t0 = performance.now();
  const stopErr = await b.stop().then(() => null, (e) => e);
  assert.ok(performance.now() - t0 < 180);
  assert.deepEqual(stopErr.errors.map((e) => e.message), ["service `db` did not stop within 20 ms", "service `db` did not stop within 20 ms"]);
  assert.equal(stopSignal.aborted, true);
  assert.ok(stopSignal.reason instanceof TimeoutError);
  assert.throws(() => new Registry().provide("x", [], () => 1, { startTimeout: -1 }), /the `startTimeout` of `x` must be a number of milliseconds/);
});

test("events: exactly the contract's keys, in order, with durations; failed names the phase", async () => {
  const events = [];
  const a = await app([]).compile().start({ onEvent: (e) => events.push(e) });
  await a.stop();
  for (const e of events) {
    assert.deepEqual(Object.keys(e), ["type", "id", "phase", "at_us", "duration_us", "error"]);
    assert.ok(Number.isInteger(e.at_us) && e.at_us >= 0);
  }
  const seq = events.map((e) => `${e.type}${e.id === null ? "" : ` ${e.id}`}`);
  assert.deepEqual(seq, [
    "constructing config", "constructed config", "constructing cache", "constructed cache", "constructing db", "constructed db", "constructing api", "constructed api",
    "start-hook config", "started config", "start-hook cache", "started cache", "start-hook db", "started db", "start-hook api", "started api",
    "app-started",
    "stop-hook api", "stop-hook db", "stop-hook cache", "stop-hook config",
    "stopped api", "stopped db", "stopped cache", "stopped config",
    "app-stopped",
  ]);
  for (const e of events) {
    const timed = ["constructed", "start-hook", "app-started", "stop-hook", "stopped", "app-stopped"].includes(e.type);
    assert.equal(Number.isInteger(e.duration_us), timed, e.type);
    assert.equal(e.phase, null);
    assert.equal(e.error, null);
  }
  for (let k = 1; k < events.length; k++) assert.ok(events[k].at_us >= events[k - 1].at_us);

  const failed = [];
  await app([], { db: { onStart: () => { throw new Error("port in use"); } } }).compile().start({ onEvent: (e) => failed.push(e) }).catch(() => {});
  const f = failed.find((e) => e.type === "failed");
  assert.deepEqual({ ...f, at_us: 0 }, { type: "failed", id: "db", phase: "start-hook", at_us: 0, duration_us: null, error: "port in use" });
  // failed first, then the rollback's events; the app never started: no app-started, no app-stopped.
  assert.deepEqual(failed.slice(failed.indexOf(f)).map((e) => `${e.type} ${e.id}`), [
    "failed db", "stop-hook cache", "stop-hook config", "stopped api", "stopped db", "stopped cache", "stopped config",
  ]);

  const built = [];
  const r = new Registry();
  r.provide("x", [], () => { throw new Error("bad config"); });
  await r.compile().start({ onEvent: (e) => built.push(e) }).catch(() => {});
  assert.deepEqual(built.map((e) => [e.type, e.id, e.phase, e.error]), [["constructing", "x", null, null], ["failed", "x", "construct", "bad config"]]);
  await assert.rejects(r.compile().start({ onEvent: 1 }), /`onEvent` must be a function/);
});

test("the timeline record is the same with and without hooks and events", async () => {
  const plain = await app([], { config: { onStart: undefined, onStop: undefined } }).compile().start();
  const hooked = await app([]).compile().start({ onEvent: () => {} });
  const shape = (t) => t.services.map(({ id, layer, outcome, needs }) => ({ id, layer, outcome, needs }));
  assert.deepEqual(shape(hooked.timeline()), shape(plain.timeline()));
  assert.deepEqual(Object.keys(hooked.timeline()), ["timeline", "services"]);
  await plain.stop();
  await hooked.stop();
});

test("logEvents writes one line per event, failed through error", async () => {
  const lines = [];
  const logger = { debug: (t) => lines.push(`debug ${t}`), error: (t) => lines.push(`error ${t}`) };
  await app([], { api: { onStart: () => { throw new Error("boom"); } } }).compile().start({ onEvent: logEvents(logger) }).catch(() => {});
  assert.equal(lines[0], "debug wireplan: constructing `config`");
  assert.match(lines[1], /^debug wireplan: constructed `config` in \d+\.\d+ ms$/);
  assert.ok(lines.includes("error wireplan: `api` failed (start-hook): boom"));
  assert.match(lines.at(-1), /^debug wireplan: stopped `config` in \d+\.\d+ ms$/);
  assert.throws(() => logEvents({}), /needs a logger with `debug` and `error`/);
});

test("health: checks in plan order, pass/fail/throw/timeout, aggregated; liveness follows the state", async () => {
  const registry = new Registry();
  let dbUp = true;
  registry.provide("config", [], () => ({}), { health: () => undefined });
  registry.provide("db", ["config"], () => ({}), { health: async () => dbUp });
  registry.provide("cache", ["config"], () => ({}), { health: () => { throw new Error("evicted"); } });
  registry.provide("slow", [], () => ({}), { health: (_, { signal }) => new Promise((r) => signal.addEventListener("abort", r)), healthTimeout: 20 });
  registry.provide("quiet", [], () => ({}));
  const events = [];
  const a = await registry.compile().start({ onEvent: (e) => events.push(e) });
  assert.deepEqual(a.liveness(), { status: "pass" });
  const h = await a.health();
  assert.equal(h.status, "fail");
  assert.deepEqual(Object.keys(h), ["status", "checks"]);
  assert.deepEqual(h.checks.map((c) => [c.id, c.status, c.error]), [
    ["config", "pass", null],
    ["slow", "fail", "the health check of `slow` did not pass within 20 ms"],
    ["cache", "fail", "evicted"],
    ["db", "pass", null],
  ]);
  for (const c of h.checks) {
    assert.deepEqual(Object.keys(c), ["id", "status", "duration_us", "error"]);
    assert.ok(Number.isInteger(c.duration_us));
  }
  assert.ok(h.checks[1].duration_us >= 19_000);
  assert.deepEqual(events.filter((e) => e.type === "failed").map((e) => [e.id, e.phase]), [["cache", "health"], ["slow", "health"]]);
  dbUp = false;
  events.length = 0;
  const down = (await a.health()).checks.find((c) => c.id === "db");
  assert.deepEqual([down.status, down.error], ["fail", null]);
  assert.equal(events.some((e) => e.id === "db"), false);

  const ok = new Registry();
  ok.provide("db", [], () => ({}), { health: () => true });
  const b = await ok.compile().start();
  assert.deepEqual((await b.health()).status, "pass");
  const stopping = b.stop();
  assert.deepEqual(b.liveness(), { status: "fail" });
  await stopping;
  assert.deepEqual(await b.health(), { status: "fail", checks: [] });
});

test("aborting the start's signal during the start hooks: in-flight hooks see it, what started stops, AbortError", async () => {
  const { AbortError } = await import("../src/index.js");
  // Aborted while a layer's hooks are being called: the next hook is not called.
  const log = [];
  const controller = new AbortController();
  let sawAbort = false;
  const registry = app(log, {
    cache: { onStart: async (_, { signal }) => {
      controller.abort(new Error("deploy cancelled"));
      await tick(1);
      sawAbort = signal.aborted;
      await new Promise(() => {}); // hangs: given up on
    } },
  });
  const err = await registry.compile().start({ signal: controller.signal }).then(() => null, (e) => e);
  assert.ok(err instanceof AbortError, String(err));
  assert.equal(err.cause.message, "deploy cancelled");
  assert.equal(err.message, "start aborted in layer 1: deploy cancelled");
  assert.equal(sawAbort, true);
  assert.deepEqual(log.slice(4), [
    "start config", "stop config (deploy cancelled)",
    "dispose api (deploy cancelled)", "dispose db (deploy cancelled)", "dispose cache (deploy cancelled)", "dispose config (deploy cancelled)",
  ]);

  // Aborted while a layer's hooks are awaited: named, given up on at once.
  const log2 = [];
  const c2 = new AbortController();
  const r2 = app(log2, { db: { onStart: () => new Promise(() => {}) } });
  setTimeout(() => c2.abort(new Error("too slow")), 20);
  const err2 = await r2.compile().start({ signal: c2.signal }).then(() => null, (e) => e);
  assert.ok(err2 instanceof AbortError);
  assert.deepEqual(err2.services, ["db"]);
  assert.deepEqual(log2.slice(4), [
    "start config", "start cache", "stop cache (too slow)", "stop config (too slow)",
    "dispose api (too slow)", "dispose db (too slow)", "dispose cache (too slow)", "dispose config (too slow)",
  ]);
});
