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
    "ACM", "AGEN", "ASYNC", "CALL", "CM", "GEN", "HAS_DEFAULT", "POSITIONAL", "VALUE",
    "unwrap_factory",
]

# Kinds of factory, as stored in `meta["k"]`: how to get the instance out of
# what the factory returns, and how to tear it down.
VALUE, CALL, ASYNC, GEN, AGEN, CM, ACM = "value", "call", "async", "gen", "agen", "cm", "acm"

# Parameter modes, as stored in `meta`: bit 1 = passed by position (a
# positional-only parameter, an explicit dependency, or any parameter of a
# plain function or class whose parameters are all positional and have no
# default: then calling by position binds as calling by keyword, and costs
# half as much); bit 2 = has a default (a missing optional dependency is
# then left out).
POSITIONAL, HAS_DEFAULT = 1, 2

#: A parsed `meta`: (kind, ((param, mode), ...), (param, ...), every
#: parameter may be passed by keyword, every parameter is passed by position).
_Meta = tuple[str, tuple[tuple[str, int], ...], tuple[str, ...], bool, bool]


def _meta(parts: list[str]) -> _Meta:
    """``["kind", "param:mode", ...]`` (a `meta` split at ``|``) parsed.
    Raises ``ValueError`` for a mode that is not a number."""
    params = []
    for part in parts[1:]:
        name, _, mode = part.rpartition(":")
        params.append((sys.intern(name), int(mode)))
    return (parts[0], tuple(params), tuple(name for name, _ in params),
            not any(mode & POSITIONAL for _, mode in params), all(mode & POSITIONAL for _, mode in params))


_MISSING: Any = object()


class _Provider:
    """One registration, as the user made it (nothing introspected yet)."""

    __slots__ = ("target", "is_value", "lifetime", "keys", "deps", "profiles", "override", "id")

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
