// The JS runtime: order, layer concurrency, dispose order, rollback, errors,
// scopes, lazy handles, and a 100,000-service chain.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PlanError, Registry, StartError, StopError } from "../src/index.js";

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

test("the README example: supply, provide, many, dispose, profile", async () => {
  const log = [];
  const registry = new Registry();
  registry.supply("config", { url: "db://" });
  registry.provide("db", ["config"], (config) => ({ url: config.url }), { dispose: () => log.push("db") });
  registry.provide("metrics", [], () => "metrics", { provides: ["plugin"] });
  registry.provide("tracing", [], () => "tracing", { provides: ["plugin"], profiles: ["prod"] });
  registry.provide("server", ["db", { key: "plugin", many: true }], (db, plugins) => ({ db, plugins }), {
    dispose: () => log.push("server"),
  });
  const plan = registry.compile({ profile: "prod" });
  assert.deepEqual(plan.startup, ["config", "metrics", "tracing", "db", "server"]);
  const app = await plan.start();
  assert.deepEqual(app.get("server").plugins, ["metrics", "tracing"]);
  assert.equal(app.get("server").db, app.get("db"));
  await app.stop();
  assert.deepEqual(log, ["server", "db"]);
  const dev = await registry.compile().start();
  assert.deepEqual(dev.get("server").plugins, ["metrics"]);
  await dev.stop();
});

test("factories run in start-up order and stop runs in exact reverse", async () => {
  const started = [];
  const stopped = [];
  const registry = new Registry();
  const ids = ["e", "d", "c", "b", "a"];
  // a <- b <- c, d needs a, e needs c and d
  const deps = { a: [], b: ["a"], c: ["b"], d: ["a"], e: ["c", "d"] };
  for (const id of ids) {
    registry.provide(id, deps[id], () => {
      started.push(id);
      return id;
    }, { dispose: (v) => stopped.push(v) });
  }
  const plan = registry.compile();
  const app = await plan.start();
  assert.deepEqual(started, plan.startup);
  await app.stop();
  assert.deepEqual(stopped, [...plan.startup].reverse());
  await app.stop(); // twice is harmless
  assert.equal(stopped.length, 5);
});

test("each layer starts concurrently: async factories of one layer overlap", async () => {
  // Each factory of the first layer waits until all four have been called:
  // this start can only finish if they run at the same time.
  let called = 0;
  let release;
  const barrier = new Promise((resolve) => { release = resolve; });
  const registry = new Registry();
  for (const id of ["a", "b", "c", "d"]) {
    registry.provide(id, [], async () => {
      if (++called === 4) release();
      await barrier;
      return id;
    });
  }
  registry.provide("top", ["a", "b", "c", "d"], (a, b, c, d) => a + b + c + d);
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("layer did not start concurrently")), 5000).unref());
  const app = await Promise.race([registry.compile().start(), timeout]);
  assert.equal(called, 4);
  assert.equal(app.get("top"), "abcd");
  await app.stop();
});

test("a dependency is started before its dependent begins", async () => {
  const registry = new Registry();
  registry.provide("db", [], async () => {
    await tick(10);
    return { ready: true };
  });
  registry.provide("repo", ["db"], (db) => {
    assert.equal(db.ready, true);
    return { db };
  });
  const app = await registry.compile().start();
  assert.equal(app.get("repo").db.ready, true);
  await app.stop();
});

test("a failure during start stops what started, in reverse, and names the service", async () => {
  const stopped = [];
  const registry = new Registry();
  registry.provide("config", [], () => "config", { dispose: () => stopped.push("config") });
  registry.provide("cache", ["config"], async () => "cache", { dispose: async () => stopped.push("cache") });
  registry.provide("db", ["config"], async () => {
    await tick(5);
    throw new Error("connection refused");
  }, { dispose: () => stopped.push("db") });
  registry.provide("server", ["db", "cache"], () => "server", { dispose: () => stopped.push("server") });
  const plan = registry.compile();
  await assert.rejects(plan.start(), (error) => {
    assert.ok(error instanceof StartError);
    assert.equal(error.service, "db");
    assert.equal(error.cause.message, "connection refused");
    assert.equal(error.message, "service `db` failed to start: connection refused");
    assert.deepEqual(error.disposeErrors, []);
    return true;
  });
  assert.deepEqual(stopped, ["cache", "config"]);
});

test("a synchronous throw is a start failure too, and rollback collects dispose errors", async () => {
  const registry = new Registry();
  registry.provide("a", [], () => "a", { dispose: () => { throw new Error("a would not close"); } });
  registry.provide("b", ["a"], () => { throw new TypeError("bad config"); });
  await assert.rejects(registry.compile().start(), (error) => {
    assert.equal(error.service, "b");
    assert.ok(error.cause instanceof TypeError);
    assert.equal(error.disposeErrors.length, 1);
    assert.equal(error.disposeErrors[0].service, "a");
    return true;
  });
});

test("every dispose runs; failures come together in an AggregateError", async () => {
  const ran = [];
  const registry = new Registry();
  for (const id of ["a", "b", "c"]) {
    registry.provide(id, id === "a" ? [] : ["a"], () => id, {
      dispose: async (v) => {
        ran.push(v);
        if (v !== "b") throw new Error(`${v} broke`);
      },
    });
  }
  const app = await registry.compile().start();
  await assert.rejects(app.stop(), (error) => {
    assert.ok(error instanceof AggregateError);
    assert.deepEqual(error.errors.map((e) => e.service), ["c", "a"]);
    assert.ok(error.errors.every((e) => e instanceof StopError));
    assert.equal(error.errors[0].cause.message, "c broke");
    assert.match(error.message, /2 services failed to stop: `c`, `a`/);
    return true;
  });
  assert.deepEqual(ran, ["c", "b", "a"]);
});

