// The planner's JS API: arguments in, wasm call, tagged result out, and the
// throw (if any) here. No planning logic lives in JS.

import { wasm } from "./wasm.js";
import { PlanError } from "./errors.js";

const DEFAULT_NAME = "<input>";

/**
 * Normalizes the accepted inputs into `[{name, text}]`: a JSON string, a
 * descriptor document object, or an array of `{name, text}` / `{name,
 * document}` merged in order. Objects are written as compact JSON (pretty
 * JSON takes the parser twice as long): a diagnostic's JSON path, always
 * given, says where in the object; its line is 1.
 */
function documents(input, options) {
  const name = options && options.name !== undefined ? String(options.name) : DEFAULT_NAME;
  if (typeof input === "string") return [{ name, text: input }];
  if (input instanceof Uint8Array) return [{ name, text: new TextDecoder().decode(input) }];
  if (Array.isArray(input)) {
    return input.map((doc, i) => {
      if (doc === null || typeof doc !== "object") {
        throw new TypeError(`wireplan: documents[${i}] must be {name, text} or {name, document}`);
      }
      const docName = doc.name === undefined ? `${name}#${i}` : String(doc.name);
      if (typeof doc.text === "string") return { name: docName, text: doc.text };
      if (doc.document !== undefined) return { name: docName, text: toJson(doc.document, docName) };
      throw new TypeError(`wireplan: documents[${i}] has neither \`text\` nor \`document\``);
    });
  }
  if (input !== null && typeof input === "object") return [{ name, text: toJson(input, name) }];
  throw new TypeError("wireplan: descriptors must be a JSON string, a descriptor object or an array of documents");
}

/** The nesting the core's JSON parser accepts (`MAX_NESTING`). */
const MAX_NESTING = 127;

/**
 * `value` as JSON text. A value JSON cannot hold (a BigInt, a cycle, or
 * nesting deep enough to overflow the stack in `JSON.stringify`) is a
 * `PlanError` with code `invalid-descriptor` naming where it is, like any
 * other fault of a descriptor, never a raw TypeError or RangeError.
 */
function toJson(value, name) {
  try {
    return JSON.stringify(value);
  } catch (e) {
    if (!(e instanceof TypeError || e instanceof RangeError)) throw e;
    throw unserializable(name, findUnserializable(value) ?? { path: "(document)", what: "cannot be written as JSON" });
  }
}

/**
 * Where `value` stops being JSON, by an iterative walk (no recursion: the
 * value may be nested past the stack): `{path, what}`, or null.
 */
function findUnserializable(value) {
  const onPath = new Set();
  const stack = [{ value, path: "", depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item.exit) {
      onPath.delete(item.value);
      continue;
    }
    let v = item.value;
    if (v !== null && typeof v === "object" && typeof v.toJSON === "function") {
      try {
        v = v.toJSON();
      } catch {
        return { path: item.path || "(document)", what: "has a `toJSON` that throws" };
      }
    }
    const where = item.path || "(document)";
    if (typeof v === "bigint") return { path: where, what: "is a BigInt, which JSON cannot hold" };
    if (v === null || typeof v !== "object") continue;
    if (onPath.has(v)) return { path: where, what: "refers back to an object that contains it (a cycle), which JSON cannot hold" };
    if (item.depth >= MAX_NESTING) return { path: where, what: `nests deeper than ${MAX_NESTING} levels of arrays and objects` };
    onPath.add(v);
    stack.push({ exit: true, value: v });
    const entries = Array.isArray(v) ? v.map((x, i) => [`${item.path}[${i}]`, x]) : Object.entries(v).map(([k, x]) => [item.path ? `${item.path}.${k}` : k, x]);
    for (let i = entries.length - 1; i >= 0; i--) {
      stack.push({ value: entries[i][1], path: entries[i][0], depth: item.depth + 1 });
    }
  }
  return null;
}

/** Control, bidi and invisible characters made visible, as the core's `escape` does. */
function escapeText(text) {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/gu, (c) => {
    switch (c) {
      case "\0": return "\\0";
      case "\t": return "\\t";
      case "\n": return "\\n";
      case "\r": return "\\r";
      default: return `\\u{${c.codePointAt(0).toString(16)}}`;
    }
  });
}

/** The `invalid-descriptor` failure for a value JSON cannot hold, in the core's layout. */
function unserializable(name, { path, what }) {
  const diagnostic = {
    code: "invalid-descriptor",
    severity: "error",
    message: `invalid descriptors: \`${path}\` ${what}`,
    help: "descriptors are JSON: use numbers, strings, arrays and plain objects in `meta`",
    services: [],
    location: { file: name, path },
    related: [],
  };
  const text = `error[invalid-descriptor]: ${escapeText(diagnostic.message)}\n  --> ${escapeText(name)} (at \`${escapeText(path)}\`)\n   = help: ${diagnostic.help}\n\nerror: 1 error\n`;
  return new Unserializable({ ok: false, report: { diagnostics: [diagnostic] }, text, json: JSON.stringify({ diagnostics: [diagnostic] }) });
}

