// The JS runtime: JS factories run by a plan. The order, the layers, the
// bindings and every check come from the core; this file only calls
// factories in the planned order and disposes in reverse.
//
// Everything here iterates: a chain of 100,000 services starts and stops
// without growing the stack, and synchronous factories cost no await.

import { Plan, plan } from "./api.js";
import { cachedPlan } from "./cache.js";
import { AbortError, LookupError, ReloadError, StartError, TimeoutError, describe } from "./errors.js";
import { wasm } from "./wasm.js";

const LIFETIMES = new Set(["singleton", "scoped", "transient"]);
const DEP_FIELDS = ["key", "optional", "many", "lazy"];
const PROVIDE_OPTIONS = [
  "provides", "lifetime", "profiles", "replaces", "source", "meta", "dispose",
  "onStart", "onStop", "startTimeout", "stopTimeout", "health", "healthTimeout",
];
const HOOK_OPTIONS = ["onStart", "onStop"];
/** A health check's default timeout (ms), as Python's 1 s. */
const HEALTH_TIMEOUT = 1000;
const REGISTRY_OPTIONS = ["sources"];

/** Refuses option names not in `known`, in the core's words (did-you-mean included). */
function knownOptions(options, known, place) {
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw new TypeError(`wireplan: ${wasm().unknownOption(place, name, known)}`);
  }
}

const CALL_SITES = (_, sites) => sites;

/**
 * Where the code that called into the registry is: the first stack frame
 * outside this file, as a descriptor `source` (`{file, line, column}`), so a
 * diagnostic or a start failure names the `provide()` call as Python names a
 * provider's def. V8's structured call sites (Node, Chromium, workerd); none
 * elsewhere. V8's cost grows with the frames captured (about 1 µs each), so
 * the one frame right above `method` (the registry's public method the
 * caller called) is asked for first, and twelve frames, searched for the
 * first outside this file, only when that one is not the caller's (a call
 * from inside this file, or from a bundle holding this file and the
 * caller's code); `new Registry({sources: false})` skips it.
 */
function callSite(method) {
  if (typeof Error.captureStackTrace !== "function") return undefined;
  return callerOf(frameAbove(method));
}

/**
 * The call site right above `method`, or undefined. `provide`, called once
 * per service, captures it itself (`holder.sites`, as here): V8 summarizes
 * every frame it skips on the way to `method`, about 0.4 µs for this one.
 */
function frameAbove(method) {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  const holder = { sites: undefined };
  try {
    Error.stackTraceLimit = 1;
    Error.prepareStackTrace = CALL_SITES;
    Error.captureStackTrace(holder, method);
    holder.sites = holder.stack;
  } catch {
    return undefined;
  } finally {
    Error.stackTraceLimit = limit;
    Error.prepareStackTrace = prepare;
  }
  return holder.sites;
}

/** The source of the first call site of `sites` when it is the caller's; else the first of twelve frames outside this file. */
function callerOf(sites) {
  const site = Array.isArray(sites) ? sites[0] : undefined;
  const file = site?.getFileName?.();
  if (file && !file.startsWith("node:")) {
    const own = ownFileName();
    if (own !== undefined && file !== own) return sourceOf(site, file);
  }
  return siteWithin(12);
}

/** The name V8 gives this file in stack frames, found on first use. */
let ownFile;

/** `file:` URLs as paths, decoded once per URL (a registry's calls come from a few files). */
const PATHS = new Map();

function pathOf(file) {
  if (!file.startsWith("file://")) return file;
  let path = PATHS.get(file);
  if (path === undefined) {
    path = decodeURIComponent(new URL(file).pathname);
    if (PATHS.size >= 256) PATHS.clear();
    PATHS.set(file, path);
  }
  return path;
}

/** Up to `frames` call sites above the function calling this one, or undefined. */
function capture(frames) {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  try {
    Error.stackTraceLimit = frames;
    Error.prepareStackTrace = CALL_SITES;
    const holder = {};
    Error.captureStackTrace(holder, capture);
    const sites = holder.stack;
    return Array.isArray(sites) ? sites : undefined;
  } catch {
    return undefined;
  } finally {
    Error.stackTraceLimit = limit;
    Error.prepareStackTrace = prepare;
  }
}

/** This file's name in stack frames (remembered once found), or undefined. */
function ownFileName() {
  if (ownFile === undefined) {
    // The frame above `capture` is this function's.
    const file = capture(1)?.[0]?.getFileName?.();
    if (typeof file === "string" && file !== "") ownFile = file;
  }
  return ownFile;
}

/** The first of `frames` frames above this function outside this file and Node's. */
function siteWithin(frames) {
  const sites = capture(frames);
  if (sites === undefined || sites.length === 0) return undefined;
  // The first frame is this function's, in this file.
  const own = sites[0].getFileName?.();
  for (const site of sites) {
    const file = site.getFileName?.();
    if (!file || file === own || file.startsWith("node:")) continue;
    return sourceOf(site, file);
  }
  return undefined;
}

/** A descriptor `source` from a call site in `file`. */
function sourceOf(site, file) {
  const line = site.getLineNumber?.();
  const column = site.getColumnNumber?.();
  const source = { file: pathOf(file) };
  if (Number.isInteger(line) && line > 0) source.line = line;
  if (Number.isInteger(column) && column > 0) source.column = column;
  return source;
}

/**
 * A key that carries the type of what provides it (`key<Database>("db")` in
 * TypeScript). At run time it is the string itself.
 */
export function key(name) {
  if (typeof name !== "string" || name === "") throw new TypeError("wireplan: a key is a non-empty string");
  return name;
}

function isThenable(value) {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof value.then === "function";
}

/**
 * A service failed to stop, or did not within `stopTimeout`; collected into
 * the `AggregateError` of `stop()`.
 */
export class StopError extends Error {
  constructor(service, cause) {
    super(
      cause instanceof TimeoutError && cause.service === service
        ? `service ${quoted(service)} did not stop within ${cause.timeout} ms`
        : `service ${quoted(service)} failed to stop: ${describe(cause)}`,
      { cause },
    );
    this.name = "StopError";
    this.service = service;
  }
}

// setTimeout fires at once beyond this (2^31 - 1 ms, about 24.8 days).
const MAX_TIMEOUT = 2147483647;

/** A timeout option in ms, or null for none (absent, null or Infinity). */
function timeoutOption(options, name) {
  const ms = options[name];
  if (ms === undefined || ms === null || ms === Infinity) return null;
  if (typeof ms !== "number" || !(ms >= 0)) {
    throw new TypeError(`wireplan: \`${name}\` must be a number of milliseconds (0 or more)`);
  }
  return ms > MAX_TIMEOUT ? null : ms;
}

/** A per-service timeout option: undefined (the app-wide value), null (none) or ms. */
function serviceTimeout(options, name, id) {
  if (options[name] === undefined) return undefined;
  try {
    return timeoutOption(options, name);
  } catch {
    throw new TypeError(`wireplan: the \`${name}\` of \`${id}\` must be a number of milliseconds (0 or more)`);
  }
}

/** What `provide()` takes as its options when given none: nothing to check. */
const NO_OPTIONS = Object.freeze({});

/** Marks a supplied value's registration (its value is compared on reload, not the wrapper). */
const SUPPLIED = Symbol("supplied");

/** An options argument: absent means `{}`; anything but an object is a TypeError. */
function optionsObject(options, what) {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object") throw new TypeError(`wireplan: the options of \`${what}\` must be an object`);
  return options;
}

/**
 * Settles like `thenable`, or rejects with a `TimeoutError` after `ms`; the
 * timer is cleared either way, so it never keeps the process alive. A late
 * rejection of `thenable` is handled (and dropped: the timeout was reported).
 */
function within(thenable, ms, service, phase) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(service, phase, ms)), ms);
    Promise.resolve(thenable).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (reason) => {
        clearTimeout(timer);
        reject(reason);
      },
    );
  });
}

/** `within` for a health check, in the core's words (`healthTimedOut`). */
function healthWithin(thenable, ms, id) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(wasm().healthTimedOut(id, ms / 1000))), ms);
    Promise.resolve(thenable).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (reason) => {
        clearTimeout(timer);
        reject(reason);
      },
    );
  });
}

function normalizeDep(dep, id, i) {
  if (typeof dep === "string") return dep;
  if (dep === null || typeof dep !== "object" || typeof dep.key !== "string") {
    throw new TypeError(`wireplan: dependency ${i} of \`${id}\` must be a key string or {key, optional?, many?, lazy?}`);
  }
  knownOptions(dep, DEP_FIELDS, `dependency ${i} of \`${id}\``);
  const out = { key: dep.key };
  for (const f of DEP_FIELDS) if (f !== "key" && dep[f] !== undefined) out[f] = Boolean(dep[f]);
  return out;
}

/** The options a `provide()` was given, checked: a `TypeError` for anything the runtime cannot use. */
function checkProvideOptions(id, options) {
  if (options === null || typeof options !== "object") throw new TypeError(`wireplan: the options of \`${id}\` must be an object`);
  knownOptions(options, PROVIDE_OPTIONS, `the options of \`${id}\``);
  if (options.lifetime !== undefined && !LIFETIMES.has(options.lifetime)) {
    throw new TypeError(`wireplan: the lifetime of \`${id}\` must be singleton, scoped or transient`);
  }
  for (const name of ["dispose", "onStart", "onStop", "health"]) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new TypeError(`wireplan: the ${name} of \`${id}\` must be a function`);
    }
  }
  const lifetime = options.lifetime ?? "singleton";
  if (lifetime !== "singleton") {
    for (const name of ["onStart", "onStop", "health"]) {
      if (options[name] !== undefined) throw new TypeError(`wireplan: \`${id}\` is ${lifetime}: ${name} belongs to singletons (the app starts and stops those)`);
    }
  }
}

/** A registration's dependencies, copied (the caller's array may change): keys as they are, objects checked and normalized. */
function copyDeps(deps, id) {
  const out = new Array(deps.length);
  for (let i = 0; i < deps.length; i++) {
    const d = deps[i];
    out[i] = typeof d === "string" ? d : normalizeDep(d, id, i);
  }
  return out;
}

/**
 * Collects services and their JS factories; `compile()` plans them with the
 * core and returns a plan that can start.
 */
export class Registry {
  #services = [];
  #sources;
  #invokes = 0;

  /**
   * `sources: false` stops recording where each `provide()` is called
   * (diagnostics then name `<registry>`); on by default.
   */
  constructor(options = {}) {
    if (options === null || typeof options !== "object") throw new TypeError("wireplan: Registry options must be an object");
    knownOptions(options, REGISTRY_OPTIONS, "the options of `new Registry()`");
    this.#sources = options.sources !== false;
  }

  /** Registers a ready value under `id` (no dependencies). */
  supply(id, value, options = {}) {
    if (this.#sources && options !== null && typeof options === "object" && options.source === undefined) {
      const source = callSite(OWN.supply);
      if (source !== undefined) options = { ...options, source };
    }
    this.provide(id, [], () => value, options);
    // A hot reload compares the value, not this wrapper (see `App#reload`).
    this.#services[this.#services.length - 1].code[0] = SUPPLIED;
    this.#services[this.#services.length - 1].supplied = value;
    return this;
  }

  /**
   * Registers a factory: called with one argument per dependency (an array
   * for `many`, `undefined` for a missing `optional`, a function returning
   * the instance for `lazy`) and, last, a context `{signal, id}` (`signal`
   * aborts when the runtime gives up on the call), it returns the instance
   * or a promise of it. `dispose(instance, {error, id})` tears it down;
   * `error` is why (a failed start, scope or stop), undefined on a clean exit.
   * Singletons may also have `onStart(instance, {signal, id})` and
   * `onStop(instance, {signal, id, error})` hooks (run after every service
   * is built, and before every dispose), a `health(instance, {signal, id})`
   * check with its `healthTimeout` (ms, default 1000), and their own
   * `startTimeout`/`stopTimeout` (ms; default: the app-wide ones).
   */
  provide(id, deps, factory, options = NO_OPTIONS) {
    if (typeof id !== "string") throw new TypeError("wireplan: a service id must be a string");
    if (!Array.isArray(deps)) throw new TypeError(`wireplan: the dependencies of \`${id}\` must be an array`);
    if (typeof factory !== "function") throw new TypeError(`wireplan: the factory of \`${id}\` must be a function`);
    if (options !== NO_OPTIONS) checkProvideOptions(id, options);
    let source = options.source;
    if (source === undefined && this.#sources && typeof Error.captureStackTrace === "function") {
      // `callSite(OWN.provide)`, its capture made here (see `frameAbove`).
      const limit = Error.stackTraceLimit;
      const prepare = Error.prepareStackTrace;
      const holder = { sites: undefined };
      try {
        Error.stackTraceLimit = 1;
        Error.prepareStackTrace = CALL_SITES;
        Error.captureStackTrace(holder, OWN.provide);
        holder.sites = holder.stack;
      } catch {
        // no call site
      } finally {
        Error.stackTraceLimit = limit;
        Error.prepareStackTrace = prepare;
      }
      source = callerOf(holder.sites);
    }
    this.#services.push(this.#entry(id, deps, factory, options, source));
    return this;
  }

