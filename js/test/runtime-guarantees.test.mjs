// The JS runtime's guarantees that docs/lifecycle.md and docs/javascript.md
// state, each pinned by a test that says the rule it protects. Issue 13
// found deliberate bugs that survived every other test: a transient built for
// a singleton never disposed, a stop timer left running, a second stop()
// resolving early, the last failure of a layer reported instead of the first,
// lookups after stop. The later sections kill the surviving mutants of
// `python3 scripts/mutate.py --file js/src/runtime.js` (judge: this file,
// runtime.test.mjs and runtime-vectors.test.mjs); a test that depends on the
// clock is written so a loaded machine cannot fail it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { Registry, StartError, StopError, TimeoutError } from "../src/index.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Pending `setTimeout`s of this process (the runtime's timers among them). */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
const INDEX = new URL("../src/index.js", import.meta.url).href;

// --- lifecycle.md 8: a transient built for a singleton is the app's -------

test("a transient built for a singleton is disposed at stop, right after that singleton (reverse order of readiness)", async () => {
  const log = [];
  const registry = new Registry({ sources: false });
  let n = 0;
  // Synchronous and asynchronous transients: both are the app's to dispose.
  registry.provide("conn", [], () => ({ id: `conn${++n}` }), {
    lifetime: "transient",
    dispose: (conn, { error, id }) => log.push(`dispose ${conn.id} (${id}, ${error})`),
  });
  registry.provide("tx", [], async () => ({ id: `tx${++n}` }), {
    lifetime: "transient",
    dispose: async (tx) => {
      await sleep(1);
      log.push(`dispose ${tx.id}`);
    },
  });
  registry.provide("config", [], () => ({ id: "config" }), { dispose: (x) => log.push(`dispose ${x.id}`) });
  registry.provide("db", ["config", "conn"], (config, conn) => ({ id: "db", conn }), { dispose: (x) => log.push(`dispose ${x.id}`) });
  registry.provide("repo", ["db", "tx", "conn"], (db, tx, conn) => ({ id: "repo", tx, conn }), { dispose: (x) => log.push(`dispose ${x.id}`) });
  const app = await registry.compile().start();
  assert.equal(app.get("db").conn.id, "conn1");
  assert.deepEqual([app.get("repo").tx.id, app.get("repo").conn.id], ["tx2", "conn3"]);
  assert.deepEqual(log, [], "nothing is disposed before stop");
  await app.stop();
  // Built: config, conn1, db, tx2, conn3, repo. Disposed in exact reverse,
  // each transient told a clean stop (error undefined) and its own id.
  assert.deepEqual(log, [
    "dispose repo",
    "dispose conn3 (conn, undefined)",
    "dispose tx2",
    "dispose db",
    "dispose conn1 (conn, undefined)",
    "dispose config",
  ]);
});

test("transients built for singletons are disposed in a failed start's rollback too, told the failure", async () => {
  const log = [];
  const registry = new Registry({ sources: false });
  registry.provide("conn", [], () => ({ id: "conn" }), {
    lifetime: "transient",
    dispose: (conn, { error }) => log.push(`dispose conn: ${error.message}`),
  });
  registry.provide("db", ["conn"], (conn) => ({ conn }), { dispose: (_, { error }) => log.push(`dispose db: ${error.message}`) });
  registry.provide("server", ["db"], () => {
    throw new Error("port in use");
  });
  await assert.rejects(registry.compile().start(), { name: "StartError", service: "server" });
  assert.deepEqual(log, ["dispose db: port in use", "dispose conn: port in use"]);
});

test("a transient built for the app by getAsync is disposed at stop, before the singletons that were ready when it was built", async () => {
  const log = [];
  const registry = new Registry({ sources: false });
  let n = 0;
  registry.provide("job", ["db"], () => ({ id: `job${++n}` }), { lifetime: "transient", dispose: (x) => log.push(x.id) });
  registry.provide("db", [], () => ({ id: "db" }), { dispose: (x) => log.push(x.id) });
  const app = await registry.compile().start();
  await app.getAsync("job");
  await app.getAsync("job");
  await app.stop();
  assert.deepEqual(log, ["job2", "job1", "db"]);
});

// --- javascript.md / within(): a timer never keeps the process alive -------

test("the stop timer is cleared when a dispose settles in time (app and scope)", async () => {
  const registry = new Registry({ sources: false });
  registry.provide("db", [], async () => ({}), { dispose: async () => sleep(1) });
  registry.provide("tx", ["db"], () => ({}), { lifetime: "scoped", dispose: async () => sleep(1) });
  registry.provide("broken", [], () => ({}), {
    dispose: async () => {
      throw new Error("already closed");
    },
  });
  const base = timers();
  const app = await registry.compile().start({ startTimeout: 600_000, stopTimeout: 600_000 });
  assert.equal(timers(), base, "every start timer is cleared once its factory settles");
  const scope = app.scope();
  await scope.get("tx");
  await scope.stop();
  assert.equal(timers(), base, "the scope's stop timer is cleared");
  // A dispose that rejects in time clears its timer too.
  await assert.rejects(app.stop(), (error) => {
    assert.deepEqual(error.errors.map((e) => e.service), ["broken"]);
    assert.equal(error.errors[0].cause.message, "already closed");
    return true;
  });
  assert.equal(timers(), base, "the app's stop timers are cleared");
});

test("a process whose app stops with a long stopTimeout exits at once: no timer keeps it alive", async () => {
  // The child starts and stops an app whose disposes settle at once, with a
  // 10-minute stopTimeout and startTimeout, and then has nothing to do.
  const script = `
    import { Registry } from ${JSON.stringify(INDEX)};
    const registry = new Registry();
    registry.provide("db", [], async () => ({}), { dispose: async () => {} });
    registry.provide("api", ["db"], async () => ({}), { dispose: async () => {} });
    const app = await registry.compile().start({ startTimeout: 600000, stopTimeout: 600000 });
    await app.stop();
    console.log("stopped");
  `;
  const t0 = Date.now();
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const [code, signal] = await new Promise((resolve) => child.on("close", (c, s) => resolve([c, s])));
  clearTimeout(killer);
  assert.equal(signal, null, `the child was still alive after 30 s (a timer kept it): ${err}`);
  assert.equal(code, 0, err);
  assert.equal(out.trim(), "stopped");
  assert.ok(Date.now() - t0 < 20_000, "the child exited long before the 10-minute timeout");
});