/** A `PlanError` that keeps its tagged result, so `check()` can return it as a `Report`. */
class Unserializable extends PlanError {
  constructor(result) {
    super(result);
    this.name = "PlanError";
    Object.defineProperty(this, "result", { value: result, enumerable: false });
  }
}

/** Only what the core's `Options` reads; `name` is ours. */
function coreOptions(options) {
  if (options === undefined || options === null) return null;
  const out = {};
  if (options.profile !== undefined && options.profile !== null) out.profile = options.profile;
  if (options.roots !== undefined && options.roots !== null) out.roots = options.roots;
  if (options.limits !== undefined && options.limits !== null) out.limits = options.limits;
  return out;
}

const LIFETIME_NAMES = ["singleton", "scoped", "transient"];

/**
 * A validated plan. Services are numbered as in the core: singletons first,
 * in start-up order (`0..singletons`), then scoped and transient ones.
 *
 * Building one reads the plan's flat tables (`tables`) from wasm: typed
 * arrays and one JSON array of ids. The richer forms (`services` with
 * sources and meta, the id-keyed JSON) are read when first asked for.
 */
export class Plan {
  #handle;
  #json = null;
  #runtime = null;
  #ids = null;
  #fingerprint = null;

  /** @internal Use `plan()` or `decodePlan()`. */
  constructor(handle) {
    this.#handle = handle;
    /** The plan as flat arrays, what the runtime reads (see index.d.ts `PlanTables`). */
    this.tables = Object.freeze({
      ids: JSON.parse(handle.ids()),
      singletons: handle.singletons(),
      layerEnds: handle.layer_ends(),
      lifetimes: handle.lifetimes(),
      depStart: handle.dep_start(),
      depFlags: handle.dep_flags(),
      provStart: handle.prov_start(),
      providers: handle.providers(),
      recipeStart: handle.recipe_start(),
      recipes: handle.recipes(),
    });
  }

