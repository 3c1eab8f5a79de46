// Compiled by `tsc --noEmit` (test/types.test.mjs): the declarations must
// accept the documented uses and reject the wrong ones.
import {
  AbortError, App, CompiledPlan, DescriptorDocument, Diagnostic, Plan, PlanError, Registry, Report, StartError, StartOptions, StopError,
  TimeoutError,
  check, decodePlan, encodePlan, explain, fingerprint, init, initSync, plan, version,
} from "wireplan";
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
    await app.stop();
  } catch (e) {
    if (e instanceof StartError) {
      const who: string = e.service;
      const rollback: StopError[] = e.disposeErrors;
      const late: StopError[] = await e.abandoned;
      if (e.cause instanceof TimeoutError) {
        const phase: "start" | "stop" = e.cause.phase;
        const ms: number = e.cause.timeout + e.service.length;
      }
    } else if (e instanceof AggregateError) {
      const all: unknown[] = e.errors;
    }
  }
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

// @ts-expect-error: the format version is 1
const wrongVersion: DescriptorDocument = { version: 2, services: [] };
// @ts-expect-error: lifetimes are a closed set
const wrongLifetime: DescriptorDocument = { version: 1, services: [{ id: "a", lifetime: "forever" }] };
// @ts-expect-error: a Plan is not made with new
const made = new Plan();
// @ts-expect-error: encodePlan takes a plan
encodePlan(doc);

export { run, providers, lifetime, order, layers, again, merged, path, layer, codes, text, v, layerOf, bound, boundIds, wrongVersion, wrongLifetime, made };
