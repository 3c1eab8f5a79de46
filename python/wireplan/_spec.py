"""The provider spec: what a registration is, and how a descriptor's
``meta`` says to call its factory.

A leaf module (it imports nothing of wireplan's), so that ``registry.py``
(which writes specs), ``runtime.py`` (which calls factories by them) and
``_cache.py`` (which keys plans by them) all import it and none imports
another: no import circle.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing's: `import wireplan` does not import typing (milliseconds)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "ACM", "AGEN", "ASYNC", "CALL", "CM", "GEN", "HAS_DEFAULT", "LIFECYCLE", "POSITIONAL", "VALUE",
    "Lifecycle", "unwrap_factory",
]

# Kinds of factory, as stored in `meta["k"]`: how to get the instance out of
# what the factory returns, and how to tear it down.
VALUE, CALL, ASYNC, GEN, AGEN, CM, ACM = "value", "call", "async", "gen", "agen", "cm", "acm"

# Parameter modes, as stored in `meta`: bit 1 = passed by position (a
# positional-only parameter, an explicit dependency, or any parameter of a
# plain function or class whose parameters are all positional and have no
# default: then calling by position binds as calling by keyword, and costs
# half as much); bit 2 = has a default (a missing optional dependency is
# then left out); bit 4 = the parameter takes the app's `Lifecycle` (filled
# by the runtime, not a dependency: no descriptor dependency stands for it).
POSITIONAL, HAS_DEFAULT, LIFECYCLE = 1, 2, 4

#: A parsed `meta`: (kind, ((param, mode), ...), (param, ...), every
#: parameter may be passed by keyword, every parameter is passed by position,
#: how many parameters take the `Lifecycle`).
_Meta = tuple[str, tuple[tuple[str, int], ...], tuple[str, ...], bool, bool, int]


def _meta(parts: list[str]) -> _Meta:
    """``["kind", "param:mode", ...]`` (a `meta` split at ``|``) parsed.
    Raises ``ValueError`` for a mode that is not a number."""
    params = []
    for part in parts[1:]:
        name, _, mode = part.rpartition(":")
        params.append((sys.intern(name), int(mode)))
    return (parts[0], tuple(params), tuple(name for name, _ in params),
            not any(mode & POSITIONAL for _, mode in params), all(mode & POSITIONAL for _, mode in params),
            sum(1 for _, mode in params if mode & LIFECYCLE))


_MISSING: Any = object()


class _Provider:
    """One registration, as the user made it (nothing introspected yet)."""

    __slots__ = ("target", "is_value", "lifetime", "keys", "deps", "profiles", "override", "id", "hooks")

    def __init__(self, target: Any, is_value: bool, lifetime: str, keys: tuple[Any, ...] | None = None,
                 deps: tuple[Any, ...] | None = None, profiles: tuple[str, ...] | None = None,
                 override: Any = _MISSING) -> None:
        self.target = target
        self.is_value = is_value
        self.lifetime = lifetime
        self.keys = keys
        self.deps = deps
        self.profiles = profiles
        self.override = override
        self.id = ""
        # Runtime-only options (hooks, timeouts, health, invoke): never in the
        # descriptor, so never in a plan or its cache key; read when a plan
        # is bound to its providers.
        self.hooks: _Hooks | None = None


_CO_COROUTINE = 0x80


def is_async_callable(f: Any) -> bool:
    """Whether calling `f` gives a coroutine, as far as its code says
    (``async def``, wrapped or bound or partial); a callable that returns
    an awaitable without being one is found out when called."""
    inner = unwrap_factory(f)[0]
    code = getattr(inner, "__code__", None)
    if code is None:
        code = getattr(getattr(inner, "__call__", None), "__code__", None)
    return bool(getattr(code, "co_flags", 0) & _CO_COROUTINE)


class _Hooks:
    """A singleton's runtime-only options (``registry.provide(...,
    on_start=..., ...)``, or an invoked function): what the start and stop
    phases, the per-service timeouts and the health checks read."""

    __slots__ = ("on_start", "on_stop", "start_timeout", "stop_timeout", "health", "health_timeout", "invoke",
                 "async_start", "async_stop", "async_health")

    def __init__(self, on_start: Any = None, on_stop: Any = None, start_timeout: float | None = None,
                 stop_timeout: float | None = None, health: Any = None, health_timeout: float | None = None,
                 invoke: bool = False) -> None:
        self.on_start = on_start
        self.on_stop = on_stop
        #: Seconds; ``None``: the app-wide value; infinity: none.
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.health = health
        self.health_timeout = health_timeout
        #: The provider is a function run at start (``registry.invoke``).
        self.invoke = invoke
        self.async_start = on_start is not None and is_async_callable(on_start)
        self.async_stop = on_stop is not None and is_async_callable(on_stop)
        self.async_health = health is not None and is_async_callable(health)

    def same(self, other: _Hooks | None) -> bool:
        """Whether `other` runs the same hooks with the same limits (a hot
        reload restarts a service whose hooks changed)."""
        if other is None:
            return False
        return all(getattr(self, a) is getattr(other, a) or getattr(self, a) == getattr(other, a)
                   for a in ("on_start", "on_stop", "start_timeout", "stop_timeout", "health", "health_timeout", "invoke"))


class Lifecycle:
    """The app's lifecycle, as fx's ``fx.Lifecycle``: a factory (of a
    singleton) that takes a parameter typed ``wireplan.Lifecycle`` appends
    start and stop hooks to it while it builds its instance::

        @registry.provide
        def server(config: Config, lifecycle: wireplan.Lifecycle) -> Server:
            server = Server(config.port)
            lifecycle.append(on_start=server.listen, on_stop=server.close)
            return server

    It is not a planned dependency: the runtime passes it. Hooks take no
    argument, may be sync or async, and belong to the service being built:
    its start hooks run after every singleton is built, in plan order with
    the other services' hooks; its stop hooks before any teardown, in
    reverse (a hook's ``on_stop`` runs only if its ``on_start`` did).
    """

    __slots__ = ("_owner", "_index", "_id")

    def __init__(self, owner: Any, index: int, id: str) -> None:
        self._owner = owner
        self._index = index
        self._id = id

    def append(self, on_start: Any = None, on_stop: Any = None) -> None:
        """Adds a start hook and/or a stop hook (callables taking no argument)."""
        if on_start is None and on_stop is None:
            raise TypeError("lifecycle.append() takes on_start=, on_stop= or both")
        for name, f in (("on_start", on_start), ("on_stop", on_stop)):
            if f is not None and not callable(f):
                raise TypeError(f"lifecycle.append({name}=...) takes a callable, not {type(f).__name__}")
        self._owner._append_hook(self._index, self._id, on_start, on_stop)

    def __repr__(self) -> str:
        return f"<wireplan.Lifecycle of `{self._id}`>"


def _function() -> None:
    """Its type is types.FunctionType."""


class _Class:
    def method(self) -> None:
        """Bound, its type is types.MethodType."""


FunctionType = type(_function)
MethodType: Any = type(_Class().method)


#: Wrappers read through at most (as ``inspect.unwrap`` bounds its loop): an
#: object that makes a new ``__wrapped__`` each time it is asked cannot hang.
_MOST_WRAPPERS = 1000


def unwrap_factory(factory: Any) -> tuple[Any, int, tuple[str, ...]]:
    """The code behind a factory, and what wrapping it has already bound.

    Reads through ``functools.partial`` (nested or not), bound methods
    (``obj.make``, ``Cls.create`` of a classmethod) and ``__wrapped__``
    chains (``functools.wraps``), in any mix, to the function or class
    whose code runs. Returns ``(inner, positional, keywords)``:

    - ``inner``: that function or class. Its return annotation (or the
      class itself) gives the provider's key, its module and qualified
      name the provider's id, its code the source ``file:line``, and its
      type hints the dependencies' keys. A factory that wraps nothing is
      returned as is; so is a callable instance (its code is its class's
      ``__call__``).
    - ``positional``: how many leading positional parameters of ``inner``
      are already filled (a partial's ``args``, a bound method's ``self``):
      they are not dependencies.
    - ``keywords``: the parameter names a partial binds by keyword, sorted
      (so the tuple is fit for a cache key): not dependencies either.

    Cheap: no import (a partial can exist only once ``functools`` is
    imported); O(depth of wrapping). A ``__wrapped__`` cycle stops where
    it would repeat.
    """
    if isinstance(factory, type) or (type(factory) is FunctionType and getattr(factory, "__wrapped__", None) is None):
        return factory, 0, ()  # wraps nothing: the common case, quickly
    f = factory
    positional = 0
    keywords: set[str] = set()
    functools = sys.modules.get("functools")
    partial = getattr(functools, "partial", None)
    seen: set[int] = set()
    while id(f) not in seen and len(seen) < _MOST_WRAPPERS:
        seen.add(id(f))
        if partial is not None and isinstance(f, partial):
            positional += len(f.args)
            keywords.update(f.keywords)
            f = f.func
        elif type(f) is MethodType:
            positional += 1
            f = f.__func__
        elif not isinstance(f, type) and getattr(f, "__wrapped__", None) is not None:
            f = f.__wrapped__
        else:
            break
    return f, positional, tuple(sorted(keywords))