test("a dispose that overruns stopTimeout is a StopError with a TimeoutError cause, and the next dispose still runs", async () => {
  const log = [];
  const registry = new Registry({ sources: false });
  registry.provide("db", [], () => "db", { dispose: () => log.push("db") });
  registry.provide("api", ["db"], () => "api", { dispose: () => new Promise(() => {}) });
  const app = await registry.compile().start({ stopTimeout: 20 });
  await assert.rejects(app.stop(), (error) => {
    assert.equal(error.errors.length, 1);
    const [e] = error.errors;
    assert.ok(e instanceof StopError);
    assert.ok(e.cause instanceof TimeoutError);
    assert.equal(e.message, "service `api` did not stop within 20 ms");
    return true;
  });
  assert.deepEqual(log, ["db"]);
});

// --- javascript.md stop(): a second call waits for the first --------------

test("a second stop() while stopping resolves only after the last dispose; a third, once stopped, at once", async () => {
  const log = [];
  const registry = new Registry({ sources: false });
  for (const id of ["a", "b", "c"]) {
    registry.provide(id, id === "a" ? [] : ["a"], () => id, {
      dispose: async (v) => {
        await sleep(5);
        log.push(`disposed ${v}`);
      },
    });
  }
  const app = await registry.compile().start();
  const first = app.stop().then(() => log.push("first resolved"));
  const second = app.stop().then(() => log.push("second resolved"));
  await Promise.all([first, second]);
  assert.deepEqual(log.slice(0, 3), ["disposed c", "disposed b", "disposed a"]);
  assert.deepEqual(log.slice(3).sort(), ["first resolved", "second resolved"]);
  await app.stop();
  assert.equal(log.length, 5, "a stop once stopped disposes nothing again");
});

test("a second stop() while a failing stop runs waits for it and resolves; the first carries the errors", async () => {
  const log = [];
  const registry = new Registry({ sources: false });
  registry.provide("a", [], () => "a", {
    dispose: async () => {
      await sleep(5);
      log.push("disposed a");
      throw new Error("a broke");
    },
  });
  const app = await registry.compile().start();
  const first = app.stop();
  const second = app.stop().then(() => log.push("second resolved"));
  await assert.rejects(first, { name: "AggregateError", message: "1 service failed to stop: `a`" });
  await second;
  assert.deepEqual(log, ["disposed a", "second resolved"]);
  await app.stop();
});

// --- lifecycle.md 5: the start error names the FIRST failure, in time ------

test("when several services of a layer fail, the start error names the first to fail in time, not in plan order", async () => {
  const log = [];
  const registry = new Registry({ sources: false });
  // `a` and `b` come first in the layer's plan order but fail later: they
  // reject as they see their signal abort.
  for (const id of ["a", "b"]) {
    registry.provide(id, [], (ctx) => new Promise((_, reject) => {
      ctx.signal.addEventListener("abort", () => {
        log.push(`${id} aborted: ${ctx.signal.reason.message}`);
        reject(new Error(`${id} gave up`));
      });
    }));
  }
  registry.provide("c", [], async () => {
    await sleep(5);
    throw new Error("c failed first");
  });
  // `d` fails last of all, on its own, long after.
  registry.provide("d", [], async () => {
    await sleep(30);
    throw new Error("d failed last");
  });
  const compiled = registry.compile();
  assert.deepEqual(compiled.layers, [["a", "b", "c", "d"]]);
  await assert.rejects(compiled.start(), (error) => {
    assert.ok(error instanceof StartError);
    assert.equal(error.service, "c");
    assert.equal(error.cause.message, "c failed first");
    assert.equal(error.message, "service `c` failed to start: c failed first");
    return true;
  });
  // The siblings' signals abort with the first failure as the reason.
  assert.deepEqual(log, ["a aborted: wireplan: `c` failed to start: c failed first", "b aborted: wireplan: `c` failed to start: c failed first"]);
});

test("a synchronous failure while the layer is being called is the first; the async siblings' later rejections are not", async () => {
  const registry = new Registry({ sources: false });
  let reason;
  registry.provide("a", [], (ctx) => new Promise((_, reject) => {
    ctx.signal.addEventListener("abort", () => {
      reason = ctx.signal.reason;
      reject(new Error("a aborted"));
    });
  }));
  registry.provide("b", [], () => {
    throw new Error("b threw");
  });
  let called = false;
  registry.provide("c", [], () => {
    called = true;
  });
  await assert.rejects(registry.compile().start(), (error) => {
    assert.equal(error.service, "b");
    assert.equal(error.cause.message, "b threw");
    return true;
  });
  assert.equal(called, false, "no factory of the layer is called after the failure");
  assert.equal(reason?.message, "wireplan: `b` failed to start: b threw", "the async sibling in flight is aborted, told why");
});

test("of two start timeouts, the earlier is reported", async () => {
  const registry = new Registry({ sources: false });
  // Both hang, under the same 20 ms limit: a's timer, set first, fires
  // first; `b` then rejects as it sees its signal abort, which is no
  // failure of its own to report.
  registry.provide("a", [], () => new Promise(() => {}));
  registry.provide("b", [], (ctx) => new Promise((_, reject) => {
    ctx.signal.addEventListener("abort", () => reject(new Error("b aborted")));
  }));
  await assert.rejects(registry.compile().start({ startTimeout: 20 }), (error) => {
    assert.equal(error.service, "a");
    assert.ok(error.cause instanceof TimeoutError);
    assert.equal(error.message, "service `a` failed to start: `a` did not start within 20 ms");
    return true;
  });
});

