// Type declarations for the `wireplan` npm package: every export of every
// entry point (Node ESM and CommonJS, bundlers, `wireplan/web`), written by
// hand and checked by `tsc --noEmit` in the tests (test/types/).

// `App` supports `await using` (`Symbol.asyncDispose`), declared by this lib
// (TypeScript 5.2 and later), whatever the project's own `lib` says.
/// <reference lib="esnext.disposable" />

// ---- Host types ----------------------------------------------------------------
// These declarations need neither the DOM lib nor @types/node: each host type
// is the global one when the project has it (so `ctx.signal` passes to
// `fetch`), else a structural stand-in.

/** The global `name`'s instance type when the project's libs declare it, else `Fallback`. */
type HostType<N extends string, Fallback> = typeof globalThis extends { [K in N]: { prototype: infer P } } ? P : Fallback;

/** What the runtime needs of an `AbortSignal`, where no lib declares one. */
interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
  throwIfAborted(): void;
}

/** `AbortSignal`, from the DOM lib or @types/node when present. */
export type AbortSignalType = HostType<"AbortSignal", AbortSignalLike>;

/** A compiled `WebAssembly.Module` when the libs declare one, else any object. */
export type WasmModule = typeof globalThis extends { WebAssembly: { Module: { prototype: infer M } } } ? M : object;

/** What `init()` of `wireplan/web` takes: a URL (string or `URL`), a `Request`/`Response`, bytes or a compiled module. */
export type InitInput = string | HostType<"URL", { readonly href: string }> | HostType<"Request", never> | HostType<"Response", never>
  | ArrayBuffer | ArrayBufferView | WasmModule;

// ---- Descriptors (format version 1) ------------------------------------------

/** How long an instance lives. */
export type Lifetime = "singleton" | "scoped" | "transient";

/** One dependency: a key, or a key with flags. */
export type DepDescriptor =
  | string
  | {
      key: string;
      /** A missing provider is not an error. */
      optional?: boolean;
      /** Bind every provider of the key, in declaration order. */
      many?: boolean;
      /** Handed over as a deferred handle: no start-up order; may close a cycle. */
      lazy?: boolean;
    };

/** Where a provider is defined; shown in every diagnostic about it. */
export interface SourceDescriptor {
  file: string;
  line?: number;
  column?: number;
}

/** Any JSON value (`meta` is carried through untouched). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One service, as written in a descriptor document. */
export interface ServiceDescriptor {
  /** Unique, non-empty. */
  id: string;
  /** Keys it satisfies; default `[id]`. */
  provides?: string[];
  deps?: DepDescriptor[];
  lifetime?: Lifetime;
  /** It exists only when planning for one of these; absent means always. */
  profiles?: string[];
  /** Ids of services this one takes the place of (test overrides). */
  replaces?: string | string[];
  source?: SourceDescriptor;
  meta?: Json;
}

/** A descriptor document. */
export interface DescriptorDocument {
  version: 1;
  services: ServiceDescriptor[];
}

/** One named document; several are merged in order. */
export type NamedDocument = { name?: string; text: string } | { name?: string; document: DescriptorDocument };

/** What `plan`, `check` and `fingerprint` accept: JSON text (a string, or UTF-8 bytes in a Uint8Array, ArrayBuffer or other view), a document, or documents to merge. */
export type DescriptorInput = string | Uint8Array | ArrayBuffer | ArrayBufferView | DescriptorDocument | NamedDocument[];

/** Planning options. */
export interface PlanOptions {
  /** The active profile. */
  profile?: string | null;
  /** Services that must start; only what they need is planned, the rest is reported unused. */
  roots?: string[];
  /** Resource limits; each one left out keeps the core's safe default (see README, "Limits"). */
  limits?: Limits;
  /** The document name used in diagnostics (default `<input>`). */
  name?: string;
}

/** Resource limits; exceeding one is a `limit-exceeded` error, never an out-of-memory. */
export interface Limits {
  max_input_bytes?: number;
  max_services?: number;
  max_deps_per_service?: number;
  max_entries?: number;
  max_key_bytes?: number;
  max_bindings?: number;
  max_recipe_entries?: number;
  max_growth_per_byte?: number;
  max_diagnostics?: number;
  max_report_bytes?: number;
}

// ---- Reports -------------------------------------------------------------------

/** Stable kebab-case codes (new ones may be added, none renamed). */
export type DiagnosticCode =
  | "dependency-cycle"
  | "missing-dependency"
  | "ambiguous-dependency"
  | "captive-dependency"
  | "duplicate-id"
  | "invalid-replacement"
  | "unknown-root"
  | "unused-service"
  | "invalid-descriptor"
  | "unsupported-version"
  | "limit-exceeded"
  | "invalid-plan";

export type Severity = "error" | "warning";

