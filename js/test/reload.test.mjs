// Hot reload: `app.reload(next)` stops exactly the changed services and
// their dependents, starts their replacements, keeps the rest as they are,
// and rolls back to the old plan on failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry, ReloadError, StartError } from "../src/index.js";

// config <- db <- repo <- api, config <- cache <- api; metrics alone.
const GRAPH = [["config", []], ["metrics", []], ["cache", ["config"]], ["db", ["config"]], ["repo", ["db"]], ["api", ["repo", "cache"]]];

/** One factory per id, shared by every registry unless replaced: the same code. */
function factories(log) {
  const out = {};
  for (const [id] of GRAPH) out[id] = (...deps) => {
    log.push(`build ${id}`);
    return { id, deps: deps.slice(0, -1) };
  };
  return out;
}

/** A registry of GRAPH from `fs` (factories by id); every registration from this line, so the plans' records match. */
function registry(log, fs, hooks = {}) {
  const r = new Registry();
  for (const [id, deps] of GRAPH) {
    r.provide(id, deps, fs[id], {
      dispose: hooks.dispose ?? ((x) => log.push(`dispose ${x.id}`)),
      onStop: hooks.onStop,
      onStart: hooks.onStart?.[id] ?? hooks.onStart?.any,
    });
  }
  return r;
}

const disposeLogged = (log) => (x) => log.push(`dispose ${x.id}`);

test("a changed leaf restarts only the leaf; every other instance is kept, identical", async () => {
  const log = [];
  const fs = factories(log);
  const hooks = { dispose: disposeLogged(log) };
  const app = await registry(log, fs, hooks).compile().start();
  const before = Object.fromEntries(GRAPH.map(([id]) => [id, app.get(id)]));
  log.length = 0;
  const result = await app.reload(registry(log, { ...fs, metrics: () => ({ id: "metrics", v: 2 }) }, hooks).compile());
  assert.deepEqual(log, ["dispose metrics"]);
  assert.deepEqual(result.changed, ["metrics"]);
  assert.deepEqual(result.dependents, []);
  assert.deepEqual(result.stopped, ["metrics"]);
  assert.deepEqual(result.started, ["metrics"]);
  assert.equal(result.kept, 5);
  assert.equal(app.get("metrics").v, 2);
  for (const [id] of GRAPH) if (id !== "metrics") assert.equal(app.get(id), before[id], id);
  // Stop disposes the new plan's instances in reverse readiness: the reloaded one last started, first stopped.
  log.length = 0;
  await app.stop();
  assert.deepEqual(log, ["dispose metrics", "dispose api", "dispose repo", "dispose db", "dispose cache", "dispose config"]);
});

test("a changed middle service restarts it and its dependents, in order; events and hooks follow", async () => {
  const log = [];
  const fs = factories(log);
  const hooks = {
    dispose: disposeLogged(log),
    onStop: (x) => log.push(`stop ${x.id}`),
    onStart: { any: (x) => log.push(`start ${x.id}`) },
  };
  const events = [];
  const app = await registry(log, fs, hooks).compile().start({ onEvent: (e) => events.push(e) });
  const config = app.get("config");
  const cache = app.get("cache");
  log.length = 0;
  events.length = 0;
  const result = await app.reload(registry(log, { ...fs, db: (config) => ({ id: "db", v: 2, config }) }, hooks).compile());
  assert.deepEqual(result.changed, ["db"]);
  assert.deepEqual(result.dependents, ["api", "repo"]);
  assert.deepEqual(log, ["stop api", "stop repo", "stop db", "dispose api", "dispose repo", "dispose db", "build repo", "build api", "start db", "start repo", "start api"]);
  assert.equal(app.get("db").v, 2);
  assert.equal(app.get("db").config, config);
  assert.equal(app.get("repo").deps[0], app.get("db"));
  assert.equal(app.get("api").deps[1], cache);
  assert.equal(app.get("cache"), cache);
  assert.deepEqual(events.map((e) => `${e.type}${e.id ? ` ${e.id}` : ""}`), [
    "stop-hook api", "stop-hook repo", "stop-hook db", "stopped api", "stopped repo", "stopped db",
    "constructing db", "constructed db", "constructing repo", "constructed repo", "constructing api", "constructed api",
    "start-hook db", "started db", "start-hook repo", "started repo", "start-hook api", "started api",
    "reloaded",
  ]);
  assert.ok(Number.isInteger(events.at(-1).duration_us));
  await app.stop();
});

