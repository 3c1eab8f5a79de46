// Compiled by `tsc --noEmit` (test/types.test.mjs): the declarations must
// accept the documented uses and reject the wrong ones.
import {
  AbortError, App, CompiledPlan, DescriptorDocument, Diagnostic, DisposeInfo, FactoryContext, LookupError, Plan, PlanError, Registry, Report,
  StartError, StartOptions, StopError, TimeoutError,
  Analysis, analyze, check, decodePlan, encodePlan, explain, fingerprint, init, initSync, key, plan, renderTimeline, version,
} from "wireplan";
import type { Key } from "wireplan";
import * as web from "wireplan/web";

const doc: DescriptorDocument = {
  version: 1,
  services: [
    { id: "config" },
    { id: "db", provides: ["Database"], deps: ["config", { key: "Cache", optional: true }], lifetime: "singleton", source: { file: "app/db.ts", line: 12 } },
    { id: "server", deps: [{ key: "Database" }, { key: "Plugin", many: true }, { key: "clock", lazy: true }], profiles: ["prod"], meta: { port: 8080 } },
  ],
};

const p: Plan = plan(doc, { profile: "prod", name: "services.json" });
const order: string[] = p.startup;
const layers: string[][] = p.layers;
const fp: string = p.fingerprint;
const bytes: Uint8Array = encodePlan(p);
const again: Plan = decodePlan(bytes, { fingerprint: fp });
const merged: Plan = plan([{ name: "a.json", text: "{}" }, { name: "b.json", document: doc }]);
const path: string[] | null = again.why("server", "config");
const info = explain(p, "db", { why: "server" });
const layer: number | null = info.layer;
const report: Report = check("{}");
const codes: string[] = report.diagnostics.map((d: Diagnostic) => d.code);
const text: string = report.text;
const v: string = version() + fingerprint(doc);
const layerOf: number | null = p.services[0].layer ?? p.layer(0);
const providers: Uint32Array = p.tables.providers;
const lifetime: "singleton" | "scoped" | "transient" = p.lifetime(p.indexOf("db"));
const json = p.toJSON();
const bound: number[] = json.bindings["server"][0].providers;
const boundIds: string[] = p.bindings["server"][0].providers;

try {
  plan("{");
} catch (e) {
  if (e instanceof PlanError) {
    const code: "dependency-cycle" | string = e.code;
    const first: Diagnostic | undefined = e.diagnostics[0];
    const line: number | null | undefined = first?.location?.line;
  }
}

async function run(): Promise<void> {
  await init();
  initSync();
  await web.init(new Uint8Array(0));
  web.initSync(new Uint8Array(0));
  const registry = new Registry()
    .supply("config", { url: "db://" })
    .provide("db", ["config"], (config: { url: string }) => ({ config, close: async () => {} }), { dispose: (db) => db.close() })
    .provide("server", ["db", { key: "plugin", many: true }], (db, plugins: unknown[]) => ({ db, plugins }), { lifetime: "singleton" });
  const compiled: CompiledPlan = registry.compile({ profile: "prod", roots: ["server"] });
  try {
    const app: App = await compiled.start();
    const server = app.get<{ plugins: unknown[] }>("server");
    const n: number = server.plugins.length;
    const scoped: string = await app.scope().get<string>("request");
    await app.withScope(async (scope) => scope.get("request"));
    const plugins: string[] = app.getAll<string>("plugin");
    const byId: { plugins: unknown[] } = app.getById("server");
    const made: number = await app.getAsync<number>("counter");
    const known: boolean = app.has("Database");
    const scope = app.scope();
    const all: number[] = await scope.getAll<number>("port");
    const one: string = await scope.getById<string>("request");
    await scope.stop({ error: new Error("request failed"), stopTimeout: 100 });
    await app.stop({ error: "SIGTERM" });
    // @ts-expect-error: getAll resolves to an array
    const notArray: string = await app.scope().getAll<string>("plugin");
  } catch (e) {
    if (e instanceof StartError) {
      const who: string = e.service;
      const where: string | null = e.source;
      const rollback: StopError[] = e.disposeErrors;
      const teardown: StopError[] = e.teardownErrors;
      const late: StopError[] = await e.abandoned;
      if (e.cause instanceof TimeoutError) {
        const phase: "start" | "stop" = e.cause.phase;
        const ms: number = e.cause.timeout + e.service.length;
        const took: number | null = e.cause.took;
      }
    } else if (e instanceof LookupError) {
      const code: "unknown-key" | "unknown-id" | "unknown-name" | "ambiguous-key" | "not-planned" | "replaced" | "not-singleton" = e.code;
      const named: string[] = e.services;
      const asked: string = e.key;
      const range: RangeError = e;
    } else if (e instanceof AggregateError) {
      const all: unknown[] = e.errors;
    }
  }
  // Factories get a context after their dependencies; disposes are told why.
  const withContext = new Registry()
    .provide("conn", ["config"], async (config: unknown, ctx: FactoryContext) => {
      const signal: AbortSignal = ctx.signal;
      const id: string = ctx.id;
      return { config, signal, id };
    }, {
      lifetime: "scoped",
      dispose: async (conn, info: DisposeInfo) => {
        const why: unknown = info.error;
        const id: string = info.id + conn.id;
      },
    });
  const controller = new AbortController();
  const options: StartOptions = { startTimeout: 5_000, stopTimeout: 2_000, signal: controller.signal };
  try {
    const app = await compiled.start(options);
    await app.stop({ stopTimeout: 1_000 });
    await app.scope().stop({ stopTimeout: Infinity });
  } catch (e) {
    if (e instanceof AbortError) {
      const layer: number = e.layer;
      const inFlight: string[] = e.services;
      const reason: unknown = e.cause;
      const rollback: StopError[] = e.disposeErrors;
    }
  }
  // @ts-expect-error: a timeout is a number of milliseconds
  await compiled.start({ startTimeout: "5s" });
  // @ts-expect-error: the signal is an AbortSignal
  await compiled.start({ signal: controller });
  // @ts-expect-error: stop takes no startTimeout
  await (await compiled.start()).stop({ startTimeout: 1 });
}

