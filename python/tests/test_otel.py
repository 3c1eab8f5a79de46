"""OpenTelemetry spans from lifecycle events (wireplan.integrations.otel)."""

from __future__ import annotations

import subprocess
import sys
from typing import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

import wireplan
from wireplan.integrations.otel import SpanExporter


class Db:
    pass


class Server:
    def __init__(self, db: Db) -> None:
        self.db = db


def tracer() -> tuple[object, InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return provider.get_tracer("test"), memory


def registry(fail_hook: bool = False) -> wireplan.Registry:
    r = wireplan.Registry()

    def db() -> Iterator[Db]:
        yield Db()

    def start(server: Server) -> None:
        if fail_hook:
            raise ConnectionError("port in use")

    r.provide(db)
    r.provide(Server, on_start=start, on_stop=lambda server: None)
    return r


def test_a_start_and_a_stop_are_spans_with_a_child_per_step() -> None:
    t, memory = tracer()
    app = registry().compile().start(on_event=SpanExporter(t))  # type: ignore[arg-type]
    app.stop()
    spans = memory.get_finished_spans()
    names = [s.name for s in spans]
    assert names == ["construct test_otel.registry.<locals>.db", "construct test_otel.Server",
                     "start hook test_otel.Server", "wireplan start",
                     "stop hook test_otel.Server", "teardown test_otel.Server", "teardown test_otel.registry.<locals>.db",
                     "wireplan stop"]
    start = spans[3]
    for child in spans[:3]:
        assert child.parent is not None and child.parent.span_id == start.context.span_id
        assert start.start_time <= child.start_time <= child.end_time <= start.end_time
        assert child.attributes is not None and child.attributes["wireplan.service"] in child.name
    stop = spans[7]
    assert all(s.parent is not None and s.parent.span_id == stop.context.span_id for s in spans[4:7])
    assert stop.start_time >= start.end_time


def test_a_failed_start_hook_marks_its_span_and_the_start_as_errors() -> None:
    t, memory = tracer()
    with pytest.raises(wireplan.StartError):
        registry(fail_hook=True).compile().start(on_event=SpanExporter(t))  # type: ignore[arg-type]
    spans = {s.name: s for s in memory.get_finished_spans()}
    start = spans["wireplan start"]
    assert start.status.status_code is StatusCode.ERROR
    assert "ConnectionError: port in use" in (start.status.description or "")
    failed = [s for s in spans.values() if s.attributes and s.attributes.get("wireplan.phase") == "start-hook"]
    assert failed and failed[0].status.status_code is StatusCode.ERROR


def test_import_wireplan_imports_no_opentelemetry() -> None:
    code = "import sys, wireplan; sys.exit(any(m.startswith('opentelemetry') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
