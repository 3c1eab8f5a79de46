// The planner's JS API: arguments in, wasm call, tagged result out, and the
// throw (if any) here. No planning logic lives in JS.

import { wasm } from "./wasm.js";
import { LookupError, PlanError } from "./errors.js";

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
  if (input instanceof Uint8Array || input instanceof ArrayBuffer || ArrayBuffer.isView(input)) {
    return [{ name, text: new TextDecoder().decode(input) }]; // UTF-8 JSON text as bytes, in any of their forms
  }
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
    throw unserializable(name, findUnserializable(value) ?? { path: "(document)", tag: "other" });
  }
}

/**
 * Where `value` stops being JSON, by an iterative walk (no recursion: the
 * value may be nested past the stack): `{path, tag}`, or null.
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
        return { path: item.path || "(document)", tag: "to-json" };
      }
    }
    const where = item.path || "(document)";
    if (typeof v === "bigint") return { path: where, tag: "bigint" };
    if (v === null || typeof v !== "object") continue;
    if (onPath.has(v)) return { path: where, tag: "cycle" };
    if (item.depth >= MAX_NESTING) return { path: where, tag: "nesting" };
    onPath.add(v);
    stack.push({ exit: true, value: v });
    const entries = Array.isArray(v) ? v.map((x, i) => [`${item.path}[${i}]`, x]) : Object.entries(v).map(([k, x]) => [item.path ? `${item.path}.${k}` : k, x]);
    for (let i = entries.length - 1; i >= 0; i--) {
      stack.push({ value: entries[i][1], path: entries[i][0], depth: item.depth + 1 });
    }
  }
  return null;
}

/**
 * The `invalid-descriptor` failure for a value JSON cannot hold: the report
 * is the core's (`render::host`), words, layout and escaping included.
 */
function unserializable(name, { path, tag }) {
  const result = wasm().invalidValue(name, path, tag);
  const error = new PlanError(result);
  UNREPRESENTABLE.set(error, result);
  return error;
}

/** The core's tagged result behind each such error, for `check()` to return as a report. */
const UNREPRESENTABLE = new WeakMap();

const ENCODER = new TextEncoder();

/**
 * Writes the documents' text into the wasm module's input buffer as UTF-8
 * (`encodeInto`, straight into wasm memory: no copy of the text in JS, and
 * no walk of it code unit by code unit as a string argument gets) and
 * returns the arguments that tell the next `plan`, `check` or
 * `fingerprint` call where each document ends: `[len, names, ends]`.
 * Lone surrogates become U+FFFD, as in any string handed to wasm.
 *
 * # Complexity
 * O(bytes), one pass in the common case. A character past ASCII takes 2
 * or 3 bytes for its one code unit (4 for two): the buffer then grows to
 * twice what is left, so at least two thirds of the rest fit each time
 * and a few passes suffice, without reserving 3 bytes for every unit of
 * a long, mostly ASCII document (wasm memory never shrinks).
 */
function staged(w, docs) {
  let rest = 0;
  for (const d of docs) rest += d.text.length;
  // Room for ASCII text; grown when a character takes more bytes.
  let cap = rest;
  let ptr = w.inputBuffer(cap);
  let memory = w.wasmMemory();
  let at = 0;
  const names = new Array(docs.length);
  const ends = new Uint32Array(docs.length);
  for (let k = 0; k < docs.length; k++) {
    let text = docs[k].text;
    rest -= text.length;
    for (;;) {
      const { read, written } = ENCODER.encodeInto(text, new Uint8Array(memory.buffer, ptr + at, cap - at));
      at += written;
      if (read === text.length) break;
      text = text.slice(read);
      cap = at + 2 * (text.length + rest) + 8;
      ptr = w.inputBuffer(cap);
      memory = w.wasmMemory();
    }
    names[k] = docs[k].name;
    ends[k] = at;
  }
  return [at, names, ends];
}

/** Options read here in JS, never passed to the core. */
const JS_OPTIONS = new Set(["name", "color", "fingerprint", "descriptors"]);

