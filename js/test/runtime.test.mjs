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
    // The provide() call is the service's source: this file, the line that registered `db`.
    assert.match(error.message, /^service `db` \(\/.*\/runtime\.test\.mjs:\d+:\d+\) failed to start: connection refused$/);
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
    // Each service's source is where it was registered, in this file.
    assert.match(error.message, /--> .*\/runtime\.test\.mjs:\d+:\d+\n/);
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

// ---- Teardown learns why (docs/lifecycle.md, 2) ----------------------------------

/** A unit of work: commits on a clean exit, rolls back when told of an error. */
function unitOfWork(registry, log, { rethrow = false, ...options } = {}) {
  registry.provide("tx", ["db"], (db, ctx) => ({ id: ctx.id }), {
    lifetime: "scoped",
    dispose: (tx, { error, id }) => {
      assert.equal(id, "tx");
      log.push(error === undefined ? "commit" : `rollback: ${error.message}`);
      if (rethrow && error !== undefined) throw error;
    },
    ...options,
  });
}

test("a failed request rolls back: withScope(fn) that throws tells each dispose the error", async () => {
  const log = [];
  const registry = new Registry();
  registry.supply("db", {});
  unitOfWork(registry, log);
  const app = await registry.compile().start();
  const failure = new Error("insert failed");
  await assert.rejects(app.withScope(async (scope) => {
    await scope.get("tx");
    throw failure;
  }), (error) => error === failure);
  await app.withScope((scope) => scope.get("tx"));
  assert.deepEqual(log, ["rollback: insert failed", "commit"]);
  await app.stop();
});

test("scope.stop({error}) and app.stop({error}) tell each dispose; a clean stop tells error undefined", async () => {
  const told = [];
  const registry = new Registry();
  registry.provide("db", [], () => "db", { dispose: (db, info) => told.push(["db", info]) });
  registry.provide("tx", ["db"], () => "tx", { lifetime: "scoped", dispose: (tx, info) => told.push(["tx", info]) });
  registry.provide("job", ["tx"], async () => "job", { lifetime: "transient", dispose: async (job, info) => told.push(["job", info]) });
  const app = await registry.compile().start();
  const boom = new Error("boom");
  const failed = app.scope();
  await failed.get("job");
  await failed.stop({ error: boom });
  const clean = app.scope();
  await clean.get("tx");
  await clean.stop();
  await app.stop({ error: boom });
  assert.deepEqual(told, [
    ["job", { error: boom, id: "job" }],
    ["tx", { error: boom, id: "tx" }],
    ["tx", { error: undefined, id: "tx" }],
    ["db", { error: boom, id: "db" }],
  ]);
});

test("a dispose that rethrows the error it was told of has not failed; other dispose failures reach the caller", async () => {
  const log = [];
  const registry = new Registry();
  registry.supply("db", {});
  unitOfWork(registry, log, { rethrow: true });
  registry.provide("audit", ["tx"], () => ({}), { lifetime: "scoped", dispose: () => { throw new Error("audit lost"); } });
  const app = await registry.compile().start();
  const failure = new Error("bad input");
  await assert.rejects(app.withScope(async (scope) => {
    await scope.get("audit");
    throw failure;
  }), (error) => {
    assert.equal(error, failure, "the request's own error, not the teardown's");
    assert.deepEqual(error.disposeErrors.map((e) => [e.service, e.cause.message]), [["audit", "audit lost"]]);
    return true;
  });
  assert.deepEqual(log, ["rollback: bad input"]);
  await app.stop();
});

test("a failed start tells each dispose of the rollback the factory's error", async () => {
  const told = [];
  const registry = new Registry();
  registry.provide("config", [], () => "config", { dispose: (v, info) => told.push(info) });
  const refused = new Error("refused");
  registry.provide("db", ["config"], () => { throw refused; });
  await assert.rejects(registry.compile().start(), { name: "StartError", cause: refused });
  assert.deepEqual(told, [{ error: refused, id: "config" }]);
});

// ---- One instance per scope, even concurrently (docs/lifecycle.md, 3) ----------------------

test("concurrent gets of two scoped services sharing a scoped dependency build it once", async () => {
  let built = 0;
  const registry = new Registry();
  registry.provide("tx", [], async () => {
    built++;
    await tick(5);
    return { n: built };
  }, { lifetime: "scoped" });
  registry.provide("users", ["tx"], async (tx) => ({ tx }), { lifetime: "scoped" });
  registry.provide("orders", ["tx"], (tx) => ({ tx }), { lifetime: "scoped" });
  const app = await registry.compile().start();
  await app.withScope(async (scope) => {
    const [users, orders, tx, again] = await Promise.all([scope.get("users"), scope.get("orders"), scope.get("tx"), scope.get("tx")]);
    assert.equal(built, 1, "one unit of work per request");
    assert.equal(users.tx, tx);
    assert.equal(orders.tx, tx);
    assert.equal(again, tx);
    assert.equal(await scope.get("tx"), tx, "and the same one afterwards");
  });
  await app.stop();
});

