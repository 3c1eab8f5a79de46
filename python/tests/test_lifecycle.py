"""Start and stop hooks, separate from construction (fx's OnStart/OnStop),
the injected Lifecycle, invoked functions and per-service timeouts."""


import asyncio
import time
from typing import AsyncIterator, Iterator

import pytest

import wireplan


class Config:
    pass


class Db:
    def __init__(self, config: Config) -> None:
        self.config = config


class Server:
    def __init__(self, db: Db) -> None:
        self.db = db


def _registry(log: list[str], fail_start: str | None = None) -> wireplan.Registry:
    def hook(name: str, phase: str):  # type: ignore[no-untyped-def]
        def run(instance: object) -> None:
            if fail_start == name and phase == "start":
                raise ValueError(f"{name} cannot start")
            log.append(f"{phase} {name}")
        return run

    registry = wireplan.Registry()

    def config() -> Iterator[Config]:
        log.append("build config")
        try:
            yield Config()
        finally:
            log.append("teardown config")

    def db(config: Config) -> Iterator[Db]:
        log.append("build db")
        try:
            yield Db(config)
        except BaseException as e:
            log.append(f"teardown db told {type(e).__name__}: {e}")
            raise
        else:
            log.append("teardown db")

    registry.provide(config, on_start=hook("config", "start"), on_stop=hook("config", "stop"))
    registry.provide(db, on_start=hook("db", "start"), on_stop=hook("db", "stop"))
    registry.provide(Server, on_start=hook("server", "start"), on_stop=hook("server", "stop"))
    return registry


def test_every_service_is_built_before_the_first_start_hook_and_stop_hooks_run_before_teardowns() -> None:
    log: list[str] = []
    app = _registry(log).compile().start()
    assert log == ["build config", "build db", "start config", "start db", "start server"]
    log.clear()
    app.stop()
    assert log == ["stop server", "stop db", "stop config", "teardown db", "teardown config"]


def test_hooks_are_given_the_instance() -> None:
    seen: list[object] = []
    registry = wireplan.Registry()
    registry.provide(Config, on_start=seen.append, on_stop=seen.append)
    with registry.compile().start() as app:
        config = app.get(Config)
    assert seen == [config, config]


def test_a_failing_start_hook_rolls_back_hooks_then_teardowns_and_names_the_service() -> None:
    log: list[str] = []
    plan = _registry(log, fail_start="server").compile()
    with pytest.raises(wireplan.StartError) as info:
        plan.start()
    err = info.value
    assert err.service == "test_lifecycle.Server"
    assert err.phase == "start-hook"
    assert isinstance(err.cause, ValueError)
    assert "service `test_lifecycle.Server`" in str(err) and "ValueError: server cannot start" in str(err)
    assert "in the start hook of `test_lifecycle.Server`" in err.__notes__
    # Only the hooks that started are stopped (the server's is not), newest
    # first, then every built service is torn down, told the cause.
    assert log == ["build config", "build db", "start config", "start db",
                   "stop db", "stop config", "teardown db told ValueError: server cannot start", "teardown config"]


def test_stop_hook_errors_are_collected_and_every_teardown_still_runs() -> None:
    log: list[str] = []
    registry = wireplan.Registry()

    def bad_stop(db: Db) -> None:
        raise OSError("socket already closed")

    @registry.provide(on_stop=lambda c: log.append("stop config"))
    def config() -> Iterator[Config]:
        yield Config()
        log.append("teardown config")

    registry.provide(Db, on_stop=bad_stop)
    app = registry.compile().start()
    with pytest.raises(ExceptionGroup) as info:
        app.stop()
    (err,) = info.value.exceptions
    assert isinstance(err, OSError)
    assert "while stopping service `test_lifecycle.Db`" in err.__notes__[0]
    assert log == ["stop config", "teardown config"]