/** `maxServices` -> `max_services`: JS spells options in camelCase, the core in snake_case. */
function snake(name) {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * The planning options for the core: every option but the JS-only ones goes
 * through (camelCase names in snake_case), so a misspelt one (`profle`,
 * `limits.maxServics`) is refused by the core's `Options`, which names the
 * valid ones, instead of being silently ignored.
 */
function coreOptions(options) {
  if (options === undefined || options === null) return null;
  if (typeof options !== "object" || Array.isArray(options)) throw new TypeError("wireplan: options must be an object");
  const out = {};
  for (const [name, value] of Object.entries(options)) {
    if (JS_OPTIONS.has(name) || value === undefined || value === null) continue;
    if (name === "limits" && typeof value === "object" && !Array.isArray(value)) {
      out.limits = Object.fromEntries(Object.entries(value).map(([k, v]) => [snake(k), v]));
    } else {
      out[snake(name)] = value;
    }
  }
  if (out.roots !== undefined && !(Array.isArray(out.roots) && out.roots.every((r) => typeof r === "string"))) {
    const got = typeof out.roots === "string" ? `the string ${JSON.stringify(out.roots)} (write \`roots: [${JSON.stringify(out.roots)}]\`)` : typeof out.roots;
    throw new TypeError(`wireplan: option \`roots\` must be an array of service ids, got ${got}`);
  }
  if (out.profile !== undefined && typeof out.profile !== "string") {
    throw new TypeError(`wireplan: option \`profile\` must be a string, got ${typeof out.profile}`);
  }
  return jsonOptions(out);
}

/** The options as JSON text for the core's reader; a BigInt or a cycle is a `TypeError` naming the option. */
function jsonOptions(out) {
  try {
    return JSON.stringify(out);
  } catch (e) {
    throw new TypeError(`wireplan: options cannot be written as JSON: ${e.message}`);
  }
}

const LIFETIME_NAMES = ["singleton", "scoped", "transient"];

/** The ids, cut from their concatenation at `ends` (UTF-16 offsets). */
function cutIds(text, ends) {
  const ids = new Array(ends.length);
  let at = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i];
    ids[i] = text.slice(at, end);
    at = end;
  }
  return ids;
}

/**
 * A validated plan. Services are numbered as in the core: singletons first,
 * in start-up order (`0..singletons`), then scoped and transient ones.
 *
 * Nothing stays in wasm memory: building one copies the plan's flat tables
 * (`tables`: typed arrays, and the ids cut from one string), its fingerprint and its
 * binary form out of wasm and frees the core's plan at once. Wasm memory only
 * grows, and a `FinalizationRegistry` frees only after the event loop turns,
 * so a plan kept in wasm until then made a synchronous loop of `plan()` calls
 * grow without bound. The richer forms (the id-keyed JSON, the runtime form)
 * and the queries decode the binary form into a short-lived core plan, read
 * what they need and free it before returning.
 */
export class Plan {
  #source;
  #bytes;
  #json = null;
  #jsonText = null;
  #runtime = null;
  #ids = null;
  #handle = null;
  #fingerprint;
  #profile;

