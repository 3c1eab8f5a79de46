"""Runtime rules pinned one by one, each test naming the rule it holds
(issue 13: mutants of `runtime.py` that every other test let through).
The rules are docs/lifecycle.md's and docs/python.md's. (No `from __future__
import annotations`: the providers are local classes, so their hints must be
objects.)"""

import asyncio
import contextlib
import time
from typing import Any, AsyncIterator, Iterator, Optional, Union

import pytest

import wireplan
import wireplan.runtime
from wireplan.errors import BaseExceptionGroup, ExceptionGroup


def _id(plan: wireplan.Plan, name: str) -> str:
    """The one planned id ending in `.name` (ids of local functions are long)."""
    [found] = [i for i in plan.ids if i == name or i.endswith("." + name)]
    return found


# ---- a synchronous teardown over the stop timeout, at `astop` ------------------


def _slow_teardowns(log: list[str], slow: float) -> wireplan.Plan:
    """Three singletons started a, b, c: `b` a generator and `c` a context
    manager whose teardowns take `slow` seconds, `a` a quick one."""

    class A:
        pass

    class B:
        pass

    class C:
        pass

    registry = wireplan.Registry()

    @registry.provide
    def a() -> Iterator[A]:
        yield A()
        log.append("stop a")

    @registry.provide
    def b(a: A) -> Iterator[B]:
        yield B()
        time.sleep(slow)  # synchronous: cannot be interrupted, only measured
        log.append("stop b")

    @registry.provide
    @contextlib.contextmanager
    def c(b: B) -> Iterator[C]:
        yield C()
        time.sleep(slow)
        log.append("stop c")

    return registry.compile()


def test_astop_reports_a_synchronous_teardown_that_overran_the_stop_timeout() -> None:
    """Rule (python.md, Timeouts): a synchronous teardown runs to its end and
    is measured; one over `stop_timeout` is reported as a `TimeoutError`
    naming the service, with the same words at `astop` as at `stop`, and the
    other teardowns still run, in reverse order."""
    log: list[str] = []
    plan = _slow_teardowns(log, 0.12)
    b, c = _id(plan, "b"), _id(plan, "c")

    async def main() -> BaseException:
        app = await plan.start_async(stop_timeout=0.05)
        with pytest.raises(ExceptionGroup) as info:
            await app.astop()
        return info.value

    group = asyncio.run(main())
    assert log == ["stop c", "stop b", "stop a"]
    assert str(group).startswith("errors while stopping services")
    late_c, late_b = group.exceptions
    for e, sid in ((late_c, c), (late_b, b)):
        assert type(e) is TimeoutError
        text = str(e)
        assert text.startswith(f"`{sid}` did not stop within 50 ms: the teardown returned after "), text
        assert text.endswith(" (a synchronous call cannot be interrupted)"), text
        took = text.split("returned after ")[1].split(" (")[0]  # "123 ms" (at least the 120 ms slept)
        assert took.endswith(" ms") and 120 <= float(took[:-3]) < 1000 or took.endswith(" s"), took
        assert e.__notes__ == [f"while stopping service `{sid}` ({plan.source(plan.ids.index(sid))})"]


def test_astop_of_an_async_with_block_reports_the_overrun_too() -> None:
    """The same rule through `async with plan.start_async(...)`: its exit
    is `astop`, and a clean exit raises the teardowns' group."""
    log: list[str] = []
    plan = _slow_teardowns(log, 0.12)

    async def main() -> BaseException:
        with pytest.raises(ExceptionGroup) as info:
            async with plan.start_async(stop_timeout=0.05):
                pass
        return info.value

    group = asyncio.run(main())
    assert [type(e) for e in group.exceptions] == [TimeoutError, TimeoutError]
    assert [str(e).split("`")[1] for e in group.exceptions] == [_id(plan, "c"), _id(plan, "b")]
    assert log == ["stop c", "stop b", "stop a"]


def test_a_teardown_within_the_stop_timeout_is_not_reported() -> None:
    """Only an overrun is an error: teardowns inside the limit stop cleanly,
    at `stop` and at `astop`."""
    log: list[str] = []
    plan = _slow_teardowns(log, 0.0)
    plan.start(stop_timeout=5).stop()
    assert log == ["stop c", "stop b", "stop a"]

    async def main() -> None:
        app = await plan.start_async(stop_timeout=5)
        await app.astop()

    asyncio.run(main())
    assert log == ["stop c", "stop b", "stop a"] * 2


# ---- a factory's own TimeoutError is its failure, not a start timeout ----------


class _Upstream(TimeoutError):
    """A factory's own timeout (a client giving up), not the start's."""


def _own_timeout_plan(kind: str, siblings: bool) -> wireplan.Plan:
    """`slow` raises its own TimeoutError: `kind` says how (a plain raise
    from a sync or an async factory, or an `asyncio.wait_for` of its own that
    expires inside it). With `siblings`, two more async factories share its
    layer (then it runs as a task, not awaited inline)."""

    class Slow:
        pass

    class Sibling:
        pass

    class Other:
        pass

    registry = wireplan.Registry()
    if kind == "sync":
        @registry.provide
        def slow() -> Slow:
            raise _Upstream("upstream gave up")
    elif kind == "async":
        @registry.provide
        async def slow() -> Slow:
            await asyncio.sleep(0)
            raise _Upstream("upstream gave up")
    else:
        @registry.provide
        async def slow() -> Slow:
            await asyncio.wait_for(asyncio.sleep(5), 0.01)  # its own deadline, well inside the start's
            return Slow()

    if siblings:
        @registry.provide
        async def sibling() -> Sibling:
            await asyncio.sleep(0.5)
            return Sibling()

        @registry.provide
        async def other() -> Other:
            await asyncio.sleep(0.5)
            return Other()

    return registry.compile()


@pytest.mark.parametrize("siblings", [False, True], ids=["alone", "in-a-layer"])
@pytest.mark.parametrize("kind", ["async", "wait-for"])
def test_a_factory_raising_its_own_timeout_error_is_that_factorys_failure(kind: str, siblings: bool) -> None:
    """Rule (python.md, Timeouts; lifecycle.md 5): only the start's own
    deadline is a start timeout (`did not start within ...`); a
    `TimeoutError` the factory raises itself is its failure, passed through
    unchanged as the `StartError`'s cause."""
    plan = _own_timeout_plan(kind, siblings)
    slow = _id(plan, "slow")

    async def main() -> wireplan.StartError:
        with pytest.raises(wireplan.StartError) as info:
            async with plan.start_async(start_timeout=5):
                pass
        return info.value

    t0 = time.perf_counter()
    err = asyncio.run(main())
    assert time.perf_counter() - t0 < 2
    assert err.service == slow
    assert isinstance(err.cause, asyncio.TimeoutError)  # TimeoutError itself from 3.11
    assert "did not start within" not in str(err) and "did not start within" not in str(err.cause)
    if kind == "async":
        assert type(err.cause) is _Upstream and str(err.cause) == "upstream gave up"
        assert str(err) == f"service `{slow}` ({plan.source(plan.ids.index(slow))}) failed to start: _Upstream: upstream gave up"
    else:
        assert type(err.cause) is asyncio.TimeoutError  # wait_for's own, from inside the factory
        assert str(err).startswith(f"service `{slow}` (")


def test_a_sync_factory_raising_its_own_timeout_error_is_that_factorys_failure() -> None:
    """The same rule for a synchronous factory, in `start()` and in
    `start_async()`, whatever the start timeout."""
    plan = _own_timeout_plan("sync", False)
    slow = _id(plan, "slow")
    for timeout in (None, 5.0):
        with pytest.raises(wireplan.StartError) as info:
            plan.start(start_timeout=timeout)
        assert type(info.value.cause) is _Upstream
        assert str(info.value).endswith("failed to start: _Upstream: upstream gave up")

        async def main() -> None:
            async with plan.start_async(start_timeout=timeout):
                pass

        with pytest.raises(wireplan.StartError) as ainfo:
            asyncio.run(main())
        assert ainfo.value.service == slow and type(ainfo.value.cause) is _Upstream