def test_async_start_hooks_of_one_layer_run_concurrently_and_layers_in_order() -> None:
    log: list[str] = []

    class A:
        pass

    class B:
        pass

    class C:
        def __init__(self, a: A, b: B) -> None:
            pass

    async def slow_start(name: str) -> None:
        log.append(f"{name} begin")
        await asyncio.sleep(0.05)
        log.append(f"{name} end")

    async def stop(name: str) -> None:
        await asyncio.sleep(0)
        log.append(f"{name} stop")

    registry = wireplan.Registry()
    registry.provide(A, on_start=lambda a: slow_start("a"), on_stop=lambda a: stop("a"))
    registry.provide(B, on_start=lambda b: slow_start("b"), on_stop=lambda b: stop("b"))

    async def c_start(c: C) -> None:
        log.append("c start")

    registry.provide(C, on_start=c_start)

    async def main() -> float:
        t0 = time.perf_counter()
        async with registry.compile().start_async():
            took = time.perf_counter() - t0
        return took

    took = asyncio.run(main())
    assert log[:4] == ["a begin", "b begin", "a end", "b end"]
    assert log[4] == "c start"
    assert sorted(log[5:]) == ["a stop", "b stop"] and log[5] == "b stop"  # reverse of plan order
    assert took < 0.095  # the two 50 ms hooks overlapped


def test_async_failing_hook_cancels_its_siblings_and_rolls_back() -> None:
    log: list[str] = []

    class A:
        pass

    class B:
        pass

    async def fails(a: A) -> None:
        await asyncio.sleep(0.01)
        raise RuntimeError("port in use")

    async def hangs(b: B) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            log.append("b cancelled")
            raise

    @wireplan.Registry().provide
    def unused() -> Config:  # pragma: no cover - not registered here
        return Config()

    registry = wireplan.Registry()
    registry.provide(A, on_start=fails, on_stop=lambda a: log.append("a stop"))
    registry.provide(B, on_start=hangs, on_stop=lambda b: log.append("b stop"))

    async def main() -> wireplan.StartError:
        with pytest.raises(wireplan.StartError) as info:
            await registry.compile().start_async()
        return info.value

    t0 = time.perf_counter()
    err = asyncio.run(main())
    assert time.perf_counter() - t0 < 2
    assert err.service.endswith(".A") and err.phase == "start-hook"
    assert log == ["b cancelled"]  # neither start hook finished: no stop hook runs


def test_a_sync_start_refuses_async_start_hooks_before_building_anything() -> None:
    built: list[str] = []

    async def on_start(db: Db) -> None:
        pass

    registry = wireplan.Registry()
    registry.provide(Config)
    registry.provide(Db, on_start=on_start)
    registry.provide(Server, on_start=lambda s: built.append("hook"))
    with pytest.raises(TypeError, match=r"cannot start synchronously: `test_lifecycle.Db` has an async start hook; start with `start_async\(\)`"):
        registry.compile().start()
    assert built == []


def test_sync_stop_refuses_an_async_stop_hook_and_astop_runs_it() -> None:
    log: list[str] = []

    async def on_stop(config: Config) -> None:
        await asyncio.sleep(0)
        log.append("stopped")

    registry = wireplan.Registry()
    registry.provide(Config, on_stop=on_stop)
    app = registry.compile().start()
    with pytest.raises(TypeError, match="has an async stop hook"):
        app.stop()
    asyncio.run(app.astop())
    assert log == ["stopped"]


def test_hooks_are_only_for_singletons() -> None:
    registry = wireplan.Registry()
    with pytest.raises(ValueError, match="are for singletons"):
        registry.provide(Config, lifetime="scoped", on_start=print)
    with pytest.raises(TypeError, match="on_start must be a callable"):
        registry.provide(Config, on_start="start")  # type: ignore[arg-type]


# ---- the Lifecycle --------------------------------------------------------


def test_a_factory_appends_hooks_to_the_injected_lifecycle() -> None:
    log: list[str] = []
    registry = wireplan.Registry()
    registry.provide(Config)

    @registry.provide
    def server(config: Config, lifecycle: wireplan.Lifecycle) -> Server:
        log.append("build")
        lifecycle.append(on_start=lambda: log.append("listen"), on_stop=lambda: log.append("close"))
        lifecycle.append(on_stop=lambda: log.append("flush"))
        return Server(Db(config))

    plan = registry.compile()
    # Not a planned dependency: the plan has no edge for it.
    (desc,) = [d for d in registry.descriptors() if d["id"].endswith(".server")]
    assert desc["deps"] == ["test_lifecycle.Config"]
    app = plan.start()
    assert log == ["build", "listen"]
    app.stop()
    assert log == ["build", "listen", "flush", "close"]


def test_a_failing_appended_hook_stops_the_hooks_that_started_even_of_its_own_service() -> None:
    log: list[str] = []
    registry = wireplan.Registry()

    def boom() -> None:
        raise ValueError("no")

    @registry.provide
    def config(lifecycle: wireplan.Lifecycle) -> Config:
        lifecycle.append(on_start=lambda: log.append("first"), on_stop=lambda: log.append("undo first"))
        lifecycle.append(on_start=boom, on_stop=lambda: log.append("undo second"))
        return Config()

    with pytest.raises(wireplan.StartError) as info:
        registry.compile().start()
    assert info.value.phase == "start-hook"
    assert log == ["first", "undo first"]