// --- javascript.md lookups: after stop ------------------------------------

test("after stop, has() is false and every lookup says the app is stopped", async () => {
  const registry = new Registry({ sources: false });
  registry.provide("pg", [], () => "pg", { provides: ["Database"] });
  registry.provide("job", [], () => "job", { lifetime: "transient" });
  const app = await registry.compile().start();
  assert.equal(app.has("Database"), true);
  assert.equal(app.has("Databse"), false);
  await app.stop();
  // has(key): whether a lookup can answer now; none can after stop.
  assert.equal(app.has("Database"), false);
  assert.equal(app.has("Databse"), false);
  const stopped = { message: "wireplan: the app is stopped" };
  assert.throws(() => app.get("Database"), stopped);
  assert.throws(() => app.getAll("Database"), stopped);
  assert.throws(() => app.getById("pg"), stopped);
  assert.throws(() => app.scope(), stopped);
  await assert.rejects(app.getAsync("Database"), stopped);
  await assert.rejects(app.getAsync("job"), stopped);
  // An unknown key is still unknown, not "stopped".
  assert.throws(() => app.get("Databse"), { name: "LookupError", code: "unknown-key" });
});

test("lookups while stopping say so, and a stopped scope refuses gets", async () => {
  let release;
  const registry = new Registry({ sources: false });
  registry.provide("db", [], () => "db", { dispose: () => new Promise((resolve) => (release = resolve)) });
  registry.provide("tx", [], () => "tx", { lifetime: "scoped" });
  const app = await registry.compile().start();
  const scope = app.scope();
  assert.equal(await scope.get("tx"), "tx");
  assert.equal(scope.has("tx"), true);
  await scope.stop();
  await assert.rejects(scope.get("tx"), { message: "wireplan: this scope is stopped" });
  await assert.rejects(scope.getAll("tx"), { message: "wireplan: this scope is stopped" });
  await assert.rejects(scope.getById("tx"), { message: "wireplan: this scope is stopped" });
  assert.equal(scope.has("tx"), false);
  const stopping = app.stop();
  assert.throws(() => app.get("db"), { message: "wireplan: the app is stopping" });
  assert.equal(app.has("db"), false);
  release();
  await stopping;
  assert.throws(() => app.get("db"), { message: "wireplan: the app is stopped" });
});

// --- javascript.md: a factory gets an array for `many` --------------------
// Exactly the providers of that key, in plan order: nothing of the next
// dependency, no placeholder for an instance still to be built.

test("a many dependency followed by another gets exactly its providers, and the next dependency its own", async () => {
  const registry = new Registry({ sources: false });
  registry.supply("config", "config");
  registry.provide("metrics", [], () => "metrics", { provides: ["plugin"] });
  registry.provide("tracing", [], () => "tracing", { provides: ["plugin"] });
  registry.provide("server", [{ key: "plugin", many: true }, "config"], (plugins, config) => ({ plugins, config }));
  // A scoped service takes the same path when a scope builds it.
  registry.provide("request", [{ key: "plugin", many: true }, "config"], (plugins, config) => ({ plugins, config }), { lifetime: "scoped" });
  const app = await registry.compile().start();
  assert.deepEqual(app.get("server"), { plugins: ["metrics", "tracing"], config: "config" });
  await app.withScope(async (scope) => {
    assert.deepEqual(await scope.get("request"), { plugins: ["metrics", "tracing"], config: "config" });
  });
  await app.stop();
});

test("a many dependency with a transient provider gets it built, for a singleton at start and in a scope", async () => {
  const registry = new Registry({ sources: false });
  let n = 0;
  // `audit` is the first service after the singletons; `x-request` the last.
  registry.provide("audit", [], () => `audit${++n}`, { lifetime: "transient", provides: ["plugin", "Audit"] });
  registry.provide("metrics", [], () => "metrics", { provides: ["plugin"] });
  registry.provide("server", [{ key: "plugin", many: true }], (plugins) => plugins);
  // Every provider still to be built: the list holds built instances only.
  registry.provide("trail", [{ key: "Audit", many: true }], (audits) => audits);
  registry.provide("x-request", [{ key: "plugin", many: true }], (plugins) => plugins, { lifetime: "scoped" });
  const app = await registry.compile().start();
  // One transient each, built concurrently (in either order).
  const [server, trail] = [app.get("server"), app.get("trail")];
  assert.deepEqual([server.length, server[1], trail.length], [2, "metrics", 1]);
  assert.deepEqual([server[0], trail[0]].sort(), ["audit1", "audit2"]);
  await app.withScope(async (scope) => {
    assert.deepEqual(await scope.get("x-request"), ["audit3", "metrics"]);
  });
  await app.stop();
});

test("a many dependency is read alone: a lazy handle elsewhere to a service not yet started is not touched", async () => {
  // Plan order: layer 0 `a` (lazy to `z`) and `p`; layer 1 `b` (many
  // `plugin`, called before `z` is ready) and `z`.
  const registry = new Registry({ sources: false });
  registry.provide("a", [{ key: "z", lazy: true }], (z) => ({ z }));
  registry.provide("p", [], () => "p", { provides: ["plugin"] });
  registry.provide("b", [{ key: "plugin", many: true }], (plugins) => plugins);
  registry.provide("z", ["a"], () => "z");
  const compiled = registry.compile();
  assert.deepEqual(compiled.layers, [["a", "p"], ["b", "z"]]);
  const app = await compiled.start();
  assert.deepEqual(app.get("b"), ["p"]);
  assert.equal(app.get("a").z(), "z");
  await app.stop();
});