test("nothing changed: nothing stops; a new supplied value is a change, the same one is not", async () => {
  const log = [];
  const fs = factories(log);
  // The same functions: an inline `dispose: (x) => …` per registry would be new code each time.
  const hooks = { dispose: disposeLogged(log) };
  const app = await registry(log, fs, hooks).compile().start();
  log.length = 0;
  const same = await app.reload(registry(log, fs, hooks).compile());
  assert.deepEqual([same.stopped, same.started, same.kept], [[], [], 6]);
  assert.deepEqual(log, []);
  await app.stop();

  const value = { url: "a" };
  const supplied = (v) => {
    const r = new Registry();
    r.supply("settings", v);
    r.provide("client", ["settings"], fs.db);
    return r.compile();
  };
  const b = await supplied(value).start();
  assert.deepEqual((await b.reload(supplied(value))).stopped, []);
  assert.deepEqual((await b.reload(supplied({ url: "b" }))).stopped, ["client", "settings"]);
  assert.equal(b.get("settings").url, "b");
  await b.stop();
});

test("a failing replacement rolls back: what started is stopped, the old services start again, ReloadError, the app stays on the old plan", async () => {
  const log = [];
  const fs = factories(log);
  const hooks = { dispose: disposeLogged(log), onStart: { any: (x) => log.push(`start ${x.id}`) } };
  const app = await registry(log, fs, hooks).compile().start();
  const config = app.get("config");
  log.length = 0;
  const boom = new Error("schema mismatch");
  const failingRepo = () => {
    log.push("build repo v2");
    throw boom;
  };
  const next = registry(log, { ...fs, db: (c) => ({ id: "db", v: 2, c }), repo: failingRepo }, hooks).compile();
  const err = await app.reload(next).then(() => null, (e) => e);
  assert.ok(err instanceof ReloadError);
  assert.ok(err.cause instanceof StartError);
  assert.equal(err.service, "repo");
  assert.equal(err.restoreError, null);
  assert.match(err.message, /^reload failed: service `repo` \(.*\) failed to start: schema mismatch; the app runs the old plan$/);
  assert.deepEqual(log, [
    "dispose api", "dispose repo", "dispose db",
    "build repo v2", "dispose db",
    "build db", "build repo", "build api", "start db", "start repo", "start api",
  ]);
  assert.equal(app.get("db").v, undefined);
  assert.equal(app.get("config"), config);
  assert.deepEqual(app.liveness(), { status: "pass" });
  // Scopes use the plan the app runs; stop stops it all once.
  log.length = 0;
  await app.stop();
  assert.deepEqual(log, ["dispose api", "dispose repo", "dispose db", "dispose cache", "dispose metrics", "dispose config"]);
});

test("scopes opened after a reload use the new plan; one opened before refuses to build", async () => {
  const make = (greeting) => {
    const r = new Registry();
    r.supply("greeting", greeting);
    r.provide("request", ["greeting"], (g) => ({ g }), { lifetime: "scoped" });
    return r.compile();
  };
  const app = await make("hello").start();
  const old = app.scope();
  assert.equal((await old.get("request")).g, "hello");
  await app.reload(make("hi"));
  await assert.rejects(old.getById("request"), /this scope was opened before a reload of the app: open a new scope/);
  await old.stop();
  await app.withScope(async (s) => assert.equal((await s.get("request")).g, "hi"));
  await assert.rejects(app.reload({}), /`reload` takes a compiled plan/);
  await app.stop();
  await assert.rejects(app.reload(make("x")), /the app is stopped/);
});

test("stop() during a reload waits for it, then stops the plan it left running; a second reload meanwhile is refused", async () => {
  const log = [];
  const fs = factories(log);
  const hooks = { dispose: disposeLogged(log) };
  const slowDb = async () => {
    await new Promise((r) => setTimeout(r, 30));
    return { id: "db", v: 2 };
  };
  const app = await registry(log, fs, hooks).compile().start();
  log.length = 0;
  const reloading = app.reload(registry(log, { ...fs, db: slowDb }, hooks).compile());
  await new Promise((r) => setTimeout(r, 5));
  assert.throws(() => app.get("db"), /the app is reloading/);
  await assert.rejects(app.reload(registry(log, fs, hooks).compile()), /the app is reloading/);
  const stopping = app.stop();
  await reloading;
  await stopping;
  assert.deepEqual(log, [
    "dispose api", "dispose repo", "dispose db", "build repo", "build api",
    "dispose api", "dispose repo", "dispose db", "dispose cache", "dispose metrics", "dispose config",
  ]);
});

