// The JS runtime: JS factories run by a plan. The order, the layers, the
// bindings and every check come from the core; this file only calls
// factories in the planned order and disposes in reverse.
//
// Everything here iterates: a chain of 100,000 services starts and stops
// without growing the stack, and synchronous factories cost no await.

import { plan } from "./api.js";
import { StartError, describe } from "./errors.js";

const LIFETIMES = new Set(["singleton", "scoped", "transient"]);
const DEP_FIELDS = ["key", "optional", "many", "lazy"];

function isThenable(value) {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof value.then === "function";
}

/** A service failed to stop; collected into the `AggregateError` of `stop()`. */
export class StopError extends Error {
  constructor(service, cause) {
    super(`service \`${service}\` failed to stop: ${describe(cause)}`, { cause });
    this.name = "StopError";
    this.service = service;
  }
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
   */
  async start() {
    const app = new App(this.plan, this.#entries);
    await app._start();
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

  /** @internal */
  constructor(plan, entries) {
    this.#plan = plan;
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

  /** @internal Starts every layer; see `CompiledPlan.start`. */
  async _start() {
    const { layerEnds, depStart, depFlags, provStart, providers } = this.#t;
    const n = this.#singletons;
    const entries = this.#entries;
    const instances = this.#instances;
    const started = this.#started;
    let first = 0;
    for (let l = 0; l < layerEnds.length; l++) {
      const end = layerEnds[l];
      let pending = null;
      let failure = null;
      for (let i = first; i < end; i++) {
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
            let args = this.#args(i, this.#root);
            if (args === null) args = await this.#argsAsync(i, this.#root);
            value = factory(...args);
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
        const promises = [];
        for (let k = 1; k < pending.length; k += 2) promises.push(pending[k]);
        const settled = await Promise.allSettled(promises);
        for (let k = 0; k < settled.length; k++) {
          const i = pending[2 * k];
          const s = settled[k];
          if (s.status === "fulfilled") {
            instances[i] = s.value;
            started[i] = 1;
          } else if (failure === null || i < failure.i) {
            failure = { i, cause: s.reason };
          }
        }
      }
      if (failure !== null) {
        const errors = await this.#disposeAll();
        this.#state = "failed";
        throw new StartError(this.#t.ids[failure.i], failure.cause, errors);
      }
    }
    this.#state = "running";
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

  /** Disposes every started singleton in reverse; returns the errors. */
  async #disposeAll() {
    const errors = [];
    const entries = this.#entries;
    for (let i = this.#singletons - 1; i >= 0; i--) {
      if (this.#started[i] !== 1) continue;
      this.#started[i] = 0;
      const dispose = entries[i].dispose;
      if (dispose === undefined) continue;
      try {
        const r = dispose(this.#instances[i]);
        if (isThenable(r)) await r;
      } catch (cause) {
        errors.push(new StopError(this.#t.ids[i], cause));
      }
      this.#instances[i] = undefined;
    }
    const rootErrors = await this.#root._disposeAll();
    errors.push(...rootErrors);
    return errors;
  }

  /** The instance of a started singleton, by service id. */
  get(id) {
    const i = this.#plan.indexOf(id);
    if (i < 0) throw new RangeError(`wireplan: no service \`${id}\` in this plan`);
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
   * `StopError`s.
   */
  async stop() {
    if (this.#state === "stopped") return;
    this.#state = "stopping";
    const errors = await this.#disposeAll();
    this.#state = "stopped";
    if (errors.length > 0) throw aggregate(errors);
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
    const i = this.#app.plan.indexOf(id);
    if (i < 0) throw new RangeError(`wireplan: no service \`${id}\` in this plan`);
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

  /** @internal */
  async _disposeAll() {
    const errors = [];
    const created = this.#created;
    this.#created = [];
    for (let k = created.length - 2; k >= 0; k -= 2) {
      const i = created[k];
      const dispose = this.#app._entry(i).dispose;
      if (dispose === undefined) continue;
      try {
        const r = dispose(created[k + 1]);
        if (isThenable(r)) await r;
      } catch (cause) {
        errors.push(new StopError(this.#app._id(i), cause));
      }
    }
    this.#cache.clear();
    return errors;
  }

  /** Disposes what this scope built, in reverse; failures as an `AggregateError`. */
  async stop() {
    if (this.#stopped) return;
    this.#stopped = true;
    const errors = await this._disposeAll();
    if (errors.length > 0) throw aggregate(errors);
  }
}