test("stop disposes every transient and singleton that has a dispose, past those that have none, in reverse order of readiness", async () => {
  const log = [];
  const registry = new Registry({ sources: false });
  const dispose = (x) => log.push(x.id);
  registry.provide("closable", [], () => ({ id: "closable" }), { lifetime: "transient", dispose });
  registry.provide("plain", [], () => ({ id: "plain" }), { lifetime: "transient" });
  registry.provide("config", [], () => ({ id: "config" }), { dispose });
  registry.provide("bare", ["config"], () => ({ id: "bare" }));
  registry.provide("pool", ["bare"], () => ({ id: "pool" }), { dispose });
  // `svc` takes both transients: `closable` built first, then `plain`.
  registry.provide("svc", ["pool", "closable", "plain"], () => ({ id: "svc" }), { dispose });
  const app = await registry.compile().start();
  await app.stop();
  assert.deepEqual(log, ["svc", "closable", "pool", "config"]);
});

test("a scope or a lazy handle that outlives the app's stop hands over no disposed singleton", async () => {
  const registry = new Registry({ sources: false });
  registry.provide("db", [], () => ({ open: true }), { dispose: (db) => (db.open = false) });
  registry.provide("repo", [{ key: "db", lazy: true }], (db) => ({ db }));
  const app = await registry.compile().start();
  const scope = app.scope();
  const repo = app.get("repo");
  assert.equal(repo.db().open, true);
  await app.stop();
  assert.throws(() => repo.db(), { message: "wireplan: `db` is not started" });
  await assert.rejects(scope.get("db"), { message: "wireplan: `db` is not started" });
});

test("stop({error}) aborts the app's builds in flight with that error as the reason, whatever its value", async () => {
  for (const error of [0, "", false, new Error("SIGTERM")]) {
    const reasons = [];
    const registry = new Registry({ sources: false });
    registry.provide("job", [], (ctx) => new Promise((resolve) => {
      ctx.signal.addEventListener("abort", () => {
        reasons.push(ctx.signal.reason);
        resolve({});
      });
    }), { lifetime: "transient" });
    const app = await registry.compile().start();
    const pending = app.getAsync("job");
    await app.stop({ error });
    await assert.rejects(pending, { message: "wireplan: the app is stopped" });
    assert.deepEqual(reasons, [error]);
  }
});

test("scope.stop({error}) aborts the scope's builds in flight with that error as the reason, whatever its value", async () => {
  for (const error of [0, "", false, new Error("request failed")]) {
    const reasons = [];
    const registry = new Registry({ sources: false });
    registry.provide("job", [], (ctx) => new Promise((resolve) => {
      ctx.signal.addEventListener("abort", () => {
        reasons.push(ctx.signal.reason);
        resolve({});
      });
    }), { lifetime: "scoped" });
    const app = await registry.compile().start();
    const scope = app.scope();
    const pending = scope.get("job");
    await scope.stop({ error });
    await assert.rejects(pending, { message: "wireplan: this scope is stopped" });
    assert.deepEqual(reasons, [error]);
    await app.stop();
  }
});

// --- javascript.md: a factory is called with one argument per dependency, then {signal, id}

test("a singleton with 0 to 5 plain dependencies gets each in order, then the context last", async () => {
  const seen = {};
  const registry = new Registry({ sources: false });
  const deps = ["d1", "d2", "d3", "d4", "d5"];
  for (const d of deps) registry.supply(d, d.toUpperCase());
  // s1 takes [d5], s2 [d4, d5], ...: no two neighbours in the plan start
  // their dependencies alike.
  for (let k = 0; k <= 5; k++) {
    registry.provide(`s${k}`, deps.slice(5 - k), (...args) => {
      seen[`s${k}`] = [args.slice(0, -1), args.at(-1).id];
      return k;
    });
  }
  const app = await registry.compile().start();
  for (let k = 0; k <= 5; k++) {
    assert.deepEqual(seen[`s${k}`], [["D1", "D2", "D3", "D4", "D5"].slice(5 - k), `s${k}`], `s${k}`);
    assert.equal(app.get(`s${k}`), k, `s${k} is started`);
  }
  await app.stop();
});

test("a missing optional dependency is undefined, whatever service comes next in the plan", async () => {
  // Plan order: layer 0 `base`, `opt`; layer 1 `user` (needs `base`).
  const registry = new Registry({ sources: false });
  registry.supply("base", "base");
  registry.provide("opt", [{ key: "Cache", optional: true }], (cache) => ({ cache }));
  registry.provide("user", ["base"], (base) => base);
  const app = await registry.compile().start();
  assert.deepEqual(app.get("opt"), { cache: undefined });
  await app.stop();
});

test("a lazy many handle gives the array, also for a service that awaits a transient first", async () => {
  const registry = new Registry({ sources: false });
  registry.provide("metrics", [], () => "metrics", { provides: ["plugin"] });
  registry.provide("conn", [], async () => "conn", { lifetime: "transient" });
  registry.supply("clock", "clock");
  registry.provide("host", ["conn", { key: "plugin", many: true, lazy: true }, { key: "clock", lazy: true }], (conn, plugins, clock) => ({ conn, plugins, clock }));
  const app = await registry.compile().start();
  assert.equal(app.get("host").conn, "conn");
  assert.deepEqual(app.get("host").plugins(), ["metrics"]);
  assert.equal(app.get("host").clock(), "clock", "a lazy one-provider handle gives the instance, not an array");
  await app.stop();
});

// --- lifecycle.md 5 / javascript.md start(): a failure stops the layer's calls

test("a synchronous factory over startTimeout fails the start: no later factory of its layer is called", async () => {
  const called = [];
  const registry = new Registry({ sources: false });
  registry.provide("a", [], () => {
    called.push("a");
    const t = performance.now();
    while (performance.now() - t < 30);
    return "a";
  }, { dispose: () => called.push("dispose a") });
  registry.provide("b", [], () => called.push("b"));
  await assert.rejects(registry.compile().start({ startTimeout: 10 }), { name: "StartError", service: "a" });
  assert.deepEqual(called, ["a", "dispose a"]);
});

