// The start-up record (`app.timeline()`, `StartError#timeline`): the same
// shape as Python's, read and drawn by the core.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry, StartError, AbortError, renderTimeline, inspect, plan } from "../src/index.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const FIELDS = ["id", "layer", "start_us", "duration_us", "outcome", "needs"];

test("a started app records every singleton, in the core's shape", async () => {
  const r = new Registry();
  r.provide("config", [], () => ({}));
  r.provide("db", ["config"], async () => { await sleep(15); return {}; });
  r.provide("cache", ["config", { key: "db", lazy: true }], async () => { await sleep(2); return {}; });
  r.provide("server", ["db", "cache"], () => ({}));
  r.provide("request", [], () => ({}), { lifetime: "scoped" });
  const app = await r.compile().start();
  const record = app.timeline();
  await app.stop();
  assert.equal(record.timeline, 1);
  const byId = Object.fromEntries(record.services.map((s) => [s.id, s]));
  assert.deepEqual(Object.keys(byId).sort(), ["cache", "config", "db", "server"], "singletons only");
  for (const s of record.services) {
    assert.deepEqual(Object.keys(s), FIELDS);
    assert.equal(s.outcome, "started");
    assert.ok(Number.isInteger(s.start_us) && Number.isInteger(s.duration_us));
  }
  assert.deepEqual([byId.config.layer, byId.db.layer, byId.cache.layer, byId.server.layer], [0, 1, 1, 2]);
  assert.ok(byId.db.duration_us >= 14_000, "db's factory took its 15 ms");
  assert.ok(Math.abs(byId.db.start_us - byId.cache.start_us) < 10_000, "one layer starts together");
  assert.ok(byId.server.start_us >= byId.db.start_us + byId.db.duration_us - 1, "server starts once db is ready");
  assert.deepEqual(byId.server.needs, ["db", "cache"]);
  assert.deepEqual(byId.cache.needs, ["config"], "a lazy dependency is not waited for");
});

test("a failed start carries its record: failed, cancelled, and never called", async () => {
  const r = new Registry();
  r.provide("slow", [], async () => { await sleep(5_000); return 1; });
  r.provide("bad", [], async () => { await sleep(10); throw new Error("boom"); });
  r.provide("after", ["slow", "bad"], () => 1);
  const err = await r.compile().start().catch((e) => e);
  assert.ok(err instanceof StartError);
  const outcomes = Object.fromEntries(err.timeline.services.map((s) => [s.id, s.outcome]));
  assert.deepEqual(outcomes, { slow: "cancelled", bad: "failed" }, "`after` was never called");
  const slow = err.timeline.services.find((s) => s.id === "slow");
  assert.ok(slow.duration_us >= 5_000 && slow.duration_us < 4_000_000, "cancelled when `bad` failed, not after its 5 s");
});

test("a start over its timeout is timed-out", async () => {
  const r = new Registry();
  r.provide("hung", [], () => new Promise(() => {}));
  const err = await r.compile().start({ startTimeout: 20 }).catch((e) => e);
  assert.ok(err instanceof StartError);
  assert.deepEqual(err.timeline.services.map((s) => s.outcome), ["timed-out"]);
});

test("an aborted start carries its record too", async () => {
  const r = new Registry();
  r.provide("hung", [], () => new Promise(() => {}));
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("shutdown")), 10);
  const err = await r.compile().start({ signal: controller.signal }).catch((e) => e);
  assert.ok(err instanceof AbortError);
  assert.deepEqual(err.timeline.services.map((s) => [s.id, s.outcome]), [["hung", "cancelled"]]);
});

test("the record is drawn by the core: the critical chain follows what each waited for", async () => {
  const r = new Registry();
  r.provide("config", [], () => ({}));
  r.provide("db", ["config"], async () => { await sleep(10); return {}; });
  r.provide("server", ["db"], () => ({}));
  const app = await r.compile().start();
  const chain = renderTimeline(app.timeline());
  await app.stop();
  const lines = chain.split("\n");
  assert.ok(lines[0].startsWith("start-up took "), chain);
  assert.match(lines[1], /^server @/);
  assert.match(lines[2], /^└─db @/);
  assert.match(lines[3], /^  └─config @/);
});

test("inspect says whether a cache would use a binary plan, and why not", () => {
  const p = plan({ version: 1, services: [{ id: "config" }, { id: "db", deps: ["config"] }] });
  const bytes = p.encode();
  const ok = inspect(bytes, { name: "plan.wpl" });
  assert.equal(ok.usable, true);
  assert.match(ok.text, /^plan\.wpl: \d+ bytes\n/);
  assert.match(String(ok), /\nusable: 2 services \(2 singletons in 2 layers\), profile none, roots none, 0 warnings\n$/);
  const stale = inspect(bytes, { fingerprint: "0".repeat(32) });
  assert.equal(stale.usable, false);
  assert.match(stale.text, /refused: fingerprint /);
  const damaged = new Uint8Array(bytes);
  damaged[damaged.length - 1] ^= 1;
  assert.equal(JSON.parse(inspect(damaged).json).verdict.reason, "checksum mismatch (the file is corrupt)");
  assert.throws(() => inspect(bytes, { fingerprint: "nope" }), /not a fingerprint/);
});
