// wireplan/otel: OpenTelemetry spans from lifecycle events, checked with the
// SDK's in-memory exporter (the same spans as Python's integrations.otel).
import assert from "node:assert/strict";
import { test } from "node:test";
import { SpanStatusCode, context, trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { Registry, StartError } from "../src/index.js";
import { spanEvents } from "../src/otel.js";

const api = { trace, context, SpanStatusCode };

function tracer() {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  return { tracer: provider.getTracer("test"), memory };
}

function registry(failHook = false) {
  const r = new Registry();
  r.provide("db", [], () => ({}), { dispose: () => {} });
  r.provide("server", ["db"], () => ({}), {
    onStart: () => {
      if (failHook) throw new Error("port in use");
    },
    onStop: () => {},
  });
  return r.compile();
}

const ns = (t) => t[0] * 1e9 + t[1];

test("a start and a stop are spans, with a child per build, hook and teardown", async () => {
  const { tracer: t, memory } = tracer();
  const app = await registry().start({ onEvent: spanEvents(t, api) });
  await app.stop();
  const spans = memory.getFinishedSpans();
  assert.deepEqual(spans.map((s) => s.name), [
    "construct db", "construct server", "start hook server", "wireplan start",
    "stop hook server", "teardown server", "teardown db", "wireplan stop",
  ]);
  const start = spans[3];
  for (const c of spans.slice(0, 3)) {
    assert.equal(c.parentSpanContext?.spanId ?? c.parentSpanId, start.spanContext().spanId);
    assert.ok(ns(start.startTime) <= ns(c.startTime) && ns(c.endTime) <= ns(start.endTime) + 1e6);
    assert.ok(c.name.endsWith(c.attributes["wireplan.service"]));
  }
  const stop = spans[7];
  for (const c of spans.slice(4, 7)) assert.equal(c.parentSpanContext?.spanId ?? c.parentSpanId, stop.spanContext().spanId);
});

test("a failed start hook marks its span and the start as errors", async () => {
  const { tracer: t, memory } = tracer();
  await assert.rejects(registry(true).start({ onEvent: spanEvents(t, api) }), StartError);
  const spans = memory.getFinishedSpans();
  const start = spans.find((s) => s.name === "wireplan start");
  assert.equal(start.status.code, SpanStatusCode.ERROR);
  assert.match(start.status.message, /port in use/);
  const failed = spans.find((s) => s.attributes["wireplan.phase"] === "start-hook");
  assert.ok(failed, spans.map((s) => s.name).join(", "));
  assert.equal(failed.status.code, SpanStatusCode.ERROR);
});

test("a tracer and the API are checked", () => {
  assert.throws(() => spanEvents(null, api), /needs an OpenTelemetry tracer/);
  assert.throws(() => spanEvents(tracer().tracer, {}), /SpanStatusCode/);
});
