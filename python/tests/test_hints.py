"""Did-you-mean for the usual Python slips, in the core's words: a base
class asked for while only a subclass is registered."""

from __future__ import annotations

import abc

import pytest

import wireplan


class Store(abc.ABC):
    @abc.abstractmethod
    def get(self) -> int: ...


class MemoryStore(Store):
    def get(self) -> int:
        return 1


class DiskStore(Store):
    def get(self) -> int:
        return 2


class Service:
    def __init__(self, store: Store) -> None:
        self.store = store


def test_an_abc_whose_subclass_is_registered_says_so() -> None:
    r = wireplan.Registry()
    r.provide(MemoryStore)
    r.provide(Service)
    with pytest.raises(wireplan.MissingDependencyError) as info:
        r.compile()
    (d,) = info.value.diagnostics
    assert d["key"].endswith(".Store")
    assert d["help"] == (
        f"`{MemoryStore.__module__}.MemoryStore`, a subclass of `{d['key']}`, is registered, but a provider is found by "
        "the key it provides, not by its base classes: register it as `Store` too (`provides=[...]`), or ask for the subclass"
    )


def test_several_subclasses_are_listed_and_the_cure_works() -> None:
    r = wireplan.Registry()
    r.provide(MemoryStore)
    r.provide(DiskStore)
    r.provide(Service)
    with pytest.raises(wireplan.MissingDependencyError) as info:
        r.compile()
    assert "DiskStore` and `" in info.value.diagnostics[0]["help"] and "are registered" in str(info.value)
    fixed = wireplan.Registry()
    fixed.provide(MemoryStore, provides=[Store])
    fixed.provide(Service)
    with fixed.compile().start() as app:
        assert app.get(Service).store.get() == 1


def test_a_missing_key_with_no_subclass_keeps_the_usual_help() -> None:
    r = wireplan.Registry()
    r.provide(Service)
    with pytest.raises(wireplan.MissingDependencyError) as info:
        r.compile()
    assert "subclass" not in str(info.value)
