"""Hot reload: app.reload(new_plan) stops exactly the changed services and
their dependents, starts their replacements, keeps every other instance
(the very same object), and rolls back to the old plan on failure."""

import asyncio
from typing import Any, AsyncIterator, Callable, Iterator

import pytest

import wireplan

LOG: list[str] = []


class Config:
    pass


class Cache:
    def __init__(self, config: Config) -> None:
        self.config = config


class Db:
    def __init__(self, config: Config, version: int = 1) -> None:
        self.config = config
        self.version = version


class Api:
    def __init__(self, db: Db, cache: Cache) -> None:
        self.db, self.cache = db, cache


class Report:
    def __init__(self, api: Api) -> None:
        self.api = api


def make_db(config: Config) -> Iterator[Db]:
    LOG.append("build db")
    yield Db(config)
    LOG.append("teardown db")


def make_db_v2(config: Config) -> Iterator[Db]:
    LOG.append("build db v2")
    try:
        yield Db(config, 2)
    finally:
        LOG.append("teardown db v2")


def broken_db(config: Config) -> Iterator[Db]:
    raise ConnectionError("no route to host")
    yield Db(config)  # pragma: no cover


def make_api(db: Db, cache: Cache) -> Iterator[Api]:
    LOG.append("build api")
    try:
        yield Api(db, cache)
    except BaseException as e:
        LOG.append(f"teardown api told {type(e).__name__}")
        raise
    LOG.append("teardown api")


def make_report(api: Api) -> Report:
    LOG.append("build report")
    return Report(api)


def make_report_v2(api: Api) -> Report:
    LOG.append("build report v2")
    return Report(api)


def api_started(api: Api) -> None:
    LOG.append("start api")


def api_stopped(api: Api) -> None:
    LOG.append("stop api")


def build(db: Callable[..., Any] = make_db, report: Callable[..., Any] = make_report,
          api_start: Callable[[Api], None] = api_started) -> wireplan.Plan:
    registry = wireplan.Registry()
    registry.provide(Config)
    registry.provide(Cache)
    registry.provide(db, id="db")
    registry.provide(make_api, id="api", on_start=api_start, on_stop=api_stopped)
    registry.provide(report, id="report")
    return registry.compile()


@pytest.fixture(autouse=True)
def _clear() -> Iterator[None]:
    LOG.clear()
    yield
    LOG.clear()


def test_a_leaf_change_restarts_only_that_leaf() -> None:
    app = build().start()
    before = {k: app.get(k) for k in (Config, Cache, Db, Api)}
    old_report = app.get(Report)
    LOG.clear()
    result = app.reload(build(report=make_report_v2))
    assert result["changed"] == ["report"] and result["dependents"] == []
    assert result["stopped"] == ["report"] and result["started"] == ["report"]
    assert result["kept"] == 4
    assert result["errors"] == []
    assert LOG == ["build report v2"]
    for k, v in before.items():
        assert app.get(k) is v
    assert app.get(Report) is not old_report and app.get(Report).api is before[Api]
    LOG.clear()
    app.stop()
    assert LOG == ["stop api", "teardown api", "teardown db"]


def test_a_middle_change_restarts_its_dependents_in_order() -> None:
    app = build().start()
    config, cache = app.get(Config), app.get(Cache)
    LOG.clear()
    result = app.reload(build(db=make_db_v2))
    assert result["changed"] == ["db"] and result["dependents"] == ["api", "report"]
    assert result["stopped"] == ["report", "api", "db"]
    assert result["started"] == ["db", "api", "report"]
    assert LOG == ["stop api", "teardown api", "teardown db",
                   "build db v2", "build api", "build report", "start api"]
    assert app.get(Config) is config and app.get(Cache) is cache
    assert app.get(Api).db.version == 2 and app.get(Api).cache is cache
    LOG.clear()
    app.stop()
    assert LOG == ["stop api", "teardown api", "teardown db v2"]


def test_changed_hooks_restart_the_service() -> None:
    app = build().start()
    db = app.get(Db)
    LOG.clear()

    def api_started_v2(api: Api) -> None:
        LOG.append("start api v2")

    result = app.reload(build(api_start=api_started_v2))
    assert result["changed"] == ["api"] and result["dependents"] == ["report"]
    assert LOG == ["stop api", "teardown api", "build api", "build report", "start api v2"]
    assert app.get(Db) is db
    app.stop()


def test_the_same_plan_again_changes_nothing() -> None:
    plan = build()
    app = plan.start()
    LOG.clear()
    result = app.reload(build())
    assert result["stopped"] == result["started"] == [] and result["kept"] == 5
    assert LOG == []
    app.stop()


