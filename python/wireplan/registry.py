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

import gc
import sys

from . import _core
from ._keys import Lazy, key_of, lazy, many
from ._spec import ACM, AGEN, ASYNC, CALL, CM, GEN, HAS_DEFAULT, POSITIONAL, VALUE, FunctionType, _Meta, _meta, _MISSING, _Provider

# Not typing's TYPE_CHECKING: `import wireplan` imports neither typing nor
# types (they cost milliseconds); what needs them imports them when it runs.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable, Literal, Sequence, TypeVar, overload

    from .runtime import Plan

    T = TypeVar("T")
    F = TypeVar("F", bound=Callable[..., Any])
    Lifetime = Literal["singleton", "scoped", "transient"]

__all__ = ["Lifetime", "Registry"]


def __getattr__(name: str) -> Any:
    # `typing` is imported on first need, not by `import wireplan` (it
    # costs milliseconds): so is the `Lifetime` alias, for whoever asks.
    if name == "Lifetime":
        from typing import Literal

        return Literal["singleton", "scoped", "transient"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _wrappers() -> tuple[set[Any], Any, Any]:
    """The return annotations that wrap the provided type (`Iterator[T]`,
    `ContextManager[T]`...), and the two context-manager origins; made on
    first need (collections.abc and contextlib are not cheap to import)."""
    import collections.abc
    import contextlib

    cm, acm = contextlib.AbstractContextManager, contextlib.AbstractAsyncContextManager
    return {collections.abc.Iterator, collections.abc.Iterable, collections.abc.Generator,
            collections.abc.AsyncIterator, collections.abc.AsyncIterable, collections.abc.AsyncGenerator,
            collections.abc.Awaitable, cm, acm}, cm, acm


def _sequences() -> set[Any]:
    """The annotations `wireplan.many` unwraps (`list[T]`...)."""
    import collections.abc

    return {list, tuple, collections.abc.Sequence, collections.abc.Iterable, collections.abc.Collection}


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
    if type(f) is FunctionType and getattr(f, "__wrapped__", None) is None \
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
    if str not in map(type, raw.values()):
        return raw
    import typing

    try:
        hints = typing.get_type_hints(obj, include_extras=True)
    except Exception as e:
        raise _Unresolved(f"{type(e).__name__}: {e}") from e
    for recorder in RESOLVED:
        recorder.append(hints)
    return hints


#: One list per compile with a disk cache running, each collecting what
#: string annotations evaluated to: the cache keeps the modules they
#: resolved through among the plan's sources (see ``_cache_key.sources``).
#: A tuple, replaced whole under the cache's lock, so concurrent compiles
#: each see (at least) their own.
RESOLVED: tuple[list[dict[str, Any]], ...] = ()


if TYPE_CHECKING:
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
    if type(hint) is type:
        return hint, None  # a plain class: no need of typing
    from typing import Any, get_args, get_origin

    origin = get_origin(hint)
    if origin is None:
        return hint, None
    wrappers, cm, acm = _wrappers()
    if origin in wrappers:
        args = get_args(hint)
        kind = CM if origin is cm else ACM if origin is acm else None
        return (args[0] if args else Any), kind
    import collections.abc

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
        return f"{hint.__module__}.{hint.__qualname__}"  # key_of(hint), quicker
    optional = many_ = lazy_ = False
    if default is many:
        many_ = True
    elif default is lazy:
        lazy_ = True
    elif default is not _EMPTY:
        optional = True
    from types import UnionType
    from typing import Any, Union, get_args, get_origin

    origin = get_origin(hint)
    if origin is not None:
        if origin is Union or origin is UnionType:
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
        if many_ and origin in _sequences() and get_args(hint):
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


#: Parsed `meta` by its canonical JSON text (a quoted string): a plan just
#: made from these descriptors is bound without parsing its metas again.
PARSED_META: dict[str, _Meta] = {}


def _remember(text: str, parts: list[str]) -> str:
    quoted = f'"{text}"'
    if quoted not in PARSED_META:
        PARSED_META[quoted] = _meta(parts)
    return text


if TYPE_CHECKING:
    #: What reading a provider gives: keys, dependencies, `meta` and source.
    _Spec = tuple[list[str], list[Any], str, "tuple[str, int | None] | None"]

#: `meta` of a plain class by its parameter names and their mode (see
#: _read_class).
_CLASS_META: dict[tuple[tuple[str, ...], int], str] = {}

#: Keys of the classes met while reading a registry (each is a dependency of
#: several others), starting with those registered: emptied once read, not
#: to keep the classes alive.
_CLASS_KEYS: dict[type, str] = {}


def _introspect(p: _Provider) -> _Spec:
    target = p.target
    if not p.keys and p.deps is None and not p.is_value and isinstance(target, type):
        spec = _read_class(target)
        if spec is not None:
            return spec
    try:
        return _read(p)
    except _Unresolved as e:
        raise TypeError(f"cannot resolve the type hints of provider `{p.id}`{_where(p)}: {e}") from e.__cause__


def _is_any(x: Any) -> bool:
    """``x is typing.Any``, without importing typing (if nothing imported
    it, nothing can be Any)."""
    typing = sys.modules.get("typing")
    return typing is not None and x is typing.Any


def _read_class(cls: type) -> _Spec | None:
    """The common case, read quickly: a class whose ``__init__`` is a plain
    function taking positional-or-keyword parameters, each annotated with a
    class (not a string) and without a default. ``None`` for anything else,
    which :func:`_read` reads the general way (and gives the same result for
    these classes, slower)."""
    init = getattr(cls, "__init__")  # noqa: B009 - inherited or not
    if type(init) is not FunctionType:
        if init is not object.__init__:
            return None
        names: tuple[str, ...] = ()
        deps: list[Any] = []
        code = None
    else:
        code = init.__code__
        if init.__defaults__ is not None or code.co_kwonlyargcount or code.co_posonlyargcount \
                or getattr(init, "__wrapped__", None) is not None or getattr(init, "__signature__", None) is not None:
            return None
        ann = init.__annotations__
        names = code.co_varnames[1:code.co_argcount]
        deps = []
        for name in names:
            hint = ann.get(name)
            if type(hint) is not type:
                return None  # no hint, or not a plain class
            key = _CLASS_KEYS.get(hint)
            if key is None:
                key = _CLASS_KEYS[hint] = f"{hint.__module__}.{hint.__qualname__}"  # key_of(hint)
            deps.append(key)
        # Any other annotation (the return, *args) that is a string sends the
        # whole function to typing.get_type_hints, as in _hints.
        extra = len(ann) - len(names)
        if extra and (extra > 1 or type(ann.get("return", "")) is str) and str in map(type, ann.values()):
            return None
    # No metaclass, no __new__: calling the class calls __init__ with the
    # same arguments, so they may go by position.
    mode = POSITIONAL if type(cls) is type and getattr(cls, "__new__") is object.__new__ else 0  # noqa: B009
    meta = _CLASS_META.get((names, mode))
    if meta is None:
        parts = [CALL, *[f"{name}:{mode}" for name in names]]
        meta = _CLASS_META[names, mode] = _remember("|".join(parts), parts)
    own = cls.__dict__
    if code is not None and own.get("__init__") is init and "__wrapped__" not in own \
            and not code.co_filename.startswith("<"):
        src: tuple[str, int | None] | None = (code.co_filename, code.co_firstlineno)
    else:
        src = _source(cls)
    key = _CLASS_KEYS.get(cls)
    if key is None:
        key = _CLASS_KEYS[cls] = f"{cls.__module__}.{cls.__qualname__}"  # key_of(cls)
    return [key], deps, meta, src


def _read(p: _Provider) -> _Spec:
    """Keys, dependencies, `meta` and source of a provider: the expensive
    part (type hints), which a cache hit skips. `meta` is
    ``kind|param:mode|param:mode...``, one parameter per dependency."""
    if p.is_value:
        keys = [key_of(k) for k in p.keys] if p.keys else [key_of(type(p.target))]
        return keys, [], VALUE, None if isinstance(p.target, type) else _source(type(p.target))
    target = p.target
    source = _source(target)
    kind = _kind(target)
    provided: Any = _MISSING
    # Whether every parameter may go by position (see POSITIONAL): known for
    # code read from its code object only.
    by_position = False
    if isinstance(target, type):
        provided = target
        init = getattr(target, "__init__")  # noqa: B009 - inherited or not
        if init is object.__init__:
            params: list[_Param] = []
        elif _plain_function(init) is not None:
            params = _params(init, True)
            by_position = type(target) is type and getattr(target, "__new__") is object.__new__ \
                and not init.__code__.co_kwonlyargcount  # noqa: B009
        else:
            params = _params(target, False)
    else:
        params = _params(target, False)
        by_position = _plain_function(target) is not None and not target.__code__.co_kwonlyargcount
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
    elif provided is _MISSING or provided is None or _is_any(provided):
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
        return keys, deps, _remember("|".join(meta), meta), source
    if by_position and any(default is not _EMPTY for _, _, default, _ in params):
        by_position = False  # a missing optional dependency is left out: by keyword
    for name, positional, default, hint in params:
        try:
            deps.append(_dependency(name, hint, default))
        except _NoHint:
            raise TypeError(f"parameter `{name}` of provider `{p.id}`{_where(p)} has no type hint: "
                            "annotate it with the type it needs") from None
        meta.append(f"{name}:{(POSITIONAL if positional or by_position else 0) | (HAS_DEFAULT if default is not _EMPTY else 0)}")
    return keys, deps, _remember("|".join(meta), meta), source


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
        self._overrides = False  # whether override() was called
        self._class_keys: dict[type, str] = {}  # key_of of classes registered plainly

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

    if TYPE_CHECKING:  # `typing.overload` at run time would import typing
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
        if len(args) == 1 and lifetime == "singleton" and provides is None and deps is None and profiles is None \
                and id is None and type(args[0]) is type and "__wrapped__" not in args[0].__dict__:
            # `@registry.provide` on a plain class, the common case, made
            # cheap: what the general path below does, fewer steps.
            cls = args[0]
            base = f"{cls.__module__}.{cls.__qualname__}"  # _identity(cls) and key_of(cls), quicker
            if base not in self._ids:
                self._class_keys[cls] = base
                p = _Provider(cls, False, "singleton")
                p.id = base
                self._ids.add(base)
                self._providers.append(p)
                return cls
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
        self._overrides = True
        self._add(p, None)

    def __len__(self) -> int:
        return len(self._providers)

    # ---- descriptors -------------------------------------------------------

    def descriptors(self) -> list[dict[str, Any]]:
        """The registered providers as the core's service descriptors
        (introspecting every signature)."""
        import json

        return list(json.loads(f"[{','.join(self._descriptor_texts()[0])}]"))

    def document(self) -> str:
        """The descriptor document (format version 1) as JSON text."""
        return f'{{"version":1,"services":[{",".join(self._descriptor_texts()[0])}]}}'

    def _descriptor_texts(self) -> tuple[list[str], list[list[str]]]:
        """Each provider's descriptor as compact JSON text (what
        ``json.dumps(descriptor, separators=(",", ":"))`` writes, byte for
        byte), and the keys each provides.

        The text is written here, not by ``json.dumps`` of dicts: three times
        cheaper, and each key or file name is quoted once however often it
        recurs.

        # Complexity
        O(P + D) for P providers and D dependencies.
        """
        # What json.dumps quotes strings with; from the C module, so the
        # json package (and re, enum...) is not imported by a compile.
        try:
            from _json import encode_basestring_ascii as quote
        except ImportError:  # pragma: no cover - an interpreter without the C part
            from json.encoder import encode_basestring_ascii as quote

        providers = self._providers
        known: dict[str, str] = {}
        get = known.get

        def dumps(value: Any) -> str:
            """``json.dumps(value, separators=(",", ":"))``, written here for
            what descriptors hold (a dependency's dict, lists of strings)."""
            if type(value) is str:
                return get(value) or q(value)
            if value is True or value is False or value is None:
                return "true" if value is True else "false" if value is False else "null"
            if type(value) is int:
                return repr(value)
            if type(value) is list or type(value) is tuple:
                return f"[{','.join(map(dumps, value))}]"
            if type(value) is dict and all(type(k) is str for k in value):
                return f"{{{','.join(f'{dumps(k)}:{dumps(v)}' for k, v in value.items())}}}"
            import json

            return json.dumps(value, separators=(",", ":"))

        def q(value: Any) -> str:
            """`value` as JSON (a string not in `known` yet, to be quoted
            once however often it recurs; a dependency's dict; a strange id)."""
            if type(value) is not str:
                return dumps(value)
            quoted = known[value] = quote(value)
            return quoted

        out: list[str] = []
        provided: list[list[str]] = []
        _CLASS_KEYS.update(self._class_keys)
        try:
            # One pass, reading and writing each provider in turn (kinder to
            # the CPU caches than two), unless overrides need every key first.
            specs: Iterable[_Spec] = map(_introspect, providers)
            overridden: dict[str, list[str]] = {}
            if self._overrides:
                specs = list(specs)
                for p in providers:
                    if p.override is not _MISSING:
                        overridden.setdefault(key_of(p.override), [])
                for p, (keys, _, _, _) in zip(providers, specs):
                    if p.override is _MISSING:
                        for k in keys:
                            if k in overridden:
                                overridden[k].append(p.id)
            for p, (keys, deps, meta, src) in zip(providers, specs):
                provided.append(keys)
                id = p.id
                head = f'{{"id":{quote(id) if type(id) is str else dumps(id)},"provides":[{q(keys[0]) if len(keys) == 1 else ",".join(map(q, keys))}]'
                if deps:
                    try:  # every key quoted already (a dependency on a provider read before): one C loop
                        head += f',"deps":[{",".join(map(get, deps))}]'  # type: ignore[arg-type]
                    except TypeError:  # a key seen first, or a dict
                        head += f',"deps":[{",".join([(get(d) or q(d)) if type(d) is str else dumps(d) for d in deps])}]'
                if p.lifetime != "singleton":
                    head += f',"lifetime":{dumps(p.lifetime)}'
                if p.profiles:
                    head += f',"profiles":{dumps(list(p.profiles))}'
                if p.override is not _MISSING:
                    head += f',"replaces":{dumps(overridden.get(key_of(p.override), []))}'
                if src is None:
                    out.append(f'{head},"meta":{get(meta) or q(meta)}}}')
                    continue
                file, line = src
                file = get(file) or q(file)
                if line:
                    out.append(f'{head},"source":{{"file":{file},"line":{line if type(line) is int else dumps(line)}}},'
                               f'"meta":{get(meta) or q(meta)}}}')
                else:
                    out.append(f'{head},"source":{{"file":{file}}},"meta":{get(meta) or q(meta)}}}')
        finally:
            _CLASS_KEYS.clear()
        return out, provided

    def _roots(self, roots: Sequence[Any] | None, keys: list[list[str]]) -> list[str] | None:
        """Root ids for keys (a key names its providers; an id names itself)."""
        if not roots:
            return None
        by_key: dict[str, list[str]] = {}
        for p, provided in zip(self._providers, keys):
            for k in provided:
                by_key.setdefault(k, []).append(p.id)
        out: list[str] = []
        for r in roots:
            k = key_of(r)
            out.extend(by_key.get(k, [k]))
        return out

    def compile(self, profile: str | None = None, roots: Sequence[Any] | None = None,
                cache_dir: str | None = None, limits: dict[str, int] | None = None,
                cache_key: str | None = None) -> "Plan":
        """Plans the registered providers.

        Raises a :class:`wireplan.PlanError` subclass (``CycleError``,
        ``MissingDependencyError``...) naming every problem at once. With
        ``cache_dir`` (or ``WIREPLAN_CACHE_DIR``), a plan is stored on disk
        and reused while the providers' code is unchanged. ``limits``
        (``{"max_services": ...}``, the core's names) lowers or raises the
        core's resource limits; they never change a plan, so they are not
        part of the cache key. ``cache_key`` (or ``WIREPLAN_CACHE_KEY``)
        is added to the key: a build id for deploys that ship a prebuilt
        cache.
        """
        # Compiling makes many small objects that all live on: the cyclic
        # GC would scan them again and again for nothing.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._compile(profile, roots, cache_dir, limits, cache_key)
        finally:
            PARSED_META.clear()  # only a shortcut from introspection to binding
            _CLASS_META.clear()
            if enabled:
                gc.enable()

    def _compile(self, profile: str | None, roots: Sequence[Any] | None, cache_dir: str | None,
                 limits: dict[str, int] | None = None, cache_key: str | None = None) -> "Plan":
        from . import _cache
        from .runtime import Plan

        entry = _cache.Entry.open(cache_dir, self._providers, profile, roots, cache_key)
        if entry is not None:
            cached = entry.load()
            if cached is not None:
                plan = Plan._bind(cached, self._providers, PARSED_META)
                if plan is not None:
                    entry.refresh()
                    return plan
                _cache.log.warning("wireplan: cached plan %s does not match the registered providers; rebuilding", entry.key)
            with entry.recording(sys.modules[__name__]):
                texts, keys = self._descriptor_texts()
        else:
            texts, keys = self._descriptor_texts()
        text = f'{{"version":1,"services":[{",".join(texts)}]}}'
        core = _core.plan([("<registry>", text)], profile, self._roots(roots, keys), limits)
        if entry is not None:
            entry.store(core, self._providers)
        plan = Plan._bind(core, self._providers, PARSED_META)
        if plan is None:  # pragma: no cover - the plan was made from these very providers
            raise RuntimeError("wireplan: the plan does not match its own providers")
        return plan

