"""Health checks: per service, with a timeout each; app.health(),
app.ahealth() and app.liveness() in the contract's shape."""

import asyncio
import time
from typing import Any

import pytest

import wireplan


class Config:
    pass


class Db:
    def __init__(self, config: Config) -> None:
        self.up = True


class Cache:
    def __init__(self, config: Config) -> None:
        self.up = True


def _plan(**db_options: Any) -> wireplan.Plan:
    registry = wireplan.Registry()
    registry.provide(Config)
    registry.provide(Db, health=lambda db: db.up, **db_options)
    registry.provide(Cache, health=lambda cache: None if cache.up else False)
    return registry.compile()


def _ids(report: dict[str, Any]) -> list[str]:
    return [c["id"].rsplit(".", 1)[-1] for c in report["checks"]]


def test_health_passes_with_every_check_in_plan_order_in_the_contract_shape() -> None:
    with _plan().start() as app:
        report = app.health()
    assert list(report) == ["status", "checks"]
    assert report["status"] == "pass"
    assert _ids(report) == ["Cache", "Db"]
    for check in report["checks"]:
        assert list(check) == ["id", "status", "duration_us", "error"]
        assert check["status"] == "pass" and check["error"] is None and isinstance(check["duration_us"], int)


def test_a_check_that_returns_false_or_raises_fails_the_app() -> None:
    with _plan().start() as app:
        app.get(Cache).up = False
        report = app.health()
        assert report["status"] == "fail"
        assert [(c["status"], c["error"]) for c in report["checks"]] == [("fail", None), ("pass", None)]

    def broken(db: Db) -> bool:
        raise ConnectionError("replica lag")

    registry = wireplan.Registry()
    registry.provide(Config)
    registry.provide(Db, health=broken)
    with registry.compile().start() as app:
        (check,) = app.health()["checks"]
    assert check["status"] == "fail" and check["error"] == "ConnectionError: replica lag"


def test_a_slow_sync_check_fails_after_the_fact() -> None:
    def slow(db: Db) -> bool:
        time.sleep(0.03)
        return True

    registry = wireplan.Registry()
    registry.provide(Config)
    registry.provide(Db, health=slow, health_timeout=0.01)
    with registry.compile().start() as app:
        (check,) = app.health()["checks"]
    assert check["status"] == "fail"
    assert check["error"].startswith("TimeoutError: the health check of `test_health.Db` did not pass within 10 ms: it returned after")


def test_ahealth_runs_async_checks_concurrently_each_within_its_timeout() -> None:
    async def ok(db: Db) -> bool:
        await asyncio.sleep(0.05)
        return True

    async def hangs(cache: Cache) -> bool:
        await asyncio.sleep(10)
        return True  # pragma: no cover - cancelled

    registry = wireplan.Registry()
    registry.provide(Config, health=lambda c: True)
    registry.provide(Db, health=ok)
    registry.provide(Cache, health=hangs, health_timeout=0.06)

    async def main() -> tuple[dict[str, Any], float, dict[str, Any]]:
        async with registry.compile().start_async() as app:
            t0 = time.perf_counter()
            report = await app.ahealth()
            took = time.perf_counter() - t0
            sync_report = app.health()
        return report, took, sync_report

    report, took, sync_report = asyncio.run(main())
    assert took < 0.5
    assert _ids(report) == ["Config", "Cache", "Db"]  # plan order
    assert [c["status"] for c in report["checks"]] == ["pass", "fail", "pass"]
    assert report["checks"][1]["error"] == "TimeoutError: the health check of `test_health.Cache` did not pass within 60 ms"
    assert report["status"] == "fail"
    # The synchronous health() cannot await: an async check fails there, saying so.
    assert sync_report["checks"][1]["error"] == "TypeError: `test_health.Cache` has an async health check: use `await app.ahealth()`"


def test_default_health_timeout_is_one_second() -> None:
    def slow(db: Db) -> bool:
        time.sleep(1.05)
        return True

    registry = wireplan.Registry()
    registry.provide(Config)
    registry.provide(Db, health=slow)
    with registry.compile().start() as app:
        (check,) = app.health()["checks"]
    assert check["status"] == "fail" and "within 1 s" in check["error"]


def test_readiness_and_liveness_follow_the_app_state() -> None:
    plan = _plan()
    app = plan.start()
    assert app.liveness() == {"status": "pass"}
    assert app.health()["status"] == "pass"
    app.stop()
    assert app.liveness() == {"status": "fail"}
    assert app.health() == {"status": "fail", "checks": []}
    assert asyncio.run(app.ahealth()) == {"status": "fail", "checks": []}


def test_an_app_without_checks_is_healthy_once_started() -> None:
    registry = wireplan.Registry()
    registry.provide(Config)
    with registry.compile().start() as app:
        assert app.health() == {"status": "pass", "checks": []}


def test_a_failing_check_sends_a_failed_event_in_phase_health() -> None:
    events: list[dict[str, Any]] = []
    with _plan().start(on_event=events.append) as app:
        app.get(Db).up = False
        app.health()
        failed = [e for e in events if e["type"] == "failed"]
        assert failed == []  # returning False is not an error
        events.clear()

    def broken(db: Db) -> bool:
        raise ValueError("down")

    registry = wireplan.Registry()
    registry.provide(Config)
    registry.provide(Db, health=broken)
    with registry.compile().start(on_event=events.append) as app:
        events.clear()
        app.health()
    (event,) = [e for e in events if e["type"] == "failed"]
    assert event["phase"] == "health" and event["error"] == "ValueError: down"


def test_health_options_are_checked() -> None:
    with pytest.raises(TypeError, match="health must be a callable"):
        wireplan.Registry().provide(Config, health=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="health_timeout must be positive"):
        wireplan.Registry().provide(Config, health=bool, health_timeout=-1)


def test_a_check_cancelled_from_inside_is_raised_once_every_other_check_has_settled() -> None:
    class A:
        pass

    class B:
        pass

    log: list[str] = []

    async def cancelled(a: A) -> bool:
        raise asyncio.CancelledError()

    async def slow(b: B) -> bool:
        await asyncio.sleep(0.05)
        log.append("b settled")
        return True

    registry = wireplan.Registry()
    registry.provide(A, health=cancelled)
    registry.provide(B, health=slow)

    async def main() -> None:
        async with registry.compile().start_async() as app:
            with pytest.raises(asyncio.CancelledError):
                await app.ahealth()
            assert log == ["b settled"]

    asyncio.run(main())
