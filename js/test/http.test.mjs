// `wireplan/http`: a real node:http server on an ephemeral port, real
// requests (fetch): a scope per request, committed or rolled back; health
// endpoints; the Express-style middleware pattern; and a child process
// served until SIGTERM whose in-flight request finishes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Registry } from "wireplan";
import { drain, failRequest, healthEndpoints, openRequestScope, scopeErrors, scopeMiddleware, withRequestScope } from "wireplan/http";

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));
async function until(check, what) {
  for (let k = 0; k < 500; k++) {
    if (check()) return;
    await tick(5);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** An app with a scoped unit of work that commits or rolls back, logged. */
async function unitOfWorkApp(log, extra = () => {}) {
  const registry = new Registry();
  registry.provide("db", [], () => ({ committed: [] }), { health: (db) => db.committed.length < 100 });
  registry.provide("tx", ["db"], (db) => ({ db, pending: [] }), {
    lifetime: "scoped",
    dispose: (tx, { error }) => {
      if (error) log.push(`rollback ${tx.pending.join(",")}: ${error.message}`);
      else {
        tx.db.committed.push(...tx.pending);
        log.push(`commit ${tx.pending.join(",")}`);
      }
    },
  });
  extra(registry);
  return registry.compile().start();
}

async function listen(server) {
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${server.address().port}`;
}

test("withRequestScope: a scope per request; success commits, a throwing handler rolls back (its error reaches the disposer) and answers 500", async (t) => {
  const log = [];
  const app = await unitOfWorkApp(log);
  const errors = [];
  const originalError = console.error;
  console.error = (text) => errors.push(text);
  t.after(() => {
    console.error = originalError;
  });
  const scopes = new Set();
  const server = createServer(withRequestScope(app, async (req, res, scope) => {
    assert.equal(req.scope, scope);
    scopes.add(scope);
    const tx = await scope.get("tx");
    const item = new URL(req.url, "http://x").searchParams.get("item");
    tx.pending.push(item);
    if (item === "bad") throw new Error("constraint violated");
    res.setHeader("content-type", "text/plain");
    res.end(`saved ${item}`);
  }));
  const base = await listen(server);
  t.after(() => server.close());

  const ok = await fetch(`${base}/?item=a`);
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), "saved a");
  const bad = await fetch(`${base}/?item=bad`);
  assert.equal(bad.status, 500);
  assert.equal(await bad.text(), "Internal Server Error\n");
  const again = await fetch(`${base}/?item=b`);
  assert.equal(await again.text(), "saved b");
  await until(() => log.length === 3, "three scopes closed");
  assert.deepEqual(log, ["commit a", "rollback bad: constraint violated", "commit b"]);
  assert.deepEqual(app.get("db").committed, ["a", "b"]);
  assert.equal(scopes.size, 3);
  assert.match(errors[0], /^wireplan: GET \/\?item=bad failed: Error: constraint violated/);
  await app.stop();
  const late = await fetch(`${base}/?item=c`);
  assert.equal(late.status, 503);
});

test("a client that goes away mid-request rolls its unit of work back", async (t) => {
  const log = [];
  const app = await unitOfWorkApp(log);
  let reached;
  const inHandler = new Promise((r) => {
    reached = r;
  });
  const server = createServer(withRequestScope(app, async (req, res, scope) => {
    (await scope.get("tx")).pending.push("upload");
    reached();
    await tick(300);
    res.end("late");
  }));
  const base = await listen(server);
  t.after(() => server.close());
  const controller = new AbortController();
  const request = fetch(`${base}/`, { signal: controller.signal }).catch((e) => e);
  await inHandler;
  controller.abort();
  assert.equal((await request).name, "AbortError");
  await until(() => log.length === 1, "the scope closed");
  assert.deepEqual(log, ["rollback upload: wireplan: the client closed the connection before the response was complete"]);
  await tick(320);
  await app.stop();
});

test("health endpoints: /livez from liveness(), /readyz from health(), 200 or 503 with the contract's JSON", async (t) => {
  const log = [];
  const app = await unitOfWorkApp(log, (r) => r.provide("cache", [], () => ({ up: true }), { health: (c) => c.up }));
  const health = healthEndpoints(app);
  const server = createServer((req, res) => {
    if (health(req, res)) return;
    res.statusCode = 404;
    res.end();
  });
  const base = await listen(server);
  t.after(() => server.close());
  const live = await fetch(`${base}/livez`);
  assert.equal(live.status, 200);
  assert.deepEqual(await live.json(), { status: "pass" });
  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 200);
  const body = await ready.json();
  assert.equal(body.status, "pass");
  assert.deepEqual(body.checks.map((c) => [c.id, c.status, c.error]), [["cache", "pass", null], ["db", "pass", null]]);
  app.get("cache").up = false;
  const down = await fetch(`${base}/readyz?verbose=1`);
  assert.equal(down.status, 503);
  const cacheCheck = (await down.json()).checks[0];
  assert.deepEqual([cacheCheck.id, cacheCheck.status, cacheCheck.error], ["cache", "fail", null]);
  assert.equal((await fetch(`${base}/other`)).status, 404);
  await app.stop();
  assert.equal((await fetch(`${base}/livez`)).status, 503);
});

test("the Express-style pattern: scopeMiddleware gives req.scope, scopeErrors marks a failed request, failRequest by hand", async (t) => {
  const log = [];
  const app = await unitOfWorkApp(log);
  // A two-line stand-in for Express: middleware, then the route, then error middleware.
  const use = scopeMiddleware(app);
  const onError = scopeErrors();
  const route = async (req, res) => {
    const tx = await req.scope.get("tx");
    tx.pending.push(req.url.slice(1));
    if (req.url === "/fail") throw new Error("validation failed");
    if (req.url === "/soft") {
      failRequest(req, new Error("answered 409"));
      res.statusCode = 409;
    }
    res.end("ok");
  };
  const server = createServer((req, res) => use(req, res, (error) => {
    if (error) throw error;
    route(req, res).catch((e) => onError(e, req, res, (err) => {
      res.statusCode = 500;
      res.end(err.message);
    }));
  }));
  const base = await listen(server);
  t.after(() => server.close());
  assert.equal(await (await fetch(`${base}/ok`)).text(), "ok");
  const failed = await fetch(`${base}/fail`);
  assert.equal(failed.status, 500);
  assert.equal(await failed.text(), "validation failed");
  assert.equal((await fetch(`${base}/soft`)).status, 409);
  await until(() => log.length === 3, "three scopes closed");
  assert.deepEqual(log, ["commit ok", "rollback fail: validation failed", "rollback soft: answered 409"]);
  await app.stop();
});

test("a request that arrives during a reload waits for it and runs on the new plan", async (t) => {
  const greeting = (text) => () => ({ text });
  const slowGreeting = async () => {
    await tick(100);
    return { text: "hi" };
  };
  const build = (factory) => {
    const r = new Registry();
    r.provide("greeting", [], factory);
    r.provide("request", ["greeting"], (g) => ({ g }), { lifetime: "scoped" });
    return r.compile();
  };
  const app = await build(greeting("hello")).start();
  const server = createServer(withRequestScope(app, async (req, res, scope) => {
    res.end((await scope.get("request")).g.text);
  }));
  const base = await listen(server);
  t.after(() => server.close());
  assert.equal(await (await fetch(base)).text(), "hello");
  const reloading = app.reload(build(slowGreeting));
  await tick(20);
  assert.notEqual(app.reloading, null);
  assert.equal(await (await fetch(base)).text(), "hi");
  await reloading;
  assert.equal(app.reloading, null);
  await app.stop();
});

test("drain: the server stops accepting, the request in flight finishes on its keep-alive connection", async () => {
  const log = [];
  const app = await unitOfWorkApp(log);
  let reached;
  const inHandler = new Promise((r) => {
    reached = r;
  });
  const server = createServer(withRequestScope(app, async (req, res, scope) => {
    (await scope.get("tx")).pending.push(req.url.slice(1));
    if (req.url === "/slow") {
      reached();
      await tick(150);
    }
    res.end("done");
  }));
  const base = await listen(server);
  await (await fetch(`${base}/warm`)).text(); // a keep-alive connection, idle now
  const slow = fetch(`${base}/slow`).then((r) => r.text());
  await inHandler;
  const drained = drain(server).then(() => log.push("drained"));
  await tick(10);
  await assert.rejects(fetch(`${base}/after`), /fetch failed/);
  assert.equal(await slow, "done");
  await drained;
  assert.deepEqual(log, ["commit warm", "commit slow", "drained"]);
  await app.stop();
});

test("serve in a child process: SIGTERM stops accepting, the in-flight request completes and commits, then the app stops, exit 0", { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, [fileURLToPath(new URL("../fixtures/lifecycle/serve-app.mjs", import.meta.url))], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  try {
    await until(() => /listening \d+\n/.test(stdout), "the child to listen");
    const base = `http://127.0.0.1:${stdout.match(/listening (\d+)/)[1]}`;
    assert.equal(await (await fetch(`${base}/fast`)).text(), "done");
    const slow = fetch(`${base}/slow`).then((r) => r.text());
    await until(() => stdout.includes("slow started"), "the slow request to start");
    child.kill("SIGTERM");
    await until(() => stderr.includes("received SIGTERM"), "the signal");
    await tick(20);
    await assert.rejects(fetch(`${base}/fast`), /fetch failed/);
    assert.equal(await slow, "done slowly");
    const { code } = await exited;
    assert.equal(code, 0, stderr);
    assert.equal(stdout.replace(/listening \d+/, "listening"), "listening\ncommit fast\nslow started\ncommit slow\ndisposed db\nserve resolved 0\n");
    assert.equal(stderr, "wireplan: received SIGTERM: stopping (send it again to exit at once)\nwireplan: stopped cleanly\n");
  } finally {
    child.kill("SIGKILL");
  }
});

test("the main entry does not import wireplan/http", () => {
  for (const f of ["index.js", "exports.js", "runtime.js", "bundler.js", "web.js"]) {
    assert.doesNotMatch(readFileSync(new URL(`../src/${f}`, import.meta.url), "utf8"), /http\.js|node:http/, f);
  }
});

test("a scope opened after its response already ended (the request waited for a reload; the client left) is closed at once, never left open", async () => {
  const { EventEmitter } = await import("node:events");
  const log = [];
  const r = new Registry();
  r.provide("conn", [], () => ({}), { lifetime: "scoped", dispose: () => log.push("dispose") });
  const app = await r.compile().start();
  for (const [destroyed, writableFinished] of [[true, false], [false, true]]) {
    log.length = 0;
    const res = Object.assign(new EventEmitter(), { destroyed, writableFinished });
    const scope = openRequestScope(app, { method: "GET", url: "/" }, res, (e) => log.push(`closed ${e}`));
    await new Promise((done) => setTimeout(done, 10));
    await assert.rejects(scope.get("conn"), /this scope is stopped/);
    assert.deepEqual(log, ["closed null"]);
  }
  await app.stop();
});