/** A place: a provider's source, or a value in a descriptor document. */
export interface Location {
  file: string;
  line: number | null;
  column: number | null;
  /** JSON path inside a descriptor document. */
  path: string | null;
}

/** A secondary place: one hop of a cycle, one asker of a missing key. */
export interface Related {
  message: string;
  service: string | null;
  key: string | null;
  location: Location | null;
}

/** One problem; the same shape in every language. */
export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  help: string | null;
  /** For a cycle: the path in dependency order, first repeated at the end; for a missing key: who asked. */
  services: string[];
  key: string | null;
  location: Location | null;
  related: Related[];
}

/** The JSON report. */
export interface ReportJson {
  diagnostics: Diagnostic[];
}

/** Every problem, from `check()`; never thrown. */
export class Report {
  private constructor();
  /** No error (warnings allowed). */
  readonly ok: boolean;
  readonly diagnostics: Diagnostic[];
  /** The core's rendering, as the CLI prints it. */
  readonly text: string;
  /** The core's report JSON text. */
  readonly json: string;
  readonly errorCount: number;
  readonly warningCount: number;
  toJSON(): ReportJson;
  toString(): string;
}

/** Thrown when descriptors cannot be planned or a binary plan cannot be trusted. */
export class PlanError extends Error {
  private constructor();
  readonly name: "PlanError";
  /** The core's rendering (trailing newline stripped). */
  readonly message: string;
  /** The first error's code. */
  readonly code: DiagnosticCode;
  readonly report: ReportJson;
  readonly diagnostics: Diagnostic[];
}

// ---- Plans ---------------------------------------------------------------------

/** A dependency bound to its providers, by service number. */
export interface RuntimeDep {
  key: string;
  optional: boolean;
  many: boolean;
  lazy: boolean;
  providers: number[];
}

export interface PlanSource {
  file: string;
  line: number | null;
  column: number | null;
}

/** One service of the runtime form. */
export interface RuntimeService {
  id: string;
  lifetime: Lifetime;
  provides: string[];
  /** Start-up layer; null for scoped and transient. */
  layer: number | null;
  source: PlanSource | null;
  meta: Json | null;
  /** Scoped and transient: what to build for one instance, ending with itself. */
  recipe: number[];
  deps: RuntimeDep[];
}

/** The compact runtime form: singletons are `0..singletons`, in start-up order. */
export interface RuntimePlan {
  fingerprint: string;
  profile: string | null;
  singletons: number;
  layers: number[][];
  services: RuntimeService[];
  warnings: Diagnostic[];
}

/** A binding in the id-keyed JSON form. */
export interface PlanBinding {
  key: string;
  optional: boolean;
  many: boolean;
  lazy: boolean;
  providers: string[];
}

/** A binding in the JSON form: providers by service number (their place in `services`). */
export interface PlanJsonBinding {
  key: string;
  optional: boolean;
  many: boolean;
  lazy: boolean;
  providers: number[];
}

/** The JSON form (what the test vectors store): ids in the orders, service numbers in bindings and recipes. */
export interface PlanJson {
  version: number;
  fingerprint: string;
  profile: string | null;
  roots: string[];
  services: Array<Omit<RuntimeService, "recipe" | "deps">>;
  startup: string[];
  layers: string[][];
  shutdown: string[];
  shutdown_layers: string[][];
  bindings: Record<string, PlanJsonBinding[]>;
  recipes: Record<string, number[]>;
  unused: string[];
  warnings: Diagnostic[];
}

/**
 * The plan as flat arrays, read from wasm when a plan is made: what the JS
 * runtime uses. Services are numbered; singletons are `0..singletons`.
 */
export interface PlanTables {
  /** Service ids by number. */
  readonly ids: string[];
  readonly singletons: number;
  /** End (exclusive) of each start-up layer. */
  readonly layerEnds: Uint32Array;
  /** 0 singleton, 1 scoped, 2 transient. */
  readonly lifetimes: Uint8Array;
  /** Service `i`'s dependencies are `depStart[i]..depStart[i + 1]`. */
  readonly depStart: Uint32Array;
  /** Per dependency: 1 optional, 2 many, 4 lazy. */
  readonly depFlags: Uint8Array;
  /** Dependency `d`'s providers are `providers[provStart[d]..provStart[d + 1]]`. */
  readonly provStart: Uint32Array;
  readonly providers: Uint32Array;
  /** Service `i`'s recipe is `recipes[recipeStart[i]..recipeStart[i + 1]]`. */
  readonly recipeStart: Uint32Array;
  readonly recipes: Uint32Array;
}