// Typed keys: the key's type flows into the factory's parameters, the
// provider's return value and `get`.
class Database { query(sql: string): number { return sql.length; } close(): void {} }
class Cache { hits = 0 }
const database: Key<Database> = key<Database>("database");
const cache = key<Cache>("cache");
async function typedKeys(): Promise<void> {
  const registry = new Registry();
  registry.provide(database, [], () => new Database(), { dispose: (db) => db.close() });
  registry.supply(cache, new Cache());
  registry.provide("report", [database, { key: cache, many: true }, { key: cache, optional: true }, { key: database, lazy: true }, "plain"],
    (db, caches, maybe, later, plain, ctx) => {
      const n: number = db.query("select 1");
      const hits: number = caches.reduce((a, c) => a + c.hits, 0) + (maybe ? maybe.hits : 0);
      const again: Database = later();
      const anything: string = plain.whatever;
      const id: string = ctx.id;
      ctx.signal.throwIfAborted();
      return { n, hits, again, anything, id };
    });
  // @ts-expect-error: the provider of a Key<Database> returns a Database
  registry.provide(database, [], () => 42);
  // @ts-expect-error: a Database has no toUpperCase
  registry.provide("x", [database], (db) => db.toUpperCase());
  // dispose may return anything (http.Server's close returns the server).
  registry.provide("server", [], () => ({ close: () => ({ closed: true }) }), { dispose: (s) => s.close() });
  // @ts-expect-error: options are checked: `disposer` is not one
  registry.provide("y", [], () => 1, { disposer: () => {} });
  await using app = await registry.compile().start();
  const db: Database = app.get(database);
  const all: Cache[] = app.getAll(cache);
  const untyped: unknown = app.get("plain");
  const asked: number = app.get<number>("plain");
  // @ts-expect-error: get of a Key<Database> is a Database
  const wrong: Cache = app.get(database);
  await app.withScope(async (scope) => {
    const inScope: Database = await scope.get(database);
    return inScope;
  });
  void [db, all, untyped, asked, wrong];
}

// @ts-expect-error: the format version is 1
const wrongVersion: DescriptorDocument = { version: 2, services: [] };
// @ts-expect-error: lifetimes are a closed set
const wrongLifetime: DescriptorDocument = { version: 1, services: [{ id: "a", lifetime: "forever" }] };
// @ts-expect-error: a Plan is not made with new
const made = new Plan();
// @ts-expect-error: encodePlan takes a plan
encodePlan(doc);

export { run, typedKeys, providers, lifetime, order, layers, again, merged, path, layer, codes, text, v, layerOf, bound, boundIds, wrongVersion, wrongLifetime, made };

// The analysis: pictures, explain and diff, valid or broken graphs; timelines.
const analysis: Analysis = analyze(doc, { profile: "prod" });
const valid: boolean = analysis.valid;
const problems: Diagnostic[] = analysis.report.diagnostics;
const dot: string = analysis.toDot({ focus: "db" }) + analysis.toMermaid() + p.toDot() + p.toMermaid({ focus: "db" });
const told: string = p.explain("db", { why: "server", format: "json" }) + analysis.explain("Database");
const changed: string = analysis.diff(analyze(doc), { format: "json" });
const chain: string = renderTimeline({ timeline: 1, services: [{ id: "a", layer: 0, start_us: 0, duration_us: 5, outcome: "started" }] }, "svg");
// @ts-expect-error: formats are "text" or "json"
p.explain("db", { format: "human" });
// @ts-expect-error: diff takes an Analysis
analysis.diff(doc);
// @ts-expect-error: no such timeline format
renderTimeline("{}", "gantt");