test("a build that fails fails for every waiter, is not cached, and the next get tries again", async () => {
  let attempts = 0;
  const registry = new Registry();
  registry.provide("tx", [], async () => {
    attempts++;
    await tick(2);
    if (attempts === 1) throw new Error("pool exhausted");
    return { attempt: attempts };
  }, { lifetime: "scoped" });
  registry.provide("users", ["tx"], (tx) => ({ tx }), { lifetime: "scoped" });
  const app = await registry.compile().start();
  const scope = app.scope();
  const results = await Promise.allSettled([scope.get("tx"), scope.get("users"), scope.get("tx")]);
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected", "rejected"]);
  assert.ok(results.every((r) => r.reason.message === "pool exhausted"));
  assert.equal(attempts, 1, "built once for all three waiters");
  const users = await scope.get("users");
  assert.deepEqual(users.tx, { attempt: 2 });
  assert.equal(await scope.get("tx"), users.tx);
  await scope.stop();
  await app.stop();
});

test("a scope stopped while a build is in flight aborts its signal and disposes the late instance", async () => {
  const log = [];
  let release;
  const registry = new Registry();
  registry.provide("conn", [], (ctx) => new Promise((resolve) => {
    ctx.signal.addEventListener("abort", () => log.push(`abort ${ctx.id}`));
    release = () => resolve({ id: ctx.id });
  }), { lifetime: "scoped", dispose: (conn, { error }) => log.push(`dispose ${conn.id}: ${error.message}`) });
  const app = await registry.compile().start();
  const scope = app.scope();
  const pending = scope.get("conn");
  await tick(1);
  await scope.stop({ error: new Error("client gone") });
  release();
  await assert.rejects(pending, /this scope is stopped/);
  assert.deepEqual(log, ["abort conn", "dispose conn: client gone"]);
  await app.stop();
});

// ---- Factories get a context ------------------------------------------------------------

test("every factory gets {signal, id} after its dependencies", async () => {
  const seen = [];
  const registry = new Registry();
  const record = (...args) => {
    const ctx = args.at(-1);
    assert.ok(ctx.signal instanceof AbortSignal);
    assert.equal(ctx.signal.aborted, false);
    seen.push([ctx.id, args.length - 1]);
    return ctx.id;
  };
  registry.provide("config", [], record);
  registry.provide("db", ["config", { key: "Cache", optional: true }, { key: "plugin", many: true }], record);
  registry.provide("tx", ["db"], record, { lifetime: "scoped" });
  registry.provide("job", ["tx", "db"], async (...args) => record(...args), { lifetime: "transient" });
  const app = await registry.compile().start();
  await app.withScope((scope) => scope.get("job"));
  await app.stop();
  assert.deepEqual(seen, [["config", 0], ["db", 3], ["tx", 1], ["job", 2]]);
});

// ---- Lookup by key (docs/lifecycle.md, 6) -------------------------------------------------

function lookups() {
  const registry = new Registry();
  registry.provide("pg", [], () => "pg", { provides: ["Database"] });
  registry.provide("pg.fake", [], () => "fake", { replaces: "pg" });
  registry.provide("metrics", [], () => "metrics", { provides: ["Plugin"] });
  registry.provide("tracing", [], () => "tracing", { provides: ["Plugin"] });
  registry.provide("admin", [], () => "admin");
  registry.provide("server", ["Database", { key: "Plugin", many: true }], (db, plugins) => ({ db, plugins }));
  registry.provide("request", ["Database"], () => ({}), { lifetime: "scoped" });
  return registry.compile({ roots: ["server", "request"] });
}

function lookupError(code, message, services) {
  return (error) => {
    assert.equal(error.name, "LookupError");
    assert.equal(error.code, code);
    assert.equal(error.message, `wireplan: ${message}`);
    if (services !== undefined) assert.deepEqual(error.services, services);
    return true;
  };
}