/** A validated plan. */
export class Plan {
  private constructor();
  readonly tables: PlanTables;
  /** Number of planned services. */
  readonly size: number;
  /** The compact runtime form (read on first use). */
  readonly runtime: RuntimePlan;
  readonly fingerprint: string;
  readonly profile: string | null;
  readonly services: RuntimeService[];
  readonly warnings: Diagnostic[];
  /** Singleton ids in start-up order. */
  readonly startup: string[];
  /** Reverse of start-up. */
  readonly shutdown: string[];
  /** Start-up layers: each depends only on earlier ones. */
  readonly layers: string[][];
  readonly shutdownLayers: string[][];
  readonly bindings: Record<string, PlanBinding[]>;
  readonly recipes: Record<string, string[]>;
  readonly unused: string[];
  toJSON(): PlanJson;
  /** The core's pretty JSON text, byte for byte. */
  toJSONString(): string;
  /** The binary form. */
  encode(): Uint8Array;
  /** A service's number, or -1. */
  indexOf(id: string): number;
  /** A service's lifetime, by number. */
  lifetime(index: number): Lifetime;
  /** A singleton's start-up layer, by number; null for scoped and transient. */
  layer(index: number): number | null;
  /** Transitive dependencies (lazy ones too). */
  dependencies(id: string): string[];
  /** Transitive dependents: what restarts when `id` changes. */
  dependents(id: string): string[];
  /** One shortest non-lazy chain `[from, ..., to]`, or null. */
  why(from: string, to: string): string[] | null;
  /**
   * A service (id, or a key only it provides) or a key explained in the core's
   * words, as `wireplan explain` prints it. Needs the descriptors: a plan from
   * `plan()`, `Registry.compile()` or `decodePlan(bytes, {descriptors})`.
   * Throws `LookupError` for a name that names nothing.
   */
  explain(name: string, options?: ExplainOptions): string;
  /** The graph as Graphviz DOT, as `wireplan graph` draws it. */
  toDot(options?: PictureOptions): string;
  /** The graph as a Mermaid flowchart, as `wireplan graph --format mermaid` draws it. */
  toMermaid(options?: PictureOptions): string;
}

/** Options of `explain`: `"text"` (default) or `"json"` (JSON text); `why`, another service, for the chain that orders the two. */
export interface ExplainOptions {
  why?: string;
  format?: "text" | "json";
}

/** Options of `toDot`/`toMermaid`: only `focus` (an id, or a key only one service provides), what it needs and what needs it. */
export interface PictureOptions {
  focus?: string;
}

/**
 * The core's analysis of a graph, valid or broken (from `analyze()`): what
 * `wireplan graph`, `explain` and `diff` print. Each call returns the core's text.
 */
export class Analysis {
  private constructor();
  /** Whether the graph plans (warnings allowed). */
  readonly valid: boolean;
  /** A broken graph's errors and warnings, or a valid one's warnings. */
  readonly report: Report;
  toDot(options?: PictureOptions): string;
  toMermaid(options?: PictureOptions): string;
  /** Throws `LookupError` (`unknown-name`, `ambiguous-key`, `unknown-key`) for a name that names no one service or key. */
  explain(name: string, options?: ExplainOptions): string;
  /** What changed from this graph to `newer`, as `wireplan diff` prints it. */
  diff(newer: Analysis, options?: { format?: "text" | "json" }): string;
}

/** Analyzes descriptors, valid or broken; throws `PlanError` only for input that cannot be used at all. */
export function analyze(descriptors: DescriptorInput, options?: PlanOptions): Analysis;

/** One service's start in a start-up record (times in whole microseconds from the start). */
export interface TimelineService {
  id: string;
  layer: number;
  start_us: number;
  duration_us: number;
  outcome: "started" | "failed" | "cancelled" | "timed-out";
  needs?: string[];
}

/** A start-up record, the same shape from every runtime. */
export interface TimelineRecord {
  timeline: 1;
  services: TimelineService[];
}

/** What `renderTimeline` draws: the critical chain, a blame list, an SVG chart, or Chrome trace-event JSON. */
export type TimelineFormat = "chain" | "blame" | "svg" | "trace";

/** A start-up record (JSON text or object) rendered by the core, as `wireplan timeline` prints it; throws `PlanError` for a bad record. */
export function renderTimeline(record: string | TimelineRecord, format?: TimelineFormat, options?: { name?: string; limits?: Limits }): string;

/** What `inspect` found in a binary plan. */
export interface Inspection {
  /** Whether a cache would use it. */
  readonly usable: boolean;
  /** For a person: the header, then `usable: ...` or `refused: <why>`. */
  readonly text: string;
  /** For a tool: the header fields and the verdict, as JSON text. */
  readonly json: string;
  toString(): string;
}

/** Looks into a binary plan: its header and whether a cache would use it, or why not. */
export function inspect(bytes: Uint8Array | ArrayBuffer | ArrayBufferView, options?: { fingerprint?: string; name?: string }): Inspection;

/** What `explain` tells about one service. */
export interface Explanation {
  id: string;
  lifetime: Lifetime;
  layer: number | null;
  dependencies: string[];
  dependents: string[];
  /** With `why`: the chain ordering the two, either way round, or null. */
  why?: string[] | null;
}

