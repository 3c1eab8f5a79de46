// The JS plan cache: `Registry.compile({cache})` over a storage of bytes by
// key. Hits decode instead of planning; corrupt, truncated, stale and
// foreign bytes are refused with a warning and planned afresh; a storage
// that fails costs a warning, never a wrong plan. The Node file adapter
// refuses special files and other users' files quickly.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { mkdtempSync, writeFileSync, readFileSync, symlinkSync, unlinkSync, statSync, chmodSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";

import { Registry, memoryCache, fileCache, planCacheKey, plan, PlanError } from "../src/index.js";

function registry(extra = false) {
  const r = new Registry();
  r.supply("config", { url: "postgres://localhost/app" });
  r.provide("db", ["config"], (config) => ({ config }));
  r.provide("server", ["db"], (db) => ({ db }));
  if (extra) r.provide("metrics", [], () => "metrics");
  return r;
}

/** The plan a compile without any cache gives: what every compile must give. */
const RIGHT = registry().compile();

/** A storage that counts its calls, over a memory cache. */
function counting(inner = memoryCache()) {
  const calls = { get: 0, set: 0 };
  return {
    calls,
    inner,
    get: (k) => (calls.get++, inner.get(k)),
    set: (k, b) => (calls.set++, inner.set(k, b)),
  };
}

function compileWarned(r, options) {
  const warnings = [];
  const compiled = r.compile({ ...options, onCacheWarning: (m) => warnings.push(m) });
  return { compiled, warnings };
}

async function checkRight(compiled) {
  assert.equal(compiled.plan.fingerprint, RIGHT.plan.fingerprint);
  assert.deepEqual(Uint8Array.from(compiled.plan.encode()), Uint8Array.from(RIGHT.plan.encode()));
  const app = await compiled.start();
  assert.equal(app.get("server").db.config.url, "postgres://localhost/app");
  await app.stop();
}

test("a hit decodes the stored plan and stores nothing", async () => {
  const cache = counting();
  const first = compileWarned(registry(), { cache });
  const second = compileWarned(registry(), { cache });
  assert.deepEqual([first.warnings, second.warnings], [[], []]);
  assert.deepEqual(cache.calls, { get: 2, set: 1 });
  assert.deepEqual([...cache.inner.map.keys()], [`wireplan-${RIGHT.plan.fingerprint}`]);
  await checkRight(first.compiled);
  await checkRight(second.compiled);
});

test("the key is the fingerprint of the descriptors and planning options", () => {
  const cache = counting();
  registry().compile({ cache });
  registry(true).compile({ cache });
  registry().compile({ cache, profile: "prod" });
  registry().compile({ cache, roots: ["db"] });
  assert.equal(cache.inner.map.size, 4);
  assert.equal(planCacheKey(registry().descriptors(), { name: "<registry>" }), `wireplan-${RIGHT.plan.fingerprint}`);
});

test("an async storage: compile returns a promise", async () => {
  const inner = memoryCache();
  const cache = { get: async (k) => inner.get(k), set: async (k, b) => inner.set(k, b) };
  const first = registry().compile({ cache });
  assert.ok(first instanceof Promise);
  await checkRight(await first);
  assert.equal(inner.map.size, 1);
  await checkRight(await registry().compile({ cache }));
});

test("a storage returning an ArrayBuffer, or another view", async () => {
  const inner = memoryCache();
  registry().compile({ cache: inner });
  const bytes = [...inner.map.values()][0];
  for (const as of [
    (b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength),
    (b) => new DataView(b.buffer, b.byteOffset, b.byteLength),
    (b) => Buffer.from(b),
  ]) {
    const { compiled, warnings } = compileWarned(registry(), { cache: { get: () => as(bytes), set: () => assert.fail("a hit stores nothing") } });
    assert.deepEqual(warnings, []);
    await checkRight(compiled);
  }
});

async function refused(damage, expect) {
  const cache = counting();
  registry().compile({ cache });
  const [key] = cache.inner.map.keys();
  cache.inner.map.set(key, damage(cache.inner.map.get(key)));
  const { compiled, warnings } = compileWarned(registry(), { cache });
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0], expect);
  assert.match(warnings[0], /rebuilding$/);
  await checkRight(compiled);
  // Rebuilt and stored again: the next compile is a clean hit.
  const again = compileWarned(registry(), { cache });
  assert.deepEqual(again.warnings, []);
  assert.equal(cache.calls.set, 2);
}

test("corrupt bytes are refused", async () => {
  await refused((b) => {
    const c = b.slice();
    c[c.length - 3] ^= 0x40;
    return c;
  }, /checksum/);
});

test("truncated bytes are refused", async () => {
  await refused((b) => b.slice(0, b.length >> 1), /truncated/);
  await refused((b) => b.slice(0, 20), /truncated/);
});