  /** A registration (options checked by the caller). */
  #entry(id, deps, factory, options, source) {
    const none = options === NO_OPTIONS;
    const entry = {
      descriptor: null,
      factory,
      dispose: options.dispose,
      profiles: options.profiles,
      onStart: options.onStart,
      onStop: options.onStop,
      health: options.health,
      // Per-service timeouts (ms): undefined takes the app-wide value, null is none.
      startTimeout: none ? undefined : serviceTimeout(options, "startTimeout", id),
      stopTimeout: none ? undefined : serviceTimeout(options, "stopTimeout", id),
      healthTimeout: none ? undefined : serviceTimeout(options, "healthTimeout", id),
      // What a hot reload compares to tell a replaced service (`App#reload`).
      code: [factory, options.dispose, options.onStart, options.onStop, options.health],
      supplied: undefined,
      invoke: false,
    };
    const descriptor = { id };
    if (options.provides !== undefined) descriptor.provides = options.provides;
    if (deps.length > 0) descriptor.deps = copyDeps(deps, id);
    if (options.lifetime !== undefined) descriptor.lifetime = options.lifetime;
    if (options.profiles !== undefined) descriptor.profiles = options.profiles;
    if (options.replaces !== undefined) descriptor.replaces = options.replaces;
    if (source !== undefined) descriptor.source = source;
    if (options.meta !== undefined) descriptor.meta = options.meta;
    entry.descriptor = descriptor;
    return entry;
  }

  /**
   * Registers a function to run at start, as fx's `Invoke`: `fn` gets one
   * argument per dependency (as a factory does) and, last, a context
   * `{signal, id}`; its dependencies are roots of the plan. It runs after
   * every service is built, with the start hooks, in plan order; a throw
   * or rejection fails the start as a start hook does (`StartError`, phase
   * `invoke`). It is a singleton of the plan: its id is `invoke:` and the
   * function's name (`invoke:<anonymous>` without one; `#2`, `#3` … added
   * when the name repeats), or `options.id`; `options.startTimeout` bounds
   * it (default: the app's). What it returns (awaited) is its instance:
   * `app.getById(id)`.
   */
  invoke(deps, fn, options = {}) {
    if (!Array.isArray(deps)) throw new TypeError("wireplan: the dependencies of `invoke` must be an array");
    if (typeof fn !== "function") throw new TypeError("wireplan: `invoke` needs a function");
    if (options === null || typeof options !== "object") throw new TypeError("wireplan: the options of `invoke` must be an object");
    knownOptions(options, ["id", "startTimeout"], "the options of `invoke`");
    this.#invokes++;
    let id = options.id;
    if (id === undefined) {
      const base = `invoke:${fn.name || "<anonymous>"}`;
      id = base;
      for (let n = 2; this.#services.some((s) => s.descriptor.id === id); n++) id = `${base}#${n}`;
    } else if (typeof id !== "string") {
      throw new TypeError("wireplan: the id of an invoke must be a string");
    }
    const descriptor = { id };
    if (deps.length > 0) descriptor.deps = copyDeps(deps, id);
    if (this.#sources) {
      const source = callSite(OWN.invoke);
      if (source !== undefined) descriptor.source = source;
    }
    // The factory keeps the arguments; the start hook calls `fn` with them.
    this.#services.push({
      descriptor,
      // (without its own context: the hook's is the one `fn` gets)
      factory: (...args) => args.slice(0, -1),
      dispose: undefined,
      profiles: undefined,
      onStart: (args, ctx) => fn(...args, ctx),
      onStop: undefined,
      health: undefined,
      startTimeout: serviceTimeout(options, "startTimeout", id),
      stopTimeout: undefined,
      healthTimeout: undefined,
      code: [fn],
      supplied: undefined,
      invoke: true,
    });
    return this;
  }

  /**
   * Replaces every provider of `key` with a fake, on purpose (tests), as
   * Python's `registry.override`: `override(key, value)` (a ready value, a
   * singleton) or `override(key, deps, factory, options)` (planned like any
   * provider; its lifetime is the replaced service's unless
   * `options.lifetime` says otherwise). The fake declares `replaces`, so
   * the core removes the providers it stands in for and gives it their keys;
   * it replaces the provider whole (its dispose, hooks, health go with it).
   * A key no active service provides is a `LookupError` at `compile()`,
   * naming the closest keys. The newest override of a key wins.
   */
  override(key, ...fake) {
    if (typeof key !== "string" || key === "") throw new TypeError("wireplan: `override` needs a key");
    const source = this.#sources ? callSite(OWN.override) : undefined;
    let entry;
    if (fake.length <= 1) {
      const value = fake[0];
      entry = this.#entry(`override:${key}`, [], () => value, {}, source);
      entry.code[0] = SUPPLIED;
      entry.supplied = value;
      entry.lifetimeOfReplaced = false;
    } else {
      const [deps, factory, options = {}] = fake;
      if (!Array.isArray(deps)) throw new TypeError(`wireplan: the dependencies of the override of \`${key}\` must be an array`);
      if (typeof factory !== "function") throw new TypeError(`wireplan: the factory of the override of \`${key}\` must be a function`);
      if (options === null || typeof options !== "object") throw new TypeError(`wireplan: the options of the override of \`${key}\` must be an object`);
      for (const name of ["provides", "replaces", "profiles", "source"]) {
        if (options[name] !== undefined) throw new TypeError(`wireplan: an override takes no \`${name}\`: it provides \`${key}\` and the keys of what it replaces`);
      }
      entry = this.#entry(`override:${key}`, deps, factory, options, source);
      entry.lifetimeOfReplaced = options.lifetime === undefined;
    }
    let id = `override:${key}`;
    for (let n = 2; this.#services.some((s) => s.descriptor.id === id); n++) id = `override:${key}#${n}`;
    entry.descriptor = { ...entry.descriptor, id, provides: [key] };
    entry.overrides = key;
    this.#services.push(entry);
    return this;
  }

  /** An independent registry with the same registrations (override and compile it without touching this one). */
  copy() {
    const r = new Registry({ sources: this.#sources });
    r.#services = this.#services.slice();
    r.#invokes = this.#invokes;
    return r;
  }

  /** The descriptor document of everything registered. */
  descriptors() {
    return this.#document(null);
  }

  /**
   * The document planned for `profile`: each override's descriptor names
   * what it replaces, the active providers of its key registered before it.
   */
  #document(profile) {
    if (!this.#services.some((s) => s.overrides !== undefined)) return { version: 1, services: this.#services.map((s) => s.descriptor) };
    const services = [];
    // Ids an earlier override took the place of: a newer override of the same key replaces that override.
    const gone = new Set();
    for (let k = 0; k < this.#services.length; k++) {
      const s = this.#services[k];
      if (s.overrides === undefined) {
        services.push(s.descriptor);
        continue;
      }
      const key = s.overrides;
      const replaced = [];
      let lifetime;
      for (let j = 0; j < k; j++) {
        const r = this.#services[j];
        if (!gone.has(r.descriptor.id) && isActive(r, profile) && provided(r).includes(key)) {
          replaced.push(r.descriptor.id);
          lifetime ??= r.descriptor.lifetime;
        }
      }
      if (replaced.length === 0) {
        const keys = [...new Set(this.#services.slice(0, k).filter((r) => isActive(r, profile)).flatMap(provided))];
        const [text, suggestions] = unknownWords(wasm().unknownKey(key, keys), keys);
        throw new LookupError("unknown-key", key, `cannot override: ${text}${s.descriptor.source ? ` (override at ${sourceText(s.descriptor.source)})` : ""}`, suggestions);
      }
      for (const id of replaced) gone.add(id);
      const descriptor = { ...s.descriptor, replaces: replaced };
      if (s.lifetimeOfReplaced && lifetime !== undefined) descriptor.lifetime = lifetime;
      services.push(descriptor);
    }
    return { version: 1, services };
  }

  /**
   * Plans the registered services (`{profile?, roots?, name?}`); throws
   * `PlanError` with every problem of the graph. With `cache` (a storage:
   * `memoryCache()`, `fileCache(dir)`, any `{get, set}` of bytes by key), a
   * stored plan of the same fingerprint is decoded instead of planning, and
   * a new plan is stored; refused entries and storage failures go to
   * `onCacheWarning(message)` (default `console.warn`). Returns a promise
   * when the storage's `get` does.
   */
  compile(options = {}) {
    const { cache, onCacheWarning, ...planning } = options ?? {};
    // Invoked functions' dependencies are roots: so are the invokes.
    if (Array.isArray(planning.roots) && this.#invokes > 0) {
      planning.roots = [...planning.roots, ...this.#services.filter((s) => s.invoke).map((s) => s.descriptor.id)];
    }
    const named = { name: "<registry>", ...planning };
    const document = this.#document(planning.profile ?? null);
    if (cache === undefined || cache === null) return this.#bind(plan(document, named), planning, options ?? {}, document);
    // With a plan cache (see cache.js): a promise when the storage's get is async.
    const got = cachedPlan(document, named, cache, onCacheWarning);
    return isThenable(got) ? got.then((planned) => this.#bind(planned, planning, options, document)) : this.#bind(got, planning, options, document);
  }

  /** A plan of these services with their factories. */
  #bind(planned, options, compileOptions, document) {
    // Overrides with the descriptors planned (what they replace).
    const registered = this.#services.map((s, k) => (s.overrides === undefined ? s : { ...s, descriptor: document.services[k] }));
    // Among the services active in this profile ids are unique (the core
    // reports duplicates), so the id finds the registration.
    const profile = options.profile ?? null;
    const byId = new Map();
    for (const s of registered) {
      const active = !s.profiles || s.profiles.length === 0 || (profile !== null && s.profiles.includes(profile));
      if (active && !byId.has(s.descriptor.id)) byId.set(s.descriptor.id, s);
    }
    const entries = planned.tables.ids.map((id) => byId.get(id));
    // What `CompiledPlan#override` compiles again: these registrations, the same options, no cache.
    const again = { ...compileOptions };
    delete again.cache;
    delete again.onCacheWarning;
    const copy = this.copy();
    const recompile = (fakes) => {
      const r = copy.copy();
      for (const f of fakes) r.override(...f);
      return r.compile(again);
    };
    return new CompiledPlan(planned, entries, registered, recompile);
  }
}

/**
 * The registry's own methods, taken once: `callSite` captures the frame
 * right above the one the caller called (a wrapper put on the prototype
 * later is the caller's code, and its frame the call site, as before).
 */
const OWN = {
  supply: Registry.prototype.supply,
  provide: Registry.prototype.provide,
  invoke: Registry.prototype.invoke,
  override: Registry.prototype.override,
};

/** A plan with its factories, ready to start. */
export class CompiledPlan {
  #entries;
  #lookup;
  /** Compiles these registrations again with fakes (`override`), or null (no registry behind it). */
  #recompile;
  /** Active overrides, oldest first: {fakes, plan (this compiled with every fake up to it)}. */
  #overrides = [];

  /** @internal */
  constructor(plan, entries, registered = [], recompile = null) {
    /** The core's plan. */
    this.plan = plan;
    this.#entries = entries;
    this.#lookup = new Lookup(plan, registered);
    this.#recompile = recompile;
  }

  /**
   * Test overrides on a compiled plan (FastAPI's `dependency_overrides`,
   * NestJS's `overrideProvider`; Python's `plan.override`): apps started
   * from this plan while the override is active use the fake. Forms as
   * `registry.override`: `(key, value)`, `(key, deps, factory, options)`,
   * or `({key: value, …})` (several at once, one compile). The plan is
   * compiled again from its registrations (same options, never from a
   * cache) with the fakes standing in; a fake that does not plan throws
   * here. Returns `{plan, undo()}` (also `using`-disposable): `plan` is
   * the compiled plan apps start from meanwhile. Overrides nest (the
   * newest of a key wins); undoing twice does nothing. An app keeps the
   * plan it started with: running apps never see a fake, and one started
   * inside keeps it after the undo.
   */
  override(...args) {
    if (this.#recompile === null) throw new TypeError("wireplan: `override` needs a plan compiled by `registry.compile()`");
    let fakes;
    if (args.length === 1 && args[0] !== null && typeof args[0] === "object" && !Array.isArray(args[0])) {
      fakes = Object.entries(args[0]).map(([key, value]) => [key, value]);
      if (fakes.length === 0) throw new TypeError("wireplan: `override({})` names no key");
    } else {
      if (args.length === 0) throw new TypeError("wireplan: `override` needs a key and a fake");
      fakes = [args];
    }
    const all = this.#overrides.flatMap((o) => o.fakes).concat(fakes);
    const record = { fakes, plan: this.#recompile(all) };
    this.#overrides.push(record);
    const undo = () => {
      const at = this.#overrides.indexOf(record);
      if (at < 0) return;
      this.#overrides.splice(at, 1);
      // An older one undone: the newer ones' plans are compiled again without it.
      const before = this.#overrides.slice(0, at).flatMap((o) => o.fakes);
      for (let k = at; k < this.#overrides.length; k++) {
        before.push(...this.#overrides[k].fakes);
        this.#overrides[k].plan = this.#recompile(before.slice());
      }
    };
    const handle = {
      get plan() {
        return record.plan;
      },
      undo,
    };
    if (typeof Symbol.dispose === "symbol") handle[Symbol.dispose] = undo;
    return handle;
  }

  /**
   * Runs `fn()` (awaited) with `override(...args)` active (the last
   * argument is `fn`), undone after, whatever happens; its result.
   */
  async withOverride(...args) {
    const fn = args.pop();
    if (typeof fn !== "function") throw new TypeError("wireplan: `withOverride(…, fn)` takes the function last");
    const o = this.override(...args);
    try {
      return await fn(o.plan);
    } finally {
      o.undo();
    }
  }

  /** Singleton ids in start-up order. */
  get startup() {
    return this.plan.startup;
  }

  /** Start-up layers of ids. */
  get layers() {
    return this.plan.layers;
  }

  /**
   * Starts every singleton, layer by layer; the services of one layer start
   * concurrently and async factories are awaited. Each factory gets, after
   * its dependencies, a context `{signal, id}`: `signal` aborts when the
   * start gives up on it. If one fails, the in-flight factories of its
   * layer are aborted and given up on, what has started is stopped in
   * reverse order of readiness (each dispose told the error), and the
   * promise rejects with a `StartError` naming the first failure.
   *
   * Options (like fx's `StartTimeout`/`StopTimeout`, but per service):
   * `startTimeout` (ms): a factory that has not settled by then fails the
   * start with a `TimeoutError` cause; a synchronous one cannot be
   * interrupted, so it is measured, and one that returns late fails the
   * start too (its instance joins the rollback). `stopTimeout` (ms): the
   * same for each `dispose`, during the rollback and, by default,
   * `app.stop()`. `signal`: an `AbortSignal` that cancels the start: no
   * further factory is called, the in-flight ones are aborted and given up
   * on, everything that started is stopped in reverse, and the promise
   * rejects with an `AbortError` (`cause`: the signal's reason) naming the
   * layer and the services in flight, at once, even if a factory hangs.
   * A factory given up on (failed sibling, timeout, abort) is abandoned: if
   * it resolves later, its instance is disposed then, once, and the error's
   * `abandoned` promise resolves when all of them have settled.
   */
  async start(options) {
    const active = this.#overrides.length === 0 ? null : this.#overrides[this.#overrides.length - 1].plan;
    if (active !== null) return active.start(options);
    const { startTimeout, signal, settings } = startOptions(options);
    const app = new App(this.plan, this.#entries, this.#lookup, settings);
    await app._start(startTimeout, signal);
    return app;
  }

  /** @internal The registrations, in plan order (what a hot reload compares). */
  get _entries() {
    return this.#entries;
  }

  /** @internal */
  get _lookupTable() {
    return this.#lookup;
  }

  /**
   * Starts, then runs until SIGINT or SIGTERM (Node): see `App#run`. A
   * failed start is written to stderr and resolves 1 (`process.exitCode`
   * too); otherwise the app's `run()` code.
   */
  async run(options) {
    const o = optionsObject(options, "run");
    const start = { ...o };
    delete start.signals;
    delete start.beforeStop;
    const { signals, beforeStop } = runOptions({ signals: o.signals, beforeStop: o.beforeStop });
    const proc = nodeProcess("plan.run()");
    // The handlers are in before the start: a signal during it stops the
    // app as soon as it has started (a second one exits at once), as Python.
    const waiter = new SignalWaiter(proc, signals);
    let app;
    try {
      app = await this.start(start);
    } catch (error) {
      waiter.close();
      proc.stderr.write(`wireplan: ${describe(error)}\n`);
      proc.exitCode = 1;
      return 1;
    }
    return app._runWith(waiter, beforeStop);
  }
}

const START_OPTIONS = ["startTimeout", "stopTimeout", "signal", "onEvent"];

/** `start()`'s options, checked: the start's own, and what the app keeps. */
function startOptions(options) {
  const o = optionsObject(options, "start");
  knownOptions(o, START_OPTIONS, "the options of `start()`");
  const startTimeout = timeoutOption(o, "startTimeout");
  const stopTimeout = timeoutOption(o, "stopTimeout");
  const signal = o.signal ?? null;
  if (signal !== null && (typeof signal !== "object" || typeof signal.aborted !== "boolean" || typeof signal.addEventListener !== "function")) {
    throw new TypeError("wireplan: `signal` must be an AbortSignal");
  }
  const onEvent = o.onEvent ?? null;
  if (onEvent !== null && typeof onEvent !== "function") throw new TypeError("wireplan: `onEvent` must be a function");
  return { startTimeout, signal, settings: { stopTimeout, startTimeout, onEvent } };
}

/** `run()`'s options, checked. */
function runOptions(options) {
  const o = optionsObject(options, "run");
  knownOptions(o, ["signals", "beforeStop"], "the options of `run()`");
  const signals = o.signals ?? ["SIGINT", "SIGTERM"];
  if (!Array.isArray(signals) || signals.length === 0 || !signals.every((x) => typeof x === "string")) {
    throw new TypeError("wireplan: `signals` must be a non-empty array of signal names");
  }
  const beforeStop = o.beforeStop ?? null;
  if (beforeStop !== null && typeof beforeStop !== "function") throw new TypeError("wireplan: `beforeStop` must be a function");
  return { signals, beforeStop };
}

/**
 * The signal handlers of one run: the first signal is announced and handed
 * to `whenSignalled` (at once if it came before), a second one exits the
 * process at once with 128 + its number.
 */
class SignalWaiter {
  #signals;
  #received = null;
  #then = null;
  #onSignal;

  constructor(proc, signals) {
    this.proc = proc;
    this.#signals = signals;
    this.#onSignal = (name) => {
      if (this.#received !== null) {
        const code = name in SIGNALS ? 128 + SIGNALS[name] : 1;
        proc.stderr.write(`wireplan: ${wasm().signalForced(name, code)}\n`);
        proc.exit(code);
        return;
      }
      this.#received = name;
      proc.stderr.write(`wireplan: ${wasm().signalReceived(name)}\n`);
      if (this.#then !== null) this.#then();
    };
    for (const name of signals) proc.on(name, this.#onSignal);
  }

  whenSignalled(then) {
    this.#then = then;
    if (this.#received !== null) then();
  }

  close() {
    for (const name of this.#signals) this.proc.off(name, this.#onSignal);
  }
}

/** `run()`'s last line, in the core's words: `stopped cleanly`, or `stopped with N errors: …; …`. */
function stoppedText(error) {
  const errors = error === null ? [] : error instanceof AggregateError ? error.errors : [error];
  return wasm().stopped(errors.map(describe));
}

/** Node's `process`, or a clear error where there is none. */
function nodeProcess(what) {
  const proc = globalThis.process;
  if (proc === undefined || typeof proc.on !== "function" || proc.stderr === undefined) {
    throw new TypeError(`wireplan: ${what} waits for SIGINT/SIGTERM and needs Node's \`process\`; elsewhere start and stop the app yourself`);
  }
  return proc;
}

/**
 * Lookups by key and by id, and errors that say what is true: a key several
 * services provide names them; one registered but left out of the plan
 * says so; a replaced service names its replacement; an unknown one names
 * the closest. The words are the core's (`render::runtime`).
 */
class Lookup {
  #plan;
  #registered;
  /** key -> service number, or an array of them (plan order) when several provide it. */
  #keys = null;

  constructor(plan, registered) {
    this.#plan = plan;
    this.#registered = registered;
  }

  /**
   * The key index, read from the plan's runtime form on first use.
   *
   * # Complexity
   * O(K) for K provided keys, once per compiled plan.
   */
  #byKey() {
    if (this.#keys === null) {
      const keys = new Map();
      const services = this.#plan.services;
      for (let i = 0; i < services.length; i++) {
        for (const k of services[i].provides) {
          const at = keys.get(k);
          if (at === undefined) keys.set(k, i);
          else if (typeof at === "number") keys.set(k, [at, i]);
          else at.push(i);
        }
      }
      this.#keys = keys;
    }
    return this.#keys;
  }

  /** The one service providing `key`; a `LookupError` otherwise. */
  one(key) {
    const at = this.#byKey().get(key);
    if (typeof at === "number") return at;
    if (at === undefined) throw this.#missing(key);
    const ids = at.map((i) => this.#plan.tables.ids[i]);
    throw new LookupError("ambiguous-key", key, wasm().ambiguousKey(key, ids, "getAll", "getById"), ids);
  }

  /**
   * Every service providing `key`, in plan order; none for a key nobody
   * registered and nothing is close to (as `many`), an error for a typo or
   * a key left out of the plan.
   */
  all(key) {
    const at = this.#byKey().get(key);
    if (typeof at === "number") return [at];
    if (at !== undefined) return at;
    const error = this.#missing(key);
    if (error.code === "unknown-key" && error.services.length === 0) return [];
    throw error;
  }

  /** Whether some planned service provides `key`. */
  has(key) {
    return this.#byKey().has(key);
  }

  /** The service with id `id`; a `LookupError` otherwise. */
  byId(id) {
    const i = this.#plan.indexOf(id);
    if (i >= 0) return i;
    const why = this.#unplanned(id, (r) => r.descriptor.id === id);
    if (why !== null) throw why;
    const [text, suggestions] = unknownWords(wasm().unknownId(String(id), this.#plan.tables.ids), this.#plan.tables.ids);
    throw new LookupError("unknown-id", id, text, suggestions);
  }

  /** Why no planned service provides `key`, as an error. */
  #missing(key) {
    // Keys only: an id that provides other keys is no key (`getById` takes ids).
    const why = this.#unplanned(key, (r) => provided(r).includes(key));
    if (why !== null) return why;
    const keys = [...this.#byKey().keys()];
    const [text, suggestions] = unknownWords(wasm().unknownKey(String(key), keys), keys);
    return new LookupError("unknown-key", key, text, suggestions);
  }

  /**
   * A `replaced` or `not-planned` error when a registration matching `match`
   * exists but is not in the plan; null when none does.
   */
  #unplanned(key, match) {
    const profile = this.#plan.profile;
    // The planned registration of an id is the active one (ids are unique
    // among the active services), so an active registration whose id is
    // planned is in the plan: a key only it could match is simply unknown.
    const regs = this.#registered.filter((r) => match(r) && !(isActive(r, profile) && this.#plan.indexOf(r.descriptor.id) >= 0));
    if (regs.length === 0) return null;
    const active = regs.filter((r) => isActive(r, profile));
    for (const r of active) {
      const by = this.#replacer(r.descriptor.id, profile);
      // The words name a key the replacement now provides: the replaced
      // one's first (a service providing none is named by its id).
      if (by !== null) return new LookupError("replaced", key, wasm().replaced(r.descriptor.id, provided(r)[0] ?? r.descriptor.id, by), [by]);
    }
    // Registered for other profiles only: Python names a plan without a
    // profile `(none)`, and so does JS, so that both say the same.
    const text = active.length > 0 ? wasm().notPlanned(String(key), undefined) : wasm().notPlanned(String(key), profile ?? "(none)");
    return new LookupError("not-planned", key, text, regs.map((r) => r.descriptor.id));
  }

  /** The planned service that replaces `id`, or null. */
  #replacer(id, profile) {
    for (const r of this.#registered) {
      if (!isActive(r, profile) || this.#plan.indexOf(r.descriptor.id) < 0) continue;
      const replaces = r.descriptor.replaces;
      if (replaces === id || (Array.isArray(replaces) && replaces.includes(id))) return r.descriptor.id;
    }
    return null;
  }
}

/** The keys a registration provides: its `provides`, or its id. */
function provided(registration) {
  return registration.descriptor.provides ?? [registration.descriptor.id];
}

/** Whether a registration exists in `profile` (no profiles: in every one). */
function isActive(registration, profile) {
  const ps = registration.profiles;
  return !ps || ps.length === 0 || (profile !== null && ps.includes(profile));
}

/** The core's did-you-mean text, and the names it suggests (those in backticks after "did you mean"). */
function unknownWords(text, candidates) {
  const at = text.indexOf("; did you mean ");
  if (at < 0) return [text, []];
  const named = new Set(Array.from(text.slice(at).matchAll(/`([^`]*)`/g), (m) => m[1]));
  return [text, candidates.filter((c) => named.has(c))];
}

/**
 * Cancellation shared by the factories of one start-up layer (or one
 * scope): the `AbortController` is made only when a factory reads its
 * `signal`, so factories that ignore it cost nothing.
 */
class Cancel {
  #controller = null;
  #aborted = false;
  #reason;

  get signal() {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get aborted() {
    return this.#aborted;
  }

  abort(reason) {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    if (this.#controller !== null) this.#controller.abort(reason);
  }
}

/** The last argument of every factory: `{signal, id, lifecycle}`. */
class FactoryContext {
  #cancel;
  #app;
  #i;

  constructor(id, cancel, app = null, i = -1) {
    /** The id of the service being built. */
    this.id = id;
    this.#cancel = cancel;
    this.#app = app;
    this.#i = i;
  }

  /** Aborts when the runtime gives up on this factory (a sibling failed, a timeout, an abort, the scope stopped). */
  get signal() {
    return this.#cancel.signal;
  }

  /**
   * fx's `Lifecycle`: `append({onStart, onStop})` adds hooks to this
   * service, run as its `onStart`/`onStop` options are (after them, and
   * stopped before them). Singletons only.
   */
  get lifecycle() {
    const app = this.#app;
    const i = this.#i;
    const id = this.id;
    return {
      append(hooks) {
        if (app === null) throw new TypeError(`wireplan: ${quoted(id)} is not a singleton: lifecycle hooks belong to singletons (the app starts and stops those)`);
        app._append(i, hooks);
      },
    };
  }
}

/** The last argument of a start or stop hook and of a health check: `{signal, id}` (and `error` when stopping). */
class HookContext {
  #cancel;

  constructor(id, cancel, error) {
    this.id = id;
    this.#cancel = cancel;
    /** Why the app stops (stop hooks only; undefined on a clean stop). */
    this.error = error;
  }

  /** Aborts when the runtime gives up on this call (a sibling hook failed, a timeout, an abort). */
  get signal() {
    return this.#cancel.signal;
  }
}

/** A per-service timeout, or the app-wide one when the service sets none. */
function pick(own, appWide) {
  return own === undefined ? appWide : own;
}

/**
 * Calls `fns` in order, each with `(instance, ctx)`, each bounded by
 * `limit` ms (null: none; a synchronous one is measured), `after(ms,
 * value)` called when each has returned: undefined when all were
 * synchronous, a promise when one was not; throws the first failure.
 */
function callHooks(fns, instance, ctx, limit, id, phase, after) {
  let k = 0;
  const step = () => {
    while (k < fns.length) {
      const t0 = performance.now();
      const r = fns[k++](instance, ctx);
      if (isThenable(r)) {
        return (limit === null ? Promise.resolve(r) : within(r, limit, id, phase)).then((value) => {
          after(performance.now() - t0, value);
          return step();
        });
      }
      const took = performance.now() - t0;
      if (limit !== null && took > limit) throw new TimeoutError(id, phase, limit, took);
      after(took, r);
    }
    return undefined;
  };
  return step();
}

/** The reason the siblings of a failed factory are aborted with. */
function failedReason(id, cause) {
  return new DOMException(`wireplan: ${quoted(id)} failed to start: ${describe(cause)}`, "AbortError");
}

/** `file:line[:column]` of a source, or null. */
function sourceText(source) {
  if (source === null || source === undefined || typeof source.file !== "string") return null;
  let text = source.file;
  if (source.line !== undefined && source.line !== null) {
    text += `:${source.line}`;
    if (source.column !== undefined && source.column !== null) text += `:${source.column}`;
  }
  return text;
}

/**
 * Calls `dispose(instance, {error, id})`: the `StopError`, or null, or,
 * when the dispose returned a promise, a promise of one of those (awaited
 * for at most `timeout` ms). A synchronous dispose costs no await. A
 * dispose that rethrows the very error it was told of has not failed (as a
 * context manager re-raising it).
 */
function disposeOne(dispose, instance, id, error, timeout) {
  let r;
  try {
    r = dispose(instance, { error, id });
  } catch (cause) {
    return stopFailure(id, cause, error);
  }
  if (!isThenable(r)) return null;
  return Promise.resolve(timeout === null ? r : within(r, timeout, id, "stop")).then(
    () => null,
    (cause) => stopFailure(id, cause, error),
  );
}

/**
 * A name in backticks, escaped by the core's escape (control and invisible
 * characters shown as `\u{..}`), as the core's own words quote names: an
 * id or key is user text, and must not start a line of its own or reorder
 * the message. Only for words said once a plan exists (the module is ready).
 */
function quoted(name) {
  return `\`${wasm().escape(String(name))}\``;
}

/** A dispose's failure, unless it rethrew the error it was told of. */
function stopFailure(id, cause, error) {
  return error !== undefined && cause === error ? null : new StopError(id, cause);
}

const NOOP = () => {};
/** Signal numbers for the exit code of a forced exit (128 + the number). */
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15, SIGUSR1: 10, SIGUSR2: 12 };
const OPTIONAL = 1;
const MANY = 2;
const LAZY = 4;
const SCOPED = 1;

/** Running singletons; `stop()` disposes them in reverse order of readiness. */
export class App {
  #plan;
  #entries;
  #lookup;
  #t;
  #singletons;
  #instances;
  #started;
  /** Singletons in the order they became ready; `#readyCount` of them. */
  #order;
  #readyCount = 0;
  #root;
  #state = "starting";
  #stopTimeout;
  /** The app-wide start timeout (the default of each service's), for reloads. */
  #startTimeout;
  /** `onEvent`, or null: every event call is behind a null check. */
  #emit = null;
  /** Hooks appended through `ctx.lifecycle`: service number -> [{onStart, onStop}], or null when none. */
  #appended = null;
  /** Whether any service has hooks (options); appended ones set it too. */
  #hasHooks;
  /** Whether any service sets its own start or stop timeout. */
  #ownTimeouts;
  /** 1 for each singleton whose start hooks ran: its stop hooks run at stop. */
  #hooked;
  /** Called with the stop's error (or null) when a stop ends: `run()` waits on it. */
  #stopWatchers = [];
  /** The reload in progress (its promise), or null. */
  #reloading = null;
  /** Bumped by each reload: a scope opened before one refuses to build. */
  _generation = 0;
  /** Aborts app-level builds (transients for singletons) when the start gives up or the app stops. */
  #cancel = new Cancel();
  /** Set by the first `stop()`; settles when it is done. */
  #stopping = null;
  /** Promises of the disposals of abandoned factories' late instances. */
  #late = [];
  /**
   * Instances the app built outside scopes (transients, for a singleton or
   * for `getAsync`): readiness count then, service number, instance, … so
   * that stop interleaves them with the singletons in reverse readiness.
   */
  #owned = [];
  /** Why the app stopped (the start's failure, or `stop({error})`), for builds that finish after. */
  #endError = undefined;
  /**
   * The start-up record (`timeline()`): when start-up began, when each
   * singleton's factory was called and when it was ready (ms,
   * `performance.now()`; -1: not yet), and how the ones that did not simply
   * start ended.
   */
  #begin = 0;
  #starts;
  #ends;
  #outcomes = new Map();

  /** @internal */
  constructor(plan, entries, lookup, settings = {}) {
    this.#stopTimeout = settings.stopTimeout ?? null;
    this.#startTimeout = settings.startTimeout ?? null;
    this.#emit = settings.onEvent ?? null;
    this.#adopt(plan, entries, lookup);
    this.#root = new Scope(this, true, this.#cancel);
  }

  /** Takes `plan` as the one this app runs, with nothing started (a start, or a reload). */
  #adopt(plan, entries, lookup) {
    this.#plan = plan;
    this.#entries = entries;
    this.#lookup = lookup;
    this.#t = plan.tables;
    this.#singletons = plan.tables.singletons;
    this.#instances = new Array(plan.tables.ids.length);
    this.#started = new Uint8Array(this.#singletons);
    this.#hooked = new Uint8Array(this.#singletons);
    this.#order = new Uint32Array(this.#singletons);
    this.#readyCount = 0;
    this.#starts = new Float64Array(this.#singletons).fill(-1);
    this.#ends = new Float64Array(this.#singletons).fill(-1);
    this.#outcomes = new Map();
    this.#appended = null;
    let hooks = false;
    let own = false;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.onStart !== undefined || e.onStop !== undefined) hooks = true;
      if (e.startTimeout !== undefined || e.stopTimeout !== undefined) own = true;
    }
    this.#hasHooks = hooks;
    this.#ownTimeouts = own;
  }

  /** @internal `ctx.lifecycle.append(hooks)` from singleton `i`'s factory. */
  _append(i, hooks) {
    if (hooks === null || typeof hooks !== "object") throw new TypeError("wireplan: `lifecycle.append` takes `{onStart, onStop}`");
    knownOptions(hooks, HOOK_OPTIONS, "`lifecycle.append`");
    for (const name of HOOK_OPTIONS) {
      if (hooks[name] !== undefined && typeof hooks[name] !== "function") throw new TypeError(`wireplan: the ${name} given to \`lifecycle.append\` must be a function`);
    }
    if ((this.#state !== "starting" && this.#state !== "reloading") || this.#started[i] === 1) {
      throw new Error(`wireplan: lifecycle hooks of ${quoted(this.#t.ids[i])} are appended while its factory runs`);
    }
    this.#appended ??= new Map();
    const list = this.#appended.get(i);
    if (list === undefined) this.#appended.set(i, [hooks]);
    else list.push(hooks);
    this.#hasHooks = true;
  }

  /** Singleton `i`'s start hooks (its option's first, then appended ones), or null. */
  #startHooksOf(i) {
    const own = this.#entries[i].onStart;
    const more = this.#appended === null ? undefined : this.#appended.get(i);
    if (more === undefined) return own === undefined ? null : [own];
    const fns = own === undefined ? [] : [own];
    for (const h of more) if (h.onStart !== undefined) fns.push(h.onStart);
    return fns.length === 0 ? null : fns;
  }

  /** Singleton `i`'s stop hooks, in the order they run (appended ones last first, then its option's), or null. */
  #stopHooksOf(i) {
    const own = this.#entries[i].onStop;
    const more = this.#appended === null ? undefined : this.#appended.get(i);
    if (more === undefined) return own === undefined ? null : [own];
    const fns = [];
    for (let k = more.length - 1; k >= 0; k--) if (more[k].onStop !== undefined) fns.push(more[k].onStop);
    if (own !== undefined) fns.push(own);
    return fns.length === 0 ? null : fns;
  }

  /** Sends an event to `onEvent` (the caller checked `#emit`); a throwing observer is reported, never fatal. */
  #event(type, i, phase = null, durationMs = null, error = null) {
    const event = {
      type,
      id: i < 0 ? null : this.#t.ids[i],
      phase,
      at_us: Math.max(0, Math.round((performance.now() - this.#begin) * 1000)),
      duration_us: durationMs === null ? null : Math.max(0, Math.round(durationMs * 1000)),
      error: error === null ? null : describe(error),
    };
    try {
      this.#emit(event);
    } catch (e) {
      console.error(`wireplan: onEvent threw on a ${type} event: ${wasm().escape(describe(e))}`);
    }
  }

  /**
   * The start-up record, in the shape both runtimes write and the core
   * reads (`renderTimeline`, `npx wireplan timeline`): for each singleton
   * whose factory was called, its layer, start offset and duration in whole
   * microseconds, its outcome (`started`, `failed`, `timed-out`,
   * `cancelled`) and the singletons it waited for. A failed start's record
   * is `err.timeline` on the `StartError` (or `AbortError`).
   */
  timeline() {
    const { ids, layerEnds, depStart, depFlags, provStart, providers } = this.#t;
    const n = this.#singletons;
    const services = [];
    let layer = 0;
    const now = performance.now();
    for (let i = 0; i < n; i++) {
      while (layer < layerEnds.length && i >= layerEnds[layer]) layer++;
      const at = this.#starts[i];
      if (at < 0) continue;
      const end = this.#ends[i] < 0 ? now : this.#ends[i];
      const needs = new Set();
      for (let d = depStart[i]; d < depStart[i + 1]; d++) {
        if ((depFlags[d] & LAZY) !== 0) continue;
        for (let k = provStart[d]; k < provStart[d + 1]; k++) if (providers[k] < n) needs.add(ids[providers[k]]);
      }
      services.push({
        id: ids[i],
        layer,
        start_us: Math.max(0, Math.round((at - this.#begin) * 1000)),
        duration_us: Math.max(0, Math.round((end - at) * 1000)),
        outcome: this.#outcomes.get(i) ?? "started",
        needs: [...needs],
      });
    }
    return { timeline: 1, services };
  }

  /** Singleton `i` ended otherwise than started: its outcome in the record. */
  #ended(i, outcome) {
    if (i >= this.#singletons) return;
    if (!this.#outcomes.has(i)) this.#outcomes.set(i, outcome);
    if (this.#ends[i] < 0) this.#ends[i] = performance.now();
  }

  /** The plan this app runs. */
  get plan() {
    return this.#plan;
  }

  /** @internal The instance of singleton `i`, or a clear error. */
  _instance(i) {
    if (i < this.#singletons && this.#started[i] === 1) return this.#instances[i];
    throw new Error(`wireplan: ${quoted(this.#t.ids[i])} is not started`);
  }

  /** @internal */
  _id(i) {
    return this.#t.ids[i];
  }

  /** @internal */
  _scoped(i) {
    return this.#t.lifetimes[i] === SCOPED;
  }

  /** @internal Service `i`'s recipe: what to build for one instance, ending with `i`. */
  _recipe(i) {
    return this.#t.recipes.subarray(this.#t.recipeStart[i], this.#t.recipeStart[i + 1]);
  }

  /** @internal */
  _entry(i) {
    return this.#entries[i];
  }

  /** @internal */
  get _lookup() {
    return this.#lookup;
  }

  /** @internal */
  get _singletons() {
    return this.#singletons;
  }

  /** @internal The default `stopTimeout` (from `start`), or null. */
  get _stopTimeout() {
    return this.#stopTimeout;
  }

  /**
   * @internal A transient built for the app: it is disposed at stop, in
   * reverse order of readiness. One that arrives once the app is stopping
   * (or its start failed) is disposed now, as nothing would later: the
   * promise of that, else null.
   */
  _own(i, value) {
    const entry = this.#entries[i];
    if (this.#state === "starting" || this.#state === "running" || this.#state === "reloading") {
      this.#owned.push(this.#readyCount, entry, value);
      return null;
    }
    const dispose = entry.dispose;
    return Promise.resolve(dispose === undefined ? null : disposeOne(dispose, value, entry.descriptor.id, this.#endError, pick(entry.stopTimeout, this.#stopTimeout)));
  }

  /** Singleton `i` is ready: record its instance and its place in the stop order. */
  #ready(i, value) {
    if (i < this.#singletons) {
      this.#ends[i] = performance.now();
      if (this.#emit !== null) this.#event("constructed", i, null, this.#ends[i] - this.#starts[i]);
    }
    this.#instances[i] = value;
    this.#started[i] = 1;
    this.#order[this.#readyCount++] = i;
  }

  /**
   * @internal Builds every layer, then runs the start hooks layer by layer;
   * see `CompiledPlan.start`. With `only` (a reload), builds and starts just
   * the singletons it marks, the others being kept: a failure rolls back
   * only what this call started, and the app's state is the caller's.
   */
  async _start(startTimeout, signal, only = null) {
    const reloading = only !== null;
    const { layerEnds, depStart, depFlags, provStart, providers, ids } = this.#t;
    const n = this.#singletons;
    const entries = this.#entries;
    const instances = this.#instances;
    const emit = this.#emit !== null;
    const own = this.#ownTimeouts;
    // Reloading: the kept singletons are ready below this count, and stay.
    const floor = this.#readyCount;
    // What is owned before this start (transients a running app built, when
    // a reload starts) is not this start's to roll back.
    const ownedFloor = this.#owned.length;
    const appCancel = reloading ? new Cancel() : this.#cancel;
    const limitOf = (i) => (own ? pick(entries[i].startTimeout, startTimeout) : startTimeout);
    // Where the start is, for the abort's message: the layer, whether its
    // factories (or hooks) are being called, and what is in flight.
    let layer = 0;
    let inLayer = false;
    let pending = null;
    let waiter = null;
    let cancel = null;
    let abort = null;
    let failure = null;
    let rolling = false;
    const onAbort = () => {
      if (abort !== null || failure !== null || rolling) return;
      const services = [];
      if (waiter !== null) for (const i of waiter.unsettled()) services.push(ids[i]);
      else if (pending !== null) for (let k = 0; k < pending.length; k += 2) services.push(ids[pending[k]]);
      abort = { reason: signal.reason, layer, services, inLayer };
      // Cancel the in-flight factories and stop waiting for them: the
      // rollback starts now, hung factory or not.
      if (cancel !== null) cancel.abort(signal.reason);
      appCancel.abort(signal.reason);
      if (waiter !== null) waiter.giveUp();
    };
    if (signal !== null) {
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    }
    // The error the rollback's disposes are told of.
    const why = () => (failure !== null ? failure.cause : abort.reason);
    const failed = (i, cause, phase) => {
      if (emit) this.#event("failed", i, phase, null, cause);
      if (failure === null && abort === null) failure = { i, cause, phase };
    };
    let first = 0;
    if (!reloading) this.#begin = performance.now();
    try {
      for (let l = 0; l < layerEnds.length && abort === null; l++) {
        const end = layerEnds[l];
        layer = l;
        inLayer = true;
        pending = null;
        waiter = null;
        cancel = new Cancel();
        // INVARIANT: the signal's listener runs synchronously inside
        // `abort()`, so a factory that aborts stops the very next call.
        for (let i = first; i < end && abort === null; i++) {
          if (reloading && only[i] === 0) continue;
          const ctx = new FactoryContext(ids[i], cancel, this, i);
          const t0 = (this.#starts[i] = performance.now());
          if (emit) this.#event("constructing", i);
          let value;
          try {
            const factory = entries[i].factory;
            const d0 = depStart[i];
            const count = depStart[i + 1] - d0;
            // The fast path: every dependency is one started singleton (no
            // flag but `optional`). INVARIANT: non-lazy providers of a
            // singleton are in earlier layers, so they have started.
            let plain = count <= 4;
            for (let d = d0; plain && d < d0 + count; d++) {
              plain = (depFlags[d] & ~OPTIONAL) === 0 && provStart[d + 1] - provStart[d] === 1 && providers[provStart[d]] < n;
            }
            if (plain) {
              const a = (k) => instances[providers[provStart[d0 + k]]];
              switch (count) {
                case 0: value = factory(ctx); break;
                case 1: value = factory(a(0), ctx); break;
                case 2: value = factory(a(0), a(1), ctx); break;
                case 3: value = factory(a(0), a(1), a(2), ctx); break;
                default: value = factory(a(0), a(1), a(2), a(3), ctx);
              }
            } else {
              const args = this.#args(i, this.#root);
              // Arguments that need an await (a transient with an async
              // factory) make the service async: it joins the layer's
              // in-flight set, under the same timeout and abort.
              value = args !== null ? factory(...args, ctx) : this.#argsAsync(i, this.#root).then((xs) => factory(...xs, ctx));
            }
          } catch (cause) {
            failed(i, cause, "construct");
            this.#ended(i, "failed");
            break;
          }
          if (isThenable(value)) {
            (pending ??= []).push(i, value);
          } else {
            this.#ready(i, value);
            // A synchronous factory cannot be interrupted: it is measured,
            // and one that overran fails the start (its instance, made,
            // joins the rollback), as in Python.
            const limit = limitOf(i);
            if (limit !== null) {
              const took = performance.now() - t0;
              if (took > limit) {
                failed(i, new TimeoutError(ids[i], "start", limit, took), "construct");
                this.#ended(i, "timed-out");
                break;
              }
            }
          }
        }
        first = end;
        if (pending !== null) {
          // Failed (or aborted) while calling the layer: the async
          // factories already called are cancelled at once.
          // The app's own signal (transients built for these singletons)
          // aborts with the layer's.
          const stopped = failure !== null || abort !== null;
          if (stopped) {
            const reason = failure !== null ? failedReason(ids[failure.i], failure.cause) : abort.reason;
            cancel.abort(reason);
            appCancel.abort(reason);
          }
          waiter = this.#settle(pending, limitOf, cancel, why, stopped, (i, cause) => {
            this.#ended(i, cause instanceof TimeoutError && cause.service === ids[i] ? "timed-out" : "failed");
            failed(i, cause, "construct");
            const reason = failedReason(ids[i], cause);
            appCancel.abort(reason);
            return reason;
          });
          await waiter.done;
          waiter = null;
          pending = null;
        }
        inLayer = false;
        layer = l + 1;
        if (failure !== null) break;
      }
      // Every service is built: the start hooks, layer by layer.
      if (failure === null && abort === null && (this.#hasHooks || emit)) {
        first = 0;
        for (let l = 0; l < layerEnds.length && abort === null && failure === null; l++) {
          const end = layerEnds[l];
          layer = l;
          inLayer = true;
          cancel = new Cancel();
          pending = null;
          for (let i = first; i < end && abort === null; i++) {
            if (reloading && only[i] === 0) continue;
            const fns = this.#startHooksOf(i);
            if (fns === null) {
              this.#hookedDone(i);
              continue;
            }
            const invoke = entries[i].invoke;
            const phase = invoke ? "invoke" : "start-hook";
            let r;
            try {
              // An invoked function's result is its instance (`app.getById(id)`), as in Python.
              const after = emit || invoke
                ? (ms, value) => {
                  if (invoke) instances[i] = value;
                  if (emit) this.#event("start-hook", i, null, ms);
                }
                : NOOP;
              r = callHooks(fns, instances[i], new HookContext(ids[i], cancel), limitOf(i), ids[i], "start", after);
            } catch (cause) {
              failed(i, cause, phase);
              break;
            }
            if (r === undefined) this.#hookedDone(i);
            else (pending ??= []).push(i, r);
          }
          first = end;
          if (pending !== null) {
            if (failure !== null) cancel.abort(failedReason(ids[failure.i], failure.cause));
            waiter = this.#settleHooks(pending, cancel, failure !== null || abort !== null, (i) => this.#hookedDone(i), (i, cause) => {
              failed(i, cause, entries[i].invoke ? "invoke" : "start-hook");
              return failedReason(ids[i], cause);
            });
            await waiter.done;
            waiter = null;
            pending = null;
          }
          inLayer = false;
          layer = l + 1;
        }
      }
      if (failure !== null || abort !== null) {
        rolling = true;
        if (!reloading) this.#state = "stopping";
        const error = why();
        if (!reloading) this.#endError = error;
        if (failure !== null) appCancel.abort(failedReason(ids[failure.i], failure.cause));
        const errors = this.#hasHooks ? await this.#stopHooks(this.#stopTimeout, error, only) : [];
        for (const e of await this.#disposeAll(this.#stopTimeout, error, floor, ownedFloor)) errors.push(e);
        // No `app-stopped`: the app never started (as Python).
        if (!reloading) this.#state = "failed";
        const late = this.#late;
        const abandoned = late.length === 0 ? Promise.resolve([]) : Promise.all(late).then((xs) => xs.filter((x) => x !== null));
        if (failure !== null) {
          const i = failure.i;
          if (failure.phase === "construct") this.#ended(i, failure.cause instanceof TimeoutError && failure.cause.service === ids[i] ? "timed-out" : "failed");
          const err = new StartError(ids[i], failure.cause, errors, abandoned, sourceText(entries[i].descriptor.source));
          /** Where it failed: `construct` (the factory), `start-hook` or `invoke`. */
          err.phase = failure.phase;
          err.timeline = this.timeline();
          throw err;
        }
        const err = new AbortError(abort.reason, abort.layer, abort.services, abort.inLayer, errors, abandoned);
        err.timeline = this.timeline();
        throw err;
      }
      if (!reloading) {
        this.#state = "running";
        if (emit) this.#event("app-started", -1, null, performance.now() - this.#begin);
      }
    } finally {
      if (signal !== null) signal.removeEventListener("abort", onAbort);
    }
  }

  /** Singleton `i` is built and its start hooks ran: its stop hooks will run. */
  #hookedDone(i) {
    this.#hooked[i] = 1;
    if (this.#emit !== null) this.#event("started", i);
  }

  /**
   * Runs the stop hooks of every singleton whose start hooks ran (those
   * `only` marks, when given), in reverse plan order, one after another,
   * each for at most its `stopTimeout` (else `timeout`) ms and told `error`;
   * every one runs; returns their `StopError`s.
   */
  async #stopHooks(timeout, error, only = null) {
    const errors = [];
    const { ids } = this.#t;
    const emit = this.#emit !== null;
    for (let i = this.#singletons - 1; i >= 0; i--) {
      if (this.#hooked[i] === 0 || (only !== null && only[i] === 0)) continue;
      this.#hooked[i] = 0;
      const fns = this.#stopHooksOf(i);
      if (fns === null) continue;
      const after = emit ? (ms) => this.#event("stop-hook", i, null, ms) : NOOP;
      // Aborted when the hook fails or overruns its timeout: it is given up on.
      const cancel = new Cancel();
      try {
        const r = callHooks(fns, this.#instances[i], new HookContext(ids[i], cancel, error), pick(this.#entries[i].stopTimeout, timeout), ids[i], "stop", after);
        if (r !== undefined) await r;
      } catch (cause) {
        cancel.abort(cause);
        const e = stopFailure(ids[i], cause, error);
        if (e !== null) {
          errors.push(e);
          if (emit) this.#event("failed", i, "stop-hook", null, cause);
        }
      }
    }
    return errors;
  }

  /**
   * Awaits a layer's in-flight start hooks (`pending`: index, promise, …):
   * `ok(i)` for each that resolves; the first rejection (a throw or its
   * timeout) goes to `fail(i, cause)`, whose return aborts the layer's
   * `cancel`, and `done` resolves one macrotask later, as for factories
   * (`#settle`): a hook still in flight then is given up on (its stop hook
   * will not run; its service is torn down with the rest).
   */
  #settleHooks(pending, cancel, stopped, ok, fail) {
    const count = pending.length >> 1;
    const settled = new Uint8Array(count);
    let left = count;
    let finished = false;
    let grace = null;
    let resolve;
    const done = new Promise((r) => {
      resolve = r;
    });
    const finish = () => {
      if (finished) return;
      finished = true;
      if (grace !== null) clearTimeout(grace);
      resolve();
    };
    const stopSoon = () => {
      if (!finished && grace === null) grace = setTimeout(finish, 0);
    };
    for (let k = 0; k < count; k++) {
      const i = pending[2 * k];
      pending[2 * k + 1].then(
        () => {
          if (finished || settled[k] !== 0) return;
          settled[k] = 1;
          ok(i);
          if (--left === 0) finish();
        },
        (cause) => {
          if (finished || settled[k] !== 0) return;
          settled[k] = 1;
          cancel.abort(fail(i, cause));
          if (--left === 0) finish();
          else stopSoon();
        },
      );
    }
    if (stopped) stopSoon();
    const unsettled = () => {
      const out = [];
      for (let k = 0; k < count; k++) if (settled[k] === 0) out.push(pending[2 * k]);
      return out;
    };
    return { done, unsettled, giveUp: stopSoon };
  }

  /**
   * Awaits a layer's in-flight factories (`pending`: index, thenable, …),
   * each for at most `timeout` ms, recording each instance as it arrives
   * (so the stop order is the order of readiness). `done` resolves when all
   * have settled, or soon after the first failure (a rejection or a
   * timeout: `fail(i, cause)` records it and returns the reason the layer's
   * `cancel` aborts with), after `giveUp()` (an abort), or soon if `stopped`
   * (the layer failed while its factories were being called).
   *
   * "Soon": the layer is cancelled at once, then given one macrotask, so
   * the factories that had already settled (an async factory that returned
   * at once, one that settled as it saw its signal abort) count as they
   * are, ready or failed, as Python counts its finished tasks; what is
   * still in flight after that is abandoned (see `#abandon`).
   * `unsettled()` lists those still awaited.
   */
  #settle(pending, limitOf, cancel, why, stopped, fail) {
    const count = pending.length >> 1;
    const settled = new Uint8Array(count);
    const timers = new Array(count).fill(null);
    let left = count;
    let finished = false;
    let grace = null;
    let resolve;
    const done = new Promise((r) => {
      resolve = r;
    });
    const finish = () => {
      if (finished) return;
      finished = true;
      if (grace !== null) clearTimeout(grace);
      for (let k = 0; k < count; k++) {
        if (settled[k] === 0) {
          settled[k] = 1;
          this.#abandon(pending[2 * k], pending[2 * k + 1], why);
        }
        if (timers[k] !== null) clearTimeout(timers[k]);
      }
      resolve();
    };
    const stopSoon = () => {
      if (!finished && grace === null) grace = setTimeout(finish, 0);
    };
    const settle = (k) => {
      settled[k] = 1;
      if (timers[k] !== null) {
        clearTimeout(timers[k]);
        timers[k] = null;
      }
      if (--left === 0) finish();
    };
    const failed = (k, cause) => {
      cancel.abort(fail(pending[2 * k], cause));
      settle(k);
      stopSoon();
    };
    for (let k = 0; k < count; k++) {
      const i = pending[2 * k];
      Promise.resolve(pending[2 * k + 1]).then(
        (value) => {
          if (settled[k] !== 0) return;
          this.#ready(i, value);
          settle(k);
        },
        (cause) => {
          if (settled[k] === 0) failed(k, cause);
        },
      );
      const timeout = stopped ? null : limitOf(i);
      if (timeout !== null) {
        timers[k] = setTimeout(() => {
          timers[k] = null;
          if (settled[k] !== 0) return;
          // The factory timed out: it is given up on at once.
          this.#ended(i, "timed-out");
          this.#abandon(i, pending[2 * k + 1], why);
          failed(k, new TimeoutError(this.#t.ids[i], "start", timeout));
        }, timeout);
      }
    }
    if (stopped) stopSoon();
    const unsettled = () => {
      const out = [];
      for (let k = 0; k < count; k++) if (settled[k] === 0) out.push(pending[2 * k]);
      return out;
    };
    return { done, unsettled, giveUp: stopSoon };
  }

  /**
   * Gives up on factory `i`'s `thenable`: if it resolves later, its instance
   * is disposed then, once, told the start's error (`why()`); `#late`
   * gets a promise of that dispose's error (or null).
   */
  #abandon(i, thenable, why) {
    this.#ended(i, "cancelled");
    this.#late.push(Promise.resolve(thenable).then(
      (value) => {
        const entry = this.#entries[i];
        if (entry.dispose === undefined) return null;
        return disposeOne(entry.dispose, value, entry.descriptor.id, why(), pick(entry.stopTimeout, this.#stopTimeout));
      },
      () => null,
    ));
  }

  /**
   * The arguments of service `i`'s factory, context included, or null when
   * one of them needs an await (a transient or scoped service built by an
   * async factory).
   */
  #args(i, scope) {
    const { depStart, depFlags, provStart, providers } = this.#t;
    const n = this.#singletons;
    const d0 = depStart[i];
    const count = depStart[i + 1] - d0;
    const args = new Array(count);
    for (let k = 0; k < count; k++) {
      const d = d0 + k;
      const flags = depFlags[d];
      const p0 = provStart[d];
      const p1 = provStart[d + 1];
      if (flags & LAZY) {
        args[k] = scope._lazy(i, k, providers.subarray(p0, p1), (flags & MANY) !== 0);
      } else if (flags & MANY) {
        const list = new Array(p1 - p0);
        for (let q = p0; q < p1; q++) {
          const p = providers[q];
          const v = p < n ? this._instance(p) : scope._resolveSync(p);
          if (v === PENDING) return null;
          list[q - p0] = v;
        }
        args[k] = list;
      } else if (p0 === p1) {
        args[k] = undefined;
      } else {
        const p = providers[p0];
        const v = p < n ? this._instance(p) : scope._resolveSync(p);
        if (v === PENDING) return null;
        args[k] = v;
      }
    }
    return args;
  }

  /** The arguments, awaiting whatever must be built first. */
  async #argsAsync(i, scope) {
    const { depStart, depFlags, provStart, providers } = this.#t;
    const n = this.#singletons;
    const d0 = depStart[i];
    const count = depStart[i + 1] - d0;
    const args = new Array(count);
    for (let k = 0; k < count; k++) {
      const d = d0 + k;
      const flags = depFlags[d];
      const ps = providers.subarray(provStart[d], provStart[d + 1]);
      if (flags & LAZY) {
        args[k] = scope._lazy(i, k, ps, (flags & MANY) !== 0);
      } else if (flags & MANY) {
        const list = [];
        for (const p of ps) list.push(p < n ? this._instance(p) : await scope._resolve(p));
        args[k] = list;
      } else if (ps.length === 0) {
        args[k] = undefined;
      } else {
        const p = ps[0];
        args[k] = p < n ? this._instance(p) : await scope._resolve(p);
      }
    }
    return args;
  }

  /** @internal Builds one instance of non-singleton `i` in `scope`, whose factories are cancelled by `cancel`. */
  async _build(i, scope, cancel) {
    let args = this.#args(i, scope);
    if (args === null) args = await this.#argsAsync(i, scope);
    let value = this.#entries[i].factory(...args, new FactoryContext(this.#t.ids[i], cancel));
    if (isThenable(value)) value = await value;
    return value;
  }

  /**
   * Disposes every started singleton, and what the app built outside
   * scopes, in reverse order of readiness, each for at most `timeout` ms
   * and told `error` (undefined: a clean stop); returns the errors.
   */
  async #disposeAll(timeout, error, floor = 0, ownedFloor = 0) {
    const errors = [];
    const entries = this.#entries;
    const ids = this.#t.ids;
    const owned = this.#owned;
    const emit = this.#emit !== null;
    const own = this.#ownTimeouts;
    for (;;) {
      // INVARIANT: an owned instance recorded at readiness count r was
      // built after the r-th singleton became ready and before the next.
      while (owned.length > ownedFloor && owned[owned.length - 3] >= this.#readyCount) {
        const value = owned.pop();
        const entry = owned.pop();
        owned.pop();
        if (entry.dispose === undefined) continue;
        let e = disposeOne(entry.dispose, value, entry.descriptor.id, error, pick(entry.stopTimeout, timeout));
        if (e instanceof Promise) e = await e;
        if (e !== null) errors.push(e);
      }
      if (this.#readyCount === floor) break;
      const i = this.#order[--this.#readyCount];
      if (this.#started[i] !== 1) continue;
      this.#started[i] = 0;
      const entry = entries[i];
      const dispose = entry.dispose;
      const instance = this.#instances[i];
      this.#instances[i] = undefined;
      if (dispose === undefined) {
        if (emit) this.#event("stopped", i, null, 0);
        continue;
      }
      const t0 = emit ? performance.now() : 0;
      let e = disposeOne(dispose, instance, ids[i], error, own ? pick(entry.stopTimeout, timeout) : timeout);
      if (e instanceof Promise) e = await e;
      if (e !== null) errors.push(e);
      // One `stopped` or `failed` per singleton (as Python).
      if (emit) {
        if (e !== null) this.#event("failed", i, "teardown", null, e.cause);
        else this.#event("stopped", i, null, performance.now() - t0);
      }
    }
    return errors;
  }

  /** A `LookupError` for a synchronous lookup that reached a scoped or transient service. */
  #notSingleton(key, i) {
    const id = this.#t.ids[i];
    const text = this._scoped(i)
      ? `${quoted(id)} is scoped: get it from a scope (\`app.scope().get(key)\`)`
      : `${quoted(id)} is transient: get it with \`await app.getAsync(key)\` or from a scope`;
    return new LookupError("not-singleton", key, text, [id]);
  }

  #running() {
    if (this.#state !== "running") throw new Error(`wireplan: the app is ${this.#state}`);
  }

  /**
   * The started singleton providing `key`. A `LookupError` when several
   * services provide it (use `getAll` or `getById`), when none does (naming
   * the closest keys, or saying it is registered but not planned, or
   * replaced), or when its provider is scoped or transient (use a scope).
   */
  get(key) {
    const i = this.#lookup.one(key);
    if (i >= this.#singletons) throw this.#notSingleton(key, i);
    this.#running();
    return this._instance(i);
  }

  /**
   * The instance providing `key`, awaited: a started singleton, or a new
   * transient built for the app (disposed at `stop()`, in reverse order of
   * readiness; prefer a scope for per-request work). Rejects as `get`
   * throws; a scoped service needs a scope.
   */
  async getAsync(key) {
    const i = this.#lookup.one(key);
    if (i >= this.#singletons && this._scoped(i)) throw this.#notSingleton(key, i);
    this.#running();
    return i < this.#singletons ? this._instance(i) : this.#root._resolve(i);
  }

  /** Every started singleton providing `key`, in plan order (`[]` when none is registered). */
  getAll(key) {
    const is = this.#lookup.all(key);
    for (const i of is) if (i >= this.#singletons) throw this.#notSingleton(key, i);
    this.#running();
    return is.map((i) => this._instance(i));
  }

  /** The started singleton with service id `id`. */
  getById(id) {
    const i = this.#lookup.byId(id);
    if (i >= this.#singletons) throw this.#notSingleton(id, i);
    this.#running();
    return this._instance(i);
  }

  /**
   * Whether `get`-style lookups of `key` can answer now: some planned
   * service provides it and the app is running (false once `stop()` began,
   * when every lookup says the app is stopping or stopped).
   */
  has(key) {
    return this.#state === "running" && this.#lookup.has(key);
  }

  /**
   * Runs every singleton's `health` check, concurrently, each for at most
   * its `healthTimeout` ms (default 1000): a check passes when it returns
   * (or resolves to) anything but `false` and does not throw. Resolves
   * `{status, checks: [{id, status, duration_us, error}]}`, checks in plan
   * order; `status` is `"pass"` when the app is running and every check
   * passes (readiness), `"fail"` otherwise (no checks run unless running).
   * A failing check is a `failed` event (phase `health`).
   */
  async health() {
    if (this.#state !== "running") return { status: "fail", checks: [] };
    const { ids } = this.#t;
    const entries = this.#entries;
    const cancel = new Cancel();
    const runs = [];
    // A singleton not running (a reload whose restore failed left it
    // stopped) fails readiness, checked or not.
    let down = false;
    for (let i = 0; i < this.#singletons; i++) {
      const check = entries[i].health;
      if (this.#started[i] !== 1) down = true;
      if (check === undefined || this.#started[i] !== 1) continue;
      const limit = pick(entries[i].healthTimeout, HEALTH_TIMEOUT);
      const id = ids[i];
      const instance = this.#instances[i];
      const t0 = performance.now();
      // A check that returns `false` fails with no error (and no event), as in Python.
      const result = (error, passed = error === null) => {
        const duration_us = Math.max(0, Math.round((performance.now() - t0) * 1000));
        if (error !== null && this.#emit !== null) this.#event("failed", i, "health", null, error);
        return { id, status: passed ? "pass" : "fail", duration_us, error: error === null ? null : describe(error) };
      };
      const verdict = (value) => result(null, value !== false);
      let r;
      try {
        r = check(instance, new HookContext(id, cancel));
      } catch (error) {
        runs.push(result(error));
        continue;
      }
      if (!isThenable(r)) {
        runs.push(verdict(r));
        continue;
      }
      runs.push((limit === null ? Promise.resolve(r) : healthWithin(r, limit, id)).then(verdict, (error) => result(error)));
    }
    const checks = await Promise.all(runs);
    cancel.abort(new DOMException("wireplan: the health checks are done", "AbortError"));
    const ok = this.#state === "running" && !down && checks.every((c) => c.status === "pass");
    return { status: ok ? "pass" : "fail", checks };
  }

  /** `{status: "pass"}` while the app runs; `"fail"` while starting, stopping or stopped. */
  liveness() {
    return { status: this.#state === "running" || this.#state === "reloading" ? "pass" : "fail" };
  }

  /**
   * Hot reload: moves the running app to `next` (a `CompiledPlan`, from a
   * registry with the new code). The core (`wireplan::reload`) compares the
   * two plans; a service whose factory, dispose, hooks or health check is
   * another function (a supplied value: another value) counts as changed
   * too. The singletons that changed and everything depending on them
   * (through either plan's edges) are stopped, stop hooks then disposers,
   * in reverse order of readiness; their replacements are built and
   * started (start hooks) in the new plan's order, with the kept instances
   * handed over as they are; the rest is left untouched. Lookups answer
   * "the app is reloading" meanwhile; scopes opened before the reload
   * refuse to build (open new ones: they use the new plan).
   *
   * On failure the replacements that started are stopped, the old ones
   * are started again from the old plan, and the promise rejects with a
   * `ReloadError` (`cause`: the `StartError`), the app on the old plan.
   * Resolves `{changed, dependents, stopped, started, kept, disposeErrors}`
   * (ids; `kept` a count; the stop's failures, which do not stop the
   * reload). Emits a `reloaded` event.
   */
  /**
   * While `reload()` runs: a promise that resolves (never rejects) when it
   * has finished or rolled back; null otherwise. What waits to open a
   * scope during a reload (`wireplan/http` does) awaits it.
   */
  get reloading() {
    return this.#reloading === null ? null : this.#reloading.then(NOOP, NOOP);
  }

  async reload(next) {
    if (!(next instanceof CompiledPlan)) throw new TypeError("wireplan: `reload` takes a compiled plan (`registry.compile()`)");
    this.#running();
    const reloading = this.#reload(next);
    this.#reloading = reloading;
    try {
      return await reloading;
    } finally {
      this.#reloading = null;
    }
  }

  async #reload(next) {
    const t0 = performance.now();
    const old = {
      plan: this.#plan,
      entries: this.#entries,
      lookup: this.#lookup,
      t: this.#t,
      singletons: this.#singletons,
      instances: this.#instances,
      started: this.#started,
      hooked: this.#hooked,
      order: this.#order,
      readyCount: this.#readyCount,
      starts: this.#starts,
      ends: this.#ends,
      outcomes: this.#outcomes,
      appended: this.#appended,
      hasHooks: this.#hasHooks,
      ownTimeouts: this.#ownTimeouts,
    };
    const newEntries = next._entries;
    const newIds = next.plan.tables.ids;
    const before = new Map();
    for (let i = 0; i < old.entries.length; i++) before.set(old.t.ids[i], old.entries[i]);
    const replaced = [];
    for (let j = 0; j < newEntries.length; j++) {
      const was = before.get(newIds[j]);
      if (was !== undefined && !sameCode(was, newEntries[j])) replaced.push(newIds[j]);
    }
    const r = Plan._reload(old.plan, next.plan, replaced);
    this.#state = "reloading";
    this._generation++;

    // 1. Stop the stop set: stop hooks, then disposers, reverse readiness.
    const stopMask = new Uint8Array(old.singletons);
    for (const i of r.stop) stopMask[i] = 1;
    const disposeErrors = old.hasHooks ? await this.#stopHooks(this.#stopTimeout, undefined, stopMask) : [];
    for (const e of await this.#disposeMarked(stopMask, this.#stopTimeout)) disposeErrors.push(e);
    const keptOld = this.#compact();

    // 2. The new plan, the kept instances handed over in their order.
    const keep = r.keep;
    const newOf = new Int32Array(old.singletons).fill(-1);
    for (let k = 0; k < keep.length; k += 2) newOf[keep[k]] = keep[k + 1];
    this.#adopt(next.plan, newEntries, next._lookupTable);
    for (let k = 0; k < keptOld.length; k++) {
      const o = keptOld[k];
      const j = newOf[o];
      this.#carry(old, o, j);
    }
    const startMask = new Uint8Array(this.#singletons);
    for (const j of r.start) startMask[j] = 1;
    try {
      await this._start(this.#startTimeout, null, startMask);
    } catch (cause) {
      // 3. Back to the old plan: the kept ones as they were, the stopped ones started again.
      const keptNew = this.#compact();
      const oldOf = new Map();
      for (let k = 0; k < keep.length; k += 2) oldOf.set(keep[k + 1], keep[k]);
      this.#adopt(old.plan, old.entries, old.lookup);
      this.#appended = null;
      for (const j of keptNew) this.#carry(old, oldOf.get(j), oldOf.get(j));
      let restoreError = null;
      try {
        await this._start(this.#startTimeout, null, stopMask);
      } catch (e) {
        restoreError = e;
      }
      this.#state = "running";
      throw new ReloadError(cause, restoreError, disposeErrors);
    }
    this.#state = "running";
    if (this.#emit !== null) this.#event("reloaded", -1, null, performance.now() - t0);
    return {
      changed: r.changed,
      dependents: r.dependents,
      stopped: Array.from(r.stop, (i) => old.t.ids[i]),
      started: Array.from(r.start, (j) => newIds[j]),
      kept: keep.length >> 1,
      disposeErrors,
    };
  }

  /**
   * Singleton `o` of the `old` state (its number `o` there) becomes
   * singleton `j` of the current plan, ready next in order: its instance,
   * hooks (appended ones too), and start-up record, as they were.
   */
  #carry(old, o, j) {
    this.#instances[j] = old.instances[o];
    this.#started[j] = 1;
    this.#hooked[j] = old.hooked[o];
    this.#order[this.#readyCount++] = j;
    this.#starts[j] = old.starts[o];
    this.#ends[j] = old.ends[o];
    const outcome = old.outcomes.get(o);
    if (outcome !== undefined) this.#outcomes.set(j, outcome);
    const more = old.appended === null ? undefined : old.appended.get(o);
    if (more !== undefined) {
      this.#appended ??= new Map();
      this.#appended.set(j, more);
      this.#hasHooks = true;
    }
  }

  /**
   * Drops the stopped from the order of readiness; returns the started
   * ones in that order. The marks of owned transients (a count of the
   * singletons ready before each) are recounted over what is left.
   */
  #compact() {
    const count = this.#readyCount;
    const kept = [];
    const before = new Uint32Array(count + 1);
    for (let k = 0; k < count; k++) {
      const i = this.#order[k];
      before[k + 1] = before[k] + (this.#started[i] === 1 ? 1 : 0);
      if (this.#started[i] === 1) kept.push(i);
    }
    const owned = this.#owned;
    for (let k = 0; k < owned.length; k += 3) owned[k] = before[Math.min(owned[k], count)];
    this.#readyCount = 0;
    return kept;
  }

  /**
   * Disposes the started singletons `mask` marks, in reverse order of
   * readiness, each for at most its `stopTimeout` (else `timeout`) ms;
   * returns the `StopError`s. The order keeps them, not started.
   */
  async #disposeMarked(mask, timeout) {
    const errors = [];
    const emit = this.#emit !== null;
    for (let k = this.#readyCount - 1; k >= 0; k--) {
      const i = this.#order[k];
      if (mask[i] === 0 || this.#started[i] !== 1) continue;
      this.#started[i] = 0;
      const entry = this.#entries[i];
      const instance = this.#instances[i];
      this.#instances[i] = undefined;
      const t0 = performance.now();
      let e = entry.dispose === undefined ? null : disposeOne(entry.dispose, instance, entry.descriptor.id, undefined, pick(entry.stopTimeout, timeout));
      if (e instanceof Promise) e = await e;
      if (e !== null) errors.push(e);
      if (emit) {
        if (e !== null) this.#event("failed", i, "teardown", null, e.cause);
        else this.#event("stopped", i, null, performance.now() - t0);
      }
    }
    return errors;
  }

  /**
   * Runs until signalled (Node, as fx's `app.Run()`): waits for SIGINT or
   * SIGTERM (`signals` to choose others), then stops the app gracefully
   * (within its stop timeouts) and resolves the exit code, also set as
   * `process.exitCode`: 0 after a clean stop, 1 when the stop failed. A
   * second signal while stopping exits at once (`process.exit`, 130 for
   * SIGINT, 143 for SIGTERM). Each step is one line on stderr. The process
   * is kept alive meanwhile; a `stop()` from elsewhere ends the wait too.
   * `beforeStop()`: awaited after the signal, before the app stops (an
   * HTTP server drains its requests there, see `wireplan/http`); if it
   * throws, the app stops told the error and the code is 1.
   */
  run(options) {
    const { signals, beforeStop } = runOptions(options);
    const proc = nodeProcess("app.run()");
    this.#running();
    return this._runWith(new SignalWaiter(proc, signals), beforeStop);
  }

  /** @internal `run()` with its signal handlers in already (`plan.run()` installs them before the start). */
  _runWith(waiter, beforeStop) {
    const proc = waiter.proc;
    return new Promise((resolve) => {
      const keepAlive = setInterval(NOOP, MAX_TIMEOUT);
      let failedBefore = null;
      const finish = (stopError) => {
        clearInterval(keepAlive);
        waiter.close();
        const error = stopError ?? failedBefore;
        const code = error === null ? 0 : 1;
        proc.stderr.write(`wireplan: ${stoppedText(error)}\n`);
        proc.exitCode = code;
        resolve(code);
      };
      this.#stopWatchers.push(finish);
      waiter.whenSignalled(() => {
        if (beforeStop === null) {
          this.stop().catch(NOOP);
          return;
        }
        Promise.resolve()
          .then(beforeStop)
          .then(
            () => this.stop(),
            (error) => {
              failedBefore = error;
              return this.stop({ error });
            },
          )
          .catch(NOOP);
      });
    });
  }

  /** A new scope (a request, a job): scoped services live as long as it. */
  scope() {
    this.#running();
    return new Scope(this, false, new Cancel());
  }

  /**
   * Runs `fn` with a new scope and stops the scope after, whatever happens.
   * When `fn` throws, every dispose of the scope is told the error
   * (`{error}`), so a unit of work rolls back instead of committing; the
   * error is rethrown (dispose failures met on the way, if any, in its
   * `disposeErrors`).
   */
  async withScope(fn) {
    const scope = this.scope();
    let result;
    try {
      result = await fn(scope);
    } catch (error) {
      try {
        // `throw undefined` must not read as a clean exit (a commit).
        await scope.stop({ error: error === undefined ? new Error("wireplan: the scope's function threw undefined") : error });
      } catch (stopError) {
        if (error !== null && typeof error === "object" && Object.isExtensible(error) && !("disposeErrors" in error)) {
          Object.defineProperty(error, "disposeErrors", { value: stopError.errors, enumerable: false, configurable: true, writable: true });
        }
      }
      throw error;
    }
    await scope.stop();
    return result;
  }

  /**
   * Disposes every started singleton in reverse order of readiness. Every
   * dispose runs; failures reject together as an `AggregateError` of
   * `StopError`s. `stopTimeout` (ms; default: `start`'s): a dispose that has
   * not settled by then is a `StopError` with a `TimeoutError` cause, and
   * the next dispose runs. `error`: why the app stops, told to each dispose
   * (`{error, id}`). A second call while stopping waits for the first
   * (whose promise carries the errors); once stopped, it resolves.
   */
  async stop(options) {
    const o = optionsObject(options, "stop");
    const timeout = o.stopTimeout === undefined ? this.#stopTimeout : timeoutOption(o, "stopTimeout");
    if (this.#state === "stopped") return;
    // A reload in progress finishes (or rolls back) first: then this stops the plan it left running.
    while (this.#reloading !== null) await this.#reloading.catch(NOOP);
    if (this.#state === "stopped") return;
    if (this.#stopping !== null) {
      await this.#stopping;
      return;
    }
    this.#state = "stopping";
    this.#endError = o.error;
    this.#cancel.abort(o.error ?? new DOMException("wireplan: the app is stopping", "AbortError"));
    let done;
    this.#stopping = new Promise((resolve) => {
      done = resolve;
    });
    try {
      const from = performance.now();
      const errors = this.#hasHooks ? await this.#stopHooks(timeout, o.error) : [];
      for (const e of await this.#disposeAll(timeout, o.error)) errors.push(e);
      if (this.#emit !== null) this.#event("app-stopped", -1, null, performance.now() - from);
      if (errors.length > 0) throw aggregate(errors);
    } catch (error) {
      for (const watch of this.#stopWatchers.splice(0)) watch(error);
      throw error;
    } finally {
      this.#state = "stopped";
      done();
      for (const watch of this.#stopWatchers.splice(0)) watch(null);
    }
  }
}

/** Whether two registrations run the same code (a supplied value: the same value). */
function sameCode(a, b) {
  if (a.code.length !== b.code.length) return false;
  for (let k = 0; k < a.code.length; k++) if (!Object.is(a.code[k], b.code[k])) return false;
  return a.code[0] !== SUPPLIED || Object.is(a.supplied, b.supplied);
}

function aggregate(errors) {
  const who = errors.map((e) => quoted(e.service)).join(", ");
  return new AggregateError(errors, `${errors.length} service${errors.length === 1 ? "" : "s"} failed to stop: ${who}`);
}

// `await using app = await compiled.start()` stops the app when the block
// ends, where the runtime has `Symbol.asyncDispose`. Scopes have none on
// purpose: `await using` cannot tell disposers that the block failed, so a
// failed request would commit its unit of work; `withScope` can.
if (typeof Symbol.asyncDispose === "symbol") {
  Object.defineProperty(App.prototype, Symbol.asyncDispose, {
    value: async function asyncDispose() {
      await this.stop();
    },
    writable: true,
    configurable: true,
  });
}

const PENDING = Symbol("pending");

/**
 * One scope: scoped services are built once per scope, transient ones on
 * every request, each by its recipe from the plan. What the scope builds
 * (transients included) it disposes when it stops, in reverse.
 */
export class Scope {
  #app;
  #root;
  #cancel;
  /** Scoped service number -> its instance, or the promise of the build in flight. */
  #cache = new Map();
  #created = [];
  #stopped = false;
  /** Why the scope stopped (told to the disposes of builds that finish after). */
  #error = undefined;

  /** The app's reload count when this scope opened. */
  #generation;

  /** @internal Use `app.scope()`. */
  constructor(app, root, cancel) {
    this.#app = app;
    this.#root = root;
    this.#cancel = cancel;
    this.#generation = app._generation;
  }

  #open() {
    if (this.#stopped) throw new Error("wireplan: this scope is stopped");
    if (!this.#root && this.#generation !== this.#app._generation) {
      throw new Error("wireplan: this scope was opened before a reload of the app: open a new scope (it uses the new plan)");
    }
  }

  /**
   * The instance providing `key`: a singleton, this scope's scoped
   * instance, or a new transient one. Concurrent gets of a scoped service
   * (or of services sharing one) build it once; a build that fails fails
   * for every waiter and is tried again by the next get. Rejects with a
   * `LookupError` as `app.get` does.
   */
  async get(key) {
    this.#open();
    return this.#at(this.#app._lookup.one(key));
  }

  /** Every instance providing `key`, in plan order, built one after another. */
  async getAll(key) {
    this.#open();
    const out = [];
    for (const i of this.#app._lookup.all(key)) out.push(await this.#at(i));
    return out;
  }

  /** The instance of the service with id `id`. */
  async getById(id) {
    this.#open();
    return this.#at(this.#app._lookup.byId(id));
  }

  /** Whether some planned service provides `key` and this scope is open (false once it is stopped). */
  has(key) {
    return !this.#stopped && this.#app._lookup.has(key);
  }

  #at(i) {
    if (i < this.#app._singletons) return this.#app._instance(i);
    return this._resolve(i);
  }

  /** @internal A non-singleton, built if needed (by recipe: dependencies first). */
  async _resolve(i) {
    const app = this.#app;
    if (!app._scoped(i)) return this.#create(i);
    if (this.#root) throw new Error(`wireplan: ${quoted(app._id(i))} is scoped: it needs a scope`);
    // INVARIANT: a scoped service's cache entry is its instance or the
    // promise of its one build in flight; every waiter awaits that promise.
    if (this.#cache.has(i)) return this.#cache.get(i);
    const building = (async () => {
      // The recipe lists dependencies before dependents and ends with `i`;
      // scoped ones go through the cache, so each is built once.
      // A dependency in flight is awaited too: if its build fails, this
      // one fails with it rather than building it a second time.
      for (const k of app._recipe(i)) {
        if (k !== i && app._scoped(k)) await this._resolve(k);
      }
      return this.#create(i);
    })();
    this.#cache.set(i, building);
    try {
      const value = await building;
      if (this.#cache.get(i) === building) this.#cache.set(i, value);
      return value;
    } catch (error) {
      // Not cached: the next get tries again.
      if (this.#cache.get(i) === building) this.#cache.delete(i);
      throw error;
    }
  }

  /** @internal The instance if it needs no await, else PENDING. */
  _resolveSync(i) {
    if (this.#app._scoped(i) && this.#cache.has(i)) {
      const v = this.#cache.get(i);
      if (!isThenable(v)) return v;
    }
    return PENDING;
  }

  async #create(i) {
    const value = await this.#app._build(i, this, this.#cancel);
    if (this.#stopped && !this.#root) {
      // The scope stopped while this was being built: nothing will dispose
      // it later, so it is disposed now, told why the scope stopped.
      const entry = this.#app._entry(i);
      if (entry.dispose !== undefined) await disposeOne(entry.dispose, value, entry.descriptor.id, this.#error, pick(entry.stopTimeout, this.#app._stopTimeout));
      throw new Error("wireplan: this scope is stopped");
    }
    if (this.#root) {
      const late = this.#app._own(i, value);
      if (late !== null) {
        await late;
        throw new Error("wireplan: the app is stopped");
      }
    } else {
      this.#created.push(this.#app._entry(i), value);
    }
    return value;
  }

  /** @internal A lazy handle for dependency `k` of service `i`: a function returning it when called. */
  _lazy(i, k, ps, many) {
    const app = this.#app;
    const n = app._singletons;
    const one = (p) => {
      if (p < n) return app._instance(p);
      const v = this._resolveSync(p);
      if (v !== PENDING) return v;
      const what = `wireplan: lazy ${quoted(app.plan.services[i].deps[k].key)} of ${quoted(app._id(i))}`;
      // A lazy handle only hands over what exists: it cannot build (a build
      // may need an await, and the handle answers at once).
      if (!app._scoped(p)) throw new Error(`${what}: ${quoted(app._id(p))} is transient, and a lazy handle builds nothing; take it as a plain dependency or get it from a scope`);
      throw new Error(`${what} is not built in this scope yet`);
    };
    if (many) return () => Array.from(ps, one);
    return () => (ps.length === 0 ? undefined : one(ps[0]));
  }

  /**
   * @internal Disposes what this scope built, in reverse, each for at most
   * `timeout` ms and told `error`.
   */
  async _disposeAll(timeout, error) {
    const errors = [];
    const created = this.#created;
    this.#created = [];
    for (let k = created.length - 2; k >= 0; k -= 2) {
      const entry = created[k];
      if (entry.dispose === undefined) continue;
      let e = disposeOne(entry.dispose, created[k + 1], entry.descriptor.id, error, pick(entry.stopTimeout, timeout));
      if (e instanceof Promise) e = await e;
      if (e !== null) errors.push(e);
    }
    this.#cache.clear();
    return errors;
  }

  /**
   * Disposes what this scope built, in reverse; failures as an
   * `AggregateError`. `stopTimeout` (ms) defaults to the app's. `error`:
   * why the scope ends (a failed request), told to each dispose as
   * `{error, id}`; absent for a clean exit. Builds still in flight are
   * aborted through their `signal`.
   */
  async stop(options) {
    const o = optionsObject(options, "stop");
    const timeout = o.stopTimeout === undefined ? this.#app._stopTimeout : timeoutOption(o, "stopTimeout");
    if (this.#stopped) return;
    this.#stopped = true;
    this.#error = o.error;
    this.#cancel.abort(o.error ?? new DOMException("wireplan: the scope is stopping", "AbortError"));
    const errors = await this._disposeAll(timeout, o.error);
    if (errors.length > 0) throw aggregate(errors);
  }
}
