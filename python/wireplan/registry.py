"""Registering providers, and reading their signatures into descriptors.

A provider becomes one service descriptor of the core's format: its id is
the provider's module-qualified name, its keys come from type hints (the
return annotation of a function, the class itself), its dependencies from
the parameters, and its ``source`` is the file and line of its code, so
every diagnostic points at it. How to call the factory again (its kind and
which parameter each dependency fills) travels in the descriptor's
``meta``, so a plan loaded from the disk cache needs no introspection.

Signatures are read by ``_reading.py`` (builtins, wrapped factories,
type hints). Every problem met while reading (a hint that cannot be
resolved, a missing hint, an unnamed builtin, two classes under one key, an
override of a key nobody provides) is collected, and reported with the
graph's own problems in one :class:`~wireplan.PlanError` whose words are
the core's (``crates/planner/src/reading.rs``).

A compile keeps its state to itself (a ``_Reading``), never in module
globals, so threads may compile at once.
"""

from __future__ import annotations

import sys

from . import _core, _reading
from ._keys import key_of
from ._reading import _identity, _place, _Reading
from ._reading import read_provider as _introspect  # a module global: tests patch it
from ._spec import _MISSING, FunctionType, _Hooks, _Provider, is_async_callable

# Not typing's TYPE_CHECKING: `import wireplan` imports neither typing nor
# types (they cost milliseconds); what needs them imports them when it runs.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable, Literal, Sequence, TypeVar, overload

    from ._reading import _Spec
    from .errors import PlanError
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