def test_the_lifecycle_takes_hooks_only_while_building() -> None:
    kept: list[wireplan.Lifecycle] = []
    registry = wireplan.Registry()

    @registry.provide
    def config(lifecycle: wireplan.Lifecycle) -> Config:
        kept.append(lifecycle)
        return Config()

    with registry.compile().start():
        with pytest.raises(RuntimeError, match="takes hooks while the app builds it"):
            kept[0].append(on_start=print)
    with pytest.raises(TypeError, match="takes on_start=, on_stop= or both"):
        kept[0].append()


def test_a_scoped_factory_cannot_take_the_lifecycle() -> None:
    registry = wireplan.Registry()

    @registry.provide(lifetime="scoped")
    def config(lifecycle: wireplan.Lifecycle) -> Config:
        return Config()

    with registry.compile().start() as app, app.scope() as scope:
        with pytest.raises(TypeError, match="is scoped: only a singleton's factory takes a `wireplan.Lifecycle`"):
            scope.get(Config)


def test_async_lifecycle_hooks_are_awaited() -> None:
    log: list[str] = []
    registry = wireplan.Registry()

    @registry.provide
    async def config(lifecycle: wireplan.Lifecycle) -> AsyncIterator[Config]:
        async def listen() -> None:
            await asyncio.sleep(0)
            log.append("listen")

        async def close() -> None:
            await asyncio.sleep(0)
            log.append("close")

        lifecycle.append(on_start=listen, on_stop=close)
        yield Config()
        log.append("teardown")

    async def main() -> None:
        async with registry.compile().start_async():
            assert log == ["listen"]

    asyncio.run(main())
    assert log == ["listen", "close", "teardown"]


# ---- invoke ---------------------------------------------------------------


def test_invoked_functions_run_at_start_after_every_build_with_their_dependencies_resolved() -> None:
    log: list[str] = []
    registry = _registry(log)

    @registry.invoke
    def main(server: Server, db: Db) -> str:
        assert server.db is db
        log.append("main")
        return "done"

    plan = registry.compile()
    app = plan.start()
    assert log == ["build config", "build db", "start config", "start db", "start server", "main"]
    assert app.get_by_id("invoke:test_lifecycle.test_invoked_functions_run_at_start_after_every_build_with_their_dependencies_resolved.<locals>.main") == "done"
    app.stop()


def test_invoked_dependencies_are_roots() -> None:
    registry = wireplan.Registry()
    registry.provide(Config)
    registry.provide(Db)
    registry.provide(Server)
    seen: list[object] = []
    registry.invoke(lambda db: seen.append(db), id="use-db")  # no hint: reported like a factory's
    with pytest.raises(wireplan.PlanError, match="missing-annotation"):
        registry.compile(roots=[Config])

    registry = wireplan.Registry()
    registry.provide(Config)
    registry.provide(Db)
    registry.provide(Server)

    def use(db: Db) -> None:
        seen.append(db)

    registry.invoke(use, id="use-db")
    plan = registry.compile(roots=[Config])
    assert plan.startup_order == ["test_lifecycle.Config", "test_lifecycle.Db", "use-db"]
    with plan.start() as app:
        assert seen == [app.get(Db)]


def test_a_failing_invocation_fails_the_start_in_phase_invoke() -> None:
    log: list[str] = []
    registry = _registry(log)

    @registry.invoke
    def migrate(db: Db) -> None:
        raise LookupError("no schema")

    with pytest.raises(wireplan.StartError) as info:
        registry.compile().start()
    assert info.value.phase == "invoke" and info.value.service.startswith("invoke:")
    # In plan order with the start hooks: the invocation (layer 2, by id
    # before `Server`) fails before the server's start hook runs.
    assert log == ["build config", "build db", "start config", "start db",
                   "stop db", "stop config", "teardown db told LookupError: no schema", "teardown config"]


def test_async_invocation_is_awaited_by_start_async_and_refused_by_start() -> None:
    registry = wireplan.Registry()
    registry.provide(Config)
    seen: list[object] = []

    @registry.invoke
    async def warm(config: Config) -> int:
        await asyncio.sleep(0)
        seen.append(config)
        return 7

    plan = registry.compile()
    with pytest.raises(TypeError, match="has an async start hook"):
        plan.start()

    async def main() -> None:
        async with plan.start_async() as app:
            assert seen == [app.get(Config)]

    asyncio.run(main())


