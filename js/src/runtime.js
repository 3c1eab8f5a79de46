// The JS runtime: JS factories run by a plan. The order, the layers, the
// bindings and every check come from the core; this file only calls
// factories in the planned order and disposes in reverse.
//
// Everything here iterates: a chain of 100,000 services starts and stops
// without growing the stack, and synchronous factories cost no await.

import { plan } from "./api.js";
import { AbortError, StartError, TimeoutError, describe } from "./errors.js";

const LIFETIMES = new Set(["singleton", "scoped", "transient"]);
const DEP_FIELDS = ["key", "optional", "many", "lazy"];

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
        ? `service \`${service}\` did not stop within ${cause.timeout} ms`
        : `service \`${service}\` failed to stop: ${describe(cause)}`,
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

function normalizeDep(dep, id, i) {
  if (typeof dep === "string") return dep;
  if (dep === null || typeof dep !== "object" || typeof dep.key !== "string") {
    throw new TypeError(`wireplan: dependency ${i} of \`${id}\` must be a key string or {key, optional?, many?, lazy?}`);
  }
  const out = { key: dep.key };
  for (const f of DEP_FIELDS) if (f !== "key" && dep[f] !== undefined) out[f] = Boolean(dep[f]);
  return out;
}

/**
 * Collects services and their JS factories; `compile()` plans them with the
 * core and returns a plan that can start.
 */
export class Registry {
  #services = [];

  /** Registers a ready value under `id` (no dependencies). */
  supply(id, value, options) {
    return this.provide(id, [], () => value, options);
  }

  /**
   * Registers a factory: called with one argument per dependency (an array
   * for `many`, `undefined` for a missing `optional`, a function returning
   * the instance for `lazy`), it returns the instance or a promise of it.
   */
  provide(id, deps, factory, options = {}) {
    if (typeof id !== "string") throw new TypeError("wireplan: a service id must be a string");
    if (!Array.isArray(deps)) throw new TypeError(`wireplan: the dependencies of \`${id}\` must be an array`);
    if (typeof factory !== "function") throw new TypeError(`wireplan: the factory of \`${id}\` must be a function`);
    if (options.lifetime !== undefined && !LIFETIMES.has(options.lifetime)) {
      throw new TypeError(`wireplan: the lifetime of \`${id}\` must be singleton, scoped or transient`);
    }
    if (options.dispose !== undefined && typeof options.dispose !== "function") {
      throw new TypeError(`wireplan: the dispose of \`${id}\` must be a function`);
    }
    const descriptor = { id };
    if (options.provides !== undefined) descriptor.provides = options.provides;
    if (deps.length > 0) descriptor.deps = deps.map((d, i) => normalizeDep(d, id, i));
    if (options.lifetime !== undefined) descriptor.lifetime = options.lifetime;
    if (options.profiles !== undefined) descriptor.profiles = options.profiles;
    if (options.replaces !== undefined) descriptor.replaces = options.replaces;
    if (options.source !== undefined) descriptor.source = options.source;
    if (options.meta !== undefined) descriptor.meta = options.meta;
    this.#services.push({ descriptor, factory, dispose: options.dispose, profiles: options.profiles });
    return this;
  }

  /** The descriptor document of everything registered. */
  descriptors() {
    return { version: 1, services: this.#services.map((s) => s.descriptor) };
  }

  /**
   * Plans the registered services (`{profile?, roots?, name?}`); throws
   * `PlanError` with every problem of the graph.
   */
  compile(options = {}) {
    const named = { name: "<registry>", ...options };
    const planned = plan(this.descriptors(), named);
    // Among the services active in this profile ids are unique (the core
    // reports duplicates), so the id finds the registration.
    const profile = options.profile ?? null;
    const byId = new Map();
    for (const s of this.#services) {
      const active = !s.profiles || s.profiles.length === 0 || (profile !== null && s.profiles.includes(profile));
      if (active && !byId.has(s.descriptor.id)) byId.set(s.descriptor.id, s);
    }
    const entries = planned.tables.ids.map((id) => byId.get(id));
    return new CompiledPlan(planned, entries);
  }
}

/** A plan with its factories, ready to start. */
export class CompiledPlan {
  #entries;