test("an abort while a layer's synchronous factories are being called is reported in that layer; before the start, before layer 0", async () => {
  const controller = new AbortController();
  const registry = new Registry({ sources: false });
  registry.supply("base", "base");
  registry.provide("stopper", ["base"], () => controller.abort(new Error("ctrl-c")));
  registry.provide("zz", ["base"], () => "zz");
  await assert.rejects(registry.compile().start({ signal: controller.signal }), { name: "AbortError", message: "start aborted in layer 1: ctrl-c" });
  await assert.rejects(registry.compile().start({ signal: AbortSignal.abort(new Error("early")) }), { name: "AbortError", message: "start aborted before layer 0: early" });
});

// --- lifecycle.md 6: lookup errors say what is true ------------------------

function lookupError(code, message) {
  return (error) => {
    assert.equal(error.name, "LookupError");
    assert.equal(error.code, code);
    assert.equal(error.message, `wireplan: ${message}`);
    return true;
  };
}

test("a key registered for this profile (or for every profile) that no root needs is not planned, not another profile's", async () => {
  const registry = new Registry({ sources: false });
  registry.provide("tracing", [], () => "tracing", { profiles: ["prod"] });
  registry.provide("audit", [], () => "audit", { profiles: [] });
  registry.provide("server", [], () => "server");
  const app = await registry.compile({ profile: "prod", roots: ["server"] }).start();
  assert.throws(() => app.get("tracing"), lookupError("not-planned", "`tracing` is registered but no root needs it"));
  assert.throws(() => app.get("audit"), lookupError("not-planned", "`audit` is registered but no root needs it"));
  await app.stop();
});

test("a replaced service whose replacement is not planned either is not planned, not replaced", async () => {
  const registry = new Registry({ sources: false });
  registry.provide("pg", [], () => "pg", { provides: ["Database"] });
  registry.provide("pg.fake", [], () => "fake", { provides: ["Database"], replaces: "pg" });
  registry.provide("server", [], () => "server");
  const app = await registry.compile({ roots: ["server"] }).start();
  assert.throws(() => app.get("Database"), lookupError("not-planned", "`Database` is registered but no root needs it"));
  // A key no registration provides is unknown, unplanned registrations or not.
  assert.throws(() => app.get("Queue"), (error) => error.code === "unknown-key");
  await app.stop();
});

test("a synchronous factory within startTimeout starts: it is measured from its call, not from the process's start", async () => {
  // The process must have run longer than the limit, so that a clock read
  // from the wrong origin would overrun it.
  while (performance.now() < 1500) await sleep(50);
  const registry = new Registry({ sources: false });
  registry.provide("a", [], () => "a");
  registry.provide("b", ["a"], (a) => `${a}b`);
  const app = await registry.compile().start({ startTimeout: 1000 });
  assert.equal(app.get("b"), "ab");
  await app.stop();
});

// --- javascript.md: StopError words, timeouts, signals, abandoned ----------

test("a dispose rejecting with another service's TimeoutError failed to stop; only its own overrun reads 'did not stop within'", async () => {
  const registry = new Registry({ sources: false });
  registry.provide("api", [], () => "api", {
    dispose: async () => {
      throw new TimeoutError("upstream", "stop", 5);
    },
  });
  const app = await registry.compile().start({ stopTimeout: 1000 });
  await assert.rejects(app.stop(), (error) => {
    assert.equal(error.errors[0].message, "service `api` failed to stop: `upstream` did not stop within 5 ms");
    return true;
  });
});

test("timeouts: 0 is a limit, null and Infinity none, past 2^31-1 ms none (setTimeout would fire at once), and anything else a TypeError", async () => {
  const registry = new Registry({ sources: false });
  let release;
  registry.provide("slow", [], () => new Promise((resolve) => (release = resolve)));
  for (const none of [null, Infinity, 2 ** 31, undefined]) {
    const starting = registry.compile().start({ startTimeout: none });
    await sleep(5);
    release("slow");
    const app = await starting;
    assert.equal(app.get("slow"), "slow", `startTimeout ${none} sets no limit`);
    await app.stop();
  }
  // The largest delay setTimeout keeps is a limit like any other: a timer is set.
  const base = timers();
  const starting = registry.compile().start({ startTimeout: 2 ** 31 - 1 });
  await sleep(1);
  assert.equal(timers(), base + 1, "a timer for the factory in flight");
  release("slow");
  await (await starting).stop();
  await assert.rejects(registry.compile().start({ startTimeout: 0 }), (error) => error.cause instanceof TimeoutError);
  for (const bad of [-1, NaN, "5", true]) {
    await assert.rejects(registry.compile().start({ startTimeout: bad }), {
      name: "TypeError",
      message: "wireplan: `startTimeout` must be a number of milliseconds (0 or more)",
    });
    await assert.rejects(registry.compile().start({ stopTimeout: bad }), { name: "TypeError" });
  }
});

test("a factory that reads its signal only after the runtime gave up on it sees it aborted, with the reason", async () => {
  const seen = [];
  const registry = new Registry({ sources: false });
  registry.provide("a", [], async (ctx) => {
    await sleep(1);
    seen.push([ctx.signal.aborted, ctx.signal.reason?.message]);
    return "a";
  });
  registry.provide("b", [], () => {
    throw new Error("b threw");
  });
  const error = await registry.compile().start().catch((e) => e);
  assert.equal(error.service, "b");
  await error.abandoned;
  assert.deepEqual(seen, [[true, "wireplan: `b` failed to start: b threw"]]);
});