def test_invoke_refuses_a_class() -> None:
    with pytest.raises(TypeError, match="invoke\\(\\) takes a function, not the class"):
        wireplan.Registry().invoke(Config)


# ---- the disk cache -------------------------------------------------------


def test_hooks_are_runtime_only_a_cached_plan_runs_the_current_hooks(tmp_path: object) -> None:
    log: list[str] = []
    for round in ("first", "second"):
        registry = wireplan.Registry()
        registry.provide(Config, on_start=lambda c, r=round: log.append(r), start_timeout=5)  # type: ignore[misc]
        plan = registry.compile(cache_dir=str(tmp_path))
        with plan.start():
            pass
    assert log == ["first", "second"]


# ---- per-service timeouts -------------------------------------------------


def test_a_service_start_timeout_overrides_the_app_wide_one_for_an_async_factory() -> None:
    class Slow:
        pass

    registry = wireplan.Registry()

    @registry.provide(start_timeout=0.05)
    async def slow() -> Slow:
        await asyncio.sleep(5)
        return Slow()  # pragma: no cover - cancelled

    async def main() -> wireplan.StartError:
        with pytest.raises(wireplan.StartError) as info:
            await registry.compile().start_async(start_timeout=60)
        return info.value

    t0 = time.perf_counter()
    err = asyncio.run(main())
    assert time.perf_counter() - t0 < 1
    assert isinstance(err.cause, TimeoutError)
    assert str(err.cause).endswith(".slow` did not start within 50 ms")


def test_a_longer_service_timeout_lets_a_slow_service_start_under_a_short_app_wide_one() -> None:
    registry = wireplan.Registry()

    @registry.provide(start_timeout=10)
    def config() -> Config:
        time.sleep(0.03)
        return Config()

    registry.provide(Db)
    with registry.compile().start(start_timeout=0.01) as app:
        assert isinstance(app.get(Db), Db)


def test_a_sync_start_hook_over_its_timeout_fails_the_start_after_the_fact() -> None:
    registry = wireplan.Registry()
    registry.provide(Config, on_start=lambda c: time.sleep(0.03), start_timeout=0.01)
    with pytest.raises(wireplan.StartError) as info:
        registry.compile().start()
    assert info.value.phase == "start-hook"
    assert "did not start within 10 ms" in str(info.value.cause)
    assert "returned after" in str(info.value.cause)


def test_an_async_start_hook_over_its_timeout_is_cancelled() -> None:
    async def hang(c: Config) -> None:
        await asyncio.sleep(5)

    registry = wireplan.Registry()
    registry.provide(Config, on_start=hang, start_timeout=0.05)

    async def main() -> wireplan.StartError:
        with pytest.raises(wireplan.StartError) as info:
            await registry.compile().start_async()
        return info.value

    t0 = time.perf_counter()
    err = asyncio.run(main())
    assert time.perf_counter() - t0 < 1 and isinstance(err.cause, TimeoutError)


def test_a_service_stop_timeout_bounds_its_stop_hook_and_its_teardown() -> None:
    log: list[str] = []
    registry = wireplan.Registry()

    async def stop_hook(c: Config) -> None:
        await asyncio.sleep(5)

    @registry.provide(on_stop=stop_hook, stop_timeout=0.05)
    async def config() -> AsyncIterator[Config]:
        yield Config()
        await asyncio.sleep(5)

    @registry.provide
    async def db(config: Config) -> AsyncIterator[Db]:
        yield Db(config)
        await asyncio.sleep(0.1)  # over the service limit above, under the app-wide one
        log.append("db torn down")

    async def main() -> BaseExceptionGroup:
        app = await registry.compile().start_async(stop_timeout=30)
        with pytest.raises(BaseExceptionGroup) as info:
            await app.astop()
        return info.value

    t0 = time.perf_counter()
    group = asyncio.run(main())
    assert time.perf_counter() - t0 < 1.5
    assert [str(e).split(".")[-1] for e in group.exceptions] == ["config` did not stop within 50 ms"] * 2
    assert log == ["db torn down"]


def test_an_infinite_service_timeout_means_none() -> None:
    registry = wireplan.Registry()

    @registry.provide(start_timeout=float("inf"))
    def config() -> Config:
        time.sleep(0.02)
        return Config()

    with registry.compile().start(start_timeout=0.001):
        pass