test("app.get resolves a key: one provider, or an error naming them all", async () => {
  const app = await lookups().start();
  assert.equal(app.get("Database"), "fake", "the replacement provides the replaced service's keys");
  assert.equal(app.get("server").db, "fake");
  assert.deepEqual(app.getAll("Plugin"), ["metrics", "tracing"]);
  assert.deepEqual(app.getAll("Database"), ["fake"]);
  assert.deepEqual(app.getAll("Nothing.at.all"), [], "a key nobody registered: none, as `many` gives");
  assert.equal(app.getById("metrics"), "metrics");
  assert.equal(app.has("Plugin"), true);
  assert.equal(app.has("admin"), false);
  assert.throws(() => app.get("Plugin"), lookupError("ambiguous-key",
    "several services provide `Plugin`: `metrics` and `tracing`; get them all with `getAll`, or one with `getById`", ["metrics", "tracing"]));
  assert.throws(() => app.get("admin"), lookupError("not-planned", "`admin` is registered but no root needs it", ["admin"]));
  assert.throws(() => app.getById("pg"), lookupError("replaced", "`pg` is replaced: `Database` is provided by `pg.fake`", ["pg.fake"]));
  assert.throws(() => app.get("pg"), lookupError("unknown-key", "no service provides `pg`; did you mean `pg.fake`?"), "an id is not a key");
  assert.throws(() => app.get("Databse"), lookupError("unknown-key", "no service provides `Databse`; did you mean `Database`?", ["Database"]));
  assert.throws(() => app.getAll("Plugn"), lookupError("unknown-key", "no service provides `Plugn`; did you mean `Plugin`?"));
  assert.throws(() => app.getById("servr"), lookupError("unknown-id", "no service has the id `servr`; did you mean `server`?", ["server"]));
  assert.throws(() => app.get("request"), lookupError("not-singleton", "`request` is scoped: get it from a scope (`app.scope().get(key)`)"));
  await app.stop();
});

test("a key registered for another profile says so", async () => {
  const registry = new Registry();
  registry.provide("tracing", [], () => "tracing", { profiles: ["prod"] });
  registry.provide("server", [], () => "server");
  const dev = await registry.compile({ profile: "dev" }).start();
  assert.throws(() => dev.get("tracing"), lookupError("not-planned", "`tracing` is registered but not for profile `dev`"));
  await dev.stop();
  const none = await registry.compile().start();
  assert.throws(() => none.getById("tracing"), lookupError("not-planned", "`tracing` is registered but not for profile `(none)`"));
  await none.stop();
});

test("scope.get, getAll and getById look up the same way", async () => {
  const app = await lookups().start();
  await app.withScope(async (scope) => {
    assert.equal(await scope.get("Database"), "fake");
    assert.equal(await scope.get("request"), await scope.getById("request"));
    assert.deepEqual(await scope.getAll("Plugin"), ["metrics", "tracing"]);
    assert.equal(scope.has("request"), true);
    await assert.rejects(scope.get("Plugin"), { code: "ambiguous-key" });
    await assert.rejects(scope.get("admin"), { code: "not-planned" });
    await assert.rejects(scope.getById("requets"), { code: "unknown-id", message: "wireplan: no service has the id `requets`; did you mean `request`?" });
  });
  await app.stop();
});

// ---- Start timeouts and the start failure's shape ----------------------------------------------

test("startTimeout applies to a synchronous factory: measured, it fails the start and joins the rollback", async () => {
  const disposed = [];
  const registry = new Registry();
  registry.provide("config", [], () => "config", { dispose: (v, { error }) => disposed.push(["config", error.name]) });
  registry.provide("slow", ["config"], () => {
    const t0 = performance.now();
    while (performance.now() - t0 < 100) { /* a synchronous factory cannot be interrupted */ }
    return "slow";
  }, { dispose: (v, { error }) => disposed.push(["slow", error.name]) });
  registry.provide("after", ["slow"], () => assert.fail("nothing starts after the overrun"));
  await assert.rejects(registry.compile().start({ startTimeout: 50 }), (error) => {
    assert.equal(error.name, "StartError");
    assert.equal(error.service, "slow");
    assert.equal(error.cause.name, "TimeoutError");
    assert.equal(error.cause.timeout, 50);
    assert.ok(error.cause.took >= 100);
    assert.match(error.message, /^service `slow` \(.*runtime\.test\.mjs:\d+:\d+\) failed to start: `slow` did not start within 50 ms: the factory returned after \d+ ms \(a synchronous call cannot be interrupted\)$/);
    return true;
  });
  assert.deepEqual(disposed, [["slow", "TimeoutError"], ["config", "TimeoutError"]]);
});

test("StartError names the service's source, in the core's words", async () => {
  const registry = new Registry();
  registry.provide("db", [], () => { throw new Error("no route to host"); }, { source: { file: "app/db.js", line: 12, column: 3 } });
  await assert.rejects(registry.compile().start(), (error) => {
    assert.equal(error.source, "app/db.js:12:3");
    assert.equal(error.message, "service `db` (app/db.js:12:3) failed to start: no route to host");
    assert.deepEqual(error.teardownErrors, []);
    return true;
  });
});

