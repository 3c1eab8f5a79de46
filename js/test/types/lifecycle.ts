// Issue 17's API as TypeScript sees it: hooks, invoke, events, health, run, reload, wireplan/http.
import { Registry, key, logEvents, ReloadError } from "../../index.js";
import type { App, CompiledPlan, HealthReport, LifecycleEvent, ReloadResult, Scope } from "../../index.js";
import { drain, failRequest, healthEndpoints, scopeErrors, scopeMiddleware, serve, withRequestScope } from "../../http.js";
import type { RequestLike, ResponseLike, ServerLike } from "../../http.js";

interface Server { listen(): Promise<void>; close(): Promise<void> }
const Srv = key<Server>("server");
const registry = new Registry();
registry.provide(Srv, [], (ctx) => {
  ctx.lifecycle.append({ onStart: () => undefined, onStop: async () => undefined });
  return { listen: async () => {}, close: async () => {} };
}, {
  onStart: (server, { signal }) => server.listen().then(() => signal.aborted),
  onStop: (server, { error }) => (error ? undefined : server.close()),
  startTimeout: 30_000,
  stopTimeout: 1_000,
  health: (server) => server !== null,
  healthTimeout: 500,
});
registry.invoke([Srv, { key: "config", optional: true }], (server, config, ctx) => {
  const s: Server = server;
  const id: string = ctx.id;
  void [s, config, id];
});
// @ts-expect-error: hooks take the instance's type
registry.provide(Srv, [], () => ({ listen: async () => {}, close: async () => {} }), { onStart: (s: number) => s });
// @ts-expect-error: invoke takes a dependency array
registry.invoke("server", () => {});

async function lifecycle(compiled: CompiledPlan, next: CompiledPlan): Promise<number> {
  const events: LifecycleEvent[] = [];
  const app: App = await compiled.start({ onEvent: (e) => events.push(e), startTimeout: 1000 });
  await compiled.start({ onEvent: logEvents(console) });
  const at: number = events[0].at_us;
  const type: "failed" | string = events[0].type;
  const health: HealthReport = await app.health();
  const first: "pass" | "fail" = health.checks[0].status;
  const live: "pass" | "fail" = app.liveness().status;
  try {
    const r: ReloadResult = await app.reload(next);
    const ids: string[] = r.changed.concat(r.dependents, r.stopped, r.started);
    void ids;
  } catch (e) {
    if (e instanceof ReloadError) void [e.service, e.restoreError, e.cause];
  }
  void [at, type, first, live];
  // @ts-expect-error: no such event option
  await compiled.start({ onEvents: () => {} });
  return (await app.run({ signals: ["SIGTERM"], beforeStop: async () => {} })) + (await compiled.run({ startTimeout: 5 }));
}

declare const server: ServerLike;
declare const req: RequestLike;
declare const res: ResponseLike;
async function http(app: App): Promise<number> {
  const listener = withRequestScope(app, async (request, response, scope: Scope) => {
    const same: Scope = request.scope;
    await scope.get("tx");
    response.end("ok");
    void same;
  }, { onError: (error, _req, response) => response.end(String(error)) });
  listener(req, res);
  const health = healthEndpoints(app, { liveness: "/live" });
  const handled: boolean = health(req, res);
  scopeMiddleware(app)(req, res, () => {});
  scopeErrors()(new Error("x"), req, res, () => {});
  failRequest(req, new Error("rolled back"));
  await drain(server, { timeout: 5000 });
  void handled;
  return serve(app, server, { port: 0, host: "127.0.0.1", drainTimeout: 10_000, onListening: () => {} });
}

async function overrides(compiled: CompiledPlan): Promise<void> {
  const o = compiled.override(Srv, { listen: async () => {}, close: async () => {} });
  const p: CompiledPlan = o.plan;
  o.undo();
  compiled.override("Mailer", ["config"], (config) => ({ config }), { lifetime: "scoped" }).undo();
  compiled.override({ Mailer: 1, Clock: () => 0 }).undo();
  const n: number = await compiled.withOverride("Mailer", 1, async (plan) => (await plan.start()).getAll("x").length);
  const copy: Registry = new Registry().copy().override("Mailer", 1);
  // @ts-expect-error: an override provides its key, nothing else
  new Registry().override("Mailer", [], () => 1, { provides: ["x"] });
  void [p, n, copy];
}

export { lifecycle, http, overrides };

// wireplan/otel: the tracer and the OpenTelemetry API are passed in.
import { spanEvents } from "../../otel.js";
const fakeSpan = { end(_t?: number) {}, setAttribute(_k: string, _v: string | number) { return fakeSpan; }, setStatus(_s: { code: number; message?: string }) { return fakeSpan; } };
const onSpans: (event: import("../../index.js").LifecycleEvent) => void = spanEvents(
  { startSpan: () => fakeSpan },
  { trace: { setSpan: (c: unknown) => c }, context: { active: () => ({}) }, SpanStatusCode: { ERROR: 2 } },
  { prefix: "app" },
);
void onSpans;