/** Plans descriptors; throws `PlanError` with every problem. */
export function plan(descriptors: DescriptorInput, options?: PlanOptions): Plan;
/** Every problem (errors and warnings); never throws for a bad graph. `color`: the text in ANSI colors. */
export function check(descriptors: DescriptorInput, options?: PlanOptions & { color?: boolean }): Report;
/** The fingerprint a plan of these would have; throws `PlanError` on unreadable input. */
export function fingerprint(descriptors: DescriptorInput, options?: PlanOptions): string;
/** The binary form of a plan. */
export function encodePlan(plan: Plan): Uint8Array;
/** Options of `decodePlan`: the plan must match this fingerprint, or these descriptors (which its `explain` and `toDot` then analyze). */
export interface DecodeOptions extends PlanOptions {
  fingerprint?: string;
  descriptors?: DescriptorInput;
}
/** Decodes a binary plan; throws `PlanError` (code `invalid-plan`) for anything untrustworthy. */
export function decodePlan(bytes: Uint8Array | ArrayBuffer | ArrayBufferView, options?: DecodeOptions): Plan;
/** What a service needs and what needs it; with `why`, the chain between two. */
export function explain(plan: Plan, id: string, options?: { why?: string }): Explanation;
/** The core planner's version. */
export function version(): string;

/** Node and bundlers: resolves at once. `wireplan/web`: instantiates the module (fetching it unless given). */
export function init(input?: InitInput): Promise<void>;
/** Node and bundlers: nothing to do. `wireplan/web`: instantiates from bytes or a compiled module, without a fetch. */
export function initSync(module?: WasmModule | ArrayBuffer | ArrayBufferView): void;

// ---- Runtime -------------------------------------------------------------------

/** A lazy dependency: call it to get the instance once it is built. */
export type Lazy<T> = () => T;

declare const keyType: unique symbol;

/**
 * A key that carries the type of what provides it (as inversify's
 * `ServiceIdentifier<T>` and tsyringe's `InjectionToken<T>`): made by
 * `key<Database>("db")`, it types the factory's parameter that depends on
 * it, the value its provider must return, and `get`. At run time it is the
 * string itself, so it goes wherever a key goes.
 */
export type Key<T> = string & { readonly [keyType]?: T };

/** A typed key: `const db = key<Database>("db")`. Throws a `TypeError` for an empty or non-string name. */
export function key<T>(name: string): Key<T>;

/** The type a key stands for: `T` for a `Key<T>`, `any` for a plain string key. */
export type KeyType<K> = [K] extends [Key<infer T>] ? (unknown extends T ? any : T) : any;

/** What a factory receives for one dependency: an array for `many`, a `Lazy` for `lazy`, possibly `undefined` for `optional`. */
export type DepValue<D> =
  D extends string ? KeyType<D>
  : D extends { key: infer K; many: true } ? KeyType<K>[]
  : D extends { key: infer K; lazy: true } ? Lazy<KeyType<K>>
  : D extends { key: infer K; optional: true } ? KeyType<K> | undefined
  : D extends { key: infer K } ? KeyType<K>
  : any;

/** The factory's parameters for a list of dependencies. */
export type DepValues<D extends readonly unknown[]> = { -readonly [I in keyof D]: DepValue<D[I]> };

/**
 * The last argument of every factory, after its dependencies. `signal`
 * aborts when the runtime gives up on the call: a sibling in the start-up
 * layer failed, `startTimeout` passed, the start's signal aborted, or the
 * scope (or app) building it stopped.
 */
export interface FactoryContext {
  readonly signal: AbortSignalType;
  /** The id of the service being built. */
  readonly id: string;
  /**
   * fx's `Lifecycle`: `append({onStart, onStop})` adds start and stop hooks
   * to this service (after its options' hooks; stopped before them).
   * Singletons only: from a scoped or transient factory it throws.
   */
  readonly lifecycle: Lifecycle;
}

/** Hooks appended through `ctx.lifecycle` (the factory's context). */
export interface Lifecycle {
  append(hooks: LifecycleHooks): void;
}

/** A pair of hooks given to `ctx.lifecycle.append`. */
export interface LifecycleHooks<T = any> {
  onStart?: (instance: T, ctx: HookContext) => unknown;
  onStop?: (instance: T, ctx: HookContext) => unknown;
}

/**
 * The last argument of a start hook, a stop hook, a health check and an
 * invoked function: `signal` aborts when the runtime gives up on the call (a
 * sibling hook failed, its timeout passed, the start aborted); `error` is
 * why the app stops (stop hooks; undefined on a clean stop).
 */
export interface HookContext {
  readonly signal: AbortSignalType;
  readonly id: string;
  readonly error?: unknown;
}