// ---- Transients: owned by whoever asked (docs/lifecycle.md, 8) ---------------------------------

test("app.getAsync builds a transient for the app, torn down at stop in reverse order of readiness", async () => {
  const log = [];
  const registry = new Registry();
  const dispose = (x) => log.push(`dispose ${x.id}`);
  registry.provide("conn", [], async (ctx) => ({ id: `conn${log.push(`build ${ctx.id}`)}` }), { lifetime: "transient", dispose });
  registry.provide("db", ["conn"], (conn) => ({ id: "db", conn }), { dispose });
  registry.provide("api", ["db"], () => ({ id: "api" }), { dispose });
  registry.provide("tx", [], () => ({ id: "tx" }), { lifetime: "scoped" });
  const app = await registry.compile().start();
  const later = await app.getAsync("conn");
  assert.equal(await app.getAsync("api"), app.get("api"), "a singleton, awaited");
  assert.notEqual(later, app.get("db").conn, "a transient is new on every get");
  assert.throws(() => app.get("conn"), { code: "not-singleton", message: "wireplan: `conn` is transient: get it with `await app.getAsync(key)` or from a scope" });
  await assert.rejects(app.getAsync("tx"), { code: "not-singleton", message: "wireplan: `tx` is scoped: get it from a scope (`app.scope().get(key)`)" });
  await app.stop();
  // The transient built for `db` during the start goes after `db`; the one
  // built after the start goes first.
  assert.deepEqual(log, ["build conn", "build conn", `dispose ${later.id}`, "dispose api", "dispose db", "dispose conn1"]);
});

test("get takes keys and getById ids: an id that provides other keys is not a key", async () => {
  const registry = new Registry();
  registry.provide("pg", [], () => "pg", { provides: ["Database"] });
  const app = await registry.compile().start();
  assert.equal(app.get("Database"), "pg");
  assert.equal(app.getById("pg"), "pg");
  assert.throws(() => app.get("pg"), lookupError("unknown-key", "no service provides `pg`"));
  assert.throws(() => app.getById("Database"), lookupError("unknown-id", "no service has the id `Database`"));
  await app.stop();
});

test("a transient built for the app that arrives once the app is stopping is disposed at once", async () => {
  const log = [];
  let release;
  const registry = new Registry();
  registry.provide("conn", [], (ctx) => new Promise((resolve) => {
    ctx.signal.addEventListener("abort", () => log.push("abort"));
    release = () => resolve({ id: "conn" });
  }), { lifetime: "transient", dispose: (conn, { error }) => log.push(`dispose ${conn.id}: ${error}`) });
  const app = await registry.compile().start();
  const pending = app.getAsync("conn");
  await app.stop({ error: "SIGTERM" });
  release();
  await assert.rejects(pending, /the app is stopped/);
  assert.deepEqual(log, ["abort", "dispose conn: SIGTERM"]);
});

test("withScope(fn) where fn throws undefined still rolls back", async () => {
  const log = [];
  const registry = new Registry();
  registry.supply("db", {});
  unitOfWork(registry, log);
  const app = await registry.compile().start();
  await assert.rejects(app.withScope(async (scope) => {
    await scope.get("tx");
    throw undefined; // eslint-disable-line no-throw-literal
  }), (error) => error === undefined);
  assert.deepEqual(log, ["rollback: wireplan: the scope's function threw undefined"]);
  await app.stop();
});

test("fail fast reaches a transient being built for a singleton of the failing layer", async () => {
  const log = [];
  const registry = new Registry();
  registry.provide("conn", [], (ctx) => new Promise((resolve, reject) => {
    ctx.signal.addEventListener("abort", () => {
      log.push(`abort ${ctx.id}: ${ctx.signal.reason.message}`);
      reject(ctx.signal.reason);
    });
  }), { lifetime: "transient" });
  registry.provide("repo", ["conn"], (conn) => ({ conn }));
  registry.provide("mailer", [], async () => { await tick(1); throw new Error("smtp down"); });
  await assert.rejects(registry.compile().start(), { name: "StartError", service: "mailer" });
  assert.deepEqual(log, ["abort conn: wireplan: `mailer` failed to start: smtp down"]);
});

test("a lazy handle hands over what exists; to a transient it says it builds nothing", async () => {
  const registry = new Registry();
  registry.provide("conn", [], () => ({}), { lifetime: "transient" });
  registry.provide("repo", [{ key: "conn", lazy: true }], (conn) => ({ conn }));
  const app = await registry.compile().start();
  assert.throws(() => app.get("repo").conn(), {
    message: "wireplan: lazy `conn` of `repo`: `conn` is transient, and a lazy handle builds nothing; take it as a plain dependency or get it from a scope",
  });
  await app.stop();
});
