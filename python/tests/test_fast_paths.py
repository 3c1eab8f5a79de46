"""The fast paths give what the general ones give: a plain class read
quickly has the descriptor the general reader writes, the descriptor text is
``json.dumps``'s byte for byte, a factory called by position gets what it
would get by keyword, keys keep no class alive, and ``import wireplan``
(and a first compile) imports no heavy module. (No `from __future__ import
annotations` here: the providers are local classes, so their hints must be
objects.)"""

import ast
import dataclasses
import gc
import json
import subprocess
import sys
import threading
import typing
import weakref
from typing import Annotated, Any, Iterator

import pytest

import wireplan
import wireplan._reading


class A:
    pass


class B:
    def __init__(self, a: A) -> None:
        self.a = a


class Swapped:
    # Parameters in another order than their providers are registered.
    def __init__(self, b: B, a: A) -> None:
        self.a, self.b = a, b


class Inherits(B):
    pass


class OwnNew:
    seen: dict[str, Any] = {}

    def __new__(cls, *args: Any, **kwargs: Any) -> "OwnNew":
        OwnNew.seen = dict(kwargs, args=args)
        return super().__new__(cls)

    def __init__(self, a: A) -> None:
        self.a = a


class Meta(type):
    seen: dict[str, Any] = {}

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        Meta.seen = dict(kwargs, args=args)
        return super().__call__(*args, **kwargs)


class WithMeta(metaclass=Meta):
    def __init__(self, a: A) -> None:
        self.a = a


class KeywordOnly:
    def __init__(self, *, a: A, b: B) -> None:
        self.a, self.b = a, b


class PositionalOnly:
    def __init__(self, a: A, /, b: B) -> None:
        self.a, self.b = a, b


class Defaults:
    def __init__(self, a: A, b: B | None = None) -> None:
        self.a, self.b = a, b


class StringReturn:
    def __init__(self, a: A) -> "None":
        self.a = a


class Named:
    def __init__(self, a: Annotated[A, "x"], b: B) -> None:
        self.a, self.b = a, b


@dataclasses.dataclass
class Data:
    a: A
    b: B


def make_swapped(b: B, a: A) -> Swapped:
    return Swapped(b, a)


def make_iter(a: A) -> Iterator[Named]:
    yield Named(a, B(a))


CLASSES = [A, B, Inherits, OwnNew, WithMeta, KeywordOnly, PositionalOnly, Defaults, StringReturn, Data]


def full_registry() -> wireplan.Registry:
    registry = wireplan.Registry()
    for cls in CLASSES:
        registry.provide(cls)
    registry.provide(Swapped)
    registry.provide(Annotated[A, "x"], A)
    registry.provide(Named)
    registry.provide(Annotated[Named, "iter"], make_iter, lifetime="transient")
    return registry


def test_quick_class_reading_matches_the_general_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    quick = full_registry().document()
    monkeypatch.setattr(wireplan._reading, "_read_class", lambda reading, cls: None)
    assert full_registry().document() == quick


def test_document_is_json_dumps_byte_for_byte() -> None:
    class Ünïcode:
        def __init__(self, a: A) -> None:
            self.a = a

    registry = wireplan.Registry()
    registry.provide(A)
    registry.provide(Annotated[A, 'quote " and \\ backslash'], A)
    registry.provide(Ünïcode, id="ïd \u2028 \x7f")
    registry.provide(B, lifetime="scoped", profiles=["p", "ü"])
    registry.provide(Defaults, lifetime="transient")
    registry.override(A, A())
    document = registry.document()
    assert json.dumps(json.loads(document), separators=(",", ":")) == document
    assert registry.descriptors() == json.loads(document)["services"]
    assert document.isascii()


def test_by_position_only_where_it_binds_as_by_keyword() -> None:
    registry = full_registry()
    metas = {d["id"].rpartition(".")[2]: d["meta"] for d in registry.descriptors()}
    assert metas["B"] == "call|a:1"
    assert metas["Swapped"] == "call|b:1|a:1"
    assert metas["Inherits"] == "call|a:1"
    assert metas["Data"] == "call|a:1|b:1"
    # A __new__ or metaclass of its own sees the keywords it always saw.
    assert metas["OwnNew"] == "call|a:0"
    assert metas["WithMeta"] == "call|a:0"
    assert metas["KeywordOnly"] == "call|a:0|b:0"
    assert metas["PositionalOnly"] == "call|a:1|b:1"
    assert metas["Defaults"] == "call|a:0|b:2"
    with registry.compile().start() as app:
        a, b = app.get(A), app.get(B)
        swapped = app.get(Swapped)
        assert (swapped.a, swapped.b) == (a, b)
        assert app.get(OwnNew).a is a and OwnNew.seen == {"a": a, "args": ()}
        assert app.get(WithMeta).a is a and Meta.seen == {"a": a, "args": ()}
        assert (app.get(KeywordOnly).a, app.get(KeywordOnly).b) == (a, b)
        assert (app.get(PositionalOnly).a, app.get(PositionalOnly).b) == (a, b)
        assert app.get(Defaults).b is b
        assert app.get(Data) == Data(a, b)
        named = app.get(Named)
        assert named.a is app.get(Annotated[A, "x"]) and named.a is not a