def test_a_failed_reload_restores_a_working_old_app() -> None:
    plan = build()
    app = plan.start()
    config, cache = app.get(Config), app.get(Cache)
    LOG.clear()
    with pytest.raises(wireplan.ReloadError) as info:
        app.reload(build(db=broken_db))
    err = info.value
    assert err.service == "db" and err.phase == "construct" and err.restored
    assert isinstance(err.cause, ConnectionError) and err.__cause__ is err.cause
    assert str(err).startswith("reload failed: service `db` (")
    assert str(err).endswith("failed to start: ConnectionError: no route to host; the app runs the old plan")
    # The old services were stopped, nothing new started, then the old ones
    # were started again from the old plan.
    assert LOG == ["stop api", "teardown api", "teardown db",
                   "build db", "build api", "build report", "start api"]
    assert app.plan is plan
    assert app.get(Config) is config and app.get(Cache) is cache
    assert app.get(Api).db is app.get(Db) and app.get(Db).version == 1
    assert app.liveness() == {"status": "pass"}
    LOG.clear()
    app.stop()
    assert LOG == ["stop api", "teardown api", "teardown db"]


def test_a_failing_start_hook_in_the_new_plan_rolls_back_what_the_reload_started() -> None:
    app = build().start()
    LOG.clear()

    def refuses(api: Api) -> None:
        raise PermissionError("port 443")

    with pytest.raises(wireplan.ReloadError) as info:
        app.reload(build(db=make_db_v2, api_start=refuses))
    assert info.value.phase == "start-hook" and info.value.service == "api"
    assert LOG == ["stop api", "teardown api", "teardown db",
                   "build db v2", "build api", "build report",
                   "teardown api told PermissionError", "teardown db v2",
                   "build db", "build api", "build report", "start api"]
    assert app.get(Db).version == 1
    app.stop()


def test_added_and_removed_services() -> None:
    class Extra:
        def __init__(self, config: Config) -> None:
            pass

    app = build().start()
    registry = wireplan.Registry()
    registry.provide(Config)
    registry.provide(Cache)
    registry.provide(Extra)
    result = app.reload(registry.compile())
    assert sorted(result["stopped"]) == ["api", "db", "report"]
    assert result["started"] == [f"{Extra.__module__}.{Extra.__qualname__}"]
    assert isinstance(app.get(Extra), Extra)
    with pytest.raises(wireplan.UnknownKeyError):
        app.get(Db)
    app.stop()


def test_scopes_opened_after_a_reload_use_the_new_plan() -> None:
    class Request:
        def __init__(self, db: Db) -> None:
            self.db = db

    def plan(db: Callable[..., Any]) -> wireplan.Plan:
        registry = wireplan.Registry()
        registry.provide(Config)
        registry.provide(db, id="db")
        registry.provide(Request, lifetime="scoped")
        return registry.compile()

    app = plan(make_db).start()
    old_scope = app.scope()
    old_db = old_scope.get(Request).db
    app.reload(plan(make_db_v2))
    with app.scope() as scope:
        assert scope.get(Request).db.version == 2
    assert old_db.version == 1
    app.stop()


def test_reload_sends_events() -> None:
    events: list[dict[str, Any]] = []
    app = build().start(on_event=events.append)
    events.clear()
    app.reload(build(report=make_report_v2))
    assert [(e["type"], e["id"]) for e in events] == [
        ("stopped", "report"), ("constructing", "report"), ("constructed", "report"), ("started", "report"),
        ("reloaded", None)]
    assert isinstance(events[-1]["duration_us"], int)
    events.clear()
    with pytest.raises(wireplan.ReloadError):
        app.reload(build(db=broken_db))
    failed = [e for e in events if e["type"] == "failed"]
    assert failed[0]["id"] == "db" and failed[0]["phase"] == "construct"
    assert "reloaded" not in [e["type"] for e in events]
    app.stop()


def test_reload_needs_a_started_app_and_a_plan() -> None:
    app = build().start()
    with pytest.raises(TypeError, match="takes a wireplan.Plan"):
        app.reload("plan")  # type: ignore[arg-type]
    app.stop()
    with pytest.raises(RuntimeError, match="needs a started app; this one is stopped"):
        app.reload(build())


async def make_async_db(config: Config) -> AsyncIterator[Db]:
    await asyncio.sleep(0)
    LOG.append("build async db")
    yield Db(config, 3)
    await asyncio.sleep(0)
    LOG.append("teardown async db")


