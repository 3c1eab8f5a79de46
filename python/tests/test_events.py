"""Lifecycle events: the contract's shape and order, failures, the default
logging adapter, and the timeline left as it was."""

import asyncio
import logging
from typing import Any, AsyncIterator, Iterator

import pytest

import wireplan
from wireplan.runtime import App

KEYS = ["type", "id", "phase", "at_us", "duration_us", "error"]


class Config:
    pass


class Db:
    def __init__(self, config: Config) -> None:
        self.config = config


class Cache:
    def __init__(self, config: Config) -> None:
        self.config = config


def _registry() -> wireplan.Registry:
    registry = wireplan.Registry()
    registry.provide(Config, on_start=lambda c: None)

    @registry.provide(on_stop=lambda db: None)
    def db(config: Config) -> Iterator[Db]:
        yield Db(config)

    registry.provide(Cache)
    return registry


def _short(events: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(e["type"], e["id"].rsplit(".", 1)[-1] if e["id"] else None) for e in events]


def test_every_event_has_exactly_the_contract_keys_and_types() -> None:
    events: list[dict[str, Any]] = []
    app = _registry().compile().start(on_event=events.append)
    app.stop()
    assert events
    for e in events:
        assert list(e) == KEYS
        assert isinstance(e["type"], str) and isinstance(e["at_us"], int) and e["at_us"] >= 0
        assert e["duration_us"] is None or isinstance(e["duration_us"], int)
        assert e["error"] is None and e["phase"] is None
    ats = [e["at_us"] for e in events]
    assert ats == sorted(ats)


def test_events_come_in_the_order_things_happen() -> None:
    events: list[dict[str, Any]] = []
    app = _registry().compile().start(on_event=events.append)
    assert _short(events) == [
        ("constructing", "Config"), ("constructed", "Config"),
        ("constructing", "Cache"), ("constructed", "Cache"),
        ("constructing", "db"), ("constructed", "db"),
        ("start-hook", "Config"), ("started", "Config"),
        ("started", "Cache"),
        ("started", "db"),
        ("app-started", None),
    ]
    durations = {(e["type"]): e["duration_us"] for e in events}
    assert durations["constructed"] is not None and durations["app-started"] is not None
    assert durations["started"] is None and durations["constructing"] is None
    events.clear()
    app.stop()
    # Stop hooks in reverse, then one `stopped` per singleton, reverse of readiness.
    assert _short(events) == [
        ("stop-hook", "db"),
        ("stopped", "db"), ("stopped", "Cache"), ("stopped", "Config"),
        ("app-stopped", None),
    ]


def test_async_start_sends_the_same_events() -> None:
    events: list[dict[str, Any]] = []
    registry = wireplan.Registry()

    @registry.provide
    async def config() -> AsyncIterator[Config]:
        await asyncio.sleep(0)
        yield Config()

    async def warm(db: Db) -> None:
        await asyncio.sleep(0)

    registry.provide(Db, on_start=warm)
    registry.provide(Cache)

    async def main() -> None:
        async with registry.compile().start_async(on_event=events.append):
            pass

    asyncio.run(main())
    assert _short(events) == [
        ("constructing", "config"), ("constructed", "config"),
        ("constructing", "Cache"), ("constructed", "Cache"),
        ("constructing", "Db"), ("constructed", "Db"),
        ("started", "config"), ("started", "Cache"),
        ("start-hook", "Db"), ("started", "Db"),
        ("app-started", None),
        ("stopped", "Db"), ("stopped", "Cache"), ("stopped", "config"),
        ("app-stopped", None),
    ]


def test_a_failing_factory_sends_failed_with_phase_construct_and_the_runtime_text() -> None:
    events: list[dict[str, Any]] = []
    registry = wireplan.Registry()
    registry.provide(Config)

    @registry.provide
    def db(config: Config) -> Db:
        raise ConnectionError("no route to host")

    with pytest.raises(wireplan.StartError):
        registry.compile().start(on_event=events.append)
    failed = [e for e in events if e["type"] == "failed"]
    assert len(failed) == 1
    assert failed[0]["id"].endswith(".db") and failed[0]["phase"] == "construct"
    assert failed[0]["error"] == "ConnectionError: no route to host"
    # The failure first, then the rollback's events.
    assert _short(events)[-3:] == [("constructing", "db"), ("failed", "db"), ("stopped", "Config")]