/**
 * The second argument of `dispose`: why the instance is torn down. `error`
 * is undefined on a clean exit, else the failed request's error
 * (`withScope`, `scope.stop({error})`), the failed start's cause, or the
 * abort's reason. A dispose that rethrows `error` itself has not failed.
 */
export interface DisposeInfo {
  readonly error: unknown;
  readonly id: string;
}

/** Options of `provide` and `supply`. */
export interface ProvideOptions<T = unknown> {
  provides?: string[];
  lifetime?: Lifetime;
  profiles?: string[];
  replaces?: string | string[];
  source?: SourceDescriptor;
  meta?: Json;
  /** Called on stop (reverse order of readiness), or when the scope stops; told why. */
  dispose?: (instance: T, info: DisposeInfo) => unknown;
  /**
   * Singletons: run once every service is built, in plan order (a layer's
   * concurrently); a throw or rejection rolls the start back (`StartError`,
   * `phase` `"start-hook"`).
   */
  onStart?: (instance: T, ctx: HookContext) => unknown;
  /** Singletons whose start hooks ran: at stop, in reverse plan order, before every `dispose`. */
  onStop?: (instance: T, ctx: HookContext) => unknown;
  /** Bounds this service's factory and start hook each (ms); default: `start()`'s `startTimeout`; `Infinity`: none. */
  startTimeout?: number;
  /** Bounds this service's stop hook and dispose each (ms); default: the app's `stopTimeout`. */
  stopTimeout?: number;
  /** A health check (singletons): healthy unless it returns `false` or throws. See `App#health`. */
  health?: (instance: T, ctx: HookContext) => unknown;
  /** The health check's timeout (ms), default 1000. */
  healthTimeout?: number;
}

/** Collects services and factories. */
export class Registry {
  constructor();
  /** A ready value under `id`. */
  supply<T>(id: string | Key<T>, value: T, options?: ProvideOptions<T>): this;
  /**
   * A factory called with one argument per dependency (an array for `many`,
   * `undefined` for a missing `optional`, a `Lazy` for `lazy`) and, last, a
   * `FactoryContext` (`{signal, id}`).
   */
  provide<T, const D extends readonly DepDescriptor[]>(
    id: string | Key<T>,
    deps: D,
    factory: (...args: [...DepValues<D>, FactoryContext]) => T | Promise<T>,
    options?: ProvideOptions<T>,
  ): this;
  /**
   * fx's `Invoke`: `fn` runs at start, after every service is built, in plan
   * order with the start hooks, its dependencies resolved as a factory's
   * (they are roots of the plan). Its id is `invoke:` and the function's name (or `options.id`). A
   * throw or rejection fails the start (`StartError`, `phase` `"invoke"`).
   */
  invoke<const D extends readonly DepDescriptor[]>(deps: D, fn: (...args: [...DepValues<D>, HookContext]) => unknown, options?: { id?: string; startTimeout?: number }): this;
  /**
   * Replaces every provider of `key` with a fake (tests): a ready value, or a
   * factory planned like any provider (its lifetime the replaced one's unless
   * `options.lifetime`). The fake takes the replaced providers' keys; the
   * newest override of a key wins. An unknown key is a `LookupError` at `compile()`.
   */
  override<T>(key: string | Key<T>, value: T): this;
  override<T, const D extends readonly DepDescriptor[]>(
    key: string | Key<T>,
    deps: D,
    factory: (...args: [...DepValues<D>, FactoryContext]) => T | Promise<T>,
    options?: Omit<ProvideOptions<T>, "provides" | "replaces" | "profiles" | "source">,
  ): this;
  /** An independent registry with the same registrations. */
  copy(): Registry;
  /** The descriptor document of what is registered. */
  descriptors(): DescriptorDocument;
  /** Plans the registrations; throws `PlanError`. */
  compile(options?: PlanOptions & { cache?: undefined | null }): CompiledPlan;
  /**
   * Plans through a plan cache: a stored plan of the same fingerprint is
   * decoded instead of planning. A promise when the storage's `get` is async.
   */
  compile(options: CachedCompileOptions<SyncPlanStorage>): CompiledPlan;
  compile(options: CachedCompileOptions<PlanStorage>): CompiledPlan | Promise<CompiledPlan>;
}

/** What a plan storage may hand back for a key. */
export type StoredBytes = Uint8Array | ArrayBuffer | ArrayBufferView | undefined | null;

/** Bytes by key: `memoryCache()`, `fileCache(dir)`, or a KV store / IndexedDB in a few lines (README, "Plan cache"). */
export interface PlanStorage {
  get(key: string): StoredBytes | Promise<StoredBytes>;
  set(key: string, bytes: Uint8Array): unknown;
}

/** A storage whose `get` answers at once: `compile` then returns a `CompiledPlan`. */
export interface SyncPlanStorage extends PlanStorage {
  get(key: string): StoredBytes;
}