def test_a_teardown_raising_its_own_timeout_error_is_reported_as_itself() -> None:
    """At stop, likewise: an async teardown's own `TimeoutError` is that
    teardown's error, not a `did not stop within` of the stop timeout."""

    class Pool:
        pass

    registry = wireplan.Registry()

    @registry.provide
    async def pool() -> AsyncIterator[Pool]:
        yield Pool()
        raise _Upstream("drain gave up")

    plan = registry.compile()

    async def main() -> BaseException:
        with pytest.raises(ExceptionGroup) as info:
            async with plan.start_async(stop_timeout=5):
                pass
        return info.value

    [e] = asyncio.run(main()).exceptions
    assert type(e) is _Upstream and str(e) == "drain gave up"


def test_the_starts_own_deadline_is_still_a_start_timeout() -> None:
    """The other side of the rule above: a factory still running at the
    start's deadline fails the start with the core's words."""
    class Slow:
        pass

    registry = wireplan.Registry()

    @registry.provide
    async def slow() -> Slow:
        await asyncio.sleep(5)
        return Slow()

    plan = registry.compile()

    async def main() -> None:
        async with plan.start_async(start_timeout=0.05):
            pass

    with pytest.raises(wireplan.StartError) as info:
        asyncio.run(main())
    assert type(info.value.cause) is TimeoutError
    assert str(info.value.cause) == f"`{_id(plan, 'slow')}` did not start within 50 ms"


# ---- `X | None` without a default is optional ---------------------------------


class _Cache:
    pass


class _KwOnly:
    def __init__(self, *, cache: _Cache | None) -> None:
        self.cache = cache


class _PosOnly:
    def __init__(self, cache: Optional[_Cache], /) -> None:
        self.cache = cache


def _optional_consumers() -> dict[str, Any]:
    class ByPipe:
        def __init__(self, cache: _Cache | None) -> None:
            self.cache = cache

    class NoneFirst:
        def __init__(self, cache: None | _Cache) -> None:
            self.cache = cache

    class ByOptional:
        def __init__(self, cache: Optional[_Cache]) -> None:
            self.cache = cache

    class ByUnion:
        def __init__(self, cache: Union[_Cache, None]) -> None:
            self.cache = cache

    class Holder:  # a function factory, called by keyword
        def __init__(self, cache: Any) -> None:
            self.cache = cache

    def by_function(cache: _Cache | None) -> Holder:
        return Holder(cache)

    return {"ByPipe": ByPipe, "NoneFirst": NoneFirst, "ByOptional": ByOptional, "ByUnion": ByUnion,
            "KwOnly": _KwOnly, "PosOnly": _PosOnly, "Holder": (Holder, by_function)}


@pytest.mark.parametrize("lifetime", ["singleton", "scoped", "transient"])
def test_x_or_none_without_a_default_is_an_optional_dependency(lifetime: str) -> None:
    """Rule (python.md, Keys): "`T | None` is optional too": with no default,
    `X | None`, `None | X`, `Optional[X]` and `Union[X, None]` are optional
    dependencies, not required ones: the plan binds them optional, nothing
    providing `X` is no error, and the factory is given `None`; when a
    provider exists it is given the instance."""
    consumers = _optional_consumers()
    registry = wireplan.Registry()
    for name, c in consumers.items():
        if isinstance(c, tuple):
            registry.provide(c[0], c[1], lifetime=lifetime)
        else:
            registry.provide(c, lifetime=lifetime)
    plan = registry.compile()  # no missing-dependency error
    import json

    bindings = json.loads(plan.to_json())["bindings"]
    assert len(bindings) == len(consumers)
    for deps in bindings.values():
        assert [(d["key"], d["optional"], d["providers"]) for d in deps] == [(wireplan.key_of(_Cache), True, [])]

    def classes() -> list[Any]:
        return [c[0] if isinstance(c, tuple) else c for c in consumers.values()]

    with plan.start() as app, app.scope() as scope:
        for cls in classes():
            assert scope.get(cls).cache is None, cls

    registry.provide(_Cache)
    with registry.compile().start() as app, app.scope() as scope:
        cache = app.get(_Cache)
        for cls in classes():
            assert scope.get(cls).cache is cache, cls


def test_x_or_none_without_a_default_is_optional_for_async_factories() -> None:
    """The same rule for an async factory (the async start's path)."""
    class Holder:
        def __init__(self, cache: Any) -> None:
            self.cache = cache

    registry = wireplan.Registry()

    @registry.provide
    async def holder(cache: _Cache | None, other: Optional[_KwOnly]) -> Holder:
        return Holder((cache, other))

    async def main(plan: wireplan.Plan) -> Any:
        async with plan.start_async() as app:
            return app.get(Holder).cache

    assert asyncio.run(main(registry.compile())) == (None, None)


def test_a_plain_x_without_a_default_stays_required() -> None:
    """The rule's edge: without `None` in the hint and without a default, a
    dependency is required (a missing provider is a plan error)."""
    class Needs:
        def __init__(self, cache: _Cache) -> None:
            self.cache = cache

    registry = wireplan.Registry()
    registry.provide(Needs)
    with pytest.raises(wireplan.MissingDependencyError):
        registry.compile()


# ---- critical_chain, every element ---------------------------------------------


class _Clock:
    """A fake `perf_counter` that only factories move: each duration is exact."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def spend(self, seconds: float) -> None:
        self.now += seconds


def test_critical_chain_is_the_slowest_chain_of_non_lazy_dependencies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rule (`App.critical_chain`): the chain of dependencies whose
    durations add up to the latest finish, first started first; each
    element's `finished` is its duration plus the latest finish among its
    dependencies (one or `many`), and a lazy dependency is not waited for
    at start, so it is not on any chain."""
    clock = _Clock()
    monkeypatch.setattr(wireplan.runtime, "perf_counter", clock)
    costs = {"config": 1.0, "db": 5.0, "cache": 2.0, "clock": 7.25, "plugin_a": 1.0, "plugin_b": 4.0, "users": 0.5}

    class Config: ...
    class Db: ...
    class Cache: ...
    class Tick: ...
    class Plugin: ...
    class Users: ...

    registry = wireplan.Registry()

    def made(name: str, value: Any) -> Any:
        clock.spend(costs[name])
        return value

    @registry.provide
    def config() -> Config:
        return made("config", Config())

    @registry.provide
    def db(config: Config) -> Db:
        return made("db", Db())

    @registry.provide
    def cache(config: Config) -> Cache:
        return made("cache", Cache())

    @registry.provide
    def clock_() -> Tick:
        return made("clock", Tick())

    @registry.provide(provides=[Plugin])
    def plugin_a() -> Plugin:
        return made("plugin_a", Plugin())

    @registry.provide(provides=[Plugin])
    def plugin_b(cache: Cache) -> Plugin:
        return made("plugin_b", Plugin())

    @registry.provide
    def users(db: Db, cache: Cache, plugins: list[Plugin] = wireplan.many,
              tick: wireplan.Lazy[Tick] = wireplan.lazy) -> Users:
        return made("users", Users())

    plan = registry.compile()
    short = {i: i.rsplit(".", 1)[-1].rstrip("_") for i in plan.ids}
    with plan.start() as app:
        # Finishes: config 1, db 6, cache 3, clock 7.25, plugin_a 1,
        # plugin_b 3 + 4 = 7, users max(db 6, cache 3, plugins 7) + 0.5 = 7.5
        # (through lazy `clock` it would be 7.75).
        chain = [(short[t.service], t.duration, t.finished) for t in app.critical_chain()]
        assert chain == [("config", 1.0, 1.0), ("cache", 2.0, 3.0), ("plugin_b", 4.0, 7.0), ("users", 0.5, 7.5)]
        assert {short[k]: v for k, v in app.timings().items()} == {"clock": 7.25, **costs}
        assert list(app.timings()) == plan.startup_order


