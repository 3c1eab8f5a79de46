"""Registering providers, and reading their signatures into descriptors.

A provider becomes one service descriptor of the core's format: its id is
the provider's module-qualified name, its keys come from type hints (the
return annotation of a function, the class itself), its dependencies from
the parameters, and its ``source`` is the file and line of its code, so
every diagnostic points at it. How to call the factory again (its kind and
which parameter each dependency fills) travels in the descriptor's
``meta``, so a plan loaded from the disk cache needs no introspection.
"""

from __future__ import annotations

import collections.abc
import contextlib
import gc
import json
import sys
import types
import typing
from typing import Annotated, Any, Callable, Literal, Sequence, TypeVar, Union, get_args, get_origin, overload

from . import _core
from ._keys import Lazy, _cache as _key_cache, key_of, lazy, many

__all__ = ["Lifetime", "Registry"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
Lifetime = Literal["singleton", "scoped", "transient"]

_MISSING: Any = object()

# Kinds of factory, as stored in `meta["k"]`: how to get the instance out of
# what the factory returns, and how to tear it down.
VALUE, CALL, ASYNC, GEN, AGEN, CM, ACM = "value", "call", "async", "gen", "agen", "cm", "acm"

# Parameter modes, as stored in `meta["a"]`: bit 1 = positional only,
# bit 2 = has a default (a missing optional dependency is then left out).
POSITIONAL, HAS_DEFAULT = 1, 2

_WRAPPERS = {
    collections.abc.Iterator,
    collections.abc.Iterable,
    collections.abc.Generator,
    collections.abc.AsyncIterator,
    collections.abc.AsyncIterable,
    collections.abc.AsyncGenerator,
    collections.abc.Awaitable,
    contextlib.AbstractContextManager,
    contextlib.AbstractAsyncContextManager,
}
_SEQUENCES = {list, tuple, collections.abc.Sequence, collections.abc.Iterable, collections.abc.Collection}


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


_CO_VARARGS, _CO_VARKEYWORDS, _CO_GENERATOR, _CO_COROUTINE, _CO_ASYNC_GENERATOR = 0x04, 0x08, 0x20, 0x80, 0x200


class _Empty:
    """No default, no annotation (inspect.Parameter.empty, without importing
    inspect: it costs milliseconds at import time)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<empty>"


_EMPTY: Any = _Empty()


def _plain_function(f: Any) -> Any:
    """`f` itself when it is a plain Python function whose code object tells
    everything (no wrapper, no custom signature), else ``None``."""
    # getattr with a default, not f.__dict__: that would make a dict per function.
    if type(f) is types.FunctionType and getattr(f, "__wrapped__", None) is None \
            and getattr(f, "__signature__", None) is None:
        return f
    return None


def _source(target: Any) -> tuple[str, int | None] | None:
    """File and line of a provider's code, from its code object (cheap: no
    source file is read)."""
    obj = target
    if "__wrapped__" in getattr(obj, "__dict__", ()):
        import inspect

        obj = inspect.unwrap(obj)
    if isinstance(obj, type):
        init = obj.__dict__.get("__init__")
        code = getattr(init, "__code__", None)
        # A generated __init__ (dataclasses) has no file: name the module's.
        if code is not None and not code.co_filename.startswith("<"):
            return code.co_filename, code.co_firstlineno
        line = getattr(obj, "__firstlineno__", None)
        module = sys.modules.get(obj.__module__)
        file = getattr(module, "__file__", None)
        return (file, line) if file else None
    code = getattr(obj, "__code__", None)
    if code is None:
        code = getattr(getattr(obj, "__call__", None), "__code__", None)
    return (code.co_filename, code.co_firstlineno) if code is not None else None


def _where(p: _Provider) -> str:
    src = _source(p.target)
    return f" ({src[0]}:{src[1]})" if src and src[1] else (f" ({src[0]})" if src else "")


def _kind(target: Any) -> str:
    """How the factory hands over its instance."""
    if isinstance(target, type):
        return CALL
    if _plain_function(target) is not None:
        flags = target.__code__.co_flags
        return GEN if flags & _CO_GENERATOR else ASYNC if flags & _CO_COROUTINE else AGEN if flags & _CO_ASYNC_GENERATOR else CALL
    import inspect

    inner = inspect.unwrap(target)
    if inspect.isgeneratorfunction(target):
        return GEN
    if inspect.isasyncgenfunction(target):
        return AGEN
    if inspect.iscoroutinefunction(target):
        return ASYNC
    # `@contextmanager` wraps a generator function: calling it gives a manager.
    if inspect.isgeneratorfunction(inner):
        return CM
    if inspect.isasyncgenfunction(inner):
        return ACM
    if inspect.iscoroutinefunction(inner):
        return ASYNC
    return CALL


def _hints(obj: Any) -> dict[str, Any]:
    """Evaluated annotations: the raw ones when none is a string (no
    evaluation needed), else typing.get_type_hints."""
    raw = getattr(obj, "__annotations__", None) or {}
    if not any(isinstance(v, str) for v in raw.values()):
        return raw
    try:
        return typing.get_type_hints(obj, include_extras=True)
    except Exception as e:
        raise _Unresolved(f"{type(e).__name__}: {e}") from e


# (name, positional only, default, annotation)
_Param = tuple[str, bool, Any, Any]


def _params(f: Any, skip_first: bool) -> list[_Param]:
    """A callable's parameters, read from its code object when it is a plain
    function (ten times cheaper than inspect.signature), else from
    inspect.signature. Star parameters are left out."""
    plain = _plain_function(f)
    if plain is None:
        import inspect

        try:
            sig = inspect.signature(f)
        except (TypeError, ValueError):
            return []
        hints = _hints(inspect.unwrap(f)) if callable(f) else {}
        empty = inspect.Parameter.empty
        return [(q.name, q.kind == q.POSITIONAL_ONLY, _EMPTY if q.default is empty else q.default,
                 hints.get(q.name, _EMPTY if q.annotation is empty else q.annotation))
                for q in sig.parameters.values() if q.kind not in (q.VAR_POSITIONAL, q.VAR_KEYWORD)]
    code = plain.__code__
    hints = _hints(plain)
    names = code.co_varnames
    npos, nkw, nposonly = code.co_argcount, code.co_kwonlyargcount, code.co_posonlyargcount
    defaults = plain.__defaults__ or ()
    kwdefaults = plain.__kwdefaults__ or {}
    first_default = npos - len(defaults)
    out: list[_Param] = []
    for j in range(1 if skip_first else 0, npos):
        name = names[j]
        out.append((name, j < nposonly, defaults[j - first_default] if j >= first_default else _EMPTY, hints.get(name, _EMPTY)))
    for j in range(npos, npos + nkw):
        name = names[j]
        out.append((name, False, kwdefaults.get(name, _EMPTY), hints.get(name, _EMPTY)))
    return out


def _unwrap_return(hint: Any) -> tuple[Any, str | None]:
    """The provided type inside `Iterator[T]`, `ContextManager[T]`... and the
    kind the wrapper implies (a context manager), if any."""
    origin = get_origin(hint)
    if origin is None:
        return hint, None
    if origin in _WRAPPERS:
        args = get_args(hint)
        kind = CM if origin is contextlib.AbstractContextManager else ACM if origin is contextlib.AbstractAsyncContextManager else None
        return (args[0] if args else Any), kind
    if origin is collections.abc.Coroutine:
        args = get_args(hint)
        return (args[-1] if args else Any), None
    return hint, None


class _NoHint(Exception):
    pass


class _Unresolved(Exception):
    pass


def _dependency(name: str, hint: Any, default: Any) -> Any:
    """A parameter as a descriptor dependency (a bare key string when plain)."""
    if default is _EMPTY and type(hint) is type and hint is not _EMPTY:
        return _key_cache.get(hint) or key_of(hint)
    optional = many_ = lazy_ = False
    if default is many:
        many_ = True
    elif default is lazy:
        lazy_ = True
    elif default is not _EMPTY:
        optional = True
    origin = get_origin(hint)
    if origin is not None:
        if origin is Union or origin is types.UnionType:
            args = [a for a in get_args(hint) if a is not type(None)]
            if len(args) != len(get_args(hint)):
                optional = True
            if len(args) == 1:
                hint = args[0]
                origin = get_origin(hint)
        if origin is Lazy:
            lazy_ = True
            hint = get_args(hint)[0]
            origin = get_origin(hint)
        if many_ and origin in _SEQUENCES and get_args(hint):
            hint = get_args(hint)[0]
    elif hint is Lazy:
        hint = _EMPTY
    if hint is _EMPTY or hint is Any:
        raise _NoHint(name)
    key = key_of(hint)
    if not (optional or many_ or lazy_):
        return key
    dep: dict[str, Any] = {"key": key}
    if optional:
        dep["optional"] = True
    if many_:
        dep["many"] = True
    if lazy_:
        dep["lazy"] = True
    return dep


#: A parsed `meta`: (kind, ((param, mode), ...), (param, ...), every
#: parameter may be passed by keyword).
_Meta = tuple[str, tuple[tuple[str, int], ...], tuple[str, ...], bool]

#: Parsed `meta` by its canonical JSON text (a quoted string): a plan just
#: made from these descriptors is bound without parsing its metas again.
PARSED_META: dict[str, _Meta] = {}


def _meta(parts: list[str]) -> _Meta:
    params = []
    for part in parts[1:]:
        name, _, mode = part.rpartition(":")
        params.append((sys.intern(name), int(mode)))
    return (parts[0], tuple(params), tuple(name for name, _ in params),
            not any(mode & POSITIONAL for _, mode in params))


def _remember(text: str, parts: list[str]) -> str:
    quoted = f'"{text}"'
    if quoted not in PARSED_META:
        PARSED_META[quoted] = _meta(parts)
    return text


def _introspect(p: _Provider) -> tuple[list[str], list[Any], str]:
    try:
        return _read(p)
    except _Unresolved as e:
        raise TypeError(f"cannot resolve the type hints of provider `{p.id}`{_where(p)}: {e}") from e.__cause__


def _read(p: _Provider) -> tuple[list[str], list[Any], str]:
    """Keys, dependencies and `meta` of a provider: the expensive part
    (type hints), which a cache hit skips. `meta` is
    ``kind|param:mode|param:mode...``, one parameter per dependency."""
    if p.is_value:
        keys = [key_of(k) for k in p.keys] if p.keys else [key_of(type(p.target))]
        return keys, [], VALUE
    target = p.target
    kind = _kind(target)
    provided: Any = _MISSING
    if isinstance(target, type):
        provided = target
        init = getattr(target, "__init__")  # noqa: B009 - inherited or not
        if init is object.__init__:
            params: list[_Param] = []
        elif _plain_function(init) is not None:
            params = _params(init, True)
        else:
            params = _params(target, False)
    else:
        params = _params(target, False)
        if not p.keys:
            if _plain_function(target) is None:
                import inspect

                target = inspect.unwrap(target)
            ret = _hints(target).get("return", _MISSING)
            provided, implied = _unwrap_return(ret)
            if implied is not None and kind == CALL:
                kind = implied
    if p.keys:
        keys = [key_of(k) for k in p.keys]
    elif provided is _MISSING or provided is None or provided is Any:
        raise TypeError(f"provider `{p.id}`{_where(p)} has no return annotation: annotate it, or pass the key: registry.provide(Key, factory)")
    else:
        keys = [key_of(provided)]
    deps: list[Any] = []
    meta = [kind]
    if p.deps is not None:
        # Explicit dependencies fill the first parameters, positionally.
        if len(p.deps) > len(params):
            raise TypeError(f"provider `{p.id}`{_where(p)} takes fewer parameters than the {len(p.deps)} dependencies given")
        for j, k in enumerate(p.deps):
            deps.append(key_of(k))
            meta.append(f"{params[j][0]}:{POSITIONAL}")
        return keys, deps, _remember("|".join(meta), meta)
    for name, positional, default, hint in params:
        try:
            deps.append(_dependency(name, hint, default))
        except _NoHint:
            raise TypeError(f"parameter `{name}` of provider `{p.id}`{_where(p)} has no type hint: "
                            "annotate it with the type it needs") from None
        meta.append(f"{name}:{(POSITIONAL if positional else 0) | (HAS_DEFAULT if default is not _EMPTY else 0)}")
    return keys, deps, _remember("|".join(meta), meta)


def _identity(target: Any) -> str:
    obj = target
    if "__wrapped__" in getattr(obj, "__dict__", ()):
        import inspect

        obj = inspect.unwrap(obj)
    module = getattr(obj, "__module__", None) or "<unknown>"
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__qualname__
    return f"{module}.{name}"


class Registry:
    """Providers, in registration order, waiting to be compiled into a plan.

    >>> registry = Registry()
    >>> @registry.provide
    ... class Config: ...
    >>> plan = registry.compile()
    """

    def __init__(self) -> None:
        self._providers: list[_Provider] = []
        self._ids: set[str] = set()

    def _add(self, p: _Provider, id: str | None) -> None:
        base = id or (("override:" if p.override is not _MISSING else "") + (
            key_of(p.keys[0]) if p.is_value and p.keys else _identity(type(p.target)) if p.is_value else _identity(p.target)))
        unique, n = base, 1
        while unique in self._ids:
            n += 1
            unique = f"{base}~{n}"
        self._ids.add(unique)
        p.id = unique
        self._providers.append(p)

    def supply(self, value: Any, *, key: Any = None, profiles: Sequence[str] | None = None, id: str | None = None) -> None:
        """Registers a ready value (provided under its type, or `key`)."""
        p = _Provider(value, True, "singleton", keys=(key,) if key is not None else (type(value),),
                      profiles=tuple(profiles) if profiles is not None else None)
        self._add(p, id)

    @overload
    def provide(self, factory: F, /) -> F: ...
    @overload
    def provide(self, key: Any, factory: F, /, *, lifetime: Lifetime = ..., provides: Sequence[Any] | None = ...,
                deps: Sequence[Any] | None = ..., profiles: Sequence[str] | None = ..., id: str | None = ...) -> F: ...
    @overload
    def provide(self, *, lifetime: Lifetime = ..., provides: Sequence[Any] | None = ..., deps: Sequence[Any] | None = ...,
                profiles: Sequence[str] | None = ..., id: str | None = ...) -> Callable[[F], F]: ...
    @overload
    def provide(self, factory: F, /, *, lifetime: Lifetime = ..., provides: Sequence[Any] | None = ...,
                deps: Sequence[Any] | None = ..., profiles: Sequence[str] | None = ..., id: str | None = ...) -> F: ...

    def provide(self, *args: Any, lifetime: Lifetime = "singleton", provides: Sequence[Any] | None = None,
                deps: Sequence[Any] | None = None, profiles: Sequence[str] | None = None, id: str | None = None) -> Any:
        """Registers a factory: a class, a function, an async function, a
        generator or async generator (code after ``yield`` is teardown), or a
        function returning a context manager.

        Forms: ``@registry.provide``, ``@registry.provide(lifetime="scoped")``,
        ``registry.provide(Key, factory)`` (the factory provides ``Key``,
        such as ``Annotated[Database, "replica"]``). ``provides`` lists keys
        in place of the return annotation; ``deps`` lists the dependency keys
        in parameter order in place of the parameters' hints.
        """
        if lifetime not in ("singleton", "scoped", "transient"):
            raise ValueError(f"lifetime must be `singleton`, `scoped` or `transient`, not `{lifetime}`")

        def register(factory: F, keys: tuple[Any, ...] | None) -> F:
            if not callable(factory):
                raise TypeError(f"{factory!r} is not callable: use registry.supply(value) for a ready value")
            p = _Provider(factory, False, lifetime, keys=keys, deps=tuple(deps) if deps is not None else None,
                          profiles=tuple(profiles) if profiles is not None else None)
            self._add(p, id)
            return factory

        keys = tuple(provides) if provides is not None else None
        if len(args) == 2:
            return register(args[1], (args[0],) + (keys or ()))
        if len(args) == 1:
            return register(args[0], keys)
        if args:
            raise TypeError("provide() takes a factory, or a key and a factory")
        return lambda factory: register(factory, keys)

    def override(self, key: Any, value: Any = _MISSING, /, *, factory: Callable[..., Any] | None = None,
                 lifetime: Lifetime = "singleton") -> None:
        """Replaces every provider of `key` with a fake, on purpose (tests).

        Give a ready ``value``, or a ``factory`` introspected like any
        provider. The fake declares ``replaces``, so the planner removes the
        providers it stands in for and binds their keys to it.
        """
        if (value is _MISSING) == (factory is None):
            raise TypeError("override() takes a value or a factory=, not both")
        if factory is not None:
            p = _Provider(factory, False, lifetime, keys=(key,), override=key)
        else:
            p = _Provider(value, True, "singleton", keys=(key,), override=key)
        self._add(p, None)

    def __len__(self) -> int:
        return len(self._providers)

    # ---- descriptors -------------------------------------------------------

    def descriptors(self) -> list[dict[str, Any]]:
        """The registered providers as the core's service descriptors
        (introspecting every signature)."""
        specs = [_introspect(p) for p in self._providers]
        overridden: dict[str, list[str]] = {}
        for p in self._providers:
            if p.override is not _MISSING:
                overridden.setdefault(key_of(p.override), [])
        if overridden:
            for p, (keys, _, _) in zip(self._providers, specs):
                if p.override is _MISSING:
                    for k in keys:
                        if k in overridden:
                            overridden[k].append(p.id)
        out: list[dict[str, Any]] = []
        for p, (keys, deps, meta) in zip(self._providers, specs):
            d: dict[str, Any] = {"id": p.id, "provides": keys}
            if deps:
                d["deps"] = deps
            if p.lifetime != "singleton":
                d["lifetime"] = p.lifetime
            if p.profiles:
                d["profiles"] = list(p.profiles)
            if p.override is not _MISSING:
                d["replaces"] = overridden.get(key_of(p.override), [])
            src = _source(p.target) if not p.is_value else _source(type(p.target)) if not isinstance(p.target, type) else None
            if src is not None:
                d["source"] = {"file": src[0], "line": src[1]} if src[1] else {"file": src[0]}
            d["meta"] = meta
            out.append(d)
        return out

    def document(self) -> str:
        """The descriptor document (format version 1) as JSON text."""
        return json.dumps({"version": 1, "services": self.descriptors()}, separators=(",", ":"))

    def _roots(self, roots: Sequence[Any] | None, services: list[dict[str, Any]]) -> list[str] | None:
        """Root ids for keys (a key names its providers; an id names itself)."""
        if not roots:
            return None
        by_key: dict[str, list[str]] = {}
        for s in services:
            for k in s["provides"]:
                by_key.setdefault(k, []).append(s["id"])
        out: list[str] = []
        for r in roots:
            k = key_of(r)
            out.extend(by_key.get(k, [k]))
        return out

    def compile(self, profile: str | None = None, roots: Sequence[Any] | None = None,
                cache_dir: str | None = None) -> "Plan":
        """Plans the registered providers.

        Raises a :class:`wireplan.PlanError` subclass (``CycleError``,
        ``MissingDependencyError``...) naming every problem at once. With
        ``cache_dir`` (or ``WIREPLAN_CACHE_DIR``), a plan is stored on disk
        and reused while the providers' code is unchanged.
        """
        # Compiling makes many small objects that all live on: the cyclic
        # GC would scan them again and again for nothing.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._compile(profile, roots, cache_dir)
        finally:
            PARSED_META.clear()  # only a shortcut from introspection to binding
            if enabled:
                gc.enable()

    def _compile(self, profile: str | None, roots: Sequence[Any] | None, cache_dir: str | None) -> "Plan":
        from . import _cache
        from .runtime import Plan

        directory = _cache.directory(cache_dir)
        key = None
        if directory is not None:
            key = _cache.cache_key(self._providers, profile, roots)
            cached = _cache.load(directory, key)
            if cached is not None:
                plan = Plan._bind(cached, self._providers)
                if plan is not None:
                    return plan
                _cache.log.warning("wireplan: cached plan %s does not match the registered providers; rebuilding", key)
        services = self.descriptors()
        text = json.dumps({"version": 1, "services": services}, separators=(",", ":"))
        core = _core.plan([("<registry>", text)], profile, self._roots(roots, services))
        if directory is not None and key is not None:
            _cache.store(directory, key, core)
        plan = Plan._bind(core, self._providers)
        if plan is None:  # pragma: no cover - the plan was made from these very providers
            raise RuntimeError("wireplan: the plan does not match its own providers")
        return plan


if typing.TYPE_CHECKING:
    from .runtime import Plan