  /**
   * @internal Use `plan()` or `decodePlan()`. Takes ownership of `handle`
   * (freed here); `bytes` is its binary form when the caller has it;
   * `source` the documents and core options it was planned from, when
   * known (what `explain`, `toDot` and `toMermaid` analyze).
   */
  constructor(handle, bytes, source = null) {
    this.#source = source;
    try {
      /** The plan as flat arrays, what the runtime reads (see index.d.ts `PlanTables`). */
      this.tables = Object.freeze({
        ids: cutIds(handle.id_text(), handle.id_ends()),
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
      this.#fingerprint = handle.fingerprint();
      this.#profile = handle.profile() ?? null;
      this.#bytes = bytes ?? handle.encode();
    } finally {
      handle.free();
    }
  }

  /** Runs `fn` on a core plan decoded from the binary form, then frees it. */
  #withHandle(fn) {
    const result = wasm().decode(this.#bytes, this.#fingerprint);
    // INVARIANT: the bytes were encoded by this very module, from a plan of this fingerprint.
    if (!result.ok) throw new PlanError(result);
    try {
      return fn(result.plan);
    } finally {
      result.plan.free();
    }
  }

  /**
   * @internal Hot reload (`wireplan::reload` in the core): what an app
   * running `older` stops, starts and keeps to run `newer`, `changed`
   * naming services whose code the runtime saw replaced.
   * `{stop, start, keep, changed, dependents}`: `stop`, `start` and `keep`
   * (old, new, old, new, …) as `Uint32Array`s (the wasm `reloadFlat`).
   */
  static _reload(older, newer, changed) {
    return wasm().reloadFlat(older.#reloadHandle(), newer.#reloadHandle(), changed);
  }

  /**
   * The core plan decoded once for hot reloads (an app reloads between a
   * few plans, each decoded once rather than per reload); wasm-bindgen's
   * finalizer frees it with this plan.
   */
  #reloadHandle() {
    if (this.#handle === null) {
      const result = wasm().decode(this.#bytes, this.#fingerprint);
      // INVARIANT: the bytes were encoded by this very module, from a plan of this fingerprint.
      if (!result.ok) throw new PlanError(result);
      this.#handle = result.plan;
    }
    return this.#handle;
  }

  /** The compact runtime form (`Plan::to_runtime_json` in the core). */
  get runtime() {
    if (this.#runtime === null) this.#runtime = JSON.parse(this.#withHandle((h) => h.runtime()));
    return this.#runtime;
  }

  /** 32 hex digits identifying the descriptors and options planned. */
  get fingerprint() {
    return this.#fingerprint;
  }

  /** The profile planned for, or null. */
  get profile() {
    return this.#profile;
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
    if (this.#json === null) this.#json = JSON.parse(this.toJSONString());
    return this.#json;
  }

  /** The core's pretty JSON text of the plan, byte for byte. */
  toJSONString() {
    if (this.#jsonText === null) this.#jsonText = this.#withHandle((h) => h.json());
    return this.#jsonText;
  }

  /** The binary form, for IndexedDB, a KV store or a file. */
  encode() {
    return this.#bytes.slice();
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
   * words for an unknown id (as `getById` says it), naming the closest ids,
   * when the plan has no such service.
   */
  _require(id) {
    const i = this.indexOf(id);
    if (i < 0) throw new RangeError(`wireplan: ${wasm().unknownId(String(id), this.tables.ids)}`);
    return i;
  }

  #names(indices) {
    const ids = this.tables.ids;
    return Array.from(indices, (i) => ids[i]);
  }

  /** Every service `id` needs, directly or not (lazy ones too). */
  dependencies(id) {
    const i = this._require(id);
    return this.#names(this.#withHandle((h) => h.dependencies(i)));
  }

  /** Every service that needs `id`, directly or not: what restarts when it changes. */
  dependents(id) {
    const i = this._require(id);
    return this.#names(this.#withHandle((h) => h.dependents(i)));
  }

  /**
   * @internal `explain`'s answer for service `index` (`id`), and the chain
   * to or from service `other` unless null, from one decode of the plan.
   */
  _explain(id, index, other) {
    return this.#withHandle((h) => {
      const out = {
        id,
        lifetime: this.lifetime(index),
        layer: this.layer(index),
        dependencies: this.#names(h.dependencies(index)),
        dependents: this.#names(h.dependents(index)),
      };
      if (other !== null) {
        const path = h.path(index, other) ?? h.path(other, index);
        out.why = path === undefined ? null : this.#names(path);
      }
      return out;
    });
  }

  /**
   * One shortest chain of non-lazy dependencies from `from` down to `to`
   * (`[from, ..., to]`): why `to` starts before `from`. Null when none.
   */
  why(from, to) {
    const a = this._require(from);
    const b = this._require(to);
    const path = this.#withHandle((h) => h.path(a, b));
    return path === undefined ? null : this.#names(path);
  }

  /** The analysis of the descriptors this plan was made from (see `analyze`). */
  #analysis() {
    if (this.#source === null) {
      throw new TypeError("wireplan: this plan was decoded from bytes alone, without its descriptors: pass `descriptors` to decodePlan, or call analyze(descriptors)");
    }
    return new Analysis(this.#source.docs, this.#source.options, null);
  }

  /**
   * A service (by id, or a key only it provides) or a key explained in the
   * core's words, as `wireplan explain` prints it: `format` `"text"`
   * (default) or `"json"` (JSON text); with `why`, also the chain that
   * orders the two. Throws a `LookupError` for a name that is neither.
   */
  explain(name, options) {
    return this.#analysis().explain(name, options);
  }

  /** The graph as Graphviz DOT, as `wireplan graph` draws it; `{focus}` keeps one service's neighbourhood. */
  toDot(options) {
    return this.#analysis().toDot(options);
  }

  /** The graph as a Mermaid flowchart, as `wireplan graph --format mermaid` draws it. */
  toMermaid(options) {
    return this.#analysis().toMermaid(options);
  }
}

/** Throws the failure of an analysis call: a `PlanError` for unusable input, a `LookupError` for a name. */
function analysisResult(result) {
  if (result.ok) return result.text;
  if (result.unknown !== undefined) {
    const u = result.unknown;
    const code = !u.notOne ? "unknown-name" : u.suggestions.length > 0 ? "ambiguous-key" : "unknown-key";
    throw new LookupError(code, u.name, u.message, u.suggestions);
  }
  throw new PlanError(result);
}

const TEXT_FORMATS = ["text", "json"];

/** `options.format` of `explain` and `diff`: true for JSON. */
function wantsJson(options, what) {
  const format = options?.format ?? "text";
  if (!TEXT_FORMATS.includes(format)) throw new TypeError(`wireplan: ${what} \`format\` is "text" or "json", got ${JSON.stringify(format)}`);
  return format === "json";
}

/** `options.focus`: a name, or undefined. */
function focusOf(options) {
  const focus = options?.focus;
  if (focus !== undefined && focus !== null && typeof focus !== "string") throw new TypeError("wireplan: `focus` must be a service id or key");
  return focus ?? undefined;
}

/**
 * The core's analysis of a graph, valid or broken: what `wireplan graph`,
 * `explain` and `diff` print. `valid` and `report` (a `Report`: the errors
 * of a broken graph, or a valid one's warnings) are read at once; every
 * other call analyzes the descriptors again in wasm and returns the core's
 * text, so nothing is kept in wasm memory (as with `Plan`).
 */
export class Analysis {
  #docs;
  #options;

  /** @internal Use `analyze()`. `result` is the wasm `analyze` result, or null when only the calls are needed. */
  constructor(docs, options, result) {
    this.#docs = docs;
    this.#options = options;
    if (result !== null) {
      /** Whether the graph plans (warnings allowed). */
      this.valid = result.valid;
      /** Every problem: a broken graph's errors and warnings, or a valid one's warnings. */
      this.report = new Report({ ...result, ok: result.valid });
    }
  }

  /** The graph as Graphviz DOT; with `{focus}` (an id, or a key only one service provides), only what it needs and what needs it. */
  toDot(options) {
    return analysisResult(wasm().picture(this.#docs, this.#options, "dot", focusOf(options)));
  }

  /** The graph as a Mermaid flowchart; `{focus}` as for `toDot`. */
  toMermaid(options) {
    return analysisResult(wasm().picture(this.#docs, this.#options, "mermaid", focusOf(options)));
  }

  /**
   * A service or key explained, as `wireplan explain` prints it: `format`
   * `"text"` (default) or `"json"`; `why`: another service, to show the
   * chain that orders the two. A `LookupError` (`unknown-name` with
   * did-you-mean, or `ambiguous-key`) for a name that names nothing.
   */
  explain(name, options) {
    const json = wantsJson(options, "explain");
    const why = options?.why;
    if (typeof name !== "string") throw new TypeError("wireplan: explain takes a service id or key");
    if (why !== undefined && typeof why !== "string") throw new TypeError("wireplan: `why` must be a service id or key");
    return analysisResult(wasm().explain(this.#docs, this.#options, name, why, json));
  }

  /**
   * What changed from this graph to `newer` (another `Analysis`), as
   * `wireplan diff` prints it: services, dependencies, lifetimes, keys,
   * profiles, bindings and recipes, order and layer moves, new and fixed
   * errors. `format` `"text"` (default) or `"json"`.
   */
  diff(newer, options) {
    if (!(newer instanceof Analysis)) throw new TypeError("wireplan: diff takes another Analysis (from analyze())");
    const json = wantsJson(options, "diff");
    return analysisResult(wasm().diff(this.#docs, this.#options, newer.#docs, newer.#options, json));
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
  const docs = documents(descriptors, options);
  const core = coreOptions(options);
  const w = wasm();
  const result = w.plan(...staged(w, docs), core);
  if (!result.ok) throw new PlanError(result);
  return new Plan(result.plan, undefined, { docs, options: core });
}

/**
 * Analyzes descriptors, valid or broken: an `Analysis` to draw, explain and
 * diff. Throws `PlanError` only for input that cannot be used at all
 * (unreadable documents, a limit exceeded); a broken graph is
 * `valid === false` with its `report`.
 */
export function analyze(descriptors, options) {
  const docs = documents(descriptors, options);
  const core = coreOptions(options);
  const result = wasm().analyze(docs, core);
  if (!result.ok) throw new PlanError(result);
  return new Analysis(docs, core, result);
}

const TIMELINE_FORMATS = ["chain", "blame", "svg", "trace"];

/**
 * A start-up record (`{timeline: 1, services: [...]}`, as JSON text or an
 * object) rendered by the core, as `wireplan timeline` prints it: `format`
 * `"chain"` (the critical chain, default), `"blame"` (slowest first),
 * `"svg"` (a chart) or `"trace"` (Chrome trace-event JSON for Perfetto).
 * Throws `PlanError` for a record that cannot be read, naming the place.
 */
export function renderTimeline(record, format = "chain", options) {
  if (!TIMELINE_FORMATS.includes(format)) {
    throw new TypeError(`wireplan: a timeline's format is one of ${TIMELINE_FORMATS.map((f) => JSON.stringify(f)).join(", ")}, got ${JSON.stringify(format)}`);
  }
  const name = options && options.name !== undefined ? String(options.name) : DEFAULT_NAME;
  const text = typeof record === "string" ? record : toJson(record, name);
  return analysisResult(wasm().renderTimeline(name, text, format, coreOptions(options)));
}

/**
 * Looks into a binary plan (a cache file's bytes): what its header says
 * and whether a cache would use it, or why not, in the core's words (the
 * text of `npx wireplan inspect`). With `fingerprint`, the plan must carry
 * it, as a cache for given descriptors requires.
 */
export function inspect(bytes, options) {
  const data = bytes instanceof Uint8Array ? bytes : ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
  const name = options && options.name !== undefined ? String(options.name) : "<plan>";
  const fp = options && options.fingerprint !== undefined ? String(options.fingerprint) : undefined;
  const result = wasm().inspect(data, name, fp);
  if (!result.ok) throw new PlanError(result);
  return Object.freeze({ usable: result.usable, text: result.text, json: result.json, toString: () => result.text });
}

/** Checks descriptors: a `Report` of every problem; never throws for a bad graph. */
export function check(descriptors, options) {
  let docs;
  try {
    docs = documents(descriptors, options);
  } catch (e) {
    // A value JSON cannot hold is a problem of the input, reported like any other.
    if (UNREPRESENTABLE.has(e)) return new Report(UNREPRESENTABLE.get(e));
    throw e;
  }
  const core = coreOptions(options);
  const w = wasm();
  return new Report(w.check(...staged(w, docs), core, Boolean(options && options.color)));
}

/** The fingerprint a plan of these descriptors and options would have. */
export function fingerprint(descriptors, options) {
  const docs = documents(descriptors, options);
  const core = coreOptions(options);
  const w = wasm();
  const result = w.fingerprint(...staged(w, docs), core);
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
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  else if (ArrayBuffer.isView(bytes) && !(bytes instanceof Uint8Array)) bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!(bytes instanceof Uint8Array)) throw new TypeError("wireplan: decodePlan takes a Uint8Array or an ArrayBuffer");
  let expected;
  if (options && options.fingerprint !== undefined) {
    expected = String(options.fingerprint);
    if (!/^[0-9a-f]{32}$/.test(expected)) throw new TypeError("wireplan: a fingerprint is 32 lowercase hex digits");
  }
  // The descriptors, when given, are also what the plan's `explain`, `toDot`
  // and `toMermaid` analyze (with a fingerprint, the caller vouches that it
  // is theirs, as the plan cache does).
  let source = null;
  if (options && options.descriptors !== undefined) {
    if (expected === undefined) expected = fingerprint(options.descriptors, options);
    source = { docs: documents(options.descriptors, options), options: coreOptions(options) };
  }
  const result = wasm().decode(bytes, expected);
  if (!result.ok) throw new PlanError(result);
  return new Plan(result.plan, bytes.slice(), source);
}

/**
 * What a service needs, what needs it, its layer; with `why`, the chain
 * that orders one before the other (either way round).
 */
export function explain(plan, id, options) {
  const index = plan._require(id);
  const other = options && options.why !== undefined ? plan._require(options.why) : null;
  return plan._explain(id, index, other);
}

/** The core planner's version. */
export function version() {
  return wasm().version();
}