def test_areload_awaits_async_factories_and_sync_reload_refuses_them() -> None:
    async def main() -> None:
        app = await build().start_async()
        cache = app.get(Cache)
        with pytest.raises(TypeError, match="`db` is async: reload with `await app.areload"):
            app.reload(build(db=make_async_db))
        assert app.get(Db).version == 1  # refused before anything stopped
        LOG.clear()
        result = await app.areload(build(db=make_async_db))
        assert result["started"] == ["db", "api", "report"]
        assert app.get(Db).version == 3 and app.get(Cache) is cache
        assert LOG == ["stop api", "teardown api", "teardown db", "build async db", "build api", "build report", "start api"]
        with pytest.raises(wireplan.ReloadError):
            await app.areload(build(db=broken_db))
        assert app.get(Db).version == 3  # back on the plan it ran
        LOG.clear()
        await app.astop()
        assert LOG == ["stop api", "teardown api", "teardown async db"]

    asyncio.run(main())


def test_reload_error_pickles() -> None:
    import pickle

    err = wireplan.ReloadError("db", "app/db.py:3", ConnectionError("down"), "start-hook", False)
    again = pickle.loads(pickle.dumps(err))
    assert (again.service, again.source, again.phase, again.restored) == ("db", "app/db.py:3", "start-hook", False)
    assert str(again) == str(err) == ("reload failed: service `db` (app/db.py:3) failed to start: ConnectionError: down; "
                                      "the old services did not start again either: stop the app")


def test_when_the_old_services_fail_to_start_again_the_app_is_marked_failed() -> None:
    calls: list[int] = []

    def flaky_db(config: Config) -> Iterator[Db]:
        calls.append(1)
        if len(calls) > 1:
            raise TimeoutError("the database went away")
        yield Db(config)
        LOG.append("teardown flaky db")

    app = build(db=flaky_db).start()
    cache = app.get(Cache)
    with pytest.raises(wireplan.ReloadError) as info:
        app.reload(build(db=broken_db))
    err = info.value
    assert not err.restored and isinstance(err.cause, ConnectionError)
    assert err.teardown_errors is not None
    assert [type(e).__name__ for e in err.teardown_errors.exceptions] == ["TimeoutError"]
    assert str(err).endswith("the old services did not start again either: stop the app")
    assert app.liveness() == {"status": "fail"} and app.health()["status"] == "fail"
    assert app.get(Cache) is cache  # what was kept still runs, until the app is stopped
    with pytest.raises(RuntimeError, match="is not started"):
        app.get(Db)
    LOG.clear()
    app.stop()
    assert LOG == []  # the cache and config have no teardown; the db was torn down already


def test_a_transient_torn_down_by_a_failed_reload_is_not_torn_down_again_at_stop() -> None:
    from contextlib import AbstractContextManager

    class Token:
        pass

    class Lease:
        """A context manager whose exit runs whenever called (as many are)."""

        def __enter__(self) -> Token:
            return Token()

        def __exit__(self, *exc: object) -> None:
            LOG.append("teardown token")

    def make_token(config: Config) -> AbstractContextManager[Token]:
        return Lease()

    def broken(config: Config) -> Db:
        raise ConnectionError("no route")

    old = wireplan.Registry()
    old.provide(Config)
    old.provide(make_token, lifetime="transient")
    app = old.compile().start()
    app.get(Token)
    new = wireplan.Registry()
    new.provide(Config)
    new.provide(broken)
    LOG.clear()
    with pytest.raises(wireplan.ReloadError):
        app.reload(new.compile())
    app.stop()
    assert LOG.count("teardown token") == 1, LOG


def test_an_interrupted_reload_tears_down_what_it_built_once_and_leaves_the_app_failed_but_stoppable() -> None:
    class Conn:
        pass

    class Api:
        def __init__(self, conn: Conn) -> None:
            pass

    def conn_v1(config: Config) -> Iterator[Conn]:
        yield Conn()
        LOG.append("teardown conn v1")

    def conn_v2(config: Config) -> Iterator[Conn]:
        try:
            yield Conn()
        finally:  # told the interruption: thrown in at the yield
            LOG.append("teardown conn v2")

    def interrupted(conn: Conn) -> Api:
        raise KeyboardInterrupt

    def registry(conn: Callable[..., Iterator[Conn]], api: Callable[..., Api] | None) -> wireplan.Registry:
        r = wireplan.Registry()
        r.provide(Config)
        r.provide(conn)
        if api is not None:
            r.provide(api)
        return r

    app = registry(conn_v1, None).compile().start()
    config = app.get(Config)
    LOG.clear()
    with pytest.raises(KeyboardInterrupt):
        app.reload(registry(conn_v2, interrupted).compile())
    assert LOG == ["teardown conn v1", "teardown conn v2"]
    assert app.health()["status"] == "fail"
    assert app.get(Config) is config
    app.stop()
    assert LOG == ["teardown conn v1", "teardown conn v2"]