def test_bad_service_timeouts_are_refused() -> None:
    registry = wireplan.Registry()
    with pytest.raises(ValueError, match="start_timeout must be positive"):
        registry.provide(Config, start_timeout=0)
    with pytest.raises(TypeError, match="stop_timeout must be a number of seconds"):
        registry.provide(Config, stop_timeout="1s")  # type: ignore[arg-type]


class Listener:
    def __init__(self, config: Config, lifecycle: wireplan.Lifecycle) -> None:
        self.listening = False
        lifecycle.append(on_start=self.listen)

    def listen(self) -> None:
        self.listening = True


def test_a_class_takes_the_lifecycle_and_a_cached_plan_passes_it_too(tmp_path: object) -> None:
    for round in range(2):  # planned, then read from the disk cache (meta parsed at bind)
        registry = wireplan.Registry()
        registry.provide(Config)
        registry.provide(Listener)
        plan = registry.compile(cache_dir=str(tmp_path))
        with plan.start() as app:
            assert app.get(Listener).listening
    assert len(list(__import__("pathlib").Path(str(tmp_path)).glob("*.wpc"))) == 1


def test_the_lifecycle_after_a_skipped_positional_builtin() -> None:
    # A positional-only builtin with a default is left out; the lifecycle
    # after it still lands in its own parameter.
    seen: list[object] = []
    registry = wireplan.Registry()
    registry.provide(Config)

    def make(config: Config, retries: int = 3, lifecycle: wireplan.Lifecycle = None, /) -> Db:  # type: ignore[assignment]
        seen.append((retries, type(lifecycle).__name__))
        return Db(config)

    registry.provide(make)
    with registry.compile().start():
        pass
    assert seen == [(3, "Lifecycle")]


def test_a_start_hook_that_ignores_its_cancellation_is_abandoned_not_waited_for() -> None:
    class A:
        pass

    class B:
        pass

    async def fails(a: A) -> None:
        await asyncio.sleep(0.01)
        raise RuntimeError("no")

    async def stubborn(b: B) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            await asyncio.sleep(1)  # ignores the cancellation for a while

    registry = wireplan.Registry()
    registry.provide(A, on_start=fails)
    registry.provide(B, on_start=stubborn)

    async def main() -> float:
        t0 = time.perf_counter()
        with pytest.raises(wireplan.StartError):
            await registry.compile().start_async()
        took = time.perf_counter() - t0
        await asyncio.sleep(1.1)  # let the stubborn hook end before the loop closes
        return took

    assert asyncio.run(main()) < 0.5


def test_a_start_hook_that_did_its_work_but_late_still_gets_its_stop_hook_in_the_rollback() -> None:
    log: list[str] = []

    class Server:
        pass

    registry = wireplan.Registry()
    registry.provide(Server, on_start=lambda s: (time.sleep(0.05), log.append("listening")),
                     on_stop=lambda s: log.append("closed"), start_timeout=0.01)
    with pytest.raises(wireplan.StartError):
        registry.compile().start()
    assert log == ["listening", "closed"]


def test_an_interruption_raised_by_one_of_a_layers_async_hooks_still_runs_the_stop_hooks_of_those_that_finished() -> None:
    class Abort(BaseException):
        pass

    class First:
        pass

    class Second:
        pass

    log: list[str] = []

    async def aborts(s: First) -> None:
        raise Abort()

    async def listens(s: Second) -> None:
        log.append("second started")

    registry = wireplan.Registry()
    registry.provide(First, on_start=aborts)
    registry.provide(Second, on_start=listens, on_stop=lambda s: log.append("second stopped"))

    async def main() -> None:
        await registry.compile().start_async()

    with pytest.raises(Abort):
        asyncio.run(main())
    assert log == ["second started", "second stopped"]


def test_ids_and_error_texts_in_the_runtimes_own_notes_are_escaped() -> None:
    class Server:
        pass

    def refuses(s: Server) -> None:
        raise ValueError("bad\n::error::forged\x1b[2J")

    registry = wireplan.Registry()
    registry.provide(Server, id="srv\n::error::x", on_start=refuses)
    with pytest.raises(wireplan.StartError) as info:
        registry.compile().start()
    notes = "\n".join(getattr(info.value, "__notes__", []) + [str(info.value)])
    assert "\x1b" not in notes
    assert "\n::error::" not in notes