test("a sibling given up on is torn down once when it settles, and the error's abandoned promise waits for that", async () => {
  const log = [];
  const registry = new Registry({ sources: false });
  registry.provide("a", [], async () => {
    await sleep(2);
    throw new Error("a failed");
  });
  let release;
  registry.provide("b", [], () => new Promise((resolve) => (release = resolve)).then(() => {
    log.push("b made");
    return "b";
  }), {
    dispose: (b, { error }) => {
      log.push(`dispose b: ${error.message}`);
      throw new Error("b would not close");
    },
  });
  const error = await registry.compile().start().catch((e) => e);
  assert.equal(error.service, "a");
  assert.deepEqual(log, [], "the start rejects before the sibling settles");
  let settled = false;
  const abandoned = error.abandoned.then((x) => ((settled = true), x));
  await sleep(5);
  assert.equal(settled, false, "abandoned waits for the sibling");
  release();
  const late = await abandoned;
  assert.deepEqual(log, ["b made", "dispose b: a failed"]);
  assert.deepEqual(late.map((e) => [e.service, e.cause.message]), [["b", "b would not close"]]);
});

test("a service not a singleton is refused by app.get, getAll, getById and getAsync (scoped) as not-singleton", async () => {
  // `req` is the only service after the singletons.
  const registry = new Registry({ sources: false });
  registry.supply("db", "db");
  registry.provide("req", ["db"], () => "req", { lifetime: "scoped", provides: ["Request"] });
  const app = await registry.compile().start();
  const notSingleton = (error) => error.name === "LookupError" && error.code === "not-singleton";
  assert.throws(() => app.get("Request"), notSingleton);
  assert.throws(() => app.getAll("Request"), notSingleton);
  assert.throws(() => app.getById("req"), notSingleton);
  await assert.rejects(app.getAsync("Request"), notSingleton);
  await app.stop();
});

test("Registry: sources on unless `sources: false`; supply keeps an explicit source", async () => {
  const here = /runtime-guarantees\.test\.mjs$/;
  for (const options of [undefined, {}, { sources: true }]) {
    const registry = new Registry(options);
    registry.supply("config", 1);
    registry.provide("db", ["config"], () => 2);
    const [config, db] = registry.descriptors().services;
    assert.match(config.source.file, here, `supply records its caller (${JSON.stringify(options)})`);
    assert.match(db.source.file, here);
  }
  const registry = new Registry();
  registry.supply("config", 1, { source: { file: "cfg.js", line: 3 } });
  assert.deepEqual(registry.descriptors().services[0].source, { file: "cfg.js", line: 3 });
  const none = new Registry({ sources: false });
  none.supply("config", 1);
  none.provide("db", ["config"], () => 2, { lifetime: "singleton" });
  // The document holds what was given, no empty field (`deps: []`).
  assert.deepEqual(none.descriptors(), { version: 1, services: [{ id: "config" }, { id: "db", deps: ["config"], lifetime: "singleton" }] });
});

// --- lifecycle.md 2: a block left by an error gets that error back --------

test("withScope rethrows the block's own error even when a dispose fails: strings, frozen errors and errors with disposeErrors included", async () => {
  const registry = new Registry({ sources: false });
  registry.provide("tx", [], () => ({}), {
    lifetime: "scoped",
    dispose: () => {
      throw new Error("rollback failed");
    },
  });
  const app = await registry.compile().start();
  const own = new Error("own");
  own.disposeErrors = "mine";
  const plain = new Error("plain");
  for (const thrown of ["boom", Object.freeze(new Error("frozen")), own, plain]) {
    await assert.rejects(app.withScope(async (scope) => {
      await scope.get("tx");
      throw thrown;
    }), (error) => error === thrown);
  }
  assert.equal(own.disposeErrors, "mine", "an error's own disposeErrors is left alone");
  assert.deepEqual(plain.disposeErrors.map((e) => [e.service, e.cause.message]), [["tx", "rollback failed"]]);
  // Not enumerable, so the error prints as it did; the caller may change it.
  const { enumerable, writable, configurable } = Object.getOwnPropertyDescriptor(plain, "disposeErrors");
  assert.deepEqual({ enumerable, writable, configurable }, { enumerable: false, writable: true, configurable: true });
  await app.stop();
});

test("StartError names the source as file, file:line or file:line:column, whatever the registration gave", async () => {
  for (const [source, where] of [
    [{ file: "app.js" }, "app.js"],
    [{ file: "app.js", line: 3 }, "app.js:3"],
    [{ file: "app.js", line: 3, column: 7 }, "app.js:3:7"],
  ]) {
    const registry = new Registry();
    registry.provide("db", [], () => {
      throw new Error("down");
    }, { source });
    await assert.rejects(registry.compile().start(), { message: `service \`db\` (${where}) failed to start: down` });
  }
  const registry = new Registry({ sources: false });
  registry.provide("db", [], () => {
    throw new Error("down");
  });
  await assert.rejects(registry.compile().start(), { message: "service `db` failed to start: down" });
});

test("a sibling given up on that settles during the rollback is torn down once, by the abandon, not also by the rollback", async () => {
  const log = [];
  let release;
  const registry = new Registry({ sources: false });
  registry.provide("base", [], () => "base", {
    dispose: async () => {
      // The rollback is here when the abandoned sibling arrives.
      release();
      await sleep(5);
      log.push("dispose base");
    },
  });
  registry.provide("a", ["base"], async () => {
    throw new Error("a failed");
  });
  registry.provide("b", ["base"], () => new Promise((resolve) => (release = () => resolve("b"))), {
    dispose: () => log.push("dispose b"),
  });
  const error = await registry.compile().start().catch((e) => e);
  assert.equal(error.service, "a");
  await error.abandoned;
  assert.deepEqual(log, ["dispose b", "dispose base"]);
});

// --- javascript.md Registry checks: the call site is the service's source --

test("a provide() at line 1, column 1 of a module records line 1 and column 1", async () => {
  const registry = new Registry();
  globalThis.__wireplanProvide = registry.provide.bind(registry);
  try {
    await import(`data:text/javascript,__wireplanProvide("x", [], () => 1);`);
  } finally {
    delete globalThis.__wireplanProvide;
  }
  const { source } = registry.descriptors().services[0];
  assert.deepEqual([source.line, source.column], [1, 1]);
  assert.match(source.file, /^data:text\/javascript,/);
});