/** `compile` options with a plan cache. */
export interface CachedCompileOptions<S extends PlanStorage> extends PlanOptions {
  cache: S;
  /** Hears of refused entries and failed reads and writes (default `console.warn`). */
  onCacheWarning?: (message: string) => void;
}

/** A storage in memory (`map` holds the bytes). */
export function memoryCache(): SyncPlanStorage & { map: Map<string, Uint8Array> };

/** Options of `fileCache`. */
export interface FileCacheOptions {
  /** The `node:fs` module, where `process.getBuiltinModule` is missing (Node before 20.16). */
  fs?: unknown;
  /** Plans kept beyond an hour's grace (default 64). */
  maxEntries?: number;
}

/**
 * Node: one `<key>.wpl` file per plan in `dir`; refuses symbolic links, special
 * files, oversized files and files other users can write (by throwing: a warning).
 */
export function fileCache(dir: string, options?: FileCacheOptions): SyncPlanStorage & { dir: string; prune(): number };

/** The plan of `descriptors`, through `cache` (see `Registry.compile`). */
export function cachedPlan(descriptors: DescriptorInput, options: PlanOptions | undefined, cache: SyncPlanStorage,
  warn?: (message: string) => void): Plan;
export function cachedPlan(descriptors: DescriptorInput, options: PlanOptions | undefined, cache: PlanStorage,
  warn?: (message: string) => void): Plan | Promise<Plan>;

/** The storage key of a plan of these descriptors and options: `wireplan-<fingerprint>`. */
export function planCacheKey(descriptors: DescriptorInput, options?: PlanOptions): string;

/** Options of `start()`. Timeouts are in milliseconds, per service; absent or `Infinity`: none. */
export interface StartOptions {
  /**
   * A factory not settled by then fails the start: a `StartError` whose
   * `cause` is a `TimeoutError`. A synchronous factory is measured: one that
   * returns late fails the start too (its instance joins the rollback).
   */
  startTimeout?: number;
  /** Each `dispose` during the rollback of a failed start, and the default of `app.stop()` and `scope.stop()`. */
  stopTimeout?: number;
  /**
   * Cancels the start: no further factory is called, the in-flight ones are
   * aborted (their `signal`) and given up on, what started is stopped in
   * reverse, and the start rejects with an `AbortError` at once.
   */
  signal?: AbortSignalType;
  /** Every lifecycle event, as it happens (see `LifecycleEvent`; `logEvents(console)` writes them). */
  onEvent?: (event: LifecycleEvent) => void;
}

/** The kinds of lifecycle event, in order of occurrence. */
export type LifecycleEventType =
  | "constructing" | "constructed" | "start-hook" | "started" | "app-started"
  | "stop-hook" | "stopped" | "app-stopped" | "failed" | "reloaded";

/** Where a `failed` event failed. */
export type LifecyclePhase = "construct" | "start-hook" | "stop-hook" | "teardown" | "invoke" | "health";

/**
 * A lifecycle event, the same shape in Python and JS (docs/lifecycle.md):
 * `at_us` is microseconds since the app's start began; `duration_us` is set
 * for `constructed`, `start-hook`, `stop-hook`, `stopped`, `app-started`,
 * `app-stopped` and `reloaded`; `phase` and `error` (the error's message)
 * for `failed`.
 */
export interface LifecycleEvent {
  type: LifecycleEventType;
  id: string | null;
  phase: LifecyclePhase | null;
  at_us: number;
  duration_us: number | null;
  error: string | null;
}

/** Something with `debug` and `error` methods, such as `console`. */
export interface EventLogger {
  debug(text: string): unknown;
  error(text: string): unknown;
}

/** An `onEvent` writing one line per event: `failed` through `logger.error`, the rest through `logger.debug`. */
export function logEvents(logger?: EventLogger): (event: LifecycleEvent) => void;

/** `app.health()`: readiness, every check in plan order. */
export interface HealthReport {
  status: "pass" | "fail";
  checks: HealthCheck[];
}

/** One service's health check. */
export interface HealthCheck {
  id: string;
  status: "pass" | "fail";
  duration_us: number;
  /** Why it failed (the error's message), or null. */
  error: string | null;
}

/** Options of `app.run()`. */
export interface RunOptions {
  /** The signals that stop the app (default SIGINT and SIGTERM). */
  signals?: string[];
  /** Awaited after the signal, before the app stops (an HTTP server drains there). */
  beforeStop?: () => unknown;
}

/** What `app.reload(next)` did. */
export interface ReloadResult {
  /** Ids that changed themselves (added, removed, edited, or code replaced), sorted. */
  changed: string[];
  /** Ids restarted only because something they depend on changed, sorted. */
  dependents: string[];
  /** Old singletons stopped, in stop order. */
  stopped: string[];
  /** New singletons started, in start order. */
  started: string[];
  /** How many instances were kept as they were. */
  kept: number;
  /** What failed while stopping the old ones (the reload went on). */
  disposeErrors: StopError[];
}