def test_functions_by_position() -> None:
    registry = wireplan.Registry()
    registry.provide(A)
    registry.provide(B)
    registry.provide(make_swapped)
    [*_, d] = registry.descriptors()
    assert d["meta"] == "call|b:1|a:1"
    with registry.compile().start() as app:
        assert app.get(Swapped).a is app.get(A)


def test_keys_keep_no_class_alive() -> None:
    def run() -> weakref.ref[type]:
        class Gone:
            def __init__(self, a: A) -> None:
                self.a = a

        registry = wireplan.Registry()
        registry.provide(A)
        registry.provide(Gone)
        assert wireplan.key_of(Gone).endswith("Gone")
        with registry.compile().start() as app:
            app.get(Gone)
        return weakref.ref(Gone)

    ref = run()
    gc.collect()
    assert ref() is None


def test_lazy_and_timing_at_run_time() -> None:
    assert typing.get_origin(wireplan.Lazy[A]) is wireplan.Lazy
    assert typing.get_args(wireplan.Lazy[A]) == (A,)
    assert wireplan.key_of(wireplan.Lazy[A]) == f"wireplan._keys.Lazy[{__name__}.A]"
    assert wireplan.Timing._fields == ("service", "duration", "finished")
    from wireplan import Timing
    from wireplan.runtime import Timing as RuntimeTiming

    assert Timing is RuntimeTiming
    with pytest.raises(AttributeError):
        wireplan.Nothing  # type: ignore[attr-defined] # noqa: B018


HEAVY = {"typing", "threading", "json", "logging", "inspect", "asyncio", "tempfile", "re", "enum", "collections",
         "types", "math", "contextlib", "functools", "weakref"}

LIGHT = """
import sys
base = set(sys.modules)
import wireplan
imported = set(sys.modules) - base
class A: ...
class B:
    def __init__(self, a: A) -> None: ...
registry = wireplan.Registry()
registry.provide(A)
registry.provide(B)
with registry.compile().start() as app:
    app.get(B)
compiled = set(sys.modules) - base
print(sorted(imported))
print(sorted(compiled))
"""


# The integrations' frameworks (optional extras) and the test tools:
# `import wireplan` never imports them, nor do a compile and a start.
FRAMEWORKS = {"starlette", "fastapi", "uvicorn", "httpx", "anyio", "pydantic", "pytest", "_pytest"}


def test_import_and_first_compile_are_light() -> None:
    # Each of these costs milliseconds at start-up; `import wireplan`, and a
    # compile of plain classes, import none (only what needs them does).
    out = subprocess.run([sys.executable, "-c", LIGHT], capture_output=True, text=True, check=True)
    imported, compiled = (set(ast.literal_eval(line)) for line in out.stdout.splitlines())
    assert not imported & HEAVY, imported & HEAVY
    assert not compiled & HEAVY, compiled & HEAVY
    tops = {m.partition(".")[0] for m in imported | compiled}
    assert not tops & FRAMEWORKS, tops & FRAMEWORKS
    assert "wireplan.testing" not in compiled and not any(m.startswith("wireplan.integrations") for m in compiled)


class _Touchy:
    """An instance whose comparison fails, as a numpy array's does."""

    def __eq__(self, other: object) -> bool:
        raise ValueError("the truth value of an array is ambiguous")

    __hash__ = object.__hash__


class _Holder:
    def __init__(self, touchy: _Touchy) -> None:
        self.touchy = touchy


def _touchy_plan(lifetime: str) -> "wireplan.Plan":
    r = wireplan.Registry()
    r.provide(_Touchy)
    r.provide(_Holder, lifetime=lifetime)
    return r.compile()


def test_a_transient_of_plain_singletons_is_built_from_them_without_comparing_them() -> None:
    with _touchy_plan("transient").start() as app:
        a, b = app.get(_Holder), app.get(_Holder)
        assert a is not b and a.touchy is b.touchy is app.get(_Touchy)


def test_a_scoped_service_of_plain_singletons_is_one_per_scope_and_needs_a_scope() -> None:
    with _touchy_plan("scoped").start() as app:
        with app.scope() as s1, app.scope() as s2:
            assert s1.get(_Holder) is s1.get(_Holder)
            assert s1.get(_Holder) is not s2.get(_Holder)
        with pytest.raises(LookupError, match="is scoped: get it inside a scope"):
            app.get(_Holder)


def test_after_stop_the_quick_path_defers_to_the_general_one() -> None:
    plan = _touchy_plan("transient")
    app = plan.start()
    app.stop()
    with pytest.raises(Exception) as info:
        app.get(_Holder)
    assert not isinstance(info.value, ValueError), "no instance's __eq__ ran"



class _Pair:
    def __init__(self, touchy: _Touchy, holder: "_Holder") -> None:
        self.touchy, self.holder = touchy, holder