test("where the engine gives no structured call sites, provide() records no source and still registers", () => {
  const capture = Error.captureStackTrace;
  const registry = new Registry();
  try {
    for (const stack of [[], "at somewhere", undefined]) {
      Error.captureStackTrace = (holder) => {
        holder.stack = stack;
      };
      registry.provide(`s${registry.descriptors().services.length}`, [], () => 1);
    }
  } finally {
    Error.captureStackTrace = capture;
  }
  assert.deepEqual(registry.descriptors().services, [{ id: "s0" }, { id: "s1" }, { id: "s2" }]);
});

// --- the rest of the surface: registry, profiles, withScope, stop, await using

test("provide and supply chain; meta reaches the descriptor", () => {
  const registry = new Registry({ sources: false });
  assert.equal(registry.supply("config", 1).provide("db", ["config"], () => 2, { meta: { team: "data" } }), registry);
  assert.deepEqual(registry.descriptors().services[1], { id: "db", deps: ["config"], meta: { team: "data" } });
});

test("the factory of the registration active in the profile is the one called, whatever the order of registration", async () => {
  for (const order of [["prod", "dev"], ["dev", "prod"]]) {
    const registry = new Registry({ sources: false });
    for (const profile of order) registry.provide("db", [], () => profile, { profiles: [profile] });
    registry.provide("audit", [], () => "audit", { profiles: [] });
    for (const profile of ["prod", "dev"]) {
      const app = await registry.compile({ profile }).start();
      assert.equal(app.get("db"), profile);
      assert.equal(app.get("audit"), "audit", "no profiles: active in every one");
      await app.stop();
    }
  }
});

test("a layer's one slow async factory is awaited: started once, disposed once, in order", async () => {
  const log = [];
  const registry = new Registry({ sources: false });
  registry.provide("slow", [], async () => {
    await sleep(5);
    return "slow";
  }, { dispose: (v) => log.push(v) });
  registry.provide("user", ["slow"], (slow) => `user of ${slow}`, { dispose: (v) => log.push(v) });
  const app = await registry.compile().start();
  assert.equal(app.get("user"), "user of slow");
  await app.stop();
  assert.deepEqual(log, ["user of slow", "slow"]);
});

test("a failed start leaves no timer behind: the hung sibling's start timer is cleared", async () => {
  const base = timers();
  const registry = new Registry({ sources: false });
  registry.provide("hung", [], () => new Promise(() => {}));
  registry.provide("bad", [], async () => {
    await sleep(1);
    throw new Error("bad");
  });
  await assert.rejects(registry.compile().start({ startTimeout: 600_000 }), { name: "StartError", service: "bad" });
  assert.equal(timers(), base);
});

test("withScope returns what its function returns; stop({stopTimeout}) overrides the start's", async () => {
  const registry = new Registry({ sources: false });
  registry.provide("api", [], () => "api", { dispose: () => new Promise(() => {}) });
  const app = await registry.compile().start({ stopTimeout: 600_000 });
  assert.equal(await app.withScope(async () => 42), 42);
  await assert.rejects(app.stop({ stopTimeout: 10 }), (error) => {
    assert.equal(error.errors[0].message, "service `api` did not stop within 10 ms");
    return true;
  });
});

test("await using stops the app: Symbol.asyncDispose is a method like any other (writable, configurable, not enumerable)", async (t) => {
  if (typeof Symbol.asyncDispose !== "symbol") {
    // Node 18 has no Symbol.asyncDispose and package.json's engines allow
    // it: there the runtime defines none, so there is nothing to test.
    t.skip("no Symbol.asyncDispose in this Node");
    return;
  }
  const log = [];
  const registry = new Registry({ sources: false });
  registry.provide("db", [], () => "db", { dispose: () => log.push("db") });
  const app = await registry.compile().start();
  await app[Symbol.asyncDispose]();
  assert.deepEqual(log, ["db"]);
  const { App } = await import("../src/runtime.js");
  const { writable, configurable, enumerable } = Object.getOwnPropertyDescriptor(App.prototype, Symbol.asyncDispose);
  assert.deepEqual({ writable, configurable, enumerable }, { writable: true, configurable: true, enumerable: false });
});

test("an abort names exactly the factories still in flight, in plan order", async () => {
  const controller = new AbortController();
  const registry = new Registry({ sources: false });
  registry.provide("a", [], () => new Promise(() => {}));
  registry.provide("b", [], async () => "b");
  registry.provide("c", [], () => new Promise(() => {}));
  const starting = registry.compile().start({ signal: controller.signal });
  await sleep(5);
  controller.abort(new Error("ctrl-c"));
  await assert.rejects(starting, (error) => {
    assert.equal(error.name, "AbortError");
    assert.deepEqual(error.services, ["a", "c"]);
    assert.equal(error.message, "start aborted in layer 0 while `a`, `c` were starting: ctrl-c");
    return true;
  });
});

test("a factory that timed out and resolves later has its own instance disposed then, once", async () => {
  const log = [];
  let release;
  const registry = new Registry({ sources: false });
  registry.provide("fast", [], async () => "fast", { dispose: (v) => log.push(`dispose ${v}`) });
  registry.provide("slow", [], () => new Promise((resolve) => (release = () => resolve("late slow"))), {
    dispose: (v, { error }) => log.push(`dispose ${v}: ${error.message}`),
  });
  const error = await registry.compile().start({ startTimeout: 10 }).catch((e) => e);
  assert.equal(error.service, "slow");
  assert.deepEqual(log, ["dispose fast"]);
  release();
  await error.abandoned;
  assert.deepEqual(log, ["dispose fast", "dispose late slow: `slow` did not start within 10 ms"]);
});