test("another plan stored under this key (stale, or foreign) is refused by its fingerprint", async () => {
  const other = plan({ version: 1, services: [{ id: "other" }] }).encode();
  await refused(() => other, /fingerprint/);
});

test("bytes that are not a plan, and values that are not bytes, are refused", async () => {
  await refused(() => new TextEncoder().encode("hello, world".repeat(10)), /magic/);
  await refused(() => "a string", /not bytes/);
  await refused(() => 42, /not bytes/);
});

test("a storage that fails costs a warning, never the plan", async () => {
  for (const cache of [
    { get: () => { throw new Error("disk on fire"); }, set: () => {} },
    { get: async () => { throw new Error("disk on fire"); }, set: () => {} },
  ]) {
    const { compiled, warnings } = compileWarned(registry(), { cache });
    await checkRight(await compiled);
    assert.deepEqual(warnings, [`wireplan: cannot read cached plan \`wireplan-${RIGHT.plan.fingerprint}\` (disk on fire); rebuilding`]);
  }
  const warnings = [];
  const sync = registry().compile({ cache: { get: () => undefined, set: () => { throw new Error("full"); } }, onCacheWarning: (m) => warnings.push(m) });
  await checkRight(sync);
  const async_ = registry().compile({ cache: { get: () => null, set: async () => { throw new Error("quota"); } }, onCacheWarning: (m) => warnings.push(m) });
  await checkRight(async_);
  await new Promise((ok) => setTimeout(ok, 10));
  assert.deepEqual(warnings.map((w) => w.replace(/`.*`/, "K")), ["wireplan: cannot store plan K (full)", "wireplan: cannot store plan K (quota)"]);
});

test("a planning error is thrown as without a cache, and nothing is stored", () => {
  const r = new Registry();
  r.provide("a", ["b"], () => 1);
  r.provide("b", ["a"], () => 2);
  const cache = counting();
  assert.throws(() => r.compile({ cache }), (e) => e instanceof PlanError && e.code === "dependency-cycle");
  assert.equal(cache.calls.set, 0);
  assert.throws(() => r.compile({ cache: { get() {} } }), /`cache` must be an object with get\(key\) and set\(key, bytes\)/);
});

// ---- the Node file adapter ------------------------------------------------------------

function dir() {
  const d = join(mkdtempSync(join(tmpdir(), "wireplan-cache-")), "cache");
  return d;
}

function theFile(d) {
  const [name] = fs.readdirSync(d).filter((n) => n.endsWith(".wpl") && !n.startsWith("."));
  return join(d, name);
}

async function fileRefused(damage, expect) {
  const d = dir();
  const cache = fileCache(d);
  registry().compile({ cache });
  const file = theFile(d);
  damage(file);
  const t0 = performance.now();
  const { compiled, warnings } = compileWarned(registry(), { cache });
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0], expect);
  await checkRight(compiled);
  const again = compileWarned(registry(), { cache });
  assert.deepEqual(again.warnings, []);
}

test("file cache: a hit reads the plan file written under the umask", async () => {
  const d = dir();
  const old = process.umask(0o027);
  let first;
  try {
    first = compileWarned(registry(), { cache: fileCache(d) });
  } finally {
    process.umask(old);
  }
  assert.deepEqual(first.warnings, []);
  const file = theFile(d);
  assert.equal(file, join(d, `wireplan-${RIGHT.plan.fingerprint}.wpl`));
  assert.equal(statSync(file).mode & 0o777, 0o640);
  assert.equal(statSync(d).mode & 0o777, 0o750);
  assert.deepEqual(new Uint8Array(readFileSync(file)), RIGHT.plan.encode());
  const second = compileWarned(registry(), { cache: fileCache(d) });
  assert.deepEqual(second.warnings, []);
  await checkRight(second.compiled);
});

test("file cache: a FIFO is refused without blocking", async () => {
  await fileRefused((f) => {
    unlinkSync(f);
    execFileSync("mkfifo", [f]);
  }, /is not a regular file/);
});

test("file cache: a symbolic link to /dev/zero is not followed", async () => {
  await fileRefused((f) => {
    unlinkSync(f);
    symlinkSync("/dev/zero", f);
  }, /is a symbolic link/);
});

test("file cache: a sparse 2 GB file is refused unread", async () => {
  await fileRefused((f) => fs.truncateSync(f, 2 ** 31), /is too large \(2147483648 bytes\)/);
});

test("file cache: a header whose body length does not match the size", async () => {
  await fileRefused((f) => writeFileSync(f, Buffer.concat([readFileSync(f), Buffer.alloc(10)])), /declares \d+ bytes and has \d+/);
  await fileRefused((f) => writeFileSync(f, Buffer.from("not a plan at all, not at all, not at all, not at all")), /bad magic/);
});