def test_a_scopes_own_get_agrees_with_the_general_one() -> None:
    """`Scope.get` inlines `_Builder.get`'s common cases for a scope (the
    class cached by its first get): the same instances, each lifetime and
    path, before and after the cache, and the general path's errors once
    the app is stopped (no instance compared)."""
    from wireplan.runtime import _Builder

    for lifetime in ("scoped", "transient"):
        r = wireplan.Registry()
        r.provide(_Touchy)
        r.provide(_Holder, lifetime=lifetime)  # one singleton, by position
        r.provide(_KeywordHolder, lifetime=lifetime)  # one singleton, by keyword
        r.provide(_Pair, lifetime="scoped" if lifetime == "scoped" else "transient")  # a recipe (or _quick)
        plan = r.compile()
        app = plan.start()
        with app.scope() as scope:
            touchy = app.get(_Touchy)
            for key in (_Touchy, _Holder, _KeywordHolder, _Pair):
                first, cached, general = scope.get(key), scope.get(key), _Builder.get(scope, key)
                assert type(first) is type(cached) is type(general) is key
                if key is _Touchy or lifetime == "scoped":
                    assert first is cached is general
                else:
                    assert first is not cached and cached is not general
                    assert first.touchy is cached.touchy is touchy
            assert scope.get(_Pair).touchy is touchy
        app.stop()
        with app.scope() as scope:
            for key in (_Touchy, _Holder, _KeywordHolder):
                with pytest.raises(Exception) as info:
                    scope.get(key)
                assert not isinstance(info.value, ValueError), "no instance's __eq__ ran"
                assert type(info.value) is type(pytest.raises(Exception, _Builder.get, scope, key).value)


class _KeywordHolder:
    # A __new__ of its own: built by keyword (mode 0), not by position.
    def __new__(cls, *args: Any, **kwargs: Any) -> "_KeywordHolder":
        obj = super().__new__(cls)
        obj.seen = kwargs
        return obj

    def __init__(self, touchy: _Touchy) -> None:
        self.touchy = touchy


@pytest.mark.parametrize("lifetime", ["singleton", "scoped", "transient"])
def test_a_service_of_plain_singletons_by_keyword(lifetime: str) -> None:
    """The start loop's and `get`'s quick paths call a factory whose
    parameters must go by keyword (a __new__ of its own) by keyword."""
    r = wireplan.Registry()
    r.provide(_Touchy)
    r.provide(_KeywordHolder, lifetime=lifetime)
    [_, d] = r.descriptors()
    assert d["meta"] == "call|touchy:0"
    with r.compile().start() as app, app.scope() as scope:
        touchy = app.get(_Touchy)
        got = scope.get(_KeywordHolder)
        assert got.touchy is touchy and got.seen == {"touchy": touchy}
        assert (scope.get(_KeywordHolder) is got) == (lifetime != "transient")


def test_a_stopped_app_and_a_closed_scope_are_freed_without_the_cyclic_gc() -> None:
    """No reference cycle keeps a stopped app, its plan or its instances (nor
    a closed scope's instances) for the cyclic GC to find: the last
    reference going frees them."""
    r = wireplan.Registry()
    r.provide(A)
    r.provide(B)
    r.provide(_Holder, lifetime="scoped")
    r.provide(_Touchy)
    enabled = gc.isenabled()
    gc.disable()
    try:
        plan = r.compile()
        app = plan.start()
        with app.scope() as scope:
            held = weakref.ref(scope.get(_Holder))
            closed = weakref.ref(scope)
        del scope
        assert held() is None and closed() is None
        b = weakref.ref(app.get(B))
        stopped = weakref.ref(app)
        bound = weakref.ref(plan)
        app.stop()
        del app, plan
        assert b() is None and stopped() is None and bound() is None
    finally:
        if enabled:
            gc.enable()


def test_app_scope_sets_every_field_scope_init_sets() -> None:
    """`app.scope()` builds its Scope without calling `Scope.__init__` (a
    frame less per request): the same fields, of the same kinds."""
    from wireplan.runtime import Scope

    with _touchy_plan("scoped").start() as app:
        made, direct = app.scope(), Scope(app)
        slots = [name for name in Scope.__slots__ if name != "__weakref__"]
        assert slots
        for name in slots:
            a, b = getattr(made, name, AttributeError), getattr(direct, name, AttributeError)  # unset in both, or set in both
            assert type(a) is type(b), name
            assert a is b or type(a) in (dict, list, type(app.lock)) or a == b, name
        assert made.plan is app.plan and made.app is app and made._inst is app._inst
        assert made.scoped is not direct.scoped and made.teardowns == direct.teardowns == ()  # a list from the first build
        # No lock until another thread builds in the scope (with a GIL); the
        # opening thread owns it.
        assert (made.lock is None) is (direct.lock is None) and (made.lock is None or made.lock is not direct.lock)
        assert made._owner == direct._owner == threading.get_ident() and made._busy is direct._busy is False