test("a replacement's failing start hook: the replacements' stop hooks and disposers run, the old set starts again, events tell it", async () => {
  const log = [];
  const fs = factories(log);
  const start = (x) => log.push(`start ${x.id}${x.v ? ` v${x.v}` : ""}`);
  const stop = (x) => log.push(`stop ${x.id}${x.v ? ` v${x.v}` : ""}`);
  const dispose = (x, { error }) => log.push(`dispose ${x.id}${x.v ? ` v${x.v}` : ""}${error ? ` (${error.message})` : ""}`);
  const events = [];
  const app = await registry(log, fs, { dispose, onStop: stop, onStart: { any: start } }).compile().start({ onEvent: (e) => events.push(e) });
  log.length = 0;
  events.length = 0;
  const refuse = () => {
    throw new Error("port taken");
  };
  const next = registry(log, { ...fs, repo: (db) => ({ id: "repo", v: 2, db }) }, { dispose, onStop: stop, onStart: { any: start, api: refuse } }).compile();
  const err = await app.reload(next).then(() => null, (e) => e);
  assert.equal(err.service, "api");
  assert.equal(err.cause.phase, "start-hook");
  // Old repo and api stopped; repo v2 and api built, repo v2 started, api's hook refused:
  // repo v2 stopped and both disposed, told why; then the old repo and api again.
  assert.deepEqual(log, [
    "stop api", "stop repo", "dispose api", "dispose repo",
    "build api", "start repo v2", "stop repo v2", "dispose api (port taken)", "dispose repo v2 (port taken)",
    "build repo", "build api", "start repo", "start api",
  ]);
  assert.deepEqual(events.filter((e) => e.type === "failed").map((e) => [e.id, e.phase, e.error]), [["api", "start-hook", "port taken"]]);
  assert.equal(events.some((e) => e.type === "reloaded"), false);
  assert.equal(app.get("repo").v, undefined);
  await app.stop();
});

test("a reload whose restore fails too says so, and the app is no longer ready: health fails while a singleton is down", async () => {
  const log = [];
  const fs = factories(log);
  let dbBuilds = 0;
  const flakyDb = (c) => {
    dbBuilds++;
    if (dbBuilds > 1) throw new Error("database gone");
    return { id: "db", c };
  };
  const app = await registry(log, { ...fs, db: flakyDb }).compile().start();
  assert.deepEqual(await app.health(), { status: "pass", checks: [] });
  const next = registry(log, { ...fs, db: flakyDb, repo: () => { throw new Error("schema mismatch"); } }).compile();
  const err = await app.reload(next).then(() => null, (e) => e);
  assert.ok(err instanceof ReloadError);
  assert.ok(err.restoreError instanceof StartError);
  assert.match(err.message, /the old services did not start again either .*database gone.*: stop the app$/);
  assert.equal((await app.health()).status, "fail");
  await app.stop().catch(() => {});
});

test("a failed reload leaves alone the transients the running app built before it: they are disposed once, at the app's stop", async () => {
  const log = [];
  const fs = factories(log);
  const build = (extra) => {
    const r = registry(log, { ...fs, ...extra }, { dispose: disposeLogged(log) });
    r.provide("token", ["config"], () => ({ id: "token" }), { lifetime: "transient", dispose: disposeLogged(log) });
    return r.compile();
  };
  const app = await build({}).start();
  const token = await app.getAsync("token");
  assert.equal(token.id, "token");
  log.length = 0;
  const err = await app.reload(build({ repo: () => { throw new Error("schema mismatch"); } })).then(() => null, (e) => e);
  assert.ok(err instanceof ReloadError);
  assert.ok(!log.includes("dispose token"), log.join(", "));
  log.length = 0;
  await app.stop();
  assert.equal(log.filter((l) => l === "dispose token").length, 1);
});
