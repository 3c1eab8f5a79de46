// Types of `wireplan/otel`: OpenTelemetry spans from the lifecycle events.
import type { LifecycleEvent } from "./index.js";

/** The parts of "@opentelemetry/api" the exporter uses. */
export interface OtelApi {
  trace: { setSpan(context: unknown, span: unknown): unknown };
  context: { active(): unknown };
  SpanStatusCode: { ERROR: number };
}

/** An OpenTelemetry tracer (`trace.getTracer(name)`). */
export interface OtelTracer {
  startSpan(name: string, options?: { startTime?: number; attributes?: Record<string, string | number> }, context?: unknown): {
    end(endTime?: number): void;
    setAttribute(key: string, value: string | number): unknown;
    setStatus(status: { code: number; message?: string }): unknown;
  };
}

/** An `onEvent` subscriber recording a start span and a stop span with a child per step. */
export function spanEvents(tracer: OtelTracer, api: OtelApi, options?: { prefix?: string }): (event: LifecycleEvent) => void;
