"""OpenTelemetry spans from the app's lifecycle events (``pip install
wireplan[otel]``): one span for the start, with a child per service built
and per hook run, and one for the stop, as Spring Boot's startup steps or a
trace of fx's events would show.

    from opentelemetry import trace
    from wireplan.integrations.otel import SpanExporter

    app = plan.start(on_event=SpanExporter(trace.get_tracer("app")))

Events carry offsets from the start (``at_us``) and durations; the exporter
fixes the start's wall-clock time from the first event it gets, so spans
line up with the rest of a trace. A ``failed`` event marks its span (or the
start's) as an error with the runtime's text of the exception. It imports
OpenTelemetry only when imported itself: ``import wireplan`` never does.
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry.trace import Span, Status, StatusCode, Tracer, set_span_in_context

__all__ = ["SpanExporter"]

#: The event types that close a span of their own, with its name.
_NAMED = {"constructed": "construct", "start-hook": "start hook", "stop-hook": "stop hook", "stopped": "teardown"}


class SpanExporter:
    """A lifecycle event subscriber (``on_event=``) that records spans with
    `tracer`. One exporter follows one app: make one per start."""

    def __init__(self, tracer: Tracer, *, prefix: str = "wireplan") -> None:
        self._tracer = tracer
        self._prefix = prefix
        self._base_ns: int | None = None
        self._phase: Span | None = None
        self._phase_name = ""
        self._opened = False

    def _ns(self, at_us: int) -> int:
        return (self._base_ns or 0) + at_us * 1000

    def _open_phase(self, name: str, at_us: int) -> Span:
        if self._phase is None or self._phase_name != name:
            if self._phase is not None:
                self._phase.end(end_time=self._ns(at_us))
            self._phase = self._tracer.start_span(f"{self._prefix} {name}", start_time=self._ns(at_us))
            self._phase_name = name
        return self._phase

    def __call__(self, event: dict[str, Any]) -> None:
        kind, sid, at = event["type"], event["id"], int(event["at_us"])
        duration = event["duration_us"]
        if self._base_ns is None:  # the start's wall-clock time, from the first event
            self._base_ns = time.time_ns() - at * 1000
        # A phase opens with its first event's step (its own start, for a
        # step that reports when it ends).
        # The first phase opens when the start began (offset 0); later ones
        # with their first step (its own start, for a step reported at its end).
        began = 0 if not self._opened else at - int(duration or 0) if kind in _NAMED else at
        self._opened = True
        phase = self._open_phase("stop" if kind in ("stop-hook", "stopped", "app-stopped") else "start", began)
        if kind in ("app-started", "app-stopped"):
            phase.set_attribute("wireplan.duration_us", int(duration or 0))
            phase.end(end_time=self._ns(at))
            self._phase = None
            return
        if kind == "failed":
            message = str(event["error"])
            target = phase
            if sid is not None:  # the failed step's own span (zero-length without a duration)
                target = self._child(f"{event['phase']} {sid}", sid, at, int(duration or 0), phase)
            target.set_status(Status(StatusCode.ERROR, message))
            target.set_attribute("wireplan.phase", str(event["phase"]))
            if target is not phase:
                target.end(end_time=self._ns(at))
            phase.set_status(Status(StatusCode.ERROR, message))
            return
        name = _NAMED.get(kind)
        if name is None or sid is None or duration is None:
            return  # constructing, started, reloaded: no span of their own
        self._child(f"{name} {sid}", sid, at, int(duration), phase).end(end_time=self._ns(at))

    def _child(self, name: str, sid: str, at: int, duration: int, parent: Span) -> Span:
        span = self._tracer.start_span(name, context=set_span_in_context(parent), start_time=self._ns(at - duration),
                                       attributes={"wireplan.service": sid, "wireplan.duration_us": duration})
        return span