/** Options of `stop()`. */
export interface StopOptions {
  /** Per dispose, in milliseconds: one not settled by then is a `StopError` with a `TimeoutError` cause, and the next runs. */
  stopTimeout?: number;
  /** Why it stops (a failed request): told to every dispose as `{error}`; absent for a clean exit. */
  error?: unknown;
}

/** A plan with its factories. */
export class CompiledPlan {
  private constructor();
  readonly plan: Plan;
  readonly startup: string[];
  readonly layers: string[][];
  /**
   * Starts every singleton, layer by layer (each layer concurrently). At the
   * first failure, aborts the layer's in-flight factories, stops what
   * started in reverse and rejects with a `StartError`; when `signal`
   * aborts, with an `AbortError`.
   */
  start(options?: StartOptions): Promise<App>;
  /**
   * Node: starts, then `app.run()`; a failed start is written to stderr and
   * resolves 1 (also `process.exitCode`).
   */
  run(options?: StartOptions & RunOptions): Promise<number>;
  /**
   * Test overrides: apps started from this plan while the override is active
   * use the fake (compiled again from its registrations, never from a
   * cache). `undo()` (or `using`) ends it; overrides nest.
   */
  override<T>(key: string | Key<T>, value: T): Override;
  override<T, const D extends readonly DepDescriptor[]>(
    key: string | Key<T>,
    deps: D,
    factory: (...args: [...DepValues<D>, FactoryContext]) => T | Promise<T>,
    options?: Omit<ProvideOptions<T>, "provides" | "replaces" | "profiles" | "source">,
  ): Override;
  override(fakes: Record<string, unknown>): Override;
  /** Runs `fn` with the override active (given the overridden plan), undone after whatever happens. */
  withOverride<R, T = unknown>(key: string | Key<T>, value: T, fn: (plan: CompiledPlan) => R | Promise<R>): Promise<R>;
  withOverride<R>(fakes: Record<string, unknown>, fn: (plan: CompiledPlan) => R | Promise<R>): Promise<R>;
}

/** An active test override of a compiled plan. */
export interface Override {
  /** The compiled plan apps start from while it is active. */
  readonly plan: CompiledPlan;
  /** Ends it (a second call does nothing). */
  undo(): void;
  [Symbol.dispose](): void;
}

