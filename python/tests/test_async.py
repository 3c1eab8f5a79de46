"""The async runtime: async factories awaited, layers started concurrently,
rollback on failure, async teardown."""

import asyncio
from typing import AsyncIterator

import pytest

import wireplan


def test_async_start_layers_concurrently() -> None:
    log: list[str] = []

    class A:
        pass

    class B:
        pass

    class C:
        def __init__(self, a: A, b: B) -> None:
            self.a, self.b = a, b

    registry = wireplan.Registry()

    @registry.provide
    async def make_a() -> A:
        log.append("a begin")
        await asyncio.sleep(0.05)
        log.append("a end")
        return A()

    @registry.provide
    async def make_b() -> AsyncIterator[B]:
        log.append("b begin")
        await asyncio.sleep(0.05)
        log.append("b end")
        yield B()
        log.append("b stop")

    registry.provide(C)
    plan = registry.compile()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        async with plan.start_async() as app:
            elapsed = loop.time() - t0
            c = app.get(C)
            assert isinstance(c.a, A) and isinstance(c.b, B)
            # A and B are one layer: started together, not one after the other.
            assert log[:2] == ["a begin", "b begin"]
            assert elapsed < 0.095
            chain = app.critical_chain()
            assert chain[-1].service.endswith(".C")
        assert log[-1] == "b stop"

    asyncio.run(main())
    # A synchronous start is refused before anything starts, naming the
    # async factories (it used to start and roll back the sync ones first).
    log.clear()
    with pytest.raises(TypeError) as info:
        plan.start()
    a, b = (f"`{__name__}.test_async_start_layers_concurrently.<locals>.make_{x}`" for x in "ab")
    assert str(info.value) == f"cannot start synchronously: {a} and {b} have async factories; start with `start_async()`"
    assert log == []


def test_async_rollback_and_scopes() -> None:
    log: list[str] = []

    class Db:
        pass

    class Broken:
        pass

    class Session:
        pass

    registry = wireplan.Registry()

    @registry.provide
    async def db() -> AsyncIterator[Db]:
        log.append("open db")
        try:  # a rollback tells the teardown why (athrow): it runs either way
            yield Db()
        finally:
            log.append("close db")

    @registry.provide(lifetime="scoped")
    async def session(d: Db) -> AsyncIterator[Session]:
        log.append("open session")
        yield Session()
        log.append("close session")

    plan = registry.compile()

    async def main() -> None:
        async with plan.start_async() as app:
            async with app.scope() as scope:
                s = await scope.aget(Session)
                assert await scope.aget(Session) is s
                with pytest.raises(TypeError, match="aget"):
                    scope.get(Session)
        assert log == ["open db", "open session", "close session", "close db"]

    asyncio.run(main())

    @registry.provide
    async def broken(d: Db) -> Broken:
        raise ConnectionError("no route")

    plan = registry.compile()
    log.clear()

    async def fail() -> None:
        async with plan.start_async():
            raise AssertionError("not reached")

    with pytest.raises(wireplan.StartupError) as info:
        asyncio.run(fail())
    assert info.value.service.endswith("broken")
    assert isinstance(info.value.__cause__, ConnectionError)
    assert log == ["open db", "close db"]


# ---- the lifecycle contract (docs/lifecycle.md), async side ------------------


def test_async_teardowns_learn_why_the_scope_ended() -> None:
    import contextlib

    log: list[str] = []
    registry = wireplan.Registry()

    async def unit_of_work() -> AsyncIterator[str]:
        try:
            yield "tx"
        except Exception as e:
            log.append(f"rollback: {e!r}")
            raise
        else:
            log.append("commit")

    @contextlib.asynccontextmanager
    async def handle() -> AsyncIterator[str]:
        try:
            yield "handle"
        except Exception as e:
            log.append(f"handle saw {e!r}")
            raise

    registry.provide("tx", unit_of_work, lifetime="scoped")
    registry.provide("handle", handle, lifetime="scoped")

    async def main() -> None:
        async with registry.compile().start_async() as app:
            async with app.scope() as scope:
                await scope.aget("tx")
            assert log == ["commit"]
            with pytest.raises(LookupError, match="no such order"):
                async with app.scope() as scope:
                    await scope.aget("tx")
                    await scope.aget("handle")
                    raise LookupError("no such order")
            assert log[1:] == ["handle saw LookupError('no such order')", "rollback: LookupError('no such order')"]

    asyncio.run(main())