test("file cache: files and directories other users can write are not trusted", async () => {
  await fileRefused((f) => chmodSync(f, 0o646), /is writable by other users \(mode 0646\)/);
  if (process.geteuid() === 0) await fileRefused((f) => fs.chownSync(f, 65534, -1), /is owned by another user \(uid 65534\)/);
  const d = dir();
  registry().compile({ cache: fileCache(d) });
  chmodSync(d, 0o777);
  try {
    const { compiled, warnings } = compileWarned(registry(true), { cache: fileCache(d) });
    await checkRight(registry().compile());
    assert.ok(compiled.plan.startup.includes("metrics"));
    assert.equal(warnings.length, 2, warnings.join("\n"));
    assert.match(warnings[0], /cannot read cached plan `.*` \(cache directory `.*` is writable by other users \(mode 0777\): not trusted\); rebuilding$/);
    assert.match(warnings[1], /cannot store plan .* is writable by other users/);
    assert.equal(fs.readdirSync(d).length, 1); // nothing written into it
  } finally {
    chmodSync(d, 0o755);
  }
});

test("file cache: keys are checked, so no key escapes the directory", () => {
  const cache = fileCache(dir());
  assert.throws(() => cache.get("../etc/passwd"), /a file cache key is 1 to 128 letters/);
  assert.throws(() => cache.set("a/b", new Uint8Array(1)), /a file cache key/);
});

test("file cache: pruning keeps the newest plans and never young ones", () => {
  const d = dir();
  const cache = fileCache(d, { maxEntries: 2 });
  const hours = (h) => (Date.now() - h * 3600 * 1000) / 1000;
  const files = [];
  for (let i = 0; i < 4; i++) {
    registry().compile({ cache: fileCache(d, { maxEntries: 100 }), profile: `p${i}` });
    const f = fs.readdirSync(d).map((n) => join(d, n)).find((n) => !files.includes(n));
    files.push(f);
    utimesSync(f, hours(4 - i), hours(4 - i)); // the last the newest
  }
  const crashed = join(d, ".tmp-1-crashed.wpl");
  writeFileSync(crashed, "partial");
  utimesSync(crashed, hours(2), hours(2));
  const writing = join(d, ".tmp-2-writing.wpl");
  writeFileSync(writing, "partial");
  assert.equal(cache.prune(), 3); // the two oldest plans, and the crashed writer's file
  assert.deepEqual(fs.readdirSync(d).sort(), [".tmp-2-writing.wpl", ...files.slice(2).map((f) => f.slice(d.length + 1))].sort());
  // Three new plans: the old ones go, but young plans stay even beyond the
  // bound (another process may be about to read one).
  for (let i = 0; i < 3; i++) registry().compile({ cache, roots: [["config", "db", "server"][i]] });
  const left = fs.readdirSync(d).filter((n) => n.endsWith(".wpl") && !n.startsWith(".")).map((n) => join(d, n));
  assert.equal(left.length, 3);
  assert.ok(left.every((f) => !files.includes(f)));
});

test("descriptors as UTF-8 bytes: a Uint8Array, an ArrayBuffer or another view", () => {
  const text = new TextEncoder().encode(JSON.stringify(registry().descriptors()));
  const expected = plan(registry().descriptors(), { name: "<registry>" }).fingerprint;
  for (const bytes of [text, text.buffer.slice(0), new DataView(text.buffer)]) {
    assert.equal(plan(bytes, { name: "<registry>" }).fingerprint, expected);
  }
});

test("docs/javascript.md's plan cache example runs", async () => {
  const readme = readFileSync(new URL("../../docs/javascript.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("- **Plan cache**: `registry.compile({cache})`"));
  const code = section.match(/```js\n([\s\S]*?)```/)[1];
  const kvStore = new Map();
  const env = { PLANS: { get: async (k, type) => (assert.equal(type, "arrayBuffer"), kvStore.get(k) ?? null), put: async (k, b) => void kvStore.set(k, b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) } };
  const warned = [];
  const log = { warn: (m) => warned.push(m) };
  const d = dir();
  const run = new Function("registry", "fileCache", "env", "log", `return (async () => {\n${code.replaceAll(".cache/wireplan", d)}\nreturn [compiled, fromKv];\n})();`);
  for (let i = 0; i < 2; i++) {
    const [compiled, fromKv] = await run(registry(), fileCache, env, log);
    await checkRight(compiled);
    await checkRight(fromKv);
  }
  assert.deepEqual(warned, []);
  assert.equal(kvStore.size, 1);
  assert.equal(fs.readdirSync(d).length, 1);
});
