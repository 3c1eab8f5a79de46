"""Reading providers: keys, kinds, sources, profiles, roots, and the errors
for providers that cannot be read."""

import contextlib
from typing import Annotated, AsyncIterator, Iterator, NewType

import pytest

import wireplan
from wireplan import _core

UserId = NewType("UserId", int)


class Thing:
    pass


def test_keys() -> None:
    assert wireplan.key_of(Thing) == f"{__name__}.Thing"
    assert wireplan.key_of(Annotated[Thing, "replica"]) == f"{__name__}.Thing#replica"
    assert wireplan.key_of("plain") == "plain"
    assert wireplan.key_of(UserId) == f"{__name__}.UserId"
    assert wireplan.key_of(int) == "builtins.int"


def test_descriptors_carry_source_and_meta() -> None:
    registry = wireplan.Registry()

    @registry.provide
    def thing(n: int = 3, *, name: str | None = None) -> Thing:
        return Thing()

    @registry.provide
    def named(n: Annotated[int, "n"] = 3) -> Annotated[Thing, "named"]:
        return Thing()

    d, e = registry.descriptors()
    assert d["id"].endswith("thing")
    assert d["provides"] == [f"{__name__}.Thing"]
    # Builtin types name no dependency: with a default, the parameter keeps it.
    assert "deps" not in d
    assert d["source"]["file"] == __file__
    assert d["source"]["line"] == thing.__code__.co_firstlineno
    assert d["meta"] == "call"
    # Named, a builtin is an (optional) dependency like any other.
    assert e["deps"] == [{"key": "builtins.int#n", "optional": True}]
    assert e["meta"] == "call|n:2"
    with registry.compile().start() as app:
        assert isinstance(app.get(Thing), Thing)


def test_kinds() -> None:
    registry = wireplan.Registry()

    def gen() -> Iterator[Thing]:
        yield Thing()

    async def agen() -> AsyncIterator[Thing]:
        yield Thing()

    async def coro() -> Thing:
        return Thing()

    @contextlib.contextmanager
    def cm() -> Iterator[Thing]:
        yield Thing()

    @contextlib.asynccontextmanager
    async def acm() -> AsyncIterator[Thing]:
        yield Thing()

    for f in (gen, agen, coro, cm, acm):
        registry.provide(f)
    kinds = [d["meta"] for d in registry.descriptors()]
    assert kinds == ["gen", "agen", "async", "cm", "acm"]


def test_unreadable_providers() -> None:
    # Each problem is a diagnostic of the one PlanError (see
    # test_registry_errors.py for every kind).
    def no_return():  # type: ignore[no-untyped-def]
        return 1

    def no_hint(x) -> Thing:  # type: ignore[no-untyped-def]
        return Thing()

    def unresolved(x: "Nowhere") -> Thing:  # type: ignore[name-defined] # noqa: F821
        return Thing()

    for factory, code, words in [
        (no_return, "missing-annotation", "has no return type hint, so it provides no key"),
        (no_hint, "missing-annotation", "parameter `x` of `test_registry.test_unreadable_providers.<locals>.no_hint` has no type hint"),
        (unresolved, "unresolved-annotation", "the type hint `Nowhere` of parameter `x`"),
    ]:
        registry = wireplan.Registry()
        registry.provide(factory)
        with pytest.raises(wireplan.PlanError) as info:
            registry.compile()
        [d] = info.value.diagnostics
        assert d["code"] == code
        assert words in d["message"]
        assert d["location"]["file"] == __file__ and d["location"]["line"] == factory.__code__.co_firstlineno


def test_profiles_roots_and_warnings() -> None:
    registry = wireplan.Registry()
    registry.provide("db", lambda: "db")
    registry.provide("fake-db", lambda: "fake", profiles=["test"])
    registry.provide("server", lambda db: f"server on {db}", deps=["db"])
    registry.provide("worker", lambda: "worker")
    plan = registry.compile(roots=["server"])
    assert [d["code"] for d in plan.warnings] == ["unused-service"]
    with plan.start() as app:
        assert app.get("server") == "server on db"
        with pytest.raises(wireplan.UnknownKeyError):
            app.get("worker")
    test_plan = registry.compile(profile="test")
    assert "fake-db" in test_plan.keys()
    assert _core.VERSION == wireplan.__version__


def test_supply_and_duplicate_ids() -> None:
    registry = wireplan.Registry()
    registry.supply(Thing())
    registry.provide(Annotated[Thing, "a"], lambda: Thing())
    registry.provide(Annotated[Thing, "b"], lambda: Thing())
    ids = [d["id"] for d in registry.descriptors()]
    assert len(set(ids)) == 3 and ids[2].endswith("~2")
    with registry.compile().start() as app:
        assert app.get(Annotated[Thing, "a"]) is not app.get(Annotated[Thing, "b"])


def test_dataclass_providers() -> None:
    from dataclasses import dataclass

    @dataclass
    class Config:
        name: str = "x"

    @dataclass
    class Db:
        config: Config
        retries: int = 3

    registry = wireplan.Registry()
    registry.provide(Config)
    registry.provide(Db)
    descriptors = registry.descriptors()
    # A generated __init__ has no file of its own: the module's is named.
    assert descriptors[1]["source"] == {"file": __file__}
    with registry.compile().start() as app:
        assert app.get(Db) == Db(Config("x"), 3)