def _call_site() -> tuple[str, int | None] | None:
    """File and line of the code that called into the registry (two frames
    up): where an override was made."""
    try:
        frame = sys._getframe(2)
    except ValueError:  # pragma: no cover - a shallow stack
        return None
    return frame.f_code.co_filename, frame.f_lineno


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
        self._overrides: dict[int, tuple[str, int | None] | None] = {}  # where each override() was made
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
        """Registers a ready value, provided under its type, or `key`.

        A class or a function needs a `key` (``builtins.type`` would name
        nothing useful): supply an instance, or ``provide`` the class.
        """
        if key is None:
            _check_supplied(value)
        p = _Provider(value, True, "singleton", keys=(key,) if key is not None else (type(value),),
                      profiles=tuple(profiles) if profiles is not None else None)
        self._add(p, id)

    if TYPE_CHECKING:  # `typing.overload` at run time would import typing
        @overload
        def provide(self, factory: F, /) -> F: ...
        @overload
        def provide(self, key: Any, factory: F, /, *, lifetime: Lifetime = ..., provides: Sequence[Any] | None = ...,
                    deps: Sequence[Any] | None = ..., profiles: Sequence[str] | None = ..., id: str | None = ...,
                    on_start: Callable[[Any], Any] | None = ..., on_stop: Callable[[Any], Any] | None = ...,
                    start_timeout: float | None = ..., stop_timeout: float | None = ...,
                    health: Callable[[Any], Any] | None = ..., health_timeout: float | None = ...) -> F: ...
        @overload
        def provide(self, *, lifetime: Lifetime = ..., provides: Sequence[Any] | None = ..., deps: Sequence[Any] | None = ...,
                    profiles: Sequence[str] | None = ..., id: str | None = ...,
                    on_start: Callable[[Any], Any] | None = ..., on_stop: Callable[[Any], Any] | None = ...,
                    start_timeout: float | None = ..., stop_timeout: float | None = ...,
                    health: Callable[[Any], Any] | None = ..., health_timeout: float | None = ...) -> Callable[[F], F]: ...
        @overload
        def provide(self, factory: F, /, *, lifetime: Lifetime = ..., provides: Sequence[Any] | None = ...,
                    deps: Sequence[Any] | None = ..., profiles: Sequence[str] | None = ..., id: str | None = ...,
                    on_start: Callable[[Any], Any] | None = ..., on_stop: Callable[[Any], Any] | None = ...,
                    start_timeout: float | None = ..., stop_timeout: float | None = ...,
                    health: Callable[[Any], Any] | None = ..., health_timeout: float | None = ...) -> F: ...

    def provide(self, *args: Any, lifetime: Lifetime = "singleton", provides: Sequence[Any] | None = None,
                deps: Sequence[Any] | None = None, profiles: Sequence[str] | None = None, id: str | None = None,
                on_start: Callable[[Any], Any] | None = None, on_stop: Callable[[Any], Any] | None = None,
                start_timeout: float | None = None, stop_timeout: float | None = None,
                health: Callable[[Any], Any] | None = None, health_timeout: float | None = None) -> Any:
        """Registers a factory: a class, a function, an async function, a
        generator or async generator (code after ``yield`` is teardown), or a
        function returning a context manager; wrapped or not
        (``functools.partial``: the parameters it binds are not
        dependencies; ``functools.wraps``; a bound method).

        Forms: ``@registry.provide``, ``@registry.provide(lifetime="scoped")``,
        ``registry.provide(Key, factory)`` (the factory provides ``Key``,
        such as ``Annotated[Database, "replica"]``). ``provides`` lists keys
        in place of the return annotation; ``deps`` lists the dependency keys
        in parameter order in place of the parameters' hints.

        Runtime options of a singleton (never part of the plan, nor of its
        cache key): ``on_start``/``on_stop`` hooks, each called with the
        instance (sync or async), after every singleton is built / before
        any teardown (see :meth:`wireplan.Plan.start`); ``start_timeout``
        (seconds: bounds its factory and its start hook, each) and
        ``stop_timeout`` (its stop hook and its teardown, each), in place of
        the app-wide values (``float("inf")``: none); ``health``, a check
        called with the instance by ``app.health()`` (healthy unless it
        returns ``False`` or raises), within ``health_timeout`` seconds
        (default 1).
        """
        if len(args) == 1 and id is None and provides is None and deps is None and profiles is None \
                and lifetime == "singleton" and on_start is None and on_stop is None and start_timeout is None \
                and stop_timeout is None and health is None and health_timeout is None:
            cls = args[0]
            if type(cls) is type:
                module = cls.__module__
                if module != "builtins" and "__wrapped__" not in cls.__dict__:
                    # `@registry.provide` on a plain class, the common case,
                    # made cheap: what the general path below does, fewer steps.
                    base = f"{module}.{cls.__qualname__}"  # _identity(cls) and key_of(cls), quicker
                    ids = self._ids
                    if base not in ids:
                        self._class_keys[cls] = base
                        p = _Provider(cls, False, "singleton")
                        p.id = base
                        ids.add(base)
                        self._providers.append(p)
                        return cls
        hooks = None
        if on_start is not None or on_stop is not None or start_timeout is not None or stop_timeout is not None \
                or health is not None or health_timeout is not None:
            hooks = _hooks(lifetime, on_start, on_stop, start_timeout, stop_timeout, health, health_timeout)
        if lifetime not in ("singleton", "scoped", "transient"):
            raise ValueError(f"lifetime must be `singleton`, `scoped` or `transient`, not `{lifetime}`")

        def register(factory: F, keys: tuple[Any, ...] | None) -> F:
            if not callable(factory):
                raise TypeError(f"{factory!r} is not callable: use registry.supply(value) for a ready value")
            p = _Provider(factory, False, lifetime, keys=keys, deps=tuple(deps) if deps is not None else None,
                          profiles=tuple(profiles) if profiles is not None else None)
            p.hooks = hooks
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

    def invoke(self, fn: F, /, *, id: str | None = None, start_timeout: float | None = None) -> F:
        """Registers a function to run at start (fx's ``fx.Invoke``): its
        parameters are resolved like a factory's (its dependencies are roots
        of the plan), and it is called after every singleton is built, in
        plan order with the start hooks (awaited when async, under
        ``start_async``). A failure fails the start (``StartError`` with
        ``phase == "invoke"``), rolled back like a failing start hook. Its
        id is ``invoke:`` and the function's qualified name; what it returns
        is kept (``app.get_by_id(id)``). Usable as a decorator."""
        if not callable(fn):
            raise TypeError(f"invoke() takes a function, not {type(fn).__name__}")
        if isinstance(fn, type):
            raise TypeError(f"invoke() takes a function, not the class `{_identity(fn)}`: provide the class, or invoke a "
                            "function that takes it")
        p = _Provider(fn, False, "singleton")
        p.hooks = _hooks("singleton", None, None, start_timeout, None, None, None, invoke=True)
        p.hooks.async_start = is_async_callable(fn)
        self._add(p, id or f"invoke:{_identity(fn)}")
        # A key of its own, which no other provider has: nothing depends on
        # an invocation.
        p.keys = (f"wireplan.invoke#{p.id}",)
        return fn

    def override(self, key: Any, value: Any = _MISSING, /, *, factory: Callable[..., Any] | None = None,
                 lifetime: Lifetime = "singleton") -> None:
        """Replaces every provider of `key` with a fake, on purpose (tests).

        Give a ready ``value``, or a ``factory`` introspected like any
        provider. The fake declares ``replaces``, so the planner removes the
        providers it stands in for and binds their keys to it. A key that no
        provider provides is reported when compiling, with the closest keys.
        """
        if (value is _MISSING) == (factory is None):
            raise TypeError("override() takes a value or a factory=, not both")
        if factory is not None:
            p = _Provider(factory, False, lifetime, keys=(key,), override=key)
        else:
            if isinstance(value, type):
                raise TypeError(f"override() of `{key_of(key)}` with the class `{_identity(value)}`: pass an instance, "
                                f"or the class as a factory: override(key, factory={value.__name__})")
            p = _Provider(value, True, "singleton", keys=(key,), override=key)
        self._add(p, None)
        self._overrides[len(self._providers) - 1] = _call_site()

    def __len__(self) -> int:
        return len(self._providers)

    def copy(self) -> Registry:
        """An independent registry with the same registrations, in the same
        order and under the same ids: what a test overrides and compiles
        without touching the original (``registry.copy().override(...)``).
        Later registrations on either are not seen by the other."""
        new = Registry()
        new._providers = list(self._providers)  # a provider is not changed once registered: shared
        new._ids = set(self._ids)
        new._overrides = dict(self._overrides)
        new._class_keys = dict(self._class_keys)
        return new

    # ---- descriptors -------------------------------------------------------

    def descriptors(self) -> list[dict[str, Any]]:
        """The registered providers as the core's service descriptors
        (introspecting every signature). Raises :class:`~wireplan.PlanError`
        when a provider cannot be read."""
        import json

        reading = _Reading(self._class_keys)
        texts = self._descriptor_texts(reading)[0]
        if reading.findings:
            self._raise(reading, texts, None, None, None)
        return list(json.loads(f"[{','.join(texts)}]"))

    def document(self) -> str:
        """The descriptor document (format version 1) as JSON text. Raises
        :class:`~wireplan.PlanError` when a provider cannot be read."""
        reading = _Reading(self._class_keys)
        texts = self._descriptor_texts(reading)[0]
        if reading.findings:
            self._raise(reading, texts, None, None, None)
        return f'{{"version":1,"services":[{",".join(texts)}]}}'

    def _raise(self, reading: _Reading, texts: list[str], profile: str | None, roots: list[str] | None,
               limits: dict[str, int] | None) -> None:
        """Raises the :class:`~wireplan.PlanError` of the problems met while
        reading together with the graph's (of the providers that could be
        read), in the core's words."""
        import json

        from .errors import _from_core

        document = f'{{"version":1,"services":[{",".join(texts)}]}}'
        report_json, rendering = _core.check_findings([("<registry>", document)], json.dumps(reading.findings),
                                                      profile, roots, limits)
        raise _from_core(report_json, rendering)

    def _descriptor_texts(self, reading: _Reading) -> tuple[list[str], list[str | list[str]]]:
        """Each provider's descriptor as compact JSON text (what
        ``json.dumps(descriptor, separators=(",", ":"))`` writes, byte for
        byte), and the keys each provides (one key as a string; none for a
        provider that could not be read: it has no text, and its problems
        are in ``reading.findings``).

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
        # A provider's one key as a string, not a list: strings are no work
        # for the garbage collector, and this list lives through the compile.
        provided: list[str | list[str]] = []
        # One pass, reading and writing each provider in turn (kinder to the
        # CPU caches than two), unless overrides need every key first.
        specs: Iterable[_Spec | None] = map(_introspect, [reading] * len(providers), providers)
        overridden: dict[str, list[str]] = {}
        if self._overrides:
            specs = list(specs)
            for p in providers:
                if p.override is not _MISSING:
                    overridden.setdefault(key_of(p.override), [])
            for p, spec in zip(providers, specs):
                if p.override is _MISSING and spec is not None:
                    for k in spec[0]:
                        if k in overridden:
                            overridden[k].append(p.id)
            if None not in specs:  # else a key may be missing because its provider could not be read
                for i, site in self._overrides.items():
                    p = providers[i]
                    key = key_of(p.override)
                    if not overridden[key]:
                        reading.findings.append({"code": "unknown-override", "service": p.id, "key": key,
                                                 "source": _place(site)})
        for p, spec in zip(providers, specs):
            if spec is None:
                provided.append([])
                continue
            keys, deps, meta, src = spec
            id = p.id
            if len(keys) == 1:
                key = keys[0]
                provided.append(key)
                quoted = get(key) or q(key)
                # A plain class's id is its key: quoted once.
                head = f'{{"id":{quoted if id == key else quote(id) if type(id) is str else dumps(id)},"provides":[{quoted}]'
            else:
                provided.append(keys)
                head = f'{{"id":{quote(id) if type(id) is str else dumps(id)},"provides":[{",".join(map(q, keys))}]'
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
        if reading.met:
            reading.collisions()
        # `dumps` and `q` call each other: a reference cycle that would keep
        # `known` (every quoted key) for the cyclic GC to find.
        del dumps, q
        return out, provided

    def _roots(self, roots: Sequence[Any] | None, keys: list[str | list[str]]) -> list[str] | None:
        """Root ids for keys (a key names its providers; an id names itself)."""
        if not roots:
            return None
        invoked = [p.id for p in self._providers if p.hooks is not None and p.hooks.invoke]
        if invoked:
            roots = [*roots, *invoked]  # an invocation runs whatever the roots: its dependencies are roots too
        by_key: dict[str, list[str]] = {}
        for p, provided in zip(self._providers, keys):
            for k in [provided] if type(provided) is str else provided:
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
        ``MissingDependencyError``...) naming every problem at once: those
        of the graph and those met reading the providers (a type hint that
        cannot be resolved, a missing hint, an unnamed builtin...). With
        ``cache_dir`` (or ``WIREPLAN_CACHE_DIR``), a plan is stored on disk
        and reused while the providers' code is unchanged. ``limits``
        (``{"max_services": ...}``, the core's names) lowers or raises the
        core's resource limits; they never change a plan, so they are not
        part of the cache key. ``cache_key`` (or ``WIREPLAN_CACHE_KEY``)
        is added to the key: a build id for deploys that ship a prebuilt
        cache.

        Safe to call from several threads at once: a compile keeps its state
        to itself (and leaves the garbage collector alone).
        """
        from . import _cache
        from .errors import PlanError
        from .runtime import Plan

        entry = _cache.Entry.open(cache_dir, self._providers, profile, roots, cache_key)
        if entry is not None:
            cached = entry.load()
            if cached is not None:
                plan = Plan._bind(cached, self._providers)
                if plan is not None:
                    entry.refresh()
                    plan._compiled = (self, profile, roots, limits)  # for plan.override()
                    return plan
                _cache.log.warning("wireplan: cached plan %s does not match the registered providers; rebuilding", entry.key)
        reading = _Reading(self._class_keys)
        if entry is not None:
            with entry.recording(_reading):
                texts, keys = self._descriptor_texts(reading)
        else:
            texts, keys = self._descriptor_texts(reading)
        root_ids = self._roots(roots, keys)
        if reading.findings:
            self._raise(reading, texts, profile, root_ids, limits)
        text = f'{{"version":1,"services":[{",".join(texts)}]}}'
        try:
            core = _core.plan([("<registry>", text)], profile, root_ids, limits)
        except PlanError as err:
            # Only on failure: a missing base class whose subclass is
            # registered gets help saying so (the usual slip with an ABC).
            if _subclass_findings(err, reading, keys):
                self._raise(reading, texts, profile, root_ids, limits)
            raise
        if entry is not None:
            entry.store(core, self._providers)
        plan = Plan._bind(core, self._providers, reading.parsed)
        if plan is None:  # pragma: no cover - the plan was made from these very providers
            raise RuntimeError("wireplan: the plan does not match its own providers")
        plan._compiled = (self, profile, roots, limits)  # for plan.override()
        return plan


