// Plan caches: a plan's binary form kept by key in some storage, and the
// rules that decide whether stored bytes may be used.
//
// A storage is any object with
//
//   get(key)        -> Uint8Array | ArrayBuffer | undefined | null, or a promise of one
//   set(key, bytes) -> anything, or a promise (awaited only to report a failure)
//
// `memoryCache()` and `fileCache(dir)` (Node) are two; a KV store or
// IndexedDB is a few lines (see the README, "Plan cache"):
//
//   // Cloudflare Workers KV (get/put are async)
//   const kv = { get: (k) => env.PLANS.get(k, "arrayBuffer"), set: (k, b) => env.PLANS.put(k, b) };
//
//   // IndexedDB, with an object store "plans"
//   const idb = {
//     get: (k) => new Promise((ok, no) => { const r = db.transaction("plans").objectStore("plans").get(k);
//                                           r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); }),
//     set: (k, b) => db.transaction("plans", "readwrite").objectStore("plans").put(b, k),
//   };
//
// The key is `wireplan-<fingerprint>`: the core's fingerprint of the
// descriptors and planning options, which covers everything a plan depends
// on (in JS, descriptors are all there is: no code is introspected). Stored
// bytes are decoded with that fingerprint expected, so corrupt, truncated,
// stale, foreign or other-version bytes are refused by the core's checks;
// a refusal, or a storage that throws, is a warning and a fresh plan, never
// a wrong one.

import { PlanError } from "./errors.js";
import { decodePlan, fingerprint, plan } from "./api.js";

/** Bytes as a `Uint8Array`: a `Uint8Array` (a Node `Buffer`), an `ArrayBuffer`, or another view. */
function asBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`wireplan: a plan cache returned ${value === null ? "null" : typeof value}, not bytes (a Uint8Array or an ArrayBuffer)`);
}

function isThenable(value) {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof value.then === "function";
}

function checkStorage(cache) {
  if (cache === null || typeof cache !== "object" || typeof cache.get !== "function" || typeof cache.set !== "function") {
    throw new TypeError("wireplan: `cache` must be an object with get(key) and set(key, bytes)");
  }
}

function reason(error) {
  if (error instanceof PlanError) return error.diagnostics?.[0]?.message ?? error.message;
  return error instanceof Error ? error.message : String(error);
}

/** The storage key of a plan of these descriptors and options. */
export function planCacheKey(descriptors, options) {
  return `wireplan-${fingerprint(descriptors, options)}`;
}

/**
 * The plan of `descriptors`, from `cache` when it holds a trustworthy one,
 * else planned and stored. Returns a `Plan`, or a promise of one when the
 * storage's `get` returns a promise. `warn(message)` hears of every refused
 * entry and failed read or write (default `console.warn`). Planning errors
 * throw `PlanError` as `plan()` does.
 */
export function cachedPlan(descriptors, options, cache, warn = defaultWarn) {
  checkStorage(cache);
  const key = planCacheKey(descriptors, options);
  const expected = key.slice("wireplan-".length);
  let got;
  try {
    got = cache.get(key);
  } catch (e) {
    warn(`wireplan: cannot read cached plan \`${key}\` (${reason(e)}); rebuilding`);
    return fresh();
  }
  if (isThenable(got)) {
    return Promise.resolve(got).then(use, (e) => {
      warn(`wireplan: cannot read cached plan \`${key}\` (${reason(e)}); rebuilding`);
      return fresh();
    });
  }
  return use(got);

  function use(bytes) {
    if (bytes !== undefined && bytes !== null) {
      try {
        // The descriptors go along, so the plan can be explained and drawn as a fresh one can.
        return decodePlan(asBytes(bytes), { ...options, fingerprint: expected, descriptors });
      } catch (e) {
        if (!(e instanceof PlanError) && !(e instanceof TypeError)) throw e;
        warn(`wireplan: cached plan \`${key}\` is refused: ${reason(e)}; rebuilding`);
      }
    }
    return fresh();
  }

  function fresh() {
    const planned = plan(descriptors, options);
    const report = (e) => warn(`wireplan: cannot store plan \`${key}\` (${reason(e)})`);
    try {
      const done = cache.set(key, planned.encode());
      if (isThenable(done)) Promise.resolve(done).catch(report);
    } catch (e) {
      report(e);
    }
    return planned;
  }
}

function defaultWarn(message) {
  console.warn(message);
}

/** A storage in memory (a `Map`, exposed as `map`): for tests, and one process's repeated compiles. */
export function memoryCache() {
  const map = new Map();
  return {
    map,
    get: (key) => map.get(key),
    set: (key, bytes) => {
      map.set(key, asBytes(bytes).slice());
    },
  };
}

// ---- Node: a directory of plan files ------------------------------------------------

const KEY = /^[A-Za-z0-9_-]{1,128}$/;
const MAGIC = [0x57, 0x49, 0x52, 0x45, 0x50, 0x4c, 0x41, 0x4e]; // "WIREPLAN"
const PLAN_HEADER = 48;
const SUFFIX = ".wpl";
/** A plan file larger than this is refused unread. */
const MAX_FILE = 256 * 1024 * 1024;
/** Files younger than this are never pruned. */
const GRACE_MS = 3600 * 1000;

/**
 * Why another user could have written this file or directory (owned by
 * neither this user nor root, or writable by group or other), or null.
 * Stricter than the Python cache, which accepts group write by the owner's
 * private group: Node has no group database to check it against.
 */
function foreign(st, euid) {
  if (euid === null) return null;
  if (st.uid !== euid && st.uid !== 0) return `is owned by another user (uid ${st.uid})`;
  if (st.mode & 0o022) return `is writable by other users (mode ${(st.mode & 0o7777).toString(8).padStart(4, "0")})`;
  return null;
}

