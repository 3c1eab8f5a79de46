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
