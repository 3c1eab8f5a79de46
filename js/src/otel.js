// `wireplan/otel`: OpenTelemetry spans from the app's lifecycle events.
//
//   import { trace, context, SpanStatusCode } from "@opentelemetry/api";
//   import { spanEvents } from "wireplan/otel";
//   const app = await plan.start({ onEvent: spanEvents(trace.getTracer("app"), { trace, context, SpanStatusCode }) });
//
// One span for the start, with a child per service built and per start hook,
// and one for the stop, with a child per stop hook and teardown, each with
// `wireplan.service` and `wireplan.duration_us`; a `failed` event marks its
// span and the phase's as errors with the runtime's text. The OpenTelemetry
// API is passed in, not imported: this module imports nothing, `wireplan`
// never imports it, and it works with whichever copy of the API the app
// uses. The same spans as Python's `wireplan.integrations.otel`.

/** The event types that close a span of their own, with its name. */
const NAMED = { constructed: "construct", "start-hook": "start hook", "stop-hook": "stop hook", stopped: "teardown" };
const STOPPING = new Set(["stop-hook", "stopped", "app-stopped"]);

/**
 * An `onEvent` subscriber recording spans with `tracer`. `api` holds the
 * OpenTelemetry API's `trace`, `context` and `SpanStatusCode`. One
 * subscriber follows one app: make one per start.
 */
export function spanEvents(tracer, api, { prefix = "wireplan" } = {}) {
  if (tracer === null || typeof tracer !== "object" || typeof tracer.startSpan !== "function") {
    throw new TypeError("wireplan: `spanEvents(tracer, api)` needs an OpenTelemetry tracer (`trace.getTracer(name)`)");
  }
  if (api === null || typeof api !== "object" || typeof api.trace?.setSpan !== "function" || typeof api.context?.active !== "function" || api.SpanStatusCode === undefined) {
    throw new TypeError("wireplan: `spanEvents(tracer, api)` needs `{trace, context, SpanStatusCode}` from \"@opentelemetry/api\"");
  }
  let base = null; // the start's wall-clock time, in ms since the epoch
  let phase = null;
  let phaseName = "";
  let opened = false;
  const ms = (atUs) => base + atUs / 1000;
  const openPhase = (name, atUs) => {
    if (phase === null || phaseName !== name) {
      if (phase !== null) phase.end(ms(atUs));
      phase = tracer.startSpan(`${prefix} ${name}`, { startTime: ms(atUs) });
      phaseName = name;
    }
    return phase;
  };
  const child = (name, id, atUs, durationUs, parent) =>
    tracer.startSpan(name, { startTime: ms(atUs - durationUs), attributes: { "wireplan.service": id, "wireplan.duration_us": durationUs } }, api.trace.setSpan(api.context.active(), parent));
  return (event) => {
    const { type, id, at_us: at, duration_us: duration } = event;
    if (base === null) base = Date.now() - at / 1000;
    // The first phase opens when the start began (offset 0); later ones
    // with their first step (its own start, for a step reported at its end).
    const began = phase === null && !opened ? 0 : type in NAMED ? at - (duration ?? 0) : at;
    opened = true;
    const current = openPhase(STOPPING.has(type) ? "stop" : "start", began);
    if (type === "app-started" || type === "app-stopped") {
      current.setAttribute("wireplan.duration_us", duration ?? 0);
      current.end(ms(at));
      phase = null;
      return;
    }
    if (type === "failed") {
      const error = { code: api.SpanStatusCode.ERROR, message: String(event.error) };
      if (id !== null) {
        // The failed step's own span (zero-length when the runtime gave no duration).
        const span = child(`${event.phase} ${id}`, id, at, duration ?? 0, current);
        span.setAttribute("wireplan.phase", event.phase);
        span.setStatus(error);
        span.end(ms(at));
      }
      current.setStatus(error);
      return;
    }
    const name = NAMED[type];
    if (name === undefined || id === null || duration === null || duration === undefined) return;
    child(`${name} ${id}`, id, at, duration, current).end(ms(at));
  };
}