test("an invalid graph throws PlanError from compile, with the core's words", () => {
  const registry = new Registry();
  registry.provide("a", ["b"], () => 1);
  registry.provide("b", ["a"], () => 2);
  registry.provide("c", ["Missing"], () => 3);
  assert.throws(() => registry.compile(), (error) => {
    assert.ok(error instanceof PlanError);
    assert.deepEqual(error.diagnostics.map((d) => d.code), ["dependency-cycle", "missing-dependency"]);
    assert.match(error.message, /^error\[dependency-cycle\]: dependency cycle: `a` -> `b` -> `a`/);
    assert.match(error.message, /<registry>/);
    assert.match(error.message, /error: 2 errors$/);
    return true;
  });
});

test("bad registrations are TypeErrors at once", () => {
  const registry = new Registry();
  assert.throws(() => registry.provide(1, [], () => 1), TypeError);
  assert.throws(() => registry.provide("a", "b", () => 1), TypeError);
  assert.throws(() => registry.provide("a", [], null), TypeError);
  assert.throws(() => registry.provide("a", [], () => 1, { lifetime: "forever" }), TypeError);
  assert.throws(() => registry.provide("a", [{ nokey: 1 }], () => 1), TypeError);
});

test("optional, lazy and many bindings", async () => {
  const registry = new Registry();
  registry.provide("server", ["clock", { key: "Cache", optional: true }, { key: "plugin", many: true }], (clock, cache, plugins) => ({ clock, cache, plugins }));
  registry.provide("clock", [{ key: "server", lazy: true }], (server) => ({ server }));
  const app = await registry.compile().start();
  const server = app.get("server");
  assert.equal(server.cache, undefined);
  assert.deepEqual(server.plugins, []);
  assert.equal(typeof server.clock.server, "function");
  assert.equal(server.clock.server(), server, "the lazy handle resolves once started");
  await app.stop();
});

test("scoped instances: one per scope, disposed with the scope; transients new each time", async () => {
  const disposed = [];
  let n = 0;
  const registry = new Registry();
  registry.supply("db", { name: "db" });
  registry.provide("request", [], () => ({ id: ++n }), { lifetime: "scoped", dispose: (r) => disposed.push(`request${r.id}`) });
  registry.provide("session", ["request", "db"], async (request, db) => ({ request, db }), { lifetime: "scoped" });
  registry.provide("handler", ["session", "request"], (session, request) => ({ session, request }), { lifetime: "transient", dispose: () => disposed.push("handler") });
  const app = await registry.compile().start();
  assert.throws(() => app.get("request"), /scoped/);
  const s1 = app.scope();
  const h1 = await s1.get("handler");
  const h2 = await s1.get("handler");
  assert.notEqual(h1, h2);
  assert.equal(h1.request, h2.request);
  assert.equal(h1.session.request, h1.request);
  assert.equal(h1.session.db, app.get("db"));
  assert.equal(await s1.get("db"), app.get("db"));
  await app.withScope(async (s2) => {
    assert.notEqual((await s2.get("request")).id, h1.request.id);
  });
  await s1.stop();
  assert.deepEqual(disposed, ["request2", "handler", "handler", "request1"]);
  await assert.rejects(s1.get("request"), /stopped/);
  await app.stop();
});

test("a singleton may use a transient: it is built for it during start", async () => {
  const registry = new Registry();
  registry.supply("config", 7);
  registry.provide("conn", ["config"], async (c) => ({ c }), { lifetime: "transient" });
  registry.provide("a", ["conn"], (conn) => conn);
  registry.provide("b", ["conn"], (conn) => conn);
  const app = await registry.compile().start();
  assert.equal(app.get("a").c, 7);
  assert.notEqual(app.get("a"), app.get("b"));
  await app.stop();
});

test("a chain of 100,000 services starts and stops without a stack overflow", async () => {
  const N = 100_000;
  const registry = new Registry();
  let disposed = 0;
  registry.provide("s0", [], () => 0, { dispose: () => disposed++ });
  for (let i = 1; i < N; i++) registry.provide(`s${i}`, [`s${i - 1}`], (prev) => prev + 1, { dispose: () => disposed++ });
  const plan = registry.compile();
  assert.equal(plan.layers.length, N);
  const app = await plan.start();
  assert.equal(app.get(`s${N - 1}`), N - 1);
  await app.stop();
  assert.equal(disposed, N);
});

test("the 100,000 chain with async factories", async () => {
  const N = 100_000;
  const registry = new Registry();
  registry.provide("s0", [], async () => 0);
  for (let i = 1; i < N; i++) registry.provide(`s${i}`, [`s${i - 1}`], async (prev) => prev + 1);
  const app = await registry.compile().start();
  assert.equal(app.get(`s${N - 1}`), N - 1);
  await app.stop();
});

test("get of a key the plan lacks says so in the core's words, naming the closest", async () => {
  const registry = new Registry();
  registry.provide("database", [], () => ({}));
  const app = await registry.compile().start();
  assert.throws(() => app.get("databse"), (error) => {
    assert.ok(error instanceof RangeError, "a LookupError is a RangeError");
    assert.equal(error.name, "LookupError");
    assert.equal(error.code, "unknown-key");
    assert.equal(error.key, "databse");
    assert.deepEqual(error.services, ["database"]);
    assert.equal(error.message, "wireplan: no service provides `databse`; did you mean `database`?");
    return true;
  });
  await app.stop();
});