def _hooks(lifetime: str, on_start: Any, on_stop: Any, start_timeout: float | None, stop_timeout: float | None,
           health: Any, health_timeout: float | None, invoke: bool = False) -> _Hooks:
    """A singleton's runtime options, checked."""
    from .runtime import _timeout

    if lifetime != "singleton":
        raise ValueError(f"on_start, on_stop, start_timeout, stop_timeout, health and health_timeout are for singletons "
                         f"(started with the app), not for a {lifetime} service")
    for name, f in (("on_start", on_start), ("on_stop", on_stop), ("health", health)):
        if f is not None and not callable(f):
            raise TypeError(f"{name} must be a callable taking the instance, not {type(f).__name__}")

    def limit(name: str, value: float | None) -> float | None:
        if value is None:
            return None
        checked = _timeout(name, value)
        return float("inf") if checked is None else checked

    return _Hooks(on_start, on_stop, limit("start_timeout", start_timeout), limit("stop_timeout", stop_timeout),
                  health, limit("health_timeout", health_timeout), invoke)


def _subclass_findings(err: PlanError, reading: _Reading, keys: list[str | list[str]]) -> bool:
    """Adds to `reading.findings` each missing key of `err` whose class has
    registered subclasses (`SubclassRegistered` facts, worded by the core);
    whether there was one.

    # Complexity
    O(M * C) for M missing keys and C classes met, on the failure path only.
    """
    missing = {d["key"] for d in err.diagnostics if d.get("code") == "missing-dependency" and d.get("key")}
    if not missing:
        return False
    provided = {k for ks in keys for k in ((ks,) if isinstance(ks, str) else ks)}
    found = False
    for base, key in list(reading.class_keys.items()):
        if key not in missing:
            continue
        subclasses = sorted(k for c, k in reading.class_keys.items()
                            if k in provided and c is not base and isinstance(c, type) and isinstance(base, type) and issubclass(c, base))
        if subclasses:
            reading.findings.append({"code": "subclass-registered", "key": key, "subclasses": subclasses})
            found = True
    return found


def _check_supplied(value: Any) -> None:
    """Refuses a value supplied without a key whose type names nothing
    useful: a class (its key would be ``builtins.type``) or a function."""
    if isinstance(value, type):
        name = value.__qualname__
        raise TypeError(f"supply() takes a ready value, not the class `{_identity(value)}` (its key would be "
                        f"`{key_of(type(value))}`): supply an instance, registry.supply({name}(...)), or provide "
                        f"the class, registry.provide({name}); to supply the class itself, pass a key")
    if type(value) is FunctionType or type(value).__name__ in ("builtin_function_or_method", "method"):
        raise TypeError(f"supply() takes a ready value, not the function `{_identity(value)}`: to register a "
                        "factory, use registry.provide; to supply the function itself, pass a key")