/** Running singletons. */
export class App {
  private constructor();
  readonly plan: Plan;
  /**
   * The start-up record (the same shape as Python's `app.timeline()`): each
   * singleton whose factory was called, its layer, start offset and
   * duration in microseconds, outcome and what it waited for. Draw it with
   * `renderTimeline`.
   */
  timeline(): TimelineRecord;
  /**
   * The started singleton providing `key`; a `LookupError` when several
   * provide it, none does, or it is scoped or transient.
   */
  get<T>(key: Key<T>): T;
  get<T = unknown>(key: string): T;
  /**
   * The instance providing `key`, awaited: a started singleton, or a new
   * transient built for the app (disposed at `stop()`); scoped ones need a scope.
   */
  getAsync<T>(key: Key<T>): Promise<T>;
  getAsync<T = unknown>(key: string): Promise<T>;
  /** Every started singleton providing `key`, in plan order. */
  getAll<T>(key: Key<T>): T[];
  getAll<T = unknown>(key: string): T[];
  /** The started singleton with this service id. */
  getById<T = unknown>(id: string): T;
  /** Whether a lookup of `key` can answer now: some planned service provides it and the app is running (false once `stop()` began). */
  has(key: string): boolean;
  /** A new scope for scoped and transient services. */
  scope(): Scope;
  /**
   * Runs `fn` with a new scope, stopping the scope after; when `fn` throws,
   * every dispose is told the error, and the error is rethrown.
   */
  withScope<R>(fn: (scope: Scope) => R | Promise<R>): Promise<R>;
  /**
   * Disposes in reverse order of readiness; every dispose runs; rejects with an
   * `AggregateError` of `StopError`s. A second call while stopping waits for the first.
   */
  stop(options?: StopOptions): Promise<void>;
  /**
   * Every singleton's health check, concurrently, each within its
   * `healthTimeout`; `status` `"pass"` when the app is running and every
   * check passes (no checks run unless it is running).
   */
  health(): Promise<HealthReport>;
  /** `{status: "pass"}` while running; `"fail"` while starting, stopping or stopped. */
  liveness(): { status: "pass" | "fail" };
  /**
   * Node: waits for SIGINT/SIGTERM, stops gracefully, resolves the exit code
   * (0 clean, 1 the stop failed; also `process.exitCode`); a second signal
   * exits at once (130 / 143).
   */
  run(options?: RunOptions): Promise<number>;
  /**
   * Hot reload: stops the services that changed in `next` and their
   * dependents, starts their replacements with the kept instances handed
   * over; rejects with a `ReloadError` (the app back on the old plan).
   */
  reload(next: CompiledPlan): Promise<ReloadResult>;
  /** While a reload runs, a promise that resolves (never rejects) when it has finished or rolled back; else null. */
  readonly reloading: Promise<void> | null;
  /**
   * `await using app = await compiled.start()` stops the app when the block
   * ends. Scopes have no `await using`: it cannot tell disposers that the
   * block failed, so a failed request would commit; use `withScope`.
   */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Scoped instances live as long as their scope (one per scope, even under
 * concurrent gets); transients are new on every `get`.
 */
export class Scope {
  private constructor();
  /** The instance providing `key`; rejects with a `LookupError` as `App.get` throws. */
  get<T>(key: Key<T>): Promise<T>;
  get<T = unknown>(key: string): Promise<T>;
  /** Every instance providing `key`, in plan order. */
  getAll<T>(key: Key<T>): Promise<T[]>;
  getAll<T = unknown>(key: string): Promise<T[]>;
  /** The instance of the service with this id. */
  getById<T = unknown>(id: string): Promise<T>;
  /** Whether some planned service provides `key` and this scope is open (false once it is stopped). */
  has(key: string): boolean;
  /** Disposes what the scope built, in reverse; `error` tells each dispose why. */
  stop(options?: StopOptions): Promise<void>;
}

/** A lookup that cannot be answered, in the core's words. A `RangeError`. */
export class LookupError extends RangeError {
  private constructor();
  readonly name: "LookupError";
  readonly code: "unknown-key" | "unknown-id" | "unknown-name" | "ambiguous-key" | "not-planned" | "replaced" | "not-singleton";
  /** The key (or id) asked for. */
  readonly key: string;
  /** The ids the message names: providers, the replacement, the closest keys. */
  readonly services: string[];
}

/** A factory threw, rejected or timed out during `start()`: the first failure. Python's `StartError` has the same shape. */
export class StartError extends Error {
  private constructor();
  readonly name: "StartError";
  /** The start-up record up to the failure (see `App#timeline`). */
  readonly timeline: TimelineRecord;
  /** The service whose factory (or start hook, or invoked function) failed. */
  readonly service: string;
  /** Where: its factory, its start hook, or an invoked function. */
  readonly phase: "construct" | "start-hook" | "invoke";
  /** Where it was registered (`file:line[:column]`), or null. */
  readonly source: string | null;
  /** What the factory threw, or a `TimeoutError`. */
  readonly cause: unknown;
  /** Dispose failures while rolling back. */
  readonly disposeErrors: StopError[];
  /** The same list, by Python's name. */
  readonly teardownErrors: StopError[];
  /**
   * Settles when every factory given up on (a failed sibling, a timeout) has settled and its
   * late instance, if any, has been disposed; with those disposes' failures.
   * Never settles while such a factory hangs.
   */
  readonly abandoned: Promise<StopError[]>;
}

/** A factory or a dispose did not settle within its timeout: the `cause` of a `StartError` or a `StopError`. */
export class TimeoutError extends Error {
  private constructor();
  readonly name: "TimeoutError";
  readonly service: string;
  readonly phase: "start" | "stop";
  /** In milliseconds. */
  readonly timeout: number;
  /** A synchronous call that returned late: how long it took, in ms; else null. */
  readonly took: number | null;
}

/** `start()` was cancelled by its `signal`; what had started has been stopped. */
export class AbortError extends Error {
  private constructor();
  /** The start-up record up to the abort (see `App#timeline`). */
  readonly timeline: TimelineRecord;
  readonly name: "AbortError";
  /** The signal's `reason`. */
  readonly cause: unknown;
  /** The start-up layer being started, or about to be, when the signal fired. */
  readonly layer: number;
  /** The services whose async factories were in flight then. */
  readonly services: string[];
  /** Dispose failures while rolling back. */
  readonly disposeErrors: StopError[];
  readonly teardownErrors: StopError[];
  /** As `StartError.abandoned`: factories still running after the abort (and `startTimeout`). */
  readonly abandoned: Promise<StopError[]>;
}

/** A dispose failed or timed out; one of the `errors` of the `AggregateError` from `stop()`. */
export class StopError extends Error {
  private constructor();
  readonly name: "StopError";
  readonly service: string;
  readonly cause: unknown;
}

/** `app.reload(next)` failed; the app is back on its old plan (see `restoreError`). */
export class ReloadError extends Error {
  private constructor();
  readonly name: "ReloadError";
  /** The failure: a `StartError` naming the service. */
  readonly cause: unknown;
  /** The service whose start failed, or null. */
  readonly service: string | null;
  /** Starting the old services again failed too (they are not running), or null. */
  readonly restoreError: unknown;
  /** What failed while stopping the old services. */
  readonly disposeErrors: StopError[];
}