def test_concurrent_agets_share_one_scoped_build() -> None:
    builds: list[str] = []
    registry = wireplan.Registry()
    fail = [True]

    async def uow() -> str:
        builds.append("uow")
        await asyncio.sleep(0.02)
        if fail[0]:
            fail[0] = False
            raise ConnectionError("db went away")
        return f"uow{len(builds)}"

    registry.provide("uow", uow, lifetime="scoped")
    registry.provide("repo_a", lambda u: ("a", u), deps=["uow"], lifetime="scoped")
    registry.provide("repo_b", lambda u: ("b", u), deps=["uow"], lifetime="scoped")

    async def main() -> None:
        async with registry.compile().start_async() as app:
            async with app.scope() as scope:
                results: list[object] = await asyncio.gather(scope.aget("repo_a"), scope.aget("repo_b"),
                                                             return_exceptions=True)
                # One build, failed for both waiters, not kept.
                assert builds == ["uow"]
                assert isinstance(results[0], ConnectionError) and results[1] is results[0]
                ra, rb = await asyncio.gather(scope.aget("repo_a"), scope.aget("repo_b"))
                assert builds == ["uow", "uow"] and ra == ("a", "uow2") and rb == ("b", "uow2")
                assert await scope.aget("uow") == "uow2"

    asyncio.run(main())


def test_a_cancelled_builder_hands_the_shared_build_to_a_waiter() -> None:
    # Stepped by an event, not by sleeps: the builder is cancelled while its
    # build is held open, whatever the machine's load.
    registry = wireplan.Registry()
    calls: list[int] = []
    gate: list[asyncio.Event] = []

    async def session() -> int:
        calls.append(len(calls))
        await gate[0].wait()
        return len(calls)

    registry.provide("session", session, lifetime="scoped")

    async def ticks(n: int = 10) -> None:
        for _ in range(n):
            await asyncio.sleep(0)

    async def main() -> None:
        gate.append(asyncio.Event())
        async with registry.compile().start_async() as app:
            async with app.scope() as scope:
                first = asyncio.ensure_future(scope.aget("session"))
                await ticks()
                assert calls == [0]  # the first get is building
                second = asyncio.ensure_future(scope.aget("session"))
                await ticks()
                assert calls == [0]  # the second waits for that build
                first.cancel()
                await ticks()
                assert calls == [0, 1]  # the waiter took the build over
                gate[0].set()
                assert await second == 2  # built again by the waiter, once
                assert first.cancelled() and calls == [0, 1]
                assert await scope.aget("session") == 2

    asyncio.run(main())


def test_the_first_failure_cancels_its_layer_and_rolls_back_at_once() -> None:
    log: list[str] = []
    registry = wireplan.Registry()

    async def fails() -> str:
        await asyncio.sleep(0.01)
        raise ValueError("config is wrong")

    async def slow() -> str:
        try:
            await asyncio.sleep(2)
        except asyncio.CancelledError:
            log.append("slow cancelled")
            raise
        return "slow"

    async def stubborn() -> AsyncIterator[str]:
        try:
            await asyncio.sleep(2)
        except asyncio.CancelledError:
            log.append("stubborn ignores it")
            await asyncio.sleep(0.1)
        try:
            yield "stubborn"
        except ValueError:
            log.append("stubborn torn down, told")
            raise

    registry.provide("a_fails", fails, id="a_fails")
    registry.provide("b_slow", slow, id="b_slow")
    registry.provide("c_stubborn", stubborn, id="c_stubborn")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(wireplan.StartError) as info:
            await registry.compile().start_async()
        assert loop.time() - t0 < 0.5  # not the 2 s of the siblings
        err = info.value
        assert err.service == "a_fails" and isinstance(err.cause, ValueError)
        assert err.abandoned == ("c_stubborn",)
        assert log == ["slow cancelled", "stubborn ignores it"]
        assert await err.settled() == []
        assert log[-1] == "stubborn torn down, told"

    asyncio.run(main())