test("start's signal must be an AbortSignal (or absent): anything else is a TypeError before anything starts", async () => {
  let called = false;
  const registry = new Registry({ sources: false });
  registry.provide("a", [], () => (called = true));
  const compiled = registry.compile();
  for (const signal of [false, 0, "", "signal", {}, { aborted: false }, { aborted: "no", addEventListener() {} }, { addEventListener() {} }]) {
    await assert.rejects(compiled.start({ signal }), { name: "TypeError", message: "wireplan: `signal` must be an AbortSignal" }, JSON.stringify(signal));
  }
  assert.equal(called, false);
  for (const signal of [undefined, null, new AbortController().signal]) await (await compiled.start({ signal })).stop();
});

test("an abort from a factory while its layer is being called names the async siblings already called", async () => {
  const controller = new AbortController();
  const registry = new Registry({ sources: false });
  registry.provide("a", [], () => new Promise(() => {}));
  registry.provide("b", [], () => controller.abort(new Error("ctrl-c")));
  let called = false;
  registry.provide("c", [], () => (called = true));
  await assert.rejects(registry.compile().start({ signal: controller.signal }), {
    name: "AbortError",
    message: "start aborted in layer 0 while `a` was starting: ctrl-c",
  });
  assert.equal(called, false, "no factory is called after the abort");
});

test("a scope's stop and its late builds use the start's stopTimeout by default", async () => {
  const registry = new Registry({ sources: false });
  registry.provide("tx", [], () => "tx", { lifetime: "scoped", dispose: () => new Promise(() => {}) });
  const app = await registry.compile().start({ stopTimeout: 20 });
  const scope = app.scope();
  await scope.get("tx");
  await assert.rejects(scope.stop(), (error) => {
    assert.equal(error.errors[0].message, "service `tx` did not stop within 20 ms");
    return true;
  });
  await app.stop();
});

test("a lazy handle to a scoped service already built in the scope hands it over", async () => {
  const registry = new Registry({ sources: false });
  registry.provide("session", [], async () => ({ id: "session" }), { lifetime: "scoped" });
  registry.provide("audit", [{ key: "session", lazy: true }], (session) => ({ session }), { lifetime: "scoped" });
  const app = await registry.compile().start();
  await app.withScope(async (scope) => {
    const session = await scope.get("session");
    const audit = await scope.get("audit");
    assert.equal(audit.session(), session);
  });
  await app.withScope(async (scope) => {
    const audit = await scope.get("audit");
    assert.throws(() => audit.session(), { message: "wireplan: lazy `session` of `audit` is not built in this scope yet" });
  });
  await app.stop();
});

test("registration checks say what to write for null and non-object options and dependencies", () => {
  for (const options of [null, 5, "x"]) {
    assert.throws(() => new Registry(options), { name: "TypeError", message: "wireplan: Registry options must be an object" });
    assert.throws(() => new Registry().provide("x", [], () => 1, options), { name: "TypeError", message: "wireplan: the options of `x` must be an object" });
  }
  for (const dep of [null, 5, {}, { key: 5 }]) {
    assert.throws(() => new Registry().provide("x", [dep], () => 1), {
      name: "TypeError",
      message: "wireplan: dependency 0 of `x` must be a key string or {key, optional?, many?, lazy?}",
    });
  }
});

test("the first factory of a layer given up on is torn down when it settles, as any other", async () => {
  const log = [];
  let release;
  const registry = new Registry({ sources: false });
  registry.provide("a", [], () => new Promise((resolve) => (release = () => resolve("a"))), { dispose: (v) => log.push(`dispose ${v}`) });
  registry.provide("b", [], async () => {
    throw new Error("b failed");
  });
  const error = await registry.compile().start().catch((e) => e);
  assert.equal(error.service, "b");
  release();
  await error.abandoned;
  assert.deepEqual(log, ["dispose a"]);
});

// --- the general argument path (more than four dependencies, many, lazy, scoped) ---

test("a singleton on the general argument path is called in its layer's order, with exactly its arguments and then the context", async () => {
  // Five dependencies take the general path; its arguments need no await,
  // so the factory is called synchronously, in id order with `b` (the quick
  // path), and gets its five arguments and the context last.
  const calls = [];
  const registry = new Registry({ sources: false });
  for (const id of ["s0", "s1", "s2", "s3", "s4"]) registry.provide(id, [], () => id);
  // `b` first, so `c`'s dependencies do not start at the first slot of the
  // plan's dependency table.
  registry.provide("b", ["s0"], function (...args) {
    calls.push(["b", args.length, args.slice(0, 1), args[1]?.id]);
    return "b";
  });
  registry.provide("c", ["b", "s1", "s2", "s3", "s4"], function (...args) {
    calls.push(["c", args.length, args.slice(0, 5), args[5]?.id]);
    return "c";
  });
  registry.provide("d", ["b"], function (...args) {
    calls.push(["d", args.length, args.slice(0, 1), args[1]?.id]);
    return "d";
  });
  const app = await registry.compile().start();
  assert.deepEqual(calls, [
    ["b", 2, ["s0"], "b"],
    ["c", 6, ["b", "s1", "s2", "s3", "s4"], "c"],
    ["d", 2, ["b"], "d"],
  ]);
  await app.stop();
});

test("a scoped service gets exactly its arguments and then the context", async () => {
  const seen = [];
  const registry = new Registry({ sources: false });
  registry.provide("db", [], () => "db");
  registry.provide("cache", [], () => "cache");
  registry.provide("tx", ["db", { key: "cache", many: true }], function (...args) {
    seen.push([args.length, args[0], args[1], args[2]?.id]);
    return "tx";
  }, { lifetime: "scoped" });
  const app = await registry.compile().start();
  const scope = app.scope();
  assert.equal(await scope.get("tx"), "tx");
  assert.deepEqual(seen, [[3, "db", ["cache"], "tx"]]);
  await scope.stop();
  await app.stop();
});