def test_critical_chain_through_single_dependencies_and_ties(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through plain dependencies: the slowest branch wins wherever it is in
    the parameter list; a dependency that ties the slowest so far does not
    replace it (the first parameter's wins); the chain ends at the service
    finishing last even when that is not the last started."""
    clock = _Clock()
    monkeypatch.setattr(wireplan.runtime, "perf_counter", clock)
    costs = {"a": 1.0, "b": 3.0, "c": 3.0, "d": 0.25, "e": 4.0, "f": 0.5}

    def spend(name: str) -> str:
        clock.spend(costs[name])
        return name

    def a() -> str:
        return spend("a")

    def b(a: str) -> str:
        return spend("b")

    def c(a: str) -> str:
        return spend("c")

    def d(a: str, c: str, b: str) -> str:  # c and b tie at 4: c, the first, is on the chain
        return spend("d")

    def e() -> str:  # 4, alone
        return spend("e")

    def f(e: str) -> str:  # 4.5: after d (4.25), so the last to finish
        return spend("f")

    registry = wireplan.Registry()
    for factory, deps in ((a, []), (b, ["a"]), (c, ["a"]), (d, ["a", "c", "b"]), (e, []), (f, ["e"])):
        registry.provide(factory.__name__, factory, deps=deps, id=factory.__name__)
    plan = registry.compile()
    with plan.start() as app:
        chain = [(t.service, t.duration, t.finished) for t in app.critical_chain()]
    assert chain == [("e", 4.0, 4.0), ("f", 0.5, 4.5)]

    costs["f"] = 0.125  # now d (4.25) finishes last
    with plan.start() as app:
        chain = [(t.service, t.duration, t.finished) for t in app.critical_chain()]
    assert chain == [("a", 1.0, 1.0), ("c", 3.0, 4.0), ("d", 0.25, 4.25)]

    costs["b"] = 3.5  # b is slower than c, though it comes after it
    with plan.start() as app:
        chain = [(t.service, t.duration, t.finished) for t in app.critical_chain()]
    assert chain == [("a", 1.0, 1.0), ("b", 3.5, 4.5), ("d", 0.25, 4.75)]


def test_critical_chain_of_an_app_without_singletons_is_empty() -> None:
    registry = wireplan.Registry()
    registry.provide("x", lambda: 1, id="x", lifetime="transient")
    with registry.compile().start() as app:
        assert app.critical_chain() == []


# ---- binding a plan to the providers -------------------------------------------


class _Config:
    pass


class _Database:
    def __init__(self, config: _Config) -> None:
        self.config = config


def _two_providers() -> wireplan.Registry:
    registry = wireplan.Registry()
    registry.provide(_Config)
    registry.provide(_Database)
    return registry


def _bind(document: dict[str, Any], registry: wireplan.Registry) -> Optional[wireplan.Plan]:
    """Binds the core's plan of `document` to `registry`'s providers as a
    cache hit does (no metas parsed beforehand)."""
    import json

    from wireplan import _core
    from wireplan.runtime import Plan

    return Plan._bind(_core.plan([("<test>", json.dumps(document))]), registry._providers)


def _document(registry: wireplan.Registry) -> dict[str, Any]:
    import json

    return dict(json.loads(registry.document()))


@pytest.mark.parametrize("change, service, value", [
    ("meta", 0, None),             # no meta at all
    ("meta", 0, {"k": "call"}),    # a meta that is not a string
    ("meta", 0, "ca\\ll"),         # a string with an escape in its JSON
    ("meta", 0, ""),               # an empty one
    ("meta", 1, "call|config"),    # a parameter without its mode
    ("meta", 1, "call|config:x"),  # a mode that is not a number
    ("meta", 1, "call"),           # a parameter fewer than dependencies
    ("meta", 1, "call|config:1|extra:2"),  # one more
    ("meta", 0, "value"),          # a value where a factory is registered
    ("id", 0, "other"),            # a service no provider has
])
def test_a_plan_binds_only_to_providers_it_fits(change: str, service: int, value: Any) -> None:
    """Rule (`Plan._bind`, the cache's last check): a plan is bound to the
    providers only when it fits them: every service is a registered
    provider, every meta is a string the runtime wrote (`kind|param:mode`),
    a value exactly where a value is registered, one parameter per
    dependency. Anything else is refused (``None``: the cache replans),
    never bound to be started."""
    registry = _two_providers()
    right = _bind(_document(registry), registry)
    assert right is not None  # the document as written binds, its metas parsed here
    with right.start() as app:
        assert isinstance(app.get(_Database).config, _Config)
    doc = _document(registry)
    services = doc["services"]
    if change == "id":
        old = services[service]["id"]
        services[service]["id"] = value
        services[1 - service]["deps"] = [d for d in services[1 - service].get("deps", [])]
        assert old
    elif value is None:
        del services[service]["meta"]
    else:
        services[service]["meta"] = value
    assert _bind(doc, registry) is None


def test_a_plan_with_a_value_binds_only_where_the_value_is() -> None:
    """The value rule both ways: a registered value planned as a factory is
    refused, even when every provider is a value; planned as a value, it
    binds and is given as is."""
    settings = _Config()
    registry = wireplan.Registry()
    registry.supply(settings)
    doc = _document(registry)
    assert [s["meta"] for s in doc["services"]] == ["value"]
    plan = _bind(doc, registry)
    assert plan is not None
    with plan.start() as app:
        assert app.get(_Config) is settings
    doc["services"][0]["meta"] = "call"
    assert _bind(doc, registry) is None
    registry.provide(_Database)
    doc = _document(registry)
    doc["services"][0]["meta"] = "call"
    assert _bind(doc, registry) is None


# ---- keys -----------------------------------------------------------------------


def test_a_service_under_several_keys_and_a_key_of_several_services() -> None:
    """Rule (lifecycle.md 6): `get(key)` finds a service under each key it
    provides; `get_all(key)` gives every provider of a key, in declaration
    order, however many there are; `get` of such a key is ambiguous."""

    class Reader: ...
    class Writer: ...
    class Plugin: ...

    class Store(Reader, Writer):
        pass

    registry = wireplan.Registry()
    registry.provide(Store, provides=[Reader, Writer])
    names = ["a", "b", "c", "d"]

    def maker(name: str) -> Any:
        return lambda: name

    for name in names:
        registry.provide(Plugin, maker(name), id=f"plugin.{name}")
    plan = registry.compile()
    assert sorted(plan.keys()) == sorted(wireplan.key_of(k) for k in (Reader, Writer, Plugin))
    with plan.start() as app:
        assert app.get(Reader) is app.get(Writer)
        assert app.get_all(Plugin) == names
        with pytest.raises(wireplan.AmbiguousKeyError) as info:
            app.get(Plugin)
        assert info.value.providers == [f"plugin.{n}" for n in names]


# ---- a key registered but not planned ------------------------------------------


def test_a_key_registered_but_not_planned_says_so_for_every_kind_of_provider() -> None:
    """Rule (lifecycle.md 6): "a key registered but not planned says
    ``"`admin` is registered but no root needs it"``", whatever registered
    it: a class, a function (its key read from its return hint), explicit
    `provides`, a supplied value; and the same words by id."""

    class Root: ...
    class ByClass: ...
    class ByFunction: ...
    class ByProvides: ...
    class Supplied: ...

    def by_function() -> ByFunction:
        return ByFunction()

    registry = wireplan.Registry()
    registry.provide(Root)
    registry.provide(ByClass)
    registry.provide(by_function)
    registry.provide(lambda: ByProvides(), provides=[ByProvides], id="by_provides")
    registry.supply(Supplied())
    plan = registry.compile(roots=[Root])
    assert plan.startup_order == [wireplan.key_of(Root)]
    with plan.start() as app:
        for key in (ByClass, ByFunction, ByProvides, Supplied):
            k = wireplan.key_of(key)
            with pytest.raises(wireplan.NotPlannedError) as info:
                app.get(key)
            assert str(info.value) == f"`{k}` is registered but no root needs it"
            assert info.value.replaced_by is None
        with pytest.raises(wireplan.NotPlannedError) as by_id:
            app.get_by_id("by_provides")
        assert str(by_id.value) == "`by_provides` is registered but no root needs it"
        with pytest.raises(wireplan.UnknownKeyError) as unknown:
            app.get("nothing.Like.This")
        assert type(unknown.value) is wireplan.UnknownKeyError


def test_an_unplanned_provider_that_can_no_longer_be_read_provides_nothing_known() -> None:
    """An error's words never raise an error of their own: looking up a key
    reads the unplanned providers' keys, and one whose hints no longer
    resolve (changed after the compile) counts as providing nothing."""

    class Root: ...
    class Other: ...

    def other() -> Other:
        return Other()

    registry = wireplan.Registry()
    registry.provide(Root)
    registry.provide(other)
    plan = registry.compile(roots=[Root])
    other.__annotations__["return"] = "NoSuchName"  # no longer resolves
    with plan.start() as app:
        with pytest.raises(wireplan.UnknownKeyError) as info:
            app.get(Other)
        assert type(info.value) is wireplan.UnknownKeyError


def test_a_key_of_another_profile_names_the_profile() -> None:
    """Rule (lifecycle.md 6): a key registered for another profile says
    which profile the plan is for (``(none)`` without one)."""

    class Mailer: ...

    registry = wireplan.Registry()
    registry.provide(Mailer, profiles=["prod"])
    registry.provide(_Config)
    for profile, words in (("dev", "`dev`"), (None, "`(none)`")):
        with registry.compile(profile=profile).start() as app:
            with pytest.raises(wireplan.NotPlannedError) as info:
                app.get(Mailer)
            assert str(info.value) == f"`{wireplan.key_of(Mailer)}` is registered but not for profile {words}"


def test_a_replaced_provider_names_its_replacement() -> None:
    """Rule (lifecycle.md 6): a provider replaced by an override names the
    override that provides its key now, by id and by key of the replaced."""

    class Database: ...
    class Fake(Database): ...

    registry = wireplan.Registry()
    registry.provide(Database, id="pg")
    registry.override(Database, factory=Fake)
    plan = registry.compile()
    with plan.start() as app:
        assert type(app.get(Database)) is Fake
        with pytest.raises(wireplan.NotPlannedError) as info:
            app.get_by_id("pg")
        fake = [i for i in plan.ids if i != "pg"]
        assert info.value.replaced_by == fake[0]
        assert str(info.value) == f"`pg` is replaced: `{wireplan.key_of(Database)}` is provided by `{fake[0]}`"


# ---- the start loop's quick path and what needs awaiting -----------------------


def test_a_singleton_depending_on_the_first_transient_gets_an_instance() -> None:
    """Rule (lifecycle.md 8): a transient asked for by a singleton is built
    for it. The quick path calls a singleton straight from the started
    instances only when every dependency is a singleton: a dependency
    numbered just past the singletons is a transient, never a started
    instance (nor the marker of one not started)."""

    class Token: ...

    class Holder:
        def __init__(self, token: Token) -> None:
            self.token = token

    registry = wireplan.Registry()
    registry.provide(Token, lifetime="transient")
    registry.provide(Holder)
    plan = registry.compile()
    assert plan.singletons == 1 and plan.ids[1] == wireplan.key_of(Token)  # numbered just past the singletons
    with plan.start() as app:
        assert type(app.get(Holder).token) is Token


def test_plain_singletons_are_called_straight_from_the_start_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rule (docs/python.md, the quick paths): a singleton whose
    dependencies are all plain singletons is called from the start loop,
    not through the general path that builds arguments one by one."""
    made: list[int] = []
    real = wireplan.runtime.App._make

    def counting(self: Any, i: int, local: Any, teardowns: Any) -> Any:
        made.append(i)
        return real(self, i, local, teardowns)

    monkeypatch.setattr(wireplan.runtime.App, "_make", counting)

    class Gen: ...

    def gen(db: _Database) -> Iterator[Gen]:
        yield Gen()

    registry = _two_providers()
    registry.provide(gen)
    plan = registry.compile()
    with plan.start() as app:
        assert isinstance(app.get(_Database).config, _Config)
    assert made == [plan.ids.index(_id(plan, "gen"))]  # only the generator takes the general path


def _async_plan(asker: str) -> wireplan.Plan:
    """An async transient `Conn`; `asker` says who needs it: a singleton
    (`singleton`), a scoped service (`scoped`), or nobody but lookups."""

    class Conn: ...

    class UsesConn:
        def __init__(self, conn: Conn) -> None:
            self.conn = conn

    registry = wireplan.Registry()

    @registry.provide(lifetime="transient")
    async def conn() -> Conn:
        await asyncio.sleep(0)
        return Conn()

    registry.provide(_Config)
    if asker != "nobody":
        registry.provide(UsesConn, lifetime="singleton" if asker == "singleton" else "scoped")
    return registry.compile()


def test_a_singleton_needing_an_async_transient_needs_an_async_start() -> None:
    """Rule (lifecycle.md 7): a synchronous `start()` of a plan with async
    factories is refused, naming them, also when the async factory is a
    transient built for a singleton; `start_async()` builds it."""
    plan = _async_plan("singleton")
    with pytest.raises(TypeError) as info:
        plan.start()
    assert str(info.value) == f"cannot start synchronously: `{_id(plan, 'conn')}` has an async factory; start with `start_async()`"

    async def main() -> Any:
        async with plan.start_async() as app:
            return app.get_by_id(_id(plan, "UsesConn")).conn

    assert type(asyncio.run(main())).__name__ == "Conn"


@pytest.mark.parametrize("asker", ["scoped", "nobody"])
def test_async_services_outside_the_singletons_leave_a_sync_start_possible(asker: str) -> None:
    """The other side: when no singleton needs an async factory, `start()`
    works; the async transient (or the scoped service using it) is then
    refused by `get` and built by `aget`."""
    plan = _async_plan(asker)
    with plan.start() as app:
        target = _id(plan, "UsesConn") if asker == "scoped" else _id(plan, "conn")
        with app.scope() as scope:
            with pytest.raises(TypeError, match="has an async factory: use `await aget"):
                scope.get_by_id(target)

    async def main() -> Any:
        async with plan.start_async() as app, app.scope() as scope:
            return await scope.aget_by_id(target)

    assert asyncio.run(main()) is not None


# ---- a positional-only parameter nothing provides keeps its default ------------


_DEFAULT = object()


class _Unprovided:
    pass


def test_a_missing_optional_positional_parameter_gets_its_own_default() -> None:
    """Rule (python.md, Keys): the default is used when nothing provides the
    type; a positional-only one is passed in place (so the next parameter
    keeps its position), and it is the parameter's own default, not None."""

    class Svc:
        def __init__(self, x: _Unprovided = _DEFAULT, y: _Config = _DEFAULT, /) -> None:  # type: ignore[assignment]
            self.x, self.y = x, y

    registry = wireplan.Registry()
    registry.provide(_Config)
    registry.provide(Svc)
    with registry.compile().start() as app:
        svc = app.get(Svc)
        assert svc.x is _DEFAULT
        assert svc.y is app.get(_Config)


# ---- what a plan tells -----------------------------------------------------------


def test_what_a_plan_tells_about_itself() -> None:
    """The plan's own accessors: its fingerprint (the core's), its keys, its
    JSON (the core's), its warnings (services no root needs), each
    service's `file:line` (or the file alone when the line is unknown), and
    a repr counting services and singletons."""
    import json

    class Unused: ...

    registry = _two_providers()
    registry.provide(Unused)
    plan = registry.compile(roots=[_Database])
    assert plan.fingerprint == plan.core.fingerprint and len(plan.fingerprint) == 32
    assert sorted(plan.keys()) == sorted([wireplan.key_of(_Config), wireplan.key_of(_Database)])
    assert plan.to_json() == plan.core.to_json() and json.loads(plan.to_json())["fingerprint"] == plan.fingerprint
    [warning] = plan.warnings
    assert warning["code"] == "unused-service" and warning["services"] == [wireplan.key_of(Unused)]
    db = plan.ids.index(wireplan.key_of(_Database))
    config = plan.ids.index(wireplan.key_of(_Config))
    assert plan.source(db) == f"{__file__}:{_Database.__init__.__code__.co_firstlineno}"
    assert plan.source(config) == __file__  # a class without code of its own: no line
    assert repr(plan) == "<wireplan.Plan 2 services, 2 singletons>"
    app = plan.start()
    assert repr(app) == "<wireplan.App running, 2 singletons>"
    app.stop()
    assert repr(app) == "<wireplan.App stopped, 2 singletons>"


def test_stop_reports_overruns_and_names_each_failing_teardown() -> None:
    """Rule (python.md, Errors and Timeouts), at the synchronous `stop`:
    every teardown runs; each error is reported with a note naming its
    service and source; a synchronous teardown over `stop_timeout` is a
    `TimeoutError` in the core's words; the quick ones are not reported."""
    log: list[str] = []
    plan = _slow_teardowns(log, 0.12)
    b, c = _id(plan, "b"), _id(plan, "c")
    app = plan.start(stop_timeout=0.05)
    with pytest.raises(ExceptionGroup) as info:
        app.stop()
    assert log == ["stop c", "stop b", "stop a"]
    assert [str(e).split(":")[0] for e in info.value.exceptions] == [f"`{c}` did not stop within 50 ms", f"`{b}` did not stop within 50 ms"]
    for e, sid in zip(info.value.exceptions, (c, b)):
        assert type(e) is TimeoutError
        assert e.__notes__ == [f"while stopping service `{sid}` ({plan.source(plan.ids.index(sid))})"]

    class Broken: ...

    registry = wireplan.Registry()

    @registry.provide
    def broken() -> Iterator[Broken]:
        yield Broken()
        raise OSError("socket already closed")

    plan = registry.compile()
    app = plan.start()
    with pytest.raises(ExceptionGroup) as info:
        app.stop()
    [e] = info.value.exceptions
    assert type(e) is OSError
    assert e.__notes__ == [f"while stopping service `{plan.ids[0]}` ({plan.source(0)})"]


# ---- every kind of teardown runs ------------------------------------------------


def _every_kind(log: list[str]) -> wireplan.Plan:
    """One provider of each kind with a teardown: a generator, a context
    manager, an async generator and an async context manager, started in
    that order (each needs the one before)."""

    class G: ...
    class C: ...
    class AG: ...
    class AC: ...

    registry = wireplan.Registry()

    @registry.provide
    def g() -> Iterator[G]:
        try:
            yield G()
        except Exception as e:
            log.append(f"g {e!r}")
            raise
        log.append("g None")

    @registry.provide
    @contextlib.contextmanager
    def c(g: G) -> Iterator[C]:
        try:
            yield C()
        except Exception as e:
            log.append(f"c {e!r}")
            raise
        log.append("c None")

    @registry.provide
    async def ag(c: C) -> AsyncIterator[AG]:
        try:
            yield AG()
        except Exception as e:
            log.append(f"ag {e!r}")
            raise
        log.append("ag None")

    @registry.provide
    @contextlib.asynccontextmanager
    async def ac(ag: AG) -> AsyncIterator[AC]:
        try:
            yield AC()
        except Exception as e:
            log.append(f"ac {e!r}")
            raise
        log.append("ac None")

    return registry.compile()


@pytest.mark.parametrize("stop_timeout", [None, 5.0])
@pytest.mark.parametrize("error", [None, ValueError("request failed")])
def test_astop_runs_every_kind_of_teardown_told_why(stop_timeout: Optional[float], error: Optional[Exception]) -> None:
    """Rule (lifecycle.md 1 and 2): stop is the exact reverse of readiness,
    for every kind of teardown, with or without a stop timeout; each is told
    why the app ended (`None` on a clean exit); one that re-raises the very
    error it was given has not failed."""
    log: list[str] = []
    plan = _every_kind(log)

    async def main() -> None:
        app = await plan.start_async(stop_timeout=stop_timeout)
        await app.astop(error=error)

    asyncio.run(main())
    assert log == [f"{k} {error!r}" for k in ("ac", "ag", "c", "g")]


def test_a_generator_yielding_twice_is_reported_and_closed() -> None:
    """Rule (`_teardown`): a generator provider must yield exactly once; one
    that yields again at teardown is an error of that service, and it is
    closed (its `finally` runs), not left suspended."""
    log: list[str] = []

    class Twice: ...

    registry = wireplan.Registry()

    @registry.provide
    def twice() -> Iterator[Twice]:
        try:
            yield Twice()
            yield Twice()
        finally:
            log.append("closed")

    plan = registry.compile()
    app = plan.start()
    with pytest.raises(ExceptionGroup) as info:
        app.stop()
    [e] = info.value.exceptions
    assert type(e) is RuntimeError and str(e) == "a generator provider must yield exactly once"
    assert log == ["closed"]


@pytest.mark.parametrize("how", ["app", "scope", "async-app", "async-scope"])
def test_a_block_left_by_an_error_notes_each_failing_teardown_by_service(how: str) -> None:
    """Rule (lifecycle.md 2): a block left by an exception that also meets
    failing teardowns lets the block's own error through, with a note per
    teardown error naming the service and its source."""

    class Conn: ...

    registry = wireplan.Registry()

    @registry.provide(lifetime="scoped" if "scope" in how else "singleton")
    def conn() -> Iterator[Conn]:
        try:
            yield Conn()
        finally:
            raise OSError("socket already closed")

    plan = registry.compile()
    sid = plan.ids[0]
    doing = "closing the scope" if "scope" in how else "stopping the app"

    async def run_async() -> None:
        async with plan.start_async() as app:
            if how == "async-app":
                raise ValueError("request failed")
            async with app.scope() as scope:
                await scope.aget(Conn)
                raise ValueError("request failed")

    with pytest.raises(ValueError, match="request failed") as info:
        if how.startswith("async"):
            asyncio.run(run_async())
        else:
            with plan.start() as app:
                if how == "app":
                    raise ValueError("request failed")
                with app.scope() as scope:
                    scope.get(Conn)
                    raise ValueError("request failed")
    assert info.value.__notes__ == [f"{doing}, while stopping service `{sid}` ({plan.source(0)}): OSError: socket already closed"]


def test_a_teardown_raising_keyboard_interrupt_is_not_swallowed() -> None:
    """Rule (python.md, Faults): every teardown runs even when others raise,
    and none is swallowed: a `KeyboardInterrupt` from a teardown comes out
    in a `BaseExceptionGroup` with the other errors."""
    log: list[str] = []

    class First: ...
    class Second: ...

    registry = wireplan.Registry()

    @registry.provide
    def first() -> Iterator[First]:
        yield First()
        log.append("first")
        raise OSError("first failed")

    @registry.provide
    def second(first: First) -> Iterator[Second]:
        yield Second()
        log.append("second")
        raise KeyboardInterrupt

    app = registry.compile().start()
    with pytest.raises(BaseExceptionGroup) as info:
        app.stop()
    assert not isinstance(info.value, ExceptionGroup)
    assert [type(e) for e in info.value.exceptions] == [KeyboardInterrupt, OSError]
    assert log == ["second", "first"]


@pytest.mark.parametrize("siblings", [False, True], ids=["alone", "in-a-layer"])
def test_an_async_factory_that_blocks_is_measured(siblings: bool) -> None:
    """Rule (python.md, Timeouts): what cannot be interrupted is measured
    when it returns: an async factory that blocks the loop past the start
    timeout (no await to cancel) fails the start in the core's words, and
    is rolled back with the others."""
    log: list[str] = []

    class Blocking: ...
    class Quick: ...

    registry = wireplan.Registry()

    @registry.provide
    async def blocking() -> AsyncIterator[Blocking]:
        time.sleep(0.15)  # blocks the loop: the deadline cannot fire
        try:
            yield Blocking()
        finally:
            log.append("stop blocking")

    if siblings:
        @registry.provide
        async def quick() -> AsyncIterator[Quick]:
            try:
                yield Quick()
            finally:
                log.append("stop quick")

    plan = registry.compile()
    sid = _id(plan, "blocking")

    async def main() -> wireplan.StartError:
        with pytest.raises(wireplan.StartError) as info:
            async with plan.start_async(start_timeout=0.05):
                pass
        # By the rollback, not by asyncio.run's shutdown of async generators.
        assert sorted(log) == sorted(["stop blocking"] + (["stop quick"] if siblings else []))
        return info.value

    err = asyncio.run(main())
    assert err.service == sid and type(err.cause) is TimeoutError
    assert str(err.cause).startswith(f"`{sid}` did not start within 50 ms: the factory returned after ")


# ---- lazy and many --------------------------------------------------------------


def test_a_lazy_scoped_dependency_is_built_in_the_scope_on_first_use() -> None:
    """Rule (python.md, lazy: "resolved on first use"): a scoped service's
    lazy handle to another scoped service builds it in that scope when first
    used, once: the handle and the scope give the same instance."""
    built: list[str] = []

    class Session:
        def __init__(self) -> None:
            built.append("session")

    class Repo:
        def __init__(self, session: wireplan.Lazy[Session] = wireplan.lazy) -> None:
            self.session = session

    registry = wireplan.Registry()
    registry.provide(Session, lifetime="scoped")
    registry.provide(Repo, lifetime="scoped")
    with registry.compile().start() as app, app.scope() as scope:
        repo = scope.get(Repo)
        assert built == []  # not built until used
        session = repo.session.get()
        assert type(session) is Session and built == ["session"]
        assert repo.session.get() is session is scope.get(Session)
        assert built == ["session"]


def test_a_lazy_many_gives_every_provider_on_first_use() -> None:
    """Rule (python.md: `many` is every provider, in order; `lazy` resolved on
    first use): `Lazy[list[P]] = many` resolves to every provider of `P`,
    in declaration order, singletons and transients alike."""

    class Plugin:
        def __init__(self, name: str) -> None:
            self.name = name

    class Host:
        def __init__(self, plugins: wireplan.Lazy[list[Plugin]] = wireplan.many) -> None:
            self.plugins = plugins

    registry = wireplan.Registry()
    registry.provide(Plugin, lambda: Plugin("a"), id="a")
    registry.provide(Plugin, lambda: Plugin("b"), id="b", lifetime="transient")
    registry.provide(Host)
    with registry.compile().start() as app:
        host = app.get(Host)
        assert isinstance(host.plugins, wireplan.Lazy)
        first = host.plugins.get()
        assert [p.name for p in first] == ["a", "b"]
        assert first[0] is app.get_by_id("a")


def test_a_singleton_is_not_given_after_stop() -> None:
    """Rule (`_value`): an instance is only ever given while its app runs:
    after stop, asking for a singleton says it is not started."""

    registry = _two_providers()
    plan = registry.compile()
    app = plan.start()
    app.stop()
    with pytest.raises(RuntimeError, match=f"`{wireplan.key_of(_Database)}` is not started"):
        app.get(_Database)


def test_an_optional_keyword_parameter_nothing_provides_keeps_its_default() -> None:
    """Rule (python.md, Keys): "the default is used when nothing provides
    its type", for a parameter passed by keyword too."""

    class Svc:
        def __init__(self, *, x: _Unprovided = _DEFAULT, y: Optional[_Unprovided] = None) -> None:  # type: ignore[assignment]
            self.x, self.y = x, y

    registry = wireplan.Registry()
    registry.provide(Svc)
    registry.provide(Svc, id="transient-svc", lifetime="transient", provides=["svc2"])
    with registry.compile().start() as app:
        assert app.get(Svc).x is _DEFAULT and app.get(Svc).y is None
        assert app.get("svc2").x is _DEFAULT


def test_a_transient_dependency_is_built_once_per_instance_that_needs_it() -> None:
    """Rule (the recipes: "what to build for one instance, dependencies
    first"): building a scoped or transient service builds each of its
    transient dependencies once, and tears each one down once."""
    log: list[str] = []

    class Token: ...

    class Repo:
        def __init__(self, token: Token) -> None:
            self.token = token

    class Job:
        def __init__(self, token: Token) -> None:
            self.token = token

    registry = wireplan.Registry()

    @registry.provide(lifetime="transient")
    def token() -> Iterator[Token]:
        log.append("build")
        yield Token()
        log.append("tear down")

    registry.provide(Repo, lifetime="scoped")
    registry.provide(Job, lifetime="transient")
    with registry.compile().start() as app:
        with app.scope() as scope:
            repo = scope.get(Repo)
            assert scope.get(Repo) is repo
            assert log == ["build"]
            job = scope.get(Job)
            assert job.token is not repo.token
            assert log == ["build", "build"]
        assert log == ["build", "build", "tear down", "tear down"]


# ---- async: what a sync factory needs is awaited, the layer's failures -----------


@pytest.mark.parametrize("lifetime", ["singleton", "scoped"])
def test_a_sync_factory_gets_its_async_dependencies_awaited(lifetime: str) -> None:
    """Rule (python.md, Async): async factories are awaited wherever they
    are needed, also as a synchronous factory's dependencies (one or
    `many`); its singleton dependencies are the started instances, and a
    scoped one already built in the scope is that instance (nothing is
    built twice)."""
    built: list[str] = []

    class Config:
        def __init__(self) -> None:
            built.append("config")

    class Conn: ...

    class Session: ...

    class Uses:
        def __init__(self, config: Config, conn: Conn, conns: list[Conn] = wireplan.many,
                     session: Optional[Session] = None) -> None:
            self.config, self.conn, self.conns, self.session = config, conn, conns, session

    registry = wireplan.Registry()
    registry.provide(Config)

    @registry.provide(lifetime="transient")
    async def conn() -> Conn:
        await asyncio.sleep(0)
        built.append("conn")
        return Conn()

    if lifetime == "scoped":
        @registry.provide(lifetime="scoped")
        async def session() -> Session:
            await asyncio.sleep(0)
            built.append("session")
            return Session()

    registry.provide(Uses, lifetime=lifetime)
    plan = registry.compile()

    async def main() -> None:
        async with plan.start_async() as app:
            if lifetime == "singleton":
                uses = app.get(Uses)
            else:
                async with app.scope() as scope:
                    first = await scope.aget(Session)
                    uses = await scope.aget(Uses)
                    assert uses.session is first
            assert uses.config is app.get(Config)
            assert type(uses.conn) is Conn and [type(c) for c in uses.conns] == [Conn]
            assert uses.conns[0] is uses.conn  # one build of `Uses`: its transient built once

    asyncio.run(main())
    assert built.count("config") == 1 and built.count("session") == (lifetime == "scoped")
    assert built.count("conn") == 1


def _failing_layer(log: list[str], how_a: str) -> wireplan.Plan:
    """Three async factories in one layer, each done in the first turn of
    the loop: `a` fails (`how_a`: raises ValueError, or CancelledError of
    its own), `b` fails with ValueError, `c` starts and has a teardown."""

    class A: ...
    class B: ...
    class C: ...

    registry = wireplan.Registry()

    @registry.provide
    async def a() -> A:
        await asyncio.sleep(0)
        if how_a == "cancelled":
            raise asyncio.CancelledError
        raise ValueError("a broke")

    @registry.provide
    async def b() -> B:
        await asyncio.sleep(0)
        raise ValueError("b broke")

    @registry.provide
    async def c() -> AsyncIterator[C]:
        await asyncio.sleep(0)
        try:
            yield C()
        finally:
            log.append("stop c")

    return registry.compile()


@pytest.mark.parametrize("how_a", ["raises", "cancelled"])
def test_a_layers_first_failure_is_the_error_and_the_others_are_notes(how_a: str) -> None:
    """Rule (lifecycle.md 5): the start error names the first failure of the
    layer (a factory cancelled of its own counts: "`a` was cancelled"); the
    layer's other failures are notes on it, each once; what finished in the
    same turn is ready and is rolled back."""
    log: list[str] = []
    plan = _failing_layer(log, how_a)
    a, b = _id(plan, "a"), _id(plan, "b")

    async def main() -> wireplan.StartError:
        with pytest.raises(wireplan.StartError) as info:
            async with plan.start_async():
                pass
        assert log == ["stop c"]  # by the rollback, not by asyncio.run's shutdown of async generators
        return info.value

    err = asyncio.run(main())
    assert err.service == a
    if how_a == "cancelled":
        assert type(err.cause) is asyncio.CancelledError and str(err.cause) == f"`{a}` was cancelled"
    else:
        assert type(err.cause) is ValueError and str(err.cause) == "a broke"
    assert err.__notes__ == [f"`{b}` failed too: ValueError: b broke"]
    assert log == ["stop c"]


def test_a_failed_shared_build_nobody_waits_for_leaves_no_unretrieved_error() -> None:
    """Rule (lifecycle.md 3): a scoped build that fails fails every waiter
    and is not kept; with no waiter, its error is still retrieved, so the
    loop never reports "Future exception was never retrieved"."""
    import gc

    class Flaky: ...

    registry = wireplan.Registry()

    @registry.provide(lifetime="scoped")
    async def flaky() -> Flaky:
        await asyncio.sleep(0)
        raise ValueError("no route to host")

    plan = registry.compile()
    reported: list[Any] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: reported.append(context))
        async with plan.start_async() as app:
            async with app.scope() as scope:
                for _ in range(2):  # not kept: built (and failing) again
                    with pytest.raises(ValueError, match="no route to host"):
                        await scope.aget(Flaky)
            gc.collect()
            await asyncio.sleep(0)

    asyncio.run(main())
    assert reported == []


@pytest.mark.parametrize("lifetime", ["singleton", "scoped", "transient"])
def test_an_async_factory_gets_its_async_dependencies_awaited(lifetime: str) -> None:
    """Rule (python.md, Async), for an async factory: its async transient
    dependencies, one or `many`, are awaited before it is called."""

    class Conn: ...

    class Pool:
        def __init__(self, conn: Conn, conns: list[Conn]) -> None:
            self.conn, self.conns = conn, conns

    registry = wireplan.Registry()

    @registry.provide(lifetime="transient")
    async def conn() -> Conn:
        await asyncio.sleep(0)
        return Conn()

    @registry.provide(lifetime=lifetime)
    async def pool(conn: Conn, conns: list[Conn] = wireplan.many) -> Pool:
        await asyncio.sleep(0)
        return Pool(conn, conns)

    plan = registry.compile()

    async def main() -> Pool:
        async with plan.start_async() as app, app.scope() as scope:
            return await scope.aget(Pool)

    got = asyncio.run(main())
    assert type(got.conn) is Conn and [type(c) for c in got.conns] == [Conn]


def test_an_async_generator_yielding_twice_is_reported_and_closed() -> None:
    """Rule (`_aclose_agen`): an async generator provider must yield exactly
    once; one that yields again at teardown is that service's error, and it
    is closed (its `finally` runs)."""
    log: list[str] = []

    class Twice: ...

    registry = wireplan.Registry()

    @registry.provide
    async def twice() -> AsyncIterator[Twice]:
        try:
            yield Twice()
            yield Twice()
        finally:
            log.append("closed")

    plan = registry.compile()

    async def main() -> BaseException:
        app = await plan.start_async()
        with pytest.raises(ExceptionGroup) as info:
            await app.astop()
        assert log == ["closed"]  # by the stop, not later by asyncio.run's shutdown of async generators
        return info.value

    [e] = asyncio.run(main()).exceptions  # type: ignore[attr-defined]
    assert type(e) is RuntimeError and str(e) == "an async generator provider must yield exactly once"
    assert log == ["closed"]


def test_a_cancelled_start_tears_down_a_stubborn_factory_once_it_settles() -> None:
    """Rule (lifecycle.md 5 and python.md, Faults): when the task running
    `start_async()` is cancelled mid-layer, a factory that ignores its
    cancellation is abandoned, and torn down (told why) once it settles."""
    log: list[str] = []

    class Stubborn: ...
    class Slow: ...

    registry = wireplan.Registry()
    release: list[asyncio.Event] = []

    @registry.provide
    async def stubborn() -> AsyncIterator[Stubborn]:
        while True:
            try:
                await release[0].wait()
                break
            except asyncio.CancelledError:
                log.append("ignored a cancellation")
        try:
            yield Stubborn()
        except BaseException as e:
            log.append(f"told {type(e).__name__}")
            raise
        finally:
            log.append("stop stubborn")

    @registry.provide
    async def slow() -> Slow:
        await asyncio.sleep(10)
        return Slow()

    plan = registry.compile()

    async def main() -> None:
        release.append(asyncio.Event())

        async def run() -> None:
            async with plan.start_async():
                pass

        task = asyncio.ensure_future(run())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert log == ["ignored a cancellation"]
        release[0].set()
        for _ in range(20):
            await asyncio.sleep(0)

    asyncio.run(main())
    assert log == ["ignored a cancellation", "told CancelledError", "stop stubborn"]


def test_a_sibling_that_finishes_as_it_is_cancelled_is_ready_and_rolled_back() -> None:
    """Rule (lifecycle.md 5): after the first failure cancels the layer, a
    factory that settles as it sees its cancellation counts as ready (it is
    not abandoned): its teardown joins the rollback."""
    log: list[str] = []

    class Quitter: ...
    class Failer: ...

    registry = wireplan.Registry()

    @registry.provide
    async def quitter() -> AsyncIterator[Quitter]:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            log.append("quitting")  # and finishes anyway
        try:
            yield Quitter()
        finally:
            log.append("stop quitter")

    @registry.provide
    async def failer() -> Failer:
        await asyncio.sleep(0)
        raise ValueError("failer broke")

    plan = registry.compile()

    async def main() -> wireplan.StartError:
        with pytest.raises(wireplan.StartError) as info:
            async with plan.start_async():
                pass
        # Torn down by the rollback, not later by asyncio.run's shutdown of
        # async generators.
        assert log == ["quitting", "stop quitter"]
        return info.value

    err = asyncio.run(main())
    assert err.service == _id(plan, "failer")
    assert err.abandoned == ()


def test_one_build_makes_each_transient_dependency_once_however_often_it_is_named() -> None:
    """Rule (the core's recipes: "what to build for one instance,
    dependencies first", each once): a service naming one transient
    dependency twice (as one and as `many`) gets one instance of it per
    build."""
    built: list[str] = []

    class Token:
        def __init__(self) -> None:
            built.append("token")

    class Repo:
        def __init__(self, token: Token, tokens: list[Token] = wireplan.many) -> None:
            self.token, self.tokens = token, tokens

    registry = wireplan.Registry()
    registry.provide(Token, lifetime="transient")
    registry.provide(Repo, lifetime="scoped")
    with registry.compile().start() as app, app.scope() as scope:
        repo = scope.get(Repo)
        assert repo.tokens == [repo.token] and built == ["token"]


def test_every_abandoned_factory_is_torn_down_when_it_settles_even_after_one_fails() -> None:
    """Rule (lifecycle.md 5): each abandoned factory is torn down once it
    settles; one that settles by failing leaves nothing to tear down and
    does not stop the others' teardown."""
    log: list[str] = []

    class A: ...
    class B: ...
    class C: ...

    registry = wireplan.Registry()
    release: list[asyncio.Event] = []

    async def ignore_cancellation() -> None:
        while True:
            try:
                await release[0].wait()
                return
            except asyncio.CancelledError:
                pass

    @registry.provide
    async def a() -> A:
        await ignore_cancellation()
        raise ValueError("a settles by failing")

    @registry.provide
    async def b() -> AsyncIterator[B]:
        await ignore_cancellation()
        try:
            yield B()
        except BaseException as e:
            log.append(f"b told {e}")
            raise

    @registry.provide
    async def c() -> C:
        await asyncio.sleep(0)
        raise OSError("c broke")

    plan = registry.compile()

    async def main() -> None:
        release.append(asyncio.Event())
        with pytest.raises(wireplan.StartError) as info:
            async with plan.start_async():
                pass
        err = info.value
        assert err.abandoned == (_id(plan, "a"), _id(plan, "b"))
        release[0].set()
        assert await err.settled() == []
        assert log == ["b told c broke"]

    asyncio.run(main())


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_a_scoped_dependency_already_built_is_reused_by_a_later_build(flavor: str) -> None:
    """Rule (lifecycle.md 3: one instance per scope): a service built later
    in the scope gets the scoped dependency already built there, and the
    build goes on to the end."""

    class Session: ...

    class Repo:
        def __init__(self, session: Session, token: "_Token") -> None:
            self.session, self.token = session, token

    registry = wireplan.Registry()
    registry.provide(Session, lifetime="scoped")
    registry.provide(_Token, lifetime="transient")
    registry.provide(Repo, lifetime="scoped")
    plan = registry.compile()
    if flavor == "sync":
        with plan.start() as app, app.scope() as scope:
            session = scope.get(Session)
            repo = scope.get(Repo)
    else:
        async def main() -> Any:
            async with plan.start_async() as app, app.scope() as scope:
                return await scope.aget(Session), await scope.aget(Repo)

        session, repo = asyncio.run(main())
    assert repo.session is session and type(repo.token) is _Token


class _Token:
    pass


def test_an_async_build_makes_each_transient_dependency_once() -> None:
    """The recipe rule of `test_one_build_makes_each_transient_dependency_once...`
    through `aget`: one build, one instance of each transient it names."""
    built: list[str] = []

    class Repo:
        def __init__(self, token: _Token, tokens: list[_Token] = wireplan.many) -> None:
            self.token, self.tokens = token, tokens

    registry = wireplan.Registry()

    @registry.provide(lifetime="transient")
    async def token() -> _Token:
        built.append("token")
        return _Token()

    registry.provide(Repo, lifetime="scoped")
    plan = registry.compile()

    async def main() -> Any:
        async with plan.start_async() as app, app.scope() as scope:
            return await scope.aget(Repo)

    repo = asyncio.run(main())
    assert repo.tokens == [repo.token] and built == ["token"]


def test_a_sync_stop_of_async_teardowns_is_refused_before_stopping_anything() -> None:
    """Rule (python.md, Faults): `app.stop()` on an app with async teardowns
    raises `TypeError` before stopping anything; `await app.astop()` then
    stops everything, once, and the app says it is stopped."""
    log: list[str] = []
    plan = _every_kind(log)

    async def main() -> None:
        app = await plan.start_async()
        with pytest.raises(TypeError, match="has an async teardown: stop the app with `await app.astop\\(\\)`"):
            app.stop()
        assert log == []
        assert repr(app).startswith("<wireplan.App running")
        await app.astop()
        assert log == ["ac None", "ag None", "c None", "g None"]
        assert repr(app).startswith("<wireplan.App stopped")
        await app.astop()  # stopping twice is a no-op
        assert len(log) == 4

    asyncio.run(main())


def test_critical_chain_of_one_singleton_is_that_singleton(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chain holds singletons only: a transient built for one (numbered
    just past them) is part of its duration, not a link."""
    clock = _Clock()
    monkeypatch.setattr(wireplan.runtime, "perf_counter", clock)
    registry = wireplan.Registry()
    registry.provide("only", lambda later: clock.spend(0.5), id="only", deps=["later"])
    registry.provide("later", lambda: 1, id="later", lifetime="transient")
    with registry.compile().start() as app:
        assert [tuple(t) for t in app.critical_chain()] == [("only", 0.5, 0.5)]


def test_an_async_build_makes_each_sync_transient_dependency_once() -> None:
    """The same for an async factory naming a synchronous transient twice."""
    built: list[str] = []

    class Repo:
        def __init__(self, token: _Token, tokens: list[_Token]) -> None:
            self.token, self.tokens = token, tokens

    registry = wireplan.Registry()

    @registry.provide(lifetime="transient")
    def token() -> _Token:
        built.append("token")
        return _Token()

    @registry.provide(lifetime="scoped")
    async def repo(token: _Token, tokens: list[_Token] = wireplan.many) -> Repo:
        return Repo(token, tokens)

    plan = registry.compile()

    async def main() -> Any:
        async with plan.start_async() as app, app.scope() as scope:
            return await scope.aget(Repo)

    got = asyncio.run(main())
    assert got.tokens == [got.token] and built == ["token"]


def test_a_sync_start_refusal_names_the_async_factory_deep_in_a_transients_recipe() -> None:
    """Rule (lifecycle.md 7): the refusal of a synchronous start names the
    async factories themselves, also when the async one is a dependency of
    a synchronous transient built for a singleton."""

    class Conn: ...

    class Client:
        def __init__(self, conn: Conn) -> None:
            self.conn = conn

    class Service:
        def __init__(self, client: Client) -> None:
            self.client = client

    registry = wireplan.Registry()

    @registry.provide(lifetime="transient")
    async def conn() -> Conn:
        return Conn()

    registry.provide(Client, lifetime="transient")
    registry.provide(Service)
    plan = registry.compile()
    with pytest.raises(TypeError) as info:
        plan.start()
    assert str(info.value) == f"cannot start synchronously: `{_id(plan, 'conn')}` has an async factory; start with `start_async()`"


def test_a_sync_scoped_service_built_by_an_async_build_is_kept_in_the_scope() -> None:
    """Rule (lifecycle.md 3): one instance per scope, whichever build made
    it: a synchronous scoped service built as the dependency of an async
    one is kept in the scope, and later gets in that scope give it."""
    built: list[str] = []

    class Session:
        def __init__(self) -> None:
            built.append("session")

    class Job:
        def __init__(self, session: Session) -> None:
            self.session = session

    registry = wireplan.Registry()
    registry.provide(Session, lifetime="scoped")

    @registry.provide(lifetime="transient")
    async def job(session: Session) -> Job:
        return Job(session)

    plan = registry.compile()

    async def main() -> None:
        async with plan.start_async() as app, app.scope() as scope:
            first = await scope.aget(Job)
            second = await scope.aget(Job)
            assert first is not second and first.session is second.session is scope.get(Session)
            assert built == ["session"]

    asyncio.run(main())


def test_closing_a_scope_by_hand_tears_down_newest_first_told_why() -> None:
    """Rule (lifecycle.md 2: `close(error=...)` and its async form do by
    hand what leaving the block does): a scope's instances are torn down
    newest first, each told of the error, or of nothing."""
    log: list[str] = []

    class A: ...
    class B: ...

    registry = wireplan.Registry()

    @registry.provide(lifetime="scoped")
    def a() -> Iterator[A]:
        try:
            yield A()
        except Exception as e:
            log.append(f"a {e}")
            raise
        log.append("a clean")

    @registry.provide(lifetime="scoped")
    def b(a: A) -> Iterator[B]:
        try:
            yield B()
        except Exception as e:
            log.append(f"b {e}")
            raise
        log.append("b clean")

    plan = registry.compile()
    with plan.start() as app:
        scope = app.scope()
        scope.get(B)
        scope.close()
        assert log == ["b clean", "a clean"]
        scope = app.scope()
        scope.get(B)
        scope.close(error=ValueError("request failed"))
        assert log[2:] == ["b request failed", "a request failed"]

    async def main() -> None:
        async with plan.start_async() as app:
            scope = app.scope()
            await scope.aget(B)
            await scope.aclose(error=ValueError("job failed"))
            assert log[4:] == ["b job failed", "a job failed"]

    asyncio.run(main())


def test_a_sync_close_of_a_scope_with_async_teardowns_is_refused_before_closing_anything() -> None:
    """Rule (as for the app's stop): `scope.close()` with async teardowns
    raises `TypeError` before closing anything; `await scope.aclose()`
    then closes everything."""
    log: list[str] = []

    class Sync: ...
    class Async: ...

    registry = wireplan.Registry()

    @registry.provide(lifetime="scoped")
    def sync() -> Iterator[Sync]:
        yield Sync()
        log.append("sync")

    @registry.provide(lifetime="scoped")
    async def async_(s: Sync) -> AsyncIterator[Async]:
        yield Async()
        log.append("async")

    plan = registry.compile()

    async def main() -> None:
        async with plan.start_async() as app:
            scope = app.scope()
            await scope.aget(Async)
            with pytest.raises(TypeError, match="has an async teardown: close the scope with `await scope.aclose\\(\\)`"):
                scope.close()
            assert log == []
            await scope.aclose()
            assert log == ["async", "sync"]

    asyncio.run(main())


def test_a_dependency_that_took_no_time_is_still_a_link_of_the_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    """The chain follows dependencies, not durations: a dependency that took
    no measurable time is still the link before its dependent."""
    clock = _Clock()
    monkeypatch.setattr(wireplan.runtime, "perf_counter", clock)
    registry = wireplan.Registry()
    registry.provide("a", lambda: None, id="a")
    registry.provide("b", lambda a: clock.spend(1.0), id="b", deps=["a"])
    with registry.compile().start() as app:
        assert [tuple(t) for t in app.critical_chain()] == [("a", 0.0, 0.0), ("b", 1.0, 1.0)]


def test_a_sync_start_refusal_names_async_factories_reached_through_many() -> None:
    """Rule (lifecycle.md 7), through `many`: a singleton taking every
    provider of a key, some of them async transients, names those."""

    class Conn: ...

    class Pool:
        def __init__(self, conns: list[Conn] = wireplan.many) -> None:
            self.conns = conns

    registry = wireplan.Registry()

    @registry.provide(lifetime="transient")
    async def conn() -> Conn:
        return Conn()

    registry.provide(Pool)
    plan = registry.compile()
    with pytest.raises(TypeError) as info:
        plan.start()
    assert str(info.value) == f"cannot start synchronously: `{_id(plan, 'conn')}` has an async factory; start with `start_async()`"