def test_failed_events_for_hooks_and_teardowns() -> None:
    events: list[dict[str, Any]] = []
    registry = wireplan.Registry()

    def bad(instance: object) -> None:
        raise ValueError("bad hook")

    @registry.provide(on_stop=bad)
    def config() -> Iterator[Config]:
        yield Config()
        raise OSError("bad teardown")

    app = registry.compile().start(on_event=events.append)
    with pytest.raises(ExceptionGroup):
        app.stop()
    failed = [(e["phase"], e["error"]) for e in events if e["type"] == "failed"]
    assert failed == [("stop-hook", "ValueError: bad hook"), ("teardown", "OSError: bad teardown")]

    events.clear()
    registry = wireplan.Registry()
    registry.provide(Config, on_start=bad)
    with pytest.raises(wireplan.StartError):
        registry.compile().start(on_event=events.append)
    assert [(e["type"], e["phase"]) for e in events][-2:] == [("failed", "start-hook"), ("stopped", None)]


def test_the_default_sends_events_to_the_wireplan_logger_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="wireplan"):
        app = _registry().compile().start()
        app.stop()
    records = [r for r in caplog.records if r.name == "wireplan"]
    kinds = [r.wireplan_event["type"] for r in records]  # type: ignore[attr-defined]
    assert kinds[0] == "constructing" and "app-started" in kinds and kinds[-1] == "app-stopped"
    assert all(r.levelno == logging.DEBUG for r in records)
    assert records[0].getMessage() == "wireplan: constructing `test_events.Config`"


def test_failed_goes_to_the_log_at_error_even_when_debug_is_off(caplog: pytest.LogCaptureFixture) -> None:
    registry = wireplan.Registry()

    @registry.provide
    def config() -> Config:
        raise KeyError("dsn")

    with caplog.at_level(logging.INFO, logger="wireplan"), pytest.raises(wireplan.StartError):
        registry.compile().start()
    (record,) = [r for r in caplog.records if r.name == "wireplan"]
    assert record.levelno == logging.ERROR
    assert record.getMessage().startswith("wireplan: `test_events.")
    assert record.getMessage().endswith(".config` failed (construct): KeyError: 'dsn'")


def test_with_debug_off_a_start_sends_no_event_at_all(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []
    real = App._event

    def counting(self: App, type: str, *args: Any, **kwargs: Any) -> None:
        calls.append(type)
        real(self, type, *args, **kwargs)

    monkeypatch.setattr(App, "_event", counting)
    with caplog.at_level(logging.INFO, logger="wireplan"):
        app = _registry().compile().start()
        app.stop()
    assert calls == []


def test_a_raising_subscriber_is_warned_about_and_the_app_goes_on() -> None:
    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("subscriber bug")

    with pytest.warns(RuntimeWarning, match="the on_event callback raised RuntimeError: subscriber bug"):
        with _registry().compile().start(on_event=broken) as app:
            assert isinstance(app.get(Db), Db)


def test_on_event_must_be_callable() -> None:
    with pytest.raises(TypeError, match="on_event must be a callable"):
        _registry().compile().start(on_event="log")  # type: ignore[arg-type]


def test_the_timeline_is_the_same_record_with_or_without_events() -> None:
    plan = _registry().compile()
    with plan.start() as app:
        quiet = app.timeline()
    with plan.start(on_event=lambda e: None) as app:
        loud = app.timeline()

    def shape(t: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(s["id"], s["layer"], s["outcome"], s["needs"], sorted(s)) for s in t["services"]]

    assert list(quiet) == list(loud) == ["timeline", "services"]
    assert shape(quiet) == shape(loud)


def test_an_async_subscriber_is_refused_with_a_warning_not_left_unawaited() -> None:
    async def subscriber(event: dict[str, Any]) -> None:
        pass  # pragma: no cover - never run

    with pytest.warns(RuntimeWarning, match="on_event is called synchronously"):
        with _registry().compile().start(on_event=subscriber):
            pass


def test_stopped_events_for_a_large_app_come_once_each_in_reverse() -> None:
    registry = wireplan.Registry()
    classes = [type(f"S{i}", (), {}) for i in range(3000)]

    def with_teardown(cls: type) -> Any:
        def make() -> Iterator[Any]:
            yield cls()
        make.__annotations__["return"] = Iterator[cls]  # type: ignore[valid-type]
        return make

    for n, cls in enumerate(classes):
        cls.__module__ = __name__
        registry.provide(with_teardown(cls) if n % 2 else cls, id=f"s{n:04}")
    events: list[dict[str, Any]] = []
    app = registry.compile().start(on_event=events.append)
    events.clear()
    app.stop()
    stopped = [e["id"] for e in events if e["type"] == "stopped"]
    assert stopped == sorted(stopped, reverse=True) and len(stopped) == 3000