/**
 * A storage in a directory, for Node: one `<key>.wpl` file per plan (the
 * core's binary form). Reads trust nothing: a file is opened without
 * following a symbolic link and without blocking (a FIFO), must be a
 * regular file owned by this user or root and writable by no one else, in a
 * directory of the same kind; its header is read first and the body length
 * it declares must match the file's size (a sparse 2 GB file is refused
 * unread). Such a refusal throws, which `compile({cache})` reports as a
 * warning before planning afresh. Writes go to a temporary file (mode
 * `0o644` less the umask) renamed into place; afterwards the plans beyond
 * the newest `maxEntries` (64) that are older than an hour are removed.
 *
 * Options: `fs` (the `node:fs` module; found by `process.getBuiltinModule`
 * on Node 20.16 and later), `maxEntries`.
 */
export function fileCache(dir, options = {}) {
  const fs = options.fs ?? globalThis.process?.getBuiltinModule?.("node:fs");
  if (!fs) throw new TypeError("wireplan: fileCache needs `node:fs`: pass fileCache(dir, { fs: await import(\"node:fs\") })");
  const maxEntries = Math.max(1, Number(options.maxEntries ?? 64) | 0);
  const path = globalThis.process.getBuiltinModule?.("node:path") ?? null;
  const join = (name) => (path ? path.join(dir, name) : `${dir}/${name}`);
  const euid = typeof globalThis.process?.geteuid === "function" ? globalThis.process.geteuid() : null;
  const C = fs.constants;

  function checkDir() {
    let st;
    try {
      st = fs.statSync(dir);
    } catch (e) {
      if (e.code === "ENOENT") return false;
      throw e;
    }
    if (!st.isDirectory()) throw new Error(`cache directory \`${dir}\` is not a directory`);
    const why = foreign(st, euid);
    if (why !== null) throw new Error(`cache directory \`${dir}\` ${why}: not trusted`);
    return true;
  }

  function name(key) {
    if (typeof key !== "string" || !KEY.test(key)) throw new TypeError(`wireplan: a file cache key is 1 to 128 letters, digits, \`-\` or \`_\`, not ${JSON.stringify(String(key))}`);
    return key + SUFFIX;
  }

  function readAll(fd, length, position) {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, out, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? out : out.subarray(0, done);
  }

  function get(key) {
    const file = name(key);
    if (!checkDir()) return undefined;
    let fd;
    try {
      fd = fs.openSync(join(file), C.O_RDONLY | (C.O_NOFOLLOW ?? 0) | (C.O_NONBLOCK ?? 0));
    } catch (e) {
      if (e.code === "ENOENT") return undefined;
      if (e.code === "ELOOP") throw new Error(`\`${join(file)}\` is a symbolic link`);
      throw e;
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw new Error(`\`${join(file)}\` is not a regular file`);
      const why = foreign(st, euid);
      if (why !== null) throw new Error(`\`${join(file)}\` ${why}`);
      if (st.size > MAX_FILE) throw new Error(`\`${join(file)}\` is too large (${st.size} bytes)`);
      const head = readAll(fd, PLAN_HEADER, 0);
      if (head.length < PLAN_HEADER || MAGIC.some((b, i) => head[i] !== b)) {
        throw new Error(`\`${join(file)}\` is not a plan (bad magic or truncated)`);
      }
      const body = Number(new DataView(head.buffer, head.byteOffset, PLAN_HEADER).getBigUint64(32, true));
      if (PLAN_HEADER + body !== st.size) throw new Error(`\`${join(file)}\` declares ${PLAN_HEADER + body} bytes and has ${st.size}`);
      const rest = readAll(fd, body, PLAN_HEADER);
      const out = new Uint8Array(PLAN_HEADER + rest.length);
      out.set(head, 0);
      out.set(rest, PLAN_HEADER);
      return out;
    } finally {
      fs.closeSync(fd);
    }
  }

  function set(key, bytes) {
    const file = name(key);
    const data = asBytes(bytes);
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    checkDir();
    const tmp = join(`.tmp-${globalThis.process.pid}-${Math.random().toString(36).slice(2)}${SUFFIX}`);
    const fd = fs.openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | (C.O_NOFOLLOW ?? 0), 0o644);
    try {
      try {
        let done = 0;
        while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, join(file));
    } catch (e) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // already gone
      }
      throw e;
    }
    prune();
  }

  /**
   * Removes the plans beyond the newest `maxEntries`, and crashed writers'
   * temporary files, older than the grace period (checked again just before
   * each removal). A reader that has a file open keeps reading it; Node has
   * no `flock`, so a plan renamed over an old one between that check and the
   * removal is lost (a later miss, never a wrong plan).
   */
  function prune() {
    const now = Date.now();
    const plans = [];
    const old = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      let st;
      try {
        st = fs.lstatSync(join(entry.name));
      } catch {
        continue;
      }
      if (entry.name.startsWith(".tmp-")) {
        if (st.mtimeMs < now - GRACE_MS) old.push(entry.name);
      } else if (entry.name.endsWith(SUFFIX)) {
        plans.push([st.mtimeMs, entry.name]);
      }
    }
    plans.sort((a, b) => b[0] - a[0]);
    for (const [mtime, n] of plans.slice(maxEntries)) if (mtime < now - GRACE_MS) old.push(n);
    let removed = 0;
    for (const n of old) {
      try {
        if (fs.lstatSync(join(n)).mtimeMs >= now - GRACE_MS) continue;
        fs.unlinkSync(join(n));
        removed++;
      } catch {
        // removed by another process
      }
    }
    return removed;
  }

  return { dir, get, set, prune };
}
