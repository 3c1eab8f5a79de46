// Type declarations for the `wireplan` npm package: every export of every
// entry point (Node ESM and CommonJS, bundlers, `wireplan/web`), written by
// hand and checked by `tsc --noEmit` in the tests (test/types/).

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

/** What `plan`, `check` and `fingerprint` accept: JSON text (string or UTF-8 bytes), a document, or documents to merge. */
export type DescriptorInput = string | Uint8Array | DescriptorDocument | NamedDocument[];

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
}

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
/** Options of `decodePlan`: the plan must match this fingerprint, or these descriptors. */
export interface DecodeOptions extends PlanOptions {
  fingerprint?: string;
  descriptors?: DescriptorInput;
}
/** Decodes a binary plan; throws `PlanError` (code `invalid-plan`) for anything untrustworthy. */
export function decodePlan(bytes: Uint8Array, options?: DecodeOptions): Plan;
/** What a service needs and what needs it; with `why`, the chain between two. */
export function explain(plan: Plan, id: string, options?: { why?: string }): Explanation;
/** The core planner's version. */
export function version(): string;

/** Node and bundlers: resolves at once. `wireplan/web`: instantiates the module (fetching it unless given). */
export function init(input?: string | URL | Request | Response | BufferSource | WebAssembly.Module): Promise<void>;
/** Node and bundlers: nothing to do. `wireplan/web`: instantiates from bytes or a compiled module, without a fetch. */
export function initSync(bytes?: BufferSource | WebAssembly.Module): void;

// ---- Runtime -------------------------------------------------------------------

/** A lazy dependency: call it to get the instance once it is built. */
export type Lazy<T> = () => T;

/** Options of `provide` and `supply`. */
export interface ProvideOptions<T = unknown> {
  provides?: string[];
  lifetime?: Lifetime;
  profiles?: string[];
  replaces?: string | string[];
  source?: SourceDescriptor;
  meta?: Json;
  /** Called on stop (reverse start-up order), or when the scope stops. */
  dispose?: (instance: T) => void | Promise<void>;
}

/** Collects services and factories. */
export class Registry {
  constructor();
  /** A ready value under `id`. */
  supply<T>(id: string, value: T, options?: ProvideOptions<T>): this;
  /**
   * A factory called with one argument per dependency: an array for `many`,
   * `undefined` for a missing `optional`, a `Lazy` for `lazy`.
   */
  provide<T>(id: string, deps: DepDescriptor[], factory: (...deps: any[]) => T | Promise<T>, options?: ProvideOptions<T>): this;
  /** The descriptor document of what is registered. */
  descriptors(): DescriptorDocument;
  /** Plans the registrations; throws `PlanError`. */
  compile(options?: PlanOptions): CompiledPlan;
}

/** Options of `start()`. Timeouts are in milliseconds, per service; absent or `Infinity`: none. */
export interface StartOptions {
  /** An async factory not settled by then fails the start: a `StartError` whose `cause` is a `TimeoutError`. */
  startTimeout?: number;
  /** Each `dispose` during the rollback of a failed start, and the default of `app.stop()` and `scope.stop()`. */
  stopTimeout?: number;
  /**
   * Cancels the start: no further factory is called, the current layer's
   * in-flight factories are awaited (each for at most `startTimeout`), what
   * started is stopped in reverse, and the start rejects with an `AbortError`.
   */
  signal?: AbortSignal;
}

/** Options of `stop()`. */
export interface StopOptions {
  /** Per dispose, in milliseconds: one not settled by then is a `StopError` with a `TimeoutError` cause, and the next runs. */
  stopTimeout?: number;
}

/** A plan with its factories. */
export class CompiledPlan {
  private constructor();
  readonly plan: Plan;
  readonly startup: string[];
  readonly layers: string[][];
  /**
   * Starts every singleton, layer by layer (each layer concurrently). On a
   * failure, stops what started in reverse and rejects with a `StartError`;
   * when `signal` aborts, with an `AbortError`.
   */
  start(options?: StartOptions): Promise<App>;
}

/** Running singletons. */
export class App {
  private constructor();
  readonly plan: Plan;
  /** A started singleton, by id. */
  get<T = unknown>(id: string): T;
  has(id: string): boolean;
  /** A new scope for scoped and transient services. */
  scope(): Scope;
  /** Runs `fn` with a new scope, stopping the scope after. */
  withScope<R>(fn: (scope: Scope) => R | Promise<R>): Promise<R>;
  /**
   * Disposes in reverse start-up order; every dispose runs; rejects with an
   * `AggregateError` of `StopError`s. A second call while stopping waits for the first.
   */
  stop(options?: StopOptions): Promise<void>;
}

/** Scoped instances live as long as their scope; transients are new on every `get`. */
export class Scope {
  private constructor();
  get<T = unknown>(id: string): Promise<T>;
  /** Disposes what the scope built, in reverse. */
  stop(options?: StopOptions): Promise<void>;
}

/** A factory threw, rejected or timed out during `start()`. */
export class StartError extends Error {
  private constructor();
  readonly name: "StartError";
  /** The service whose factory failed. */
  readonly service: string;
  /** What the factory threw, or a `TimeoutError`. */
  readonly cause: unknown;
  /** Dispose failures while rolling back. */
  readonly disposeErrors: StopError[];
  /**
   * Settles when every factory given up on (timed out) has settled and its
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
}

/** `start()` was cancelled by its `signal`; what had started has been stopped. */
export class AbortError extends Error {
  private constructor();
  readonly name: "AbortError";
  /** The signal's `reason`. */
  readonly cause: unknown;
  /** The start-up layer being started, or about to be, when the signal fired. */
  readonly layer: number;
  /** The services whose async factories were in flight then. */
  readonly services: string[];
  /** Dispose failures while rolling back. */
  readonly disposeErrors: StopError[];
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