  /** The compact runtime form (`Plan::to_runtime_json` in the core). */
  get runtime() {
    if (this.#runtime === null) this.#runtime = JSON.parse(this.#handle.runtime());
    return this.#runtime;
  }

  /** 32 hex digits identifying the descriptors and options planned. */
  get fingerprint() {
    if (this.#fingerprint === null) this.#fingerprint = this.#handle.fingerprint();
    return this.#fingerprint;
  }

  /** The profile planned for, or null. */
  get profile() {
    return this.#handle.profile() ?? null;
  }

  /** Number of planned services. */
  get size() {
    return this.tables.ids.length;
  }

  /** Every planned service, by number, with its bindings, source and meta. */
  get services() {
    return this.runtime.services;
  }

  /** Warnings found while planning (unused services, with roots). */
  get warnings() {
    return this.runtime.warnings;
  }

  /** Singleton ids in start-up order. */
  get startup() {
    return this.tables.ids.slice(0, this.tables.singletons);
  }

  /** Singleton ids in shutdown order: the reverse of start-up. */
  get shutdown() {
    return this.startup.reverse();
  }

  /** Start-up layers of ids: each depends only on earlier layers. */
  get layers() {
    const { ids, layerEnds } = this.tables;
    const out = new Array(layerEnds.length);
    let start = 0;
    for (let l = 0; l < layerEnds.length; l++) {
      out[l] = ids.slice(start, layerEnds[l]);
      start = layerEnds[l];
    }
    return out;
  }

  /** The layers in reverse, for a concurrent stop. */
  get shutdownLayers() {
    return this.layers.reverse();
  }

  /** A service's lifetime, by number. */
  lifetime(index) {
    return LIFETIME_NAMES[this.tables.lifetimes[index]];
  }

  /** A service's start-up layer, by number; null for scoped and transient. */
  layer(index) {
    const { singletons, layerEnds } = this.tables;
    if (index >= singletons) return null;
    let lo = 0;
    let hi = layerEnds.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (layerEnds[mid] > index) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * For every service id, each dependency resolved to its providers' ids.
   * (The JSON form names providers by service number, so that its size
   * grows with the bindings, not with bindings times id length; the ids
   * here are shared strings.)
   */
  get bindings() {
    const { ids } = this.tables;
    return Object.fromEntries(
      Object.entries(this.toJSON().bindings).map(([id, deps]) => [
        id,
        deps.map((b) => ({ ...b, providers: b.providers.map((n) => ids[n]) })),
      ]),
    );
  }

  /** Scoped and transient services' recipes, by id. */
  get recipes() {
    const { ids } = this.tables;
    return Object.fromEntries(Object.entries(this.toJSON().recipes).map(([id, r]) => [id, r.map((n) => ids[n])]));
  }

  /** Ids no root needs (with roots). */
  get unused() {
    return this.toJSON().unused;
  }

  /** The plan in its id-keyed JSON shape (the shape the vectors store). */
  toJSON() {
    if (this.#json === null) this.#json = JSON.parse(this.#handle.json());
    return this.#json;
  }

  /** The core's pretty JSON text of the plan, byte for byte. */
  toJSONString() {
    return this.#handle.json();
  }

  /** The binary form, for IndexedDB, a KV store or a file. */
  encode() {
    return this.#handle.encode();
  }

  /** A service's number, or -1. */
  indexOf(id) {
    if (this.#ids === null) {
      this.#ids = new Map();
      this.tables.ids.forEach((s, i) => this.#ids.set(s, i));
    }
    const i = this.#ids.get(id);
    return i === undefined ? -1 : i;
  }

  /**
   * @internal The number of service `id`; a `RangeError` in the core's
   * words, naming the closest ids, when the plan has no such service.
   */
  _require(id) {
    const i = this.indexOf(id);
    if (i < 0) throw new RangeError(`wireplan: ${wasm().unknownKey(String(id), this.tables.ids)}`);
    return i;
  }

  #names(indices) {
    const ids = this.tables.ids;
    return Array.from(indices, (i) => ids[i]);
  }

  /** Every service `id` needs, directly or not (lazy ones too). */
  dependencies(id) {
    return this.#names(this.#handle.dependencies(this._require(id)));
  }

  /** Every service that needs `id`, directly or not: what restarts when it changes. */
  dependents(id) {
    return this.#names(this.#handle.dependents(this._require(id)));
  }

  /**
   * One shortest chain of non-lazy dependencies from `from` down to `to`
   * (`[from, ..., to]`): why `to` starts before `from`. Null when none.
   */
  why(from, to) {
    const path = this.#handle.path(this._require(from), this._require(to));
    return path === undefined ? null : this.#names(path);
  }
}

/**
 * The result of `check()`: every problem, never thrown.
 */
export class Report {
  /** @internal */
  constructor(result) {
    /** No error (warnings allowed). */
    this.ok = result.ok;
    this.diagnostics = result.report.diagnostics;
    /** The core's rendering, as the CLI prints it. */
    this.text = result.text;
    /** The core's report JSON text. */
    this.json = result.json;
  }

  get errorCount() {
    return this.diagnostics.filter((d) => d.severity === "error").length;
  }

  get warningCount() {
    return this.diagnostics.filter((d) => d.severity === "warning").length;
  }

  toJSON() {
    return { diagnostics: this.diagnostics };
  }

  toString() {
    return this.text;
  }
}

/** Plans descriptors; throws `PlanError` with every problem. */
export function plan(descriptors, options) {
  const result = wasm().plan(documents(descriptors, options), coreOptions(options));
  if (!result.ok) throw new PlanError(result);
  return new Plan(result.plan);
}

/** Checks descriptors: a `Report` of every problem; never throws for a bad graph. */
export function check(descriptors, options) {
  let docs;
  try {
    docs = documents(descriptors, options);
  } catch (e) {
    // A value JSON cannot hold is a problem of the input, reported like any other.
    if (e instanceof Unserializable) return new Report(e.result);
    throw e;
  }
  return new Report(wasm().check(docs, coreOptions(options), Boolean(options && options.color)));
}

/** The fingerprint a plan of these descriptors and options would have. */
export function fingerprint(descriptors, options) {
  const result = wasm().fingerprint(documents(descriptors, options), coreOptions(options));
  if (!result.ok) throw new PlanError(result);
  return result.fingerprint;
}

/** A plan's binary form (`Uint8Array`). */
export function encodePlan(plan) {
  if (!(plan instanceof Plan)) throw new TypeError("wireplan: encodePlan takes a Plan");
  return plan.encode();
}

/**
 * Decodes a binary plan. With `options.fingerprint` (or `options.descriptors`
 * and planning options) the plan must have been made from exactly those.
 * Throws `PlanError` with code `invalid-plan` for anything untrustworthy.
 */
export function decodePlan(bytes, options) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("wireplan: decodePlan takes a Uint8Array");
  let expected;
  if (options && options.fingerprint !== undefined) {
    expected = String(options.fingerprint);
    if (!/^[0-9a-f]{32}$/.test(expected)) throw new TypeError("wireplan: a fingerprint is 32 lowercase hex digits");
  }
  else if (options && options.descriptors !== undefined) expected = fingerprint(options.descriptors, options);
  const result = wasm().decode(bytes, expected);
  if (!result.ok) throw new PlanError(result);
  return new Plan(result.plan);
}

/**
 * What a service needs, what needs it, its layer; with `why`, the chain
 * that orders one before the other (either way round).
 */
export function explain(plan, id, options) {
  const index = plan._require(id);
  const out = {
    id,
    lifetime: plan.lifetime(index),
    layer: plan.layer(index),
    dependencies: plan.dependencies(id),
    dependents: plan.dependents(id),
  };
  if (options && options.why !== undefined) {
    out.why = plan.why(id, options.why) ?? plan.why(options.why, id);
  }
  return out;
}

/** The core planner's version. */
export function version() {
  return wasm().version();
}