  /** @internal */
  constructor(plan, entries) {
    /** The core's plan. */
    this.plan = plan;
    this.#entries = entries;
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
   * concurrently and async factories are awaited. If one fails, what has
   * started is stopped in reverse and the promise rejects with a
   * `StartError` naming the service, with the failure as `cause`.
   *
   * Options (like fx's `StartTimeout`/`StopTimeout`, but per service):
   * `startTimeout` (ms): an async factory that has not settled by then fails
   * the start with a `TimeoutError` cause; `stopTimeout` (ms): the same for
   * each `dispose`, during the rollback and, by default, `app.stop()`;
   * `signal`: an `AbortSignal` that cancels the start: no further factory is
   * called, the in-flight ones of the current layer are awaited (each for
   * at most `startTimeout`), everything that started is stopped in reverse,
   * and the promise rejects with an `AbortError` (`cause`: the signal's
   * reason) naming the layer and the services in flight. A factory given up
   * on (timed out, or still running after an abort) is abandoned: if it
   * resolves later, its instance is disposed then, once, and the error's
   * `abandoned` promise resolves when all of them have settled.
   */
  async start(options) {
    const o = optionsObject(options, "start");
    const startTimeout = timeoutOption(o, "startTimeout");
    const stopTimeout = timeoutOption(o, "stopTimeout");
    const signal = o.signal ?? null;
    if (signal !== null && (typeof signal !== "object" || typeof signal.aborted !== "boolean" || typeof signal.addEventListener !== "function")) {
      throw new TypeError("wireplan: `signal` must be an AbortSignal");
    }
    const app = new App(this.plan, this.#entries, stopTimeout);
    await app._start(startTimeout, signal);
    return app;
  }
}

const OPTIONAL = 1;
const MANY = 2;
const LAZY = 4;
const SCOPED = 1;
const LIFETIME_NAMES = ["singleton", "scoped", "transient"];

/** Running singletons; `stop()` disposes them in reverse start-up order. */
export class App {
  #plan;
  #entries;
  #t;
  #singletons;
  #instances;
  #started;
  #root;
  #state = "starting";
  #stopTimeout;
  /** Set by the first `stop()`; settles when it is done. */
  #stopping = null;
  /** Promises of the disposals of abandoned factories' late instances. */
  #late = [];

  /** @internal */
  constructor(plan, entries, stopTimeout = null) {
    this.#plan = plan;
    this.#stopTimeout = stopTimeout;
    this.#entries = entries;
    this.#t = plan.tables;
    this.#singletons = plan.tables.singletons;
    this.#instances = new Array(plan.tables.ids.length);
    this.#started = new Uint8Array(this.#singletons);
    this.#root = new Scope(this, true);
  }

  /** The plan this app runs. */
  get plan() {
    return this.#plan;
  }

  /** @internal The instance of singleton `i`, or a clear error. */
  _instance(i) {
    if (i < this.#singletons && this.#started[i] === 1) return this.#instances[i];
    throw new Error(`wireplan: \`${this.#t.ids[i]}\` is not started`);
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
  get _singletons() {
    return this.#singletons;
  }

  /** @internal The default `stopTimeout` (from `start`), or null. */
  get _stopTimeout() {
    return this.#stopTimeout;
  }

  /** @internal Starts every layer; see `CompiledPlan.start`. */
  async _start(startTimeout, signal) {
    const { layerEnds, depStart, depFlags, provStart, providers, ids } = this.#t;
    const n = this.#singletons;
    const entries = this.#entries;
    const instances = this.#instances;
    const started = this.#started;
    // Where the start is, for the abort's message: the layer, whether its
    // factories are being called, and its async factories in flight.
    let layer = 0;
    let inLayer = false;
    let pending = null;
    let waiter = null;
    let abort = null;
    const onAbort = () => {
      if (abort !== null || this.#state !== "starting") return;
      const services = [];
      if (waiter !== null) for (const i of waiter.unsettled()) services.push(ids[i]);
      else if (pending !== null) for (let k = 0; k < pending.length; k += 2) services.push(ids[pending[k]]);
      abort = { reason: signal.reason, layer, services, inLayer };
    };
    if (signal !== null) {
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    }
    let failure = null;
    let first = 0;
    try {
      for (let l = 0; l < layerEnds.length && abort === null; l++) {
        const end = layerEnds[l];
        layer = l;
        inLayer = true;
        pending = null;
        waiter = null;
        // INVARIANT: the signal's listener runs synchronously inside
        // `abort()`, so a factory that aborts stops the very next call.
        for (let i = first; i < end && abort === null; i++) {
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
            let value;
            if (plain) {
              const a = (k) => instances[providers[provStart[d0 + k]]];
              switch (count) {
                case 0: value = factory(); break;
                case 1: value = factory(a(0)); break;
                case 2: value = factory(a(0), a(1)); break;
                case 3: value = factory(a(0), a(1), a(2)); break;
                default: value = factory(a(0), a(1), a(2), a(3));
              }
            } else {
              const args = this.#args(i, this.#root);
              // Arguments that need an await (a transient with an async
              // factory) make the service async: it joins the layer's
              // in-flight set, under the same timeout and abort.
              value = args !== null ? factory(...args) : this.#argsAsync(i, this.#root).then((xs) => factory(...xs));
            }
            if (isThenable(value)) {
              (pending ??= []).push(i, value);
            } else {
              instances[i] = value;
              started[i] = 1;
            }
          } catch (cause) {
            failure = { i, cause };
            break;
          }
        }
        first = end;
        if (pending !== null) {
          waiter = this.#settle(pending, startTimeout, () => abort !== null);
          const outcomes = await waiter.done;
          for (let k = 0; k < outcomes.length; k++) {
            const i = pending[2 * k];
            const o = outcomes[k];
            if (o.ok) {
              instances[i] = o.value;
              started[i] = 1;
            } else if (!o.afterAbort && (failure === null || i < failure.i)) {
              // A failure after the abort (a factory cut short by it, or
              // timing out while it is awaited) is the abort's doing.
              failure = { i, cause: o.cause };
            }
          }
          waiter = null;
          pending = null;
        }
        inLayer = false;
        layer = l + 1;
        if (failure !== null) break;
      }
      if (failure !== null || abort !== null) {
        this.#state = "stopping";
        const errors = await this.#disposeAll(this.#stopTimeout);
        this.#state = "failed";
        const late = this.#late;
        const abandoned = late.length === 0 ? Promise.resolve([]) : Promise.all(late).then((xs) => xs.filter((x) => x !== null));
        if (failure !== null) throw new StartError(ids[failure.i], failure.cause, errors, abandoned);
        throw new AbortError(abort.reason, abort.layer, abort.services, abort.inLayer, errors, abandoned);
      }
      this.#state = "running";
    } finally {
      if (signal !== null) signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Awaits a layer's in-flight factories (`pending`: index, thenable, …),
   * each for at most `timeout` ms. `done` resolves with one outcome per
   * factory: `{ok, value}` or `{ok: false, cause, afterAbort}`. A factory
   * that times out is abandoned: its late instance is disposed when it
   * arrives (see `#late`). `unsettled()` lists those still awaited.
   */
  #settle(pending, timeout, aborted) {
    const ids = this.#t.ids;
    const count = pending.length >> 1;
    const outcomes = new Array(count);
    const settled = new Uint8Array(count);
    let left = count;
    let resolve;
    const done = new Promise((r) => {
      resolve = r;
    });
    for (let k = 0; k < count; k++) {
      const i = pending[2 * k];
      let timer = null;
      let lateDone = null;
      const finish = (outcome) => {
        if (timer !== null) clearTimeout(timer);
        settled[k] = 1;
        outcomes[k] = outcome;
        if (--left === 0) resolve(outcomes);
      };
      Promise.resolve(pending[2 * k + 1]).then(
        (value) => {
          if (settled[k] === 0) finish({ ok: true, value });
          else lateDone(this.#disposeLate(i, value));
        },
        (cause) => {
          if (settled[k] === 0) finish({ ok: false, cause, afterAbort: aborted() });
          else lateDone(null);
        },
      );
      if (timeout !== null) {
        timer = setTimeout(() => {
          timer = null;
          this.#late.push(new Promise((r) => {
            lateDone = r;
          }));
          finish({ ok: false, cause: new TimeoutError(ids[i], "start", timeout), afterAbort: aborted() });
        }, timeout);
      }
    }
    const unsettled = () => {
      const out = [];
      for (let k = 0; k < count; k++) if (settled[k] === 0) out.push(pending[2 * k]);
      return out;
    };
    return { done, unsettled };
  }

  /** Disposes the instance an abandoned factory produced late; its error, or null. */
  async #disposeLate(i, value) {
    const dispose = this.#entries[i].dispose;
    if (dispose === undefined) return null;
    const id = this.#t.ids[i];
    try {
      const r = dispose(value);
      if (isThenable(r)) await (this.#stopTimeout === null ? r : within(r, this.#stopTimeout, id, "stop"));
      return null;
    } catch (cause) {
      return new StopError(id, cause);
    }
  }

  /**
   * The arguments of service `i`'s factory, or null when one of them needs
   * an await (a transient or scoped service built by an async factory).
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

  /** @internal Builds one instance of non-singleton `i` in `scope`. */
  async _build(i, scope) {
    let args = this.#args(i, scope);
    if (args === null) args = await this.#argsAsync(i, scope);
    let value = this.#entries[i].factory(...args);
    if (isThenable(value)) value = await value;
    return value;
  }

  /** Disposes every started singleton in reverse, each for at most `timeout` ms; returns the errors. */
  async #disposeAll(timeout) {
    const errors = [];
    const entries = this.#entries;
    for (let i = this.#singletons - 1; i >= 0; i--) {
      if (this.#started[i] !== 1) continue;
      this.#started[i] = 0;
      const dispose = entries[i].dispose;
      if (dispose === undefined) continue;
      try {
        const r = dispose(this.#instances[i]);
        if (isThenable(r)) await (timeout === null ? r : within(r, timeout, this.#t.ids[i], "stop"));
      } catch (cause) {
        errors.push(new StopError(this.#t.ids[i], cause));
      }
      this.#instances[i] = undefined;
    }
    const rootErrors = await this.#root._disposeAll(timeout);
    errors.push(...rootErrors);
    return errors;
  }

  /** The instance of a started singleton, by service id. */
  get(id) {
    const i = this.#plan._require(id);
    if (i >= this.#singletons) {
      throw new Error(`wireplan: \`${id}\` is ${LIFETIME_NAMES[this.#t.lifetimes[i]]}: get it from a scope (\`app.scope().get(id)\`)`);
    }
    if (this.#state !== "running") throw new Error(`wireplan: the app is ${this.#state}`);
    return this._instance(i);
  }

  /** Whether `id` is a started singleton. */
  has(id) {
    const i = this.#plan.indexOf(id);
    return i >= 0 && i < this.#singletons && this.#started[i] === 1;
  }

  /** A new scope (a request, a job): scoped services live as long as it. */
  scope() {
    if (this.#state !== "running") throw new Error(`wireplan: the app is ${this.#state}`);
    return new Scope(this, false);
  }

  /** Runs `fn` with a new scope and stops the scope after, whatever happens. */
  async withScope(fn) {
    const scope = this.scope();
    try {
      return await fn(scope);
    } finally {
      await scope.stop();
    }
  }

  /**
   * Disposes every started singleton in reverse start-up order. Every
   * dispose runs; failures reject together as an `AggregateError` of
   * `StopError`s. `stopTimeout` (ms; default: `start`'s): a dispose that has
   * not settled by then is a `StopError` with a `TimeoutError` cause, and
   * the next dispose runs. A second call while stopping waits for the
   * first (whose promise carries the errors); once stopped, it resolves.
   */
  async stop(options) {
    const o = optionsObject(options, "stop");
    const timeout = o.stopTimeout === undefined ? this.#stopTimeout : timeoutOption(o, "stopTimeout");
    if (this.#state === "stopped") return;
    if (this.#stopping !== null) {
      await this.#stopping;
      return;
    }
    this.#state = "stopping";
    let done;
    this.#stopping = new Promise((resolve) => {
      done = resolve;
    });
    try {
      const errors = await this.#disposeAll(timeout);
      if (errors.length > 0) throw aggregate(errors);
    } finally {
      this.#state = "stopped";
      done();
    }
  }
}

function aggregate(errors) {
  const who = errors.map((e) => `\`${e.service}\``).join(", ");
  return new AggregateError(errors, `${errors.length} service${errors.length === 1 ? "" : "s"} failed to stop: ${who}`);
}

const PENDING = Symbol("pending");

/**
 * One scope: scoped services are built once per scope, transient ones on
 * every request, each by its recipe from the plan.
 */
export class Scope {
  #app;
  #root;
  #cache = new Map();
  #created = [];
  #stopped = false;

  /** @internal Use `app.scope()`. */
  constructor(app, root) {
    this.#app = app;
    this.#root = root;
  }

  /** The instance of `id`: a singleton, or this scope's scoped or a new transient instance. */
  async get(id) {
    if (this.#stopped) throw new Error("wireplan: this scope is stopped");
    const i = this.#app.plan._require(id);
    if (i < this.#app._singletons) return this.#app._instance(i);
    return this._resolve(i);
  }

  /** @internal A non-singleton, built if needed (by recipe: dependencies first). */
  async _resolve(i) {
    const app = this.#app;
    if (app._scoped(i)) {
      if (this.#root) throw new Error(`wireplan: \`${app._id(i)}\` is scoped: it needs a scope`);
      if (this.#cache.has(i)) return this.#cache.get(i);
      const pending = (async () => {
        // INVARIANT: the recipe lists dependencies before dependents and
        // ends with `i`; scoped ones are cached, so each is built once.
        for (const k of app._recipe(i)) {
          if (k !== i && app._scoped(k) && !this.#cache.has(k)) await this._resolve(k);
        }
        return this.#create(i);
      })();
      this.#cache.set(i, pending);
      const value = await pending;
      this.#cache.set(i, value);
      return value;
    }
    return this.#create(i);
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
    const value = await this.#app._build(i, this);
    this.#created.push(i, value);
    return value;
  }

  /** @internal A lazy handle for dependency `k` of service `i`: a function returning it when called. */
  _lazy(i, k, ps, many) {
    const app = this.#app;
    const n = app._singletons;
    const one = (p) => {
      if (p < n) return app._instance(p);
      const v = this._resolveSync(p);
      if (v === PENDING) throw new Error(`wireplan: lazy \`${app.plan.services[i].deps[k].key}\` of \`${app._id(i)}\` is not built in this scope yet`);
      return v;
    };
    if (many) return () => Array.from(ps, one);
    return () => (ps.length === 0 ? undefined : one(ps[0]));
  }

  /** @internal Disposes what this scope built, in reverse, each for at most `timeout` ms. */
  async _disposeAll(timeout) {
    const errors = [];
    const created = this.#created;
    this.#created = [];
    for (let k = created.length - 2; k >= 0; k -= 2) {
      const i = created[k];
      const dispose = this.#app._entry(i).dispose;
      if (dispose === undefined) continue;
      try {
        const r = dispose(created[k + 1]);
        if (isThenable(r)) await (timeout === null ? r : within(r, timeout, this.#app._id(i), "stop"));
      } catch (cause) {
        errors.push(new StopError(this.#app._id(i), cause));
      }
    }
    this.#cache.clear();
    return errors;
  }

  /**
   * Disposes what this scope built, in reverse; failures as an
   * `AggregateError`. `stopTimeout` (ms) defaults to the app's.
   */
  async stop(options) {
    const o = optionsObject(options, "stop");
    const timeout = o.stopTimeout === undefined ? this.#app._stopTimeout : timeoutOption(o, "stopTimeout");
    if (this.#stopped) return;
    this.#stopped = true;
    const errors = await this._disposeAll(timeout);
    if (errors.length > 0) throw aggregate(errors);
  }
}
