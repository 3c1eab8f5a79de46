"""Running a plan, in pure Python.

The core has done the thinking: singletons come numbered in start-up order
and grouped in layers, every dependency is bound to its providers by number,
and scoped and transient services come with recipes (what to build for one
instance, dependencies first). So starting is one loop over the singletons
(no recursion: a chain of 100,000 services needs no stack), stopping is the
same loop backwards, and a scoped ``get`` is one loop over a recipe.
"""

from __future__ import annotations

import gc
import sys
from _thread import RLock, get_ident  # threading's, without importing threading
from time import perf_counter

try:
    from _operator import attrgetter, mul, sub
except ImportError:  # pragma: no cover - an interpreter without the C module
    from operator import attrgetter, mul, sub

from . import _core
from ._keys import Lazy, key_of
from .errors import (AmbiguousKeyError, BaseExceptionGroup, ExceptionGroup, NotPlannedError, ReloadError, StartError,
                     UnknownIdError, UnknownKeyError)
from ._spec import (_MISSING, ACM, AGEN, ASYNC, CALL, CM, GEN, HAS_DEFAULT, LIFECYCLE, POSITIONAL, VALUE, Lifecycle, _Meta, _meta,
                    _Provider, is_async_callable)

# Not typing's TYPE_CHECKING: `import wireplan` imports neither typing, nor
# threading, json, math or types (they cost milliseconds); what needs them
# imports them when it runs.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, Awaitable, Callable, Sequence, TypeVar, overload

    from ._override import Override
    from ._timing import Timing
    from .planning import Analysis
    from ._spec import _Hooks

    T = TypeVar("T")

    # (parameter name, positional?, how, provider number or numbers)
    _Arg = tuple[str, bool, int, Any]

__all__ = ["App", "Plan", "Scope", "Timing"]


def __getattr__(name: str) -> Any:
    if name == "Timing":  # a NamedTuple: made when first asked for (typing)
        from ._timing import Timing

        return Timing
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# How one argument is made (the third field of an argument spec).
_ONE, _MANY, _LAZY, _OMIT, _NONE, _LAZY_MANY, _CONST, _LIFE = range(8)
_ASYNC_KINDS = frozenset((ASYNC, AGEN, ACM))
_UNSET: Any = object()


def _nobody() -> int:
    return 0  # no thread's id


# Who a new scope's owner is (see Scope): the thread opening it, or, without
# a GIL (a free-threaded build; once enabled, a GIL is never disabled),
# nobody: every build takes the scope's lock.
_opener = get_ident if getattr(sys, "_is_gil_enabled", lambda: True)() else _nobody
# Held while a scope's lock is made.
_SHARING = RLock()
_INF = float("inf")
_SINGLETON, _SCOPED, _TRANSIENT = "singleton", "scoped", "transient"
_LIFETIMES = (_SINGLETON, _SCOPED, _TRANSIENT)


def _parse_meta(meta: str | None) -> _Meta | None:
    """``"kind|param:mode|..."`` (see registry._introspect) as
    ``(kind, ((param, mode), ...), (param, ...), all-keyword?)``; ``None``
    when it is not one."""
    if meta is None or len(meta) < 3 or meta[0] != '"' or "\\" in meta:
        return None
    parts = meta[1:-1].split("|")
    try:
        return _meta(parts)
    except ValueError:
        return None


# A provider's fields, read in C by `map` (the C module: `operator`
# itself is not imported by `import wireplan`).
_provider_id: Callable[[_Provider], str] = attrgetter("id")
_provider_target: Callable[[_Provider], Any] = attrgetter("target")
_provider_hooks: Callable[[_Provider], _Hooks | None] = attrgetter("hooks")
_provider_is_value: Callable[[_Provider], bool] = attrgetter("is_value")


_new_object = object.__new__


def _capture(*args: Any, **kwargs: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The "factory" of an invoked function: its arguments, kept until the
    start phase calls it."""
    return args, kwargs


class Plan:
    """A validated plan, bound to the registered factories: start it with
    :meth:`start` or :meth:`start_async`."""

    def __init__(self) -> None:  # pragma: no cover - built by _bind only
        raise TypeError("plans are made by Registry.compile()")

    core: _core.Plan
    ids: list[str]
    singletons: int
    _layer_ends: list[int]
    _layers: list[list[int]] | None
    _factories: list[Any]
    _kinds: list[str]
    _params: list[tuple[tuple[str, int], ...]]
    _deps: dict[int, list[tuple[int, list[int]]]]
    _plain_start: list[int]
    _plain: list[int]
    _calls: list[int]
    _metas: list[str]
    _names: dict[str, tuple[str, ...]]
    _args: list[tuple[_Arg, ...] | None]
    _lifetimes: list[str]
    _recipes: dict[int, list[int]]
    _by_key: dict[str, int | list[int]]
    _needs_await: list[bool]
    _async_start: bool
    _providers: Sequence[_Provider]
    _by_id: dict[str, int] | None
    _fast: list[tuple[Any, list[int], tuple[str, ...] | None] | None]
    # The scoped and transient services of one plain singleton dependency,
    # passed by position: (service, factory, dependency, scoped?).
    _one: dict[int, tuple[int, Any, int, bool]]
    _by_type: dict[type, int | list[int] | tuple[int, Any, int, bool]]
    # Runtime-only options per service (None: no service has any), the
    # invoked functions by number, and the per-service timeouts.
    _hooks: list[_Hooks | None] | None
    _hooked: list[int]
    _invokes: dict[int, Any]
    _start_limits: dict[int, float]
    _stop_limits: dict[int, float]
    _lifecycle: bool

    @classmethod
    def _bind(cls, core: _core.Plan, providers: Sequence[_Provider],
              parsed: dict[str, _Meta] | None = None) -> Plan | None:
        """Binds each planned service to its provider by id; ``None`` when the
        plan does not fit the providers (a stale or foreign cached plan).
        `parsed` holds the metas the registry parsed while compiling, by
        their JSON text (the compile's own, so concurrent compiles share
        nothing); the others are parsed here.

        # Complexity
        O(S + K) for S services and K provided keys: argument specs are made
        on first use, except for the plain singletons the start loop calls
        directly.
        """
        (ids, lifetimes, provides, plain_start, plain, quick, deps, recipes, metas, singletons,
         layer_ends) = core.tables()
        n = len(ids)
        # Whole-list steps (loops in C) where they do, and no Python object
        # made per service that the steps do not need: binding is on every
        # start, cache hit or not, and under a running cyclic GC (a compile
        # leaves it alone) each container made here is scanned again and
        # again while the plan is bound.
        by_id = dict(zip(map(_provider_id, providers), providers))
        bound = list(map(by_id.get, ids))
        if None in bound:
            return None  # a service no provider has (a stale or foreign plan)
        provs: list[_Provider] = bound  # type: ignore[assignment]
        if parsed is None:
            parsed = {}
        # Each distinct `meta` text parsed once (a cached plan's here).
        table: dict[str | None, _Meta] = {}
        for meta in dict.fromkeys(metas):
            m = parsed.get(meta) if meta is not None else None
            if m is None:
                m = _parse_meta(meta)
                if m is None:
                    return None
                parsed[meta] = m  # type: ignore[index]
            table[meta] = m
        kinds = list(map({t: m[0] for t, m in table.items()}.__getitem__, metas))
        params = list(map({t: m[1] for t, m in table.items()}.__getitem__, metas))
        # The plan must fit the providers: what each is, and one parameter
        # per dependency (parameters that take the Lifecycle have none).
        is_value = list(map(_provider_is_value, provs))
        if (True in is_value or VALUE in kinds) and is_value != [k == VALUE for k in kinds]:
            return None
        lifecycle = any(m[5] for m in table.values())
        counts = list(map(sub, plain_start[1:], plain_start[:-1]))
        for i, d in deps.items():
            counts[i] = len(d)
        wanted = {t: len(m[1]) - m[5] for t, m in table.items()}
        if counts != list(map(wanted.__getitem__, metas)):
            return None
        self = object.__new__(cls)
        self.core = core
        self.ids = ids
        self.singletons = singletons
        self._layer_ends = layer_ends
        self._layers = None
        self._factories = factories = list(map(_provider_target, provs))
        hooks: list[_Hooks | None] = list(map(_provider_hooks, provs))
        self._hooks = None
        self._hooked = []  # services with a start or stop hook, or invoked, in plan order
        self._invokes = {}
        self._start_limits = {}
        self._stop_limits = {}
        self._lifecycle = lifecycle
        if hooks.count(None) != n:
            self._hooks = hooks
            for i, h in enumerate(hooks):
                if h is None:
                    continue
                if i >= singletons:  # pragma: no cover - the registry refuses hooks on other lifetimes
                    return None
                if h.invoke or h.on_start is not None or h.on_stop is not None:
                    self._hooked.append(i)
                if h.invoke:
                    # Built as a singleton whose "instance" is its arguments;
                    # the function runs in the start phase.
                    self._invokes[i] = factories[i]
                    factories[i] = _capture
                    kinds[i] = CALL
                if h.start_timeout is not None:
                    self._start_limits[i] = h.start_timeout
                if h.stop_timeout is not None:
                    self._stop_limits[i] = h.stop_timeout
        self._kinds = kinds
        self._params = params
        self._deps = deps
        self._plain_start = plain_start
        self._plain = plain
        self._args = [None] * n
        self._lifetimes = list(map(_LIFETIMES.__getitem__, lifetimes))
        self._recipes = recipes
        # INVARIANT: a key with one provider maps to its number, a key with
        # several to the list (one list per key is memory).
        try:
            by_key: dict[str, int | list[int]] = dict(zip(provides, range(n)))  # type: ignore[arg-type] # strs, or TypeError
            several = len(by_key) != n
        except TypeError:  # a service with more (or fewer) keys than one: a list
            several = True
        if several:
            by_key = {}
            for i, keys in enumerate(provides):
                for k in (keys,) if type(keys) is str else keys:
                    found = by_key.get(k)
                    if found is None:
                        by_key[k] = i
                    elif type(found) is int:
                        by_key[k] = [found, i]
                    else:
                        found.append(i)  # type: ignore[union-attr]
        self._by_key = by_key
        # Services whose dependencies are all plain singletons are called
        # straight from their instances: singletons by the start loop (by
        # `_calls`: 1 by position, 2 by keyword, 0 through `_make`), scoped
        # and transient ones by `get` (`_fast`: no recipe to walk).
        self._metas = metas  # type: ignore[assignment] # every one parsed: none is None
        self._names = {t: m[2] for t, m in table.items()}  # type: ignore[misc]
        how = {t: 0 if m[0] != CALL or m[5] else 1 if m[4] else 2 if m[3] else 0 for t, m in table.items()}
        self._calls = list(map(mul, quick[:singletons], map(how.__getitem__, metas[:singletons])))
        fast: list[tuple[Any, list[int], tuple[str, ...] | None] | None] = [None] * n
        self._fast = fast
        self._by_type = {}
        self._one = one = {}
        for i in range(singletons, n):
            c = how[metas[i]]
            if c and quick[i]:
                pl = plain[plain_start[i]:plain_start[i + 1]]
                fast[i] = (factories[i], pl, None) if c == 1 else (factories[i], pl, table[metas[i]][2])
                if c == 1 and len(pl) == 1:
                    one[i] = (i, factories[i], pl[0], lifetimes[i] == 1)
        # Which services must be awaited (an async factory in their recipe).
        self._needs_await = needs = list(map(_ASYNC_KINDS.__contains__, kinds))
        self._providers = tuple(providers)  # as compiled: a later registration is not "registered" here
        self._by_id = None
        self._async_start = any(needs)
        if self._async_start:
            for i in range(singletons, n):
                needs[i] = any(kinds[j] in _ASYNC_KINDS for j in recipes.get(i) or (i,))
            for i in range(singletons):
                if not needs[i]:
                    needs[i] = any(how in (_ONE, _MANY) and any(needs[p] for p in ((t,) if how == _ONE else t) if p >= singletons)
                                   for _, _, how, t in self._spec(i))
            self._async_start = True in needs[:singletons]
        return self

    @property
    def layers(self) -> list[list[int]]:
        """The start-up layers: service numbers, each layer needing only
        earlier ones (made on first use: a chain has a layer per service)."""
        layers = self._layers
        if layers is None:
            ends = self._layer_ends
            layers = self._layers = [list(range(a, b)) for a, b in zip([0, *ends[:-1]], ends)]
        return layers

    def _plain_of(self, i: int) -> list[int] | None:
        """Service `i`'s providers when every dependency is plain, else ``None``."""
        if i in self._deps:
            return None
        return self._plain[self._plain_start[i]:self._plain_start[i + 1]]

    def _default(self, i: int, name: str) -> Any:
        """The default of factory `i`'s parameter `name` (rare: read by inspect)."""
        import inspect

        f = self._factories[i]
        try:
            return inspect.signature(f).parameters[name].default
        except (TypeError, ValueError, KeyError):
            return None

    def _spec(self, i: int) -> tuple[_Arg, ...]:
        """How to make each argument of factory `i`, made on first use."""
        spec = self._args[i]
        if spec is not None:
            return spec
        pl = self._plain_of(i)
        deps: list[tuple[int, list[int]]] = [(0, [x]) for x in pl] if pl is not None else self._deps[i]
        out: list[_Arg] = []
        dep = iter(deps)
        for name, mode in self._params[i]:
            target: Any
            if mode & LIFECYCLE:
                out.append((name, bool(mode & POSITIONAL), _LIFE, None))
                continue
            flags, provs = next(dep)
            if flags & 2:
                how, target = (_LAZY_MANY if flags & 4 else _MANY), tuple(provs)
            elif not provs and mode & HAS_DEFAULT and mode & POSITIONAL:
                # Left out, a positional parameter would shift the ones after
                # it: pass its default instead.
                how, target = _CONST, self._default(i, name)
            elif not provs:
                how, target = (_OMIT if mode & HAS_DEFAULT else _NONE), None
            elif flags & 4:
                how, target = _LAZY, provs[0]
            else:
                how, target = _ONE, provs[0]
            out.append((name, bool(mode & POSITIONAL), how, target))
        spec = self._args[i] = tuple(out)
        return spec

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """Warnings found while planning (services no root needs)."""
        import json

        return list(json.loads(self.core.warnings_json())["diagnostics"])

    def source(self, index: int) -> str | None:
        """``file:line`` of service `index`'s provider, when known."""
        src = self.core.source(index)
        if src is None:
            return None
        return f"{src[0]}:{src[1]}" if src[1] else src[0]

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the descriptors this plan was made from."""
        return self.core.fingerprint

    @property
    def startup_order(self) -> list[str]:
        """Singleton ids in start-up order (shutdown is the reverse)."""
        return self.ids[: self.singletons]

    def keys(self) -> list[str]:
        """Every key some planned service provides."""
        return list(self._by_key)

    def to_json(self) -> str:
        """The plan as the core's pretty JSON, services by id."""
        return self.core.to_json()

    def analysis(self) -> Analysis:
        """This plan as a :class:`wireplan.Analysis`, to draw and explain it
        (works on a plan loaded from the disk cache too)."""
        from .planning import Analysis

        return Analysis(self.core.analysis())

    def explain(self, name: Any, *, why: Any = None, format: str = "text") -> str:
        """What a service (named by its class, function, key or id) is, needs
        and is needed by, and its layer; with ``why``, the chain of
        dependencies that orders the two: the CLI's ``wireplan explain``."""
        return self.analysis().explain(name, why=why, format=format)

    def why(self, a: Any, b: Any) -> str:
        """Why ``a`` and ``b`` start in the order they do, in words."""
        return self.analysis().why(a, b)

    def to_dot(self, focus: Any = None) -> str:
        """The graph as Graphviz DOT (``focus``: one service and its
        neighbourhood), as ``wireplan graph`` prints it."""
        return self.analysis().to_dot(focus)

    def to_mermaid(self, focus: Any = None) -> str:
        """The graph as a Mermaid flowchart, as :meth:`to_dot`."""
        return self.analysis().to_mermaid(focus)

    def start(self, *, start_timeout: float | None = None, stop_timeout: float | None = None,
              on_event: Callable[[dict[str, Any]], Any] | None = None) -> App:
        """Starts every singleton in plan order; use as a context manager to
        stop them in shutdown order on exit.

        `start_timeout` and `stop_timeout` (seconds, per service, like fx's
        ``StartTimeout``/``StopTimeout``; ``None`` for none) bound each
        factory and each teardown. A synchronous call cannot be interrupted:
        it runs to the end and is then measured, so one that overran fails
        the start (rolled back, itself included) or is reported as a
        ``TimeoutError`` among the stop errors. Use :meth:`start_async` and
        async factories for a hard limit.
        """
        app = App(self, start_timeout=start_timeout, stop_timeout=stop_timeout, on_event=on_event)
        app._start()
        return app

    def start_async(self, *, start_timeout: float | None = None, stop_timeout: float | None = None,
                    on_event: Callable[[dict[str, Any]], Any] | None = None) -> _AsyncStart:
        """``async with plan.start_async() as app``: async factories are
        awaited and each layer is started concurrently.

        An async factory still running after `start_timeout` seconds is
        cancelled and the start fails with a ``TimeoutError`` cause; an
        async teardown still running after `stop_timeout` is cancelled and
        reported, and the other teardowns still run. Synchronous factories
        and teardowns are measured after the fact, as in :meth:`start`.
        Cancelling the task that runs the start (or Ctrl-C under
        ``asyncio.run``) stops everything started so far, in reverse, then
        lets the ``CancelledError`` through.
        """
        return _AsyncStart(self, start_timeout, stop_timeout, on_event)

    def run(self, *, start_timeout: float | None = None, stop_timeout: float | None = None,
            on_event: Callable[[dict[str, Any]], Any] | None = None) -> int:
        """Starts the app, waits for SIGINT or SIGTERM, stops it gracefully
        and returns the exit code (fx's ``app.Run()``): 0 after a clean
        stop, 1 when the start or the stop failed (said on stderr); a second
        signal exits at once (130 for SIGINT, 143 for SIGTERM). Call from
        the main thread: ``raise SystemExit(plan.run())``."""
        from ._run import run_plan

        return run_plan(self, start_timeout=start_timeout, stop_timeout=stop_timeout, on_event=on_event)

    async def run_async(self, *, start_timeout: float | None = None, stop_timeout: float | None = None,
                        on_event: Callable[[dict[str, Any]], Any] | None = None) -> int:
        """As :meth:`run` with :meth:`start_async`, waiting in the running
        event loop (its signal handlers): ``sys.exit(asyncio.run(plan.run_async()))``."""
        from ._run import run_plan_async

        return await run_plan_async(self, start_timeout=start_timeout, stop_timeout=stop_timeout, on_event=on_event)

    def __repr__(self) -> str:
        return f"<wireplan.Plan {len(self.ids)} services, {self.singletons} singletons>"

    # ---- test overrides (python/wireplan/_override.py) -----------------------

    _compiled: Any = None  # (registry, profile, roots, limits) it was compiled from, set by Registry.compile
    _overridden: Plan | None = None  # what apps start from while overrides are active
    _override_stack: Any = None  # the active overrides (_override._Stack)

    def override(self, key: Any, value: Any = _MISSING, /, *, factory: Callable[..., Any] | None = None,
                 lifetime: str | None = None) -> Override:
        """Replaces the provider of `key` with a fake for the apps started
        while the override is active (tests): ``with plan.override(Database,
        fake):``, ``@plan.override(...)``, or ``.undo()``. Give a ready
        ``value``, a ``factory`` (planned like any provider: its dependencies
        are resolved, its teardown runs), or a mapping of keys to values.
        See :mod:`wireplan._override`."""
        from ._override import Override

        return Override(self, key, value, factory, lifetime)

    # ---- lookups -------------------------------------------------------------

    def _index(self, key: Any) -> int:
        """The one service providing `key`; raises ``UnknownKeyError``,
        ``AmbiguousKeyError`` or ``NotPlannedError`` (the core's words)."""
        k = key_of(key)
        found = self._by_key.get(k)
        if type(found) is int:
            return found
        if found is None:
            raise self._missing_key(k)
        ids = [self.ids[i] for i in found]  # type: ignore[union-attr]
        raise AmbiguousKeyError(k, ids, _core.ambiguous_key(k, ids, "get_all", "get_by_id"))

    def _indices(self, key: Any) -> list[int]:
        """Every service providing `key`, in declaration order: none for a
        key nobody registered, unless it looks like a typo of a known key."""
        k = key_of(key)
        found = self._by_key.get(k)
        if found is None:
            err = self._missing_key(k)
            if type(err) is UnknownKeyError and not err.suggestions:
                return []
            raise err
        return [found] if isinstance(found, int) else list(found)

    def _index_of_id(self, id: str) -> int:
        """The service with id `id`; raises ``UnknownIdError`` or
        ``NotPlannedError``."""
        by_id = self._by_id
        if by_id is None:
            by_id = self._by_id = dict(zip(self.ids, range(len(self.ids))))
        found = by_id.get(id)
        if found is not None:
            return found
        for p in self._providers:
            if p.id == id:
                raise self._unplanned(p, id, id)
        raise UnknownIdError(id, *_core.unknown_id(id, self.ids))

    def _missing_key(self, k: str) -> LookupError:
        """Why no planned service provides `k`: a registered provider left
        out of the plan, or an unknown key (with the closest keys)."""
        planned = set(self.ids)
        for p in self._providers:
            if p.id not in planned and k in _registered_keys(p):
                return self._unplanned(p, k, k)
        return UnknownKeyError(k, *_core.unknown_key(k, list(self._by_key)))

    def _unplanned(self, p: _Provider, name: str, key: str) -> NotPlannedError:
        """The error for provider `p`, registered but not planned, asked for
        as `name` (its id, or `key`): replaced, of another profile, or needed
        by no root."""
        keys = _registered_keys(p)
        planned = set(self.ids)
        for q in self._providers:  # an override in the plan that stands in for it
            if q.override is not _MISSING and q.id in planned:
                replaced_key = key_of(q.override)
                if replaced_key in keys:
                    return NotPlannedError(name, _core.replaced(p.id, replaced_key, q.id), replaced_by=q.id)
        profile = self.core.profile
        if p.profiles is not None and profile not in p.profiles:
            return NotPlannedError(name, _core.not_planned(name, profile if profile is not None else "(none)"))
        return NotPlannedError(name, _core.not_planned(name, None))


def _registered_keys(p: _Provider) -> list[str]:
    """The keys provider `p` was registered under (read only for an error:
    a provider without explicit keys is introspected)."""
    if p.keys:
        return [key_of(k) for k in p.keys]
    if p.override is not _MISSING:
        return [key_of(p.override)]
    if p.is_value:
        return [key_of(type(p.target))]
    if isinstance(p.target, type):
        return [key_of(p.target)]
    try:
        from ._reading import _introspect

        return list(_introspect(p)[0])
    except Exception:  # noqa: BLE001 - only for an error's words: a provider that cannot be read provides nothing known
        return []


def _timeout(name: str, value: float | None) -> float | None:
    """A timeout option checked: ``None`` (or infinity) for none, else a
    positive number of seconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds or None, not {type(value).__name__}")
    if not value > 0:
        raise ValueError(f"{name} must be positive, not {value!r}")
    return None if value == _INF else float(value)


def _late_start(plan: Plan, i: int, limit: float, took: float | None) -> TimeoutError:
    """A factory over the start timeout (`took`: a synchronous one, measured
    when it returned); the core's words."""
    late = TimeoutError(_core.timed_out(plan.ids[i], "start", limit, took))
    late._wireplan_late = True  # type: ignore[attr-defined]  # its outcome in the start-up record: timed-out
    return late


#: Seconds a health check may take when its provider says nothing.
_HEALTH_TIMEOUT = 1.0


def _health_late(id: str, limit: float, took: float | None) -> str:
    """A health check over its timeout (`took`: a synchronous one, measured
    when it returned), in the core's words."""
    return _core.health_timed_out(id, limit, took)


def _late_stop(plan: Plan, i: int, limit: float, took: float | None) -> TimeoutError:
    """A teardown that did not finish within the stop timeout."""
    return TimeoutError(_core.timed_out(plan.ids[i], "stop", limit, took))


async def _within(aw: Awaitable[T], limit: float, expired: Callable[[], BaseException]) -> T:
    """``await aw``, cancelled after `limit` seconds: then raises
    ``expired()`` (a TimeoutError `aw` raises itself goes through unchanged).
    A coroutine that swallows the cancellation is waited for."""
    import asyncio  # imported here: `import wireplan` stays cheap

    if sys.version_info >= (3, 11):
        # Runs in this task (contextvars, task-bound cancel scopes intact).
        deadline = asyncio.timeout(limit)
        try:
            async with deadline:
                return await aw
        except TimeoutError:
            if deadline.expired():
                raise expired() from None
            raise
    else:  # pragma: no cover - CPython 3.10
        task = asyncio.ensure_future(aw)
        done, _ = await asyncio.wait({task}, timeout=limit)
        if not done:
            task.cancel()
            await asyncio.wait({task})
            if task.cancelled():
                raise expired()
        return task.result()


def _overran(errors: list[BaseException], plan: Plan, i: int, limit: float | None, t0: float) -> None:
    """Records a teardown of service `i` that returned but took longer than `limit`."""
    if limit is not None and (took := perf_counter() - t0) > limit:
        late = _late_stop(plan, i, limit, took)
        _note(late, plan, i)
        errors.append(late)


def _limit_of(limits: dict[int, float] | None, i: int, default: float | None) -> float | None:
    """Service `i`'s own timeout (``registry.provide(..., stop_timeout=...)``;
    infinity: none), else the app-wide `default`."""
    if not limits:
        return default
    v = limits.get(i)
    if v is None:
        return default
    return None if v == _INF else v


def _rollback_errors(teardowns: list[Any], plan: Plan, limit: float | None = None,
                     exc: BaseException | None = None, limits: dict[int, float] | None = None,
                     done: Callable[[int, float, BaseException | None], None] | None = None) -> list[BaseException]:
    """Runs every teardown, newest first, each told of `exc` (why the scope,
    the app or the start ended; ``None`` for a clean exit), and returns the
    errors (each with a note naming its service); one that overran `limit`
    (or the service's own limit in `limits`) is an error too. A teardown
    that raises `exc` itself has not failed. `done(service, seconds, error)`
    is told of each teardown (events)."""
    errors: list[BaseException] = []
    tb = exc.__traceback__ if exc is not None else None
    timed = limit is not None or bool(limits) or done is not None
    while teardowns:
        i, kind, obj = teardowns.pop()
        lim = _limit_of(limits, i, limit)
        t0 = perf_counter() if timed else 0.0
        try:
            _teardown(kind, obj, exc)
        except BaseException as e:  # noqa: BLE001 - every teardown error is collected
            if exc is not None:
                exc.__traceback__ = tb  # the teardown's re-raise grew it
            if e is not exc or exc is None:
                _note(e, plan, i)
                errors.append(e)
                if done is not None:
                    done(i, perf_counter() - t0, e)
                continue
        n = len(errors)
        _overran(errors, plan, i, lim, t0)
        if done is not None:
            done(i, perf_counter() - t0, errors[-1] if len(errors) > n else None)
    return errors


async def _arollback_errors(teardowns: list[Any], plan: Plan, limit: float | None = None,
                            exc: BaseException | None = None, limits: dict[int, float] | None = None,
                            done: Callable[[int, float, BaseException | None], None] | None = None) -> list[BaseException]:
    """As :func:`_rollback_errors`, awaiting async teardowns (each cancelled
    after its limit)."""
    errors: list[BaseException] = []
    tb = exc.__traceback__ if exc is not None else None
    while teardowns:
        i, kind, obj = teardowns.pop()
        lim = _limit_of(limits, i, limit)
        t0 = perf_counter()
        n = len(errors)
        try:
            if kind == AGEN or kind == ACM:
                aw = _aclose_agen(obj, exc) if kind == AGEN else _aexit(obj, exc)
                if lim is None:
                    await aw
                else:
                    await _within(aw, lim, lambda: _late_stop(plan, i, lim, None))
            else:
                _teardown(kind, obj, exc)
                _overran(errors, plan, i, lim, t0)
        except BaseException as e:  # noqa: BLE001 - every teardown error is collected (a cancellation too: the rest still run)
            if exc is not None:
                exc.__traceback__ = tb  # the teardown's re-raise grew it
            if e is not exc or exc is None:
                _note(e, plan, i)
                errors.append(e)
            elif kind != AGEN and kind != ACM:
                _overran(errors, plan, i, lim, t0)
        if done is not None:
            done(i, perf_counter() - t0, errors[-1] if len(errors) > n else None)
    return errors


def type_name(e: BaseException) -> str:
    """The name of `e`'s class (in events' error text)."""
    return type(e).__name__


def _drop_outcome(task: Any) -> None:
    """Retrieves an abandoned task's outcome (no "never retrieved" warning)."""
    if not task.cancelled():
        task.exception()


def _nothing() -> None:
    """Does nothing (a stop that sends no events)."""


def _not_awaitable(result: Any, message: str) -> None:
    """Refuses what an async hook returned in a synchronous start or stop
    (closed first: no "never awaited" warning)."""
    if hasattr(type(result), "__await__"):
        close = getattr(result, "close", None)
        if close is not None:
            close()
        raise TypeError(message)


def _add_note(e: BaseException, note: str) -> None:
    """``e.add_note(note)``, also on 3.10 (where the backport reads ``__notes__``)."""
    if hasattr(e, "add_note"):
        e.add_note(note)
    else:  # pragma: no cover - CPython 3.10
        notes = getattr(e, "__notes__", None)
        if notes is None:
            notes = []
            e.__notes__ = notes
        notes.append(note)


def _q(id: str) -> str:
    """An id as the core's words show one: in backticks, escaped (a newline
    or ESC in an id cannot start a line of its own in a traceback or log)."""
    return f"`{_core.escape(id)}`"


def _note(e: BaseException, plan: Plan, i: int) -> None:
    src = plan.source(i)
    _add_note(e, f"while stopping service {_q(plan.ids[i])}" + (f" ({_core.escape(src)})" if src else ""))


def _no_async_teardown(teardowns: list[Any], plan: Plan, hint: str) -> None:
    """A synchronous stop cannot run an async teardown: raise before
    stopping anything, so the async stop can still stop everything once."""
    for i, kind, _ in teardowns:
        if kind in _ASYNC_KINDS:
            raise TypeError(f"{_q(plan.ids[i])} has an async teardown: {hint}")


def _teardown(kind: str, obj: Any, exc: BaseException | None = None) -> None:
    """Tears down one instance: a generator resumes (``next``, or ``throw``
    of `exc`), a context manager exits (given `exc`). Raises what the
    teardown raises (`exc` itself when it lets it through)."""
    if kind in _ASYNC_KINDS:
        # Reached from a `with` block's exit only (stop() and close() refuse
        # first): reported, never skipped without a word.
        raise TypeError("an async teardown cannot run in a synchronous stop: use `async with` or `await astop()`")
    if kind == GEN:
        try:
            if exc is None:
                next(obj)
            else:
                obj.throw(exc)
        except StopIteration:
            return
        obj.close()
        raise RuntimeError("a generator provider must yield exactly once")
    if kind == CM:
        if exc is None:
            obj.__exit__(None, None, None)
        else:
            obj.__exit__(type(exc), exc, exc.__traceback__)


async def _aexit(obj: Any, exc: BaseException | None) -> None:
    if exc is None:
        await obj.__aexit__(None, None, None)
    else:
        await obj.__aexit__(type(exc), exc, exc.__traceback__)


async def _aclose_agen(obj: Any, exc: BaseException | None = None) -> None:
    try:
        if exc is None:
            await obj.__anext__()
        else:
            await obj.athrow(exc)
    except StopAsyncIteration:
        return
    await obj.aclose()
    raise RuntimeError("an async generator provider must yield exactly once")


def _note_teardown_errors(e: BaseException, errors: Sequence[BaseException], doing: str) -> None:
    """Notes on `e`, which goes on, for the teardown errors met while
    `doing` (none is swallowed)."""
    for x in errors:
        where = getattr(x, "__notes__", None) or ["while stopping a service"]
        _add_note(e, f"{doing}, {where[-1]}: {type(x).__name__}: {_core.escape(str(x))}")


def _leave_block(e: BaseException | None, close: Callable[[], None], doing: str) -> None:
    """Closes a scope or app left by a ``with`` block. Left by an exception
    `e` (a failed request), `e` goes on, so ``except ValueError`` still
    catches it, with a note for each teardown that failed too (JS puts them
    in `disposeErrors`); only a clean exit raises the teardowns' group."""
    try:
        close()
    except BaseExceptionGroup as group:
        if e is None:
            raise
        _note_teardown_errors(e, group.exceptions, doing)


async def _aleave_block(e: BaseException | None, close: Awaitable[None], doing: str) -> None:
    """As :func:`_leave_block`, awaiting the close."""
    try:
        await close
    except BaseExceptionGroup as group:
        if e is None:
            raise
        _note_teardown_errors(e, group.exceptions, doing)


def _group(message: str, errors: list[BaseException]) -> BaseExceptionGroup[BaseException]:
    # ExceptionGroup holds Exceptions; a KeyboardInterrupt makes it a BaseExceptionGroup.
    exceptions = [e for e in errors if isinstance(e, Exception)]
    if len(exceptions) == len(errors):
        return ExceptionGroup(message, exceptions)
    return BaseExceptionGroup(message, errors)


class _Builder:
    """Makes instances: shared by the app (singletons and app-level
    transients) and by scopes (scoped instances)."""

    __slots__ = ()

    plan: Plan
    app: App
    scoped: dict[int, Any] | None
    teardowns: list[Any]
    # A scope's lock is made once a thread other than `_owner` (the one that
    # opened it) builds in it; `_busy` while `_owner` builds without it.
    lock: RLock | None
    _owner: int
    _busy: bool
    # The app's singleton instances by number in `plan` (a scope keeps the
    # list of the plan it was opened on: a hot reload gives the app a new one).
    _inst: list[Any]

    def _sync(self) -> RLock:
        """The lock a build of a scoped or transient instance holds (made
        on first use by a scope)."""
        raise NotImplementedError  # pragma: no cover - App's and Scope's own

    def _teardown_list(self) -> list[Any]:
        """`teardowns`, to append to: a scope's starts as an empty tuple
        (most requests have none), made a list by its first build."""
        teardowns = self.teardowns
        if type(teardowns) is not list:  # the empty tuple a scope starts with
            teardowns = self.teardowns = []  # type: ignore[misc] # a scope's field
        return teardowns

    def _value(self, p: int, local: dict[int, Any]) -> Any:
        """The instance of provider `p` for a non-lazy argument."""
        plan = self.plan
        if p < plan.singletons:
            v = self._inst[p]
            if v is _UNSET:
                raise RuntimeError(f"{_q(plan.ids[p])} is not started")
            return v
        if plan._lifetimes[p] == _SCOPED:
            if self.scoped is None:
                raise LookupError(f"{_q(plan.ids[p])} is scoped: get it inside a scope (`with app.scope() as scope: scope.get(...)`)")
            v = self.scoped.get(p, _UNSET)
            if v is not _UNSET:
                return v
        if p in local:
            return local[p]
        return self._recipe(p)

    def _lazy(self, p: int) -> Lazy[Any]:
        return Lazy(lambda: self._value(p, {}))

    def _many_resolver(self, providers: tuple[int, ...]) -> Callable[[], list[Any]]:
        return lambda: [self._value(p, {}) for p in providers]

    def _call_args(self, i: int, local: dict[int, Any]) -> tuple[list[Any], dict[str, Any]]:
        pos: list[Any] = []
        kw: dict[str, Any] = {}
        for name, positional, how, t in self.plan._spec(i):
            if how == _ONE:
                v = self._value(t, local)
            elif how == _MANY:
                v = [self._value(p, local) for p in t]
            elif how == _LAZY:
                v = self._lazy(t)
            elif how == _OMIT:
                continue
            elif how == _CONST:
                v = t
            elif how == _LIFE:
                v = self.app._lifecycle_of(i)
            elif how == _NONE:
                v = None
            else:
                v = Lazy(self._many_resolver(t))
            if positional:
                pos.append(v)
            else:
                kw[name] = v
        return pos, kw

    def _make(self, i: int, local: dict[int, Any], teardowns: list[Any]) -> Any:
        """Calls factory `i` (synchronously) and records its teardown."""
        plan = self.plan
        kind = plan._kinds[i]
        f = plan._factories[i]
        if kind == VALUE:
            return f
        if kind in _ASYNC_KINDS:
            raise TypeError(f"{_q(plan.ids[i])} has an async factory: start the app with start_async() and use aget()")
        if plan._spec(i):
            pos, kw = self._call_args(i, local)
            obj = f(*pos, **kw)
        else:
            obj = f()
        if kind == CALL:
            return obj
        if kind == GEN:
            try:
                inst = next(obj)
            except StopIteration:
                raise RuntimeError(f"generator provider {_q(plan.ids[i])} did not yield") from None
        else:
            inst = obj.__enter__()
        teardowns.append((i, kind, obj))
        return inst

    async def _amake(self, i: int, local: dict[int, Any], teardowns: list[Any]) -> Any:
        """Calls factory `i`, awaiting what needs it, and records its teardown."""
        plan = self.plan
        kind = plan._kinds[i]
        # What must be awaited is built first, each by its own recipe (a
        # transient per service that needs it, as the synchronous path does),
        # and handed to the call through `local`.
        for _, _, how, t in plan._spec(i):
            for p in (t,) if how == _ONE else t if how == _MANY else ():
                if p >= plan.singletons and p not in local and plan._needs_await[p] and \
                        (self.scoped is None or p not in self.scoped):
                    local[p] = await self._arecipe(p)
        if kind not in _ASYNC_KINDS:
            return self._make(i, local, teardowns)
        pos, kw = self._call_args(i, local) if plan._spec(i) else ([], {})
        obj = plan._factories[i](*pos, **kw)
        if kind == ASYNC:
            return await obj
        if kind == AGEN:
            try:
                inst = await obj.__anext__()
            except StopAsyncIteration:
                raise RuntimeError(f"async generator provider {_q(plan.ids[i])} did not yield") from None
        else:
            inst = await obj.__aenter__()
        teardowns.append((i, kind, obj))
        return inst

    def _recipe(self, target: int) -> Any:
        """Builds one scoped or transient instance by its recipe, dependencies
        first (a loop: the core ordered it), where no other thread builds
        (App's and Scope's own)."""
        raise NotImplementedError  # pragma: no cover

    def _build(self, target: int) -> Any:
        """`_recipe`'s loop, run where no other thread builds."""
        plan = self.plan
        local: dict[int, Any] = {}
        teardowns = self.teardowns
        if type(teardowns) is not list:  # a scope's first build
            teardowns = self._teardown_list()
        for j in plan._recipes.get(target) or (target,):
            scoped = plan._lifetimes[j] == _SCOPED
            if scoped:
                if self.scoped is None:
                    raise LookupError(f"{_q(plan.ids[j])} is scoped: get it inside a scope (`with app.scope() as scope: ...`)")
                if j in self.scoped:
                    continue
            obj = self._make(j, local, teardowns)
            if scoped and self.scoped is not None:
                self.scoped[j] = obj
            else:
                local[j] = obj
        if self.scoped is not None and target in self.scoped:
            return self.scoped[target]
        return local[target]

    async def _arecipe(self, target: int) -> Any:
        """`_recipe`'s async twin: one instance of `target`, dependencies first."""
        plan = self.plan
        local: dict[int, Any] = {}
        for j in plan._recipes.get(target) or (target,):
            scoped = plan._lifetimes[j] == _SCOPED
            if scoped:
                if self.scoped is None:
                    raise LookupError(f"{_q(plan.ids[j])} is scoped: get it inside a scope (`async with app.scope() as scope: ...`)")
                if j in self.scoped:
                    continue
                if plan._needs_await[j]:
                    await self._shared_build(j, local)
                    continue
            obj = await self._amake(j, local, self._teardown_list())
            if scoped and self.scoped is not None:
                self.scoped[j] = obj
            else:
                local[j] = obj
        if self.scoped is not None and target in self.scoped:
            return self.scoped[target]
        return local[target]

    async def _shared_build(self, j: int, local: dict[int, Any]) -> None:
        """Builds scoped service `j` into this scope once, however many gets
        ask for it at the same time: the first builds, the others wait for
        its result (``shield``: a waiter's cancellation leaves the build
        alone). A failed build fails every waiter and is not kept, so the
        next get builds again; a cancelled builder hands the build to the
        next waiter."""
        import asyncio  # imported here: `import wireplan` stays cheap

        scoped: dict[int, Any] = self.scoped  # type: ignore[assignment] # a scope's
        inflight: dict[int, Any] | None = getattr(self, "_inflight", None)  # a scope's, unset until made
        if inflight is None:
            with self._sync():  # made once, whatever threads ask
                inflight = getattr(self, "_inflight", None)
                if inflight is None:
                    inflight = {}
                    setattr(self, "_inflight", inflight)  # noqa: B010
        while j not in scoped:
            fut = inflight.get(j)
            if fut is None:
                break
            await asyncio.shield(fut)  # raises the build's error
        else:
            return
        fut = inflight[j] = asyncio.get_running_loop().create_future()
        try:
            obj = await self._amake(j, local, self._teardown_list())
        except Exception as e:
            fut.set_exception(e)
            fut.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        except BaseException:
            fut.set_result(_UNSET)  # cancelled: a waiter loops and builds it
            raise
        finally:
            del inflight[j]
        scoped[j] = obj
        fut.set_result(obj)

    # ---- public lookups ------------------------------------------------------

    if TYPE_CHECKING:  # typing.overload at run time would import typing
        @overload
        def get(self, key: type[T]) -> T: ...
        @overload
        def get(self, key: Any) -> Any: ...

    def get(self, key: Any) -> Any:
        """The instance for `key`: a class, ``Annotated[T, "name"]`` or a key
        string. Singletons are shared; scoped ones are shared within a scope;
        transient ones are new on every call. Thread-safe.

        Raises ``AmbiguousKeyError`` (naming the providers) when several
        services provide `key`: use :meth:`get_all` or :meth:`get_by_id`;
        ``NotPlannedError`` when its provider is registered but not in the
        plan; ``UnknownKeyError`` (naming the closest keys) otherwise."""
        plan = self.plan
        # The common cases first, inline: a class (found by the class object
        # itself after its first lookup, no key text to build), naming one
        # started singleton, or a scoped or transient service whose
        # dependencies are all started singletons.
        found = plan._by_type.get(key) if type(key) is type else None
        if found is None:
            # key_of(key), inline for a plain class (the first get of each).
            found = plan._by_key.get(f"{key.__module__}.{key.__qualname__}" if type(key) is type else key_of(key))
            if type(found) is int:
                # Only a class the plan already holds (its own factory) is
                # kept as a key: the cache keeps no other class alive. A
                # service of one singleton is kept as its quick call.
                keep = plan._factories[found] is key
                found = plan._one.get(found, found)
                if keep:
                    plan._by_type[key] = found
        if type(found) is int:
            if found < plan.singletons:
                v = self._inst[found]
                if v is not _UNSET:
                    return v
            else:
                quick = plan._fast[found]
                if quick is not None:
                    v = self._quick(found, quick)
                    if v is not _UNSET:
                        return v
        elif type(found) is tuple:
            # The usual request: a scoped (or transient) service of one
            # started singleton, passed by position (else the general path
            # says why not).
            i, f, dep, is_scoped = found
            arg = self._inst[dep]
            if arg is not _UNSET:
                if not is_scoped:
                    return f(arg)  # a transient of one singleton
                scoped = self.scoped
                if scoped is not None:
                    v = scoped.get(i, _UNSET)
                    if v is not _UNSET:
                        return v
                    # One instance per scope, whatever threads ask. The
                    # thread that opened the scope builds without a lock
                    # while no other thread has used the scope (see Scope).
                    if self.lock is None and self._owner == get_ident():
                        busy = self._busy
                        try:  # marked inside: whatever interrupts, `finally` unmarks
                            self._busy = True  # type: ignore[misc] # a scope's field
                            if self.lock is None:  # still unshared, now that we are marked
                                v = scoped[i] = f(arg)
                                return v
                        finally:
                            self._busy = busy  # type: ignore[misc]
                    # acquire/release: half what `with` costs.
                    lock = self._sync()
                    lock.acquire()
                    try:
                        v = scoped.get(i, _UNSET)
                        if v is _UNSET:
                            v = scoped[i] = f(arg)
                        return v
                    finally:
                        lock.release()
        return self._get_index(plan._index(key))

    def _quick(self, i: int, quick: tuple[Any, list[int], tuple[str, ...] | None]) -> Any:
        """A scoped or transient service whose dependencies are all
        singletons, built straight from their instances; ``_UNSET`` when one
        is not started (or a scoped one is asked outside a scope): the
        general path then says why."""
        inst = self._inst
        f, deps, names = quick
        args = [inst[p] for p in deps]
        for a in args:  # `is`, not `in`: an instance's own __eq__ must not run
            if a is _UNSET:
                return _UNSET
        scoped = self.scoped
        if self.plan._lifetimes[i] == _SCOPED:
            if scoped is None:
                return _UNSET
            v = scoped.get(i, _UNSET)
            if v is not _UNSET:
                return v
            # One instance per scope, whatever threads ask (see Scope).
            if self.lock is None and self._owner == get_ident():
                busy = self._busy
                try:  # marked inside: whatever interrupts, `finally` unmarks
                    self._busy = True  # type: ignore[misc] # a scope's field
                    if self.lock is None:  # still unshared, now that we are marked
                        v = scoped[i] = f(*args) if names is None else f(**dict(zip(names, args)))
                        return v
                finally:
                    self._busy = busy  # type: ignore[misc]
            with self._sync():
                v = scoped.get(i, _UNSET)
                if v is _UNSET:
                    v = scoped[i] = f(*args) if names is None else f(**dict(zip(names, args)))
                return v
        return f(*args) if names is None else f(**dict(zip(names, args)))

    def _get_index(self, i: int) -> Any:
        if i < self.plan.singletons:
            return self._value(i, {})
        if self.plan._needs_await[i]:
            raise TypeError(f"{_q(self.plan.ids[i])} has an async factory: use `await aget(...)`")
        if self.scoped is not None and self.plan._lifetimes[i] == _SCOPED:
            v = self.scoped.get(i, _UNSET)
            if v is not _UNSET:
                return v
        return self._recipe(i)

    def get_all(self, key: Any) -> list[Any]:
        """Every instance provided under `key`, in declaration order (none
        for a key nobody registered, unless it looks like a typo of one)."""
        return [self._get_index(i) for i in self.plan._indices(key)]

    def get_by_id(self, id: str) -> Any:
        """The instance of the service with id `id` (``UnknownIdError`` or
        ``NotPlannedError`` when the plan has none)."""
        return self._get_index(self.plan._index_of_id(id))

    async def aget_all(self, key: Any) -> list[Any]:
        """As :meth:`get_all`, awaiting async factories (one after another)."""
        return [await self._aget_index(i) for i in self.plan._indices(key)]

    async def aget_by_id(self, id: str) -> Any:
        """As :meth:`get_by_id`, awaiting async factories."""
        return await self._aget_index(self.plan._index_of_id(id))

    if TYPE_CHECKING:
        @overload
        async def aget(self, key: type[T]) -> T: ...
        @overload
        async def aget(self, key: Any) -> Any: ...

    async def aget(self, key: Any) -> Any:
        """As :meth:`get`, awaiting async factories. Concurrent ``aget``s in
        one scope build each scoped service once."""
        return await self._aget_index(self.plan._index(key))

    async def _aget_index(self, i: int) -> Any:
        if i < self.plan.singletons or not self.plan._needs_await[i]:
            return self._get_index(i)
        if self.scoped is not None and i in self.scoped:
            return self.scoped[i]
        return await self._arecipe(i)


class App(_Builder):
    """A started application: its singletons, ready for ``get``."""

    lock: RLock

    def _sync(self) -> RLock:
        return self.lock

    def _recipe(self, target: int) -> Any:
        with self.lock:
            return self._build(target)

    @property
    def app(self) -> App:  # type: ignore[override]
        # Not an attribute: `self.app = self` would be a reference cycle,
        # leaving every stopped app (its plan, its instances) to the cyclic
        # GC instead of freeing it when the last reference goes.
        return self

    def __init__(self, plan: Plan, *, start_timeout: float | None = None, stop_timeout: float | None = None,
                 on_event: Callable[[dict[str, Any]], Any] | None = None) -> None:
        if plan._overridden is not None:  # started while test overrides are active: with the fakes, for life
            plan = plan._overridden
        self.plan = plan
        self.scoped = None
        self.teardowns = []
        self.lock = RLock()
        self._inst: list[Any] = [_UNSET] * len(plan.ids)
        self._durations: list[float] = [0.0] * plan.singletons
        # When each singleton's factory was called (perf_counter; -1: never),
        # from `_begin`, and how the ones that did not simply start ended:
        # the start-up record of `timeline()`.
        self._starts: list[float] = [-1.0] * plan.singletons
        self._outcomes: dict[int, str] = {}
        self._begin = 0.0
        self._running = False
        self._settling: set[Any] = set()
        self._start_timeout = _timeout("start_timeout", start_timeout)
        self._stop_timeout = _timeout("stop_timeout", stop_timeout)
        # Hooks a factory appended to its Lifecycle, by service:
        # (on_start, on_stop, async start?, async stop?).
        self._appended: dict[int, list[tuple[Any, Any, bool, bool]]] = {}
        # Stop hooks due, in the order their start hooks ran (each runs only
        # if its start did): (service, hook, its argument or _UNSET, async?).
        self._stops: list[tuple[int, Any, Any, bool]] = []
        self._building = False
        #: "new", "starting", "started", "stopping", "stopped".
        self._state = "new"
        if on_event is not None and not callable(on_event):
            raise TypeError(f"on_event must be a callable taking an event dict, not {type(on_event).__name__}")
        self._on_event = on_event
        # Where events go (None: nowhere but failures, to the log) and the
        # singletons in order of readiness (kept only when events go somewhere).
        self._emit: Callable[[dict[str, Any]], Any] | None = None
        self._ready: list[int] | None = None
        self._reload_at = -1  # the service a reload is building (its failure's name)
        self._gone: list[Any] = []  # teardowns of services a reload's new plan lacks

    # ---- events ------------------------------------------------------------

    def _open_events(self) -> None:
        """Decides where this start's events go: `on_event`, else the
        ``wireplan`` logger when it is enabled for DEBUG (asked once: a
        disabled logger costs the start nothing), else nowhere (failures
        still go to the logger, at ERROR)."""
        emit = self._on_event
        if emit is None:
            from ._events import log_adapter

            emit = log_adapter()
        self._emit = emit
        self._ready = [] if emit is not None else None

    def _event(self, type: str, i: int | None = None, duration: float | None = None, phase: str | None = None,
               error: BaseException | None = None) -> None:
        """Sends one event (the contract's shape) where events go; failures
        also when they go nowhere else (to the log, at ERROR)."""
        emit = self._emit
        if emit is None:
            if type != "failed":
                return
            from ._events import log_failure

            emit = log_failure
        event = {"type": type, "id": None if i is None else self.plan.ids[i], "phase": phase,
                 "at_us": max(0, round((perf_counter() - self._begin) * 1e6)),
                 "duration_us": None if duration is None else max(0, round(duration * 1e6)),
                 "error": None if error is None else f"{type_name(error)}: {error}"}
        try:
            result = emit(event)
            if result is not None:
                _not_awaitable(result, "on_event is called synchronously: give a plain function (an async one's "
                                       "coroutine would never run)")
        except Exception as e:  # noqa: BLE001 - a broken subscriber must not break the app
            import warnings

            warnings.warn(f"wireplan: the on_event callback raised {type_name(e)}: {e}", RuntimeWarning, stacklevel=2)

    def _stop_events(self) -> tuple[Callable[[int, float, BaseException | None], None] | None, Callable[[], None]]:
        """For a stop that sends events: what each teardown reports (`done`)
        and what reports the singletons left with nothing to tear down
        (`finish`); each singleton gets one ``stopped`` (or ``failed``), in
        the reverse of readiness."""
        ready = self._ready
        if self._emit is None or ready is None:
            return None, _nothing
        order = ready[::-1]
        where = dict(zip(order, range(len(order))))
        ready.clear()
        pos = 0
        ns = self.plan.singletons

        def done(i: int, took: float, error: BaseException | None) -> None:
            nonlocal pos
            k = where.get(i, -1) if i < ns else -1
            if k >= pos:
                while pos < k:  # the ones before it had nothing to tear down
                    self._event("stopped", order[pos], 0.0)
                    pos += 1
                pos += 1
                if error is None:
                    self._event("stopped", i, took)
            if error is not None:
                self._event("failed", i, phase="teardown", error=error)

        def finish() -> None:
            nonlocal pos
            while pos < len(order):
                self._event("stopped", order[pos], 0.0)
                pos += 1

        return done, finish

    # ---- lifecycle ---------------------------------------------------------

    def _lifecycle_of(self, i: int) -> Lifecycle:
        """The Lifecycle handed to factory `i` (a singleton's only)."""
        plan = self.plan
        if i >= plan.singletons:
            raise TypeError(f"{_q(plan.ids[i])} is {plan._lifetimes[i]}: only a singleton's factory takes a "
                            "`wireplan.Lifecycle` (its hooks run when the app starts and stops)")
        return Lifecycle(self, i, plan.ids[i])

    def _append_hook(self, i: int, id: str, on_start: Any, on_stop: Any) -> None:
        if not self._building:
            raise RuntimeError(f"the lifecycle of {_q(id)} takes hooks while the app builds it (in its factory), "
                               "not once the app is started")
        self._appended.setdefault(i, []).append(
            (on_start, on_stop, on_start is not None and is_async_callable(on_start),
             on_stop is not None and is_async_callable(on_stop)))

    def _start_limit(self, i: int) -> float | None:
        return _limit_of(self.plan._start_limits, i, self._start_timeout)

    def _steps(self, i: int) -> list[tuple[Any, Any, Any, bool, bool]] | None:
        """Service `i`'s start phase: (start hook or invoked function, its
        argument, stop hook, async stop?, invoke?) in order; ``None`` for
        none."""
        hooks = self.plan._hooks
        h = hooks[i] if hooks is not None else None
        more = self._appended.get(i)
        if h is None and more is None:
            return None
        steps: list[tuple[Any, Any, Any, bool, bool]] = []
        if h is not None:
            if h.invoke:
                steps.append((self.plan._invokes[i], self._inst[i], None, False, True))
            elif h.on_start is not None or h.on_stop is not None:
                steps.append((h.on_start, self._inst[i], h.on_stop, h.async_stop, False))
        for on_start, on_stop, _, async_stop in more or ():
            steps.append((on_start, _UNSET, on_stop, async_stop, False))
        return steps or None

    def _start_hooks(self) -> None:
        """The start phase of a synchronous start: every service's start
        hooks (and invoked functions) in plan order, after every singleton
        is built. A failure stops what started, tears everything down and
        raises :class:`StartError` (``phase`` ``start-hook`` or ``invoke``)."""
        plan = self.plan
        emit = self._emit is not None
        # Without events, only the services with hooks are visited.
        order: Any = range(plan.singletons) if emit else (
            sorted({*plan._hooked, *self._appended}) if self._appended else plan._hooked)
        for i in order:
            steps = self._steps(i)
            if steps is None:
                if emit:
                    self._event("started", i)
                continue
            t0 = perf_counter()
            try:
                self._run_steps(i, steps)
            except Exception as e:
                raise self._fail(i, e, "invoke" if steps[0][4] else "start-hook") from e
            except BaseException as e:
                errors = self._run_stops()
                self._interrupted(e, errors + _rollback_errors(self.teardowns, plan, self._stop_timeout, e, plan._stop_limits))
                raise
            if emit:
                if any(step[0] is not None for step in steps):
                    self._event("start-hook", i, perf_counter() - t0)
                self._event("started", i)

    def _run_steps(self, i: int, steps: list[tuple[Any, Any, Any, bool, bool]],
                   stops: list[tuple[int, Any, Any, bool]] | None = None) -> None:
        plan = self.plan
        if stops is None:
            stops = self._stops
        limit = self._start_limit(i)
        for fn, arg, on_stop, async_stop, invoke in steps:
            if fn is not None:
                t0 = perf_counter()
                result = fn(*arg[0], **arg[1]) if invoke else fn() if arg is _UNSET else fn(arg)
                _not_awaitable(result, f"the {'invoked function' if invoke else 'start hook'} of {_q(plan.ids[i])} is async: "
                                       "start the app with `start_async()`")
                if invoke:
                    self._inst[i] = result
                took = perf_counter() - t0
                if limit is not None and took > limit:
                    # The hook did its work, only late: its stop hook is due.
                    if on_stop is not None:
                        stops.append((i, on_stop, arg, async_stop))
                    raise _late_start(plan, i, limit, took)
            if on_stop is not None:
                stops.append((i, on_stop, arg, async_stop))

    async def _arun_steps(self, i: int, steps: list[tuple[Any, Any, Any, bool, bool]],
                          stops: list[tuple[int, Any, Any, bool]]) -> float:
        """As :meth:`_run_steps`, awaiting async hooks (each cancelled after
        the service's start timeout); stop hooks due go to `stops`. Returns
        the seconds taken."""
        plan = self.plan
        limit = self._start_limit(i)
        begin = perf_counter()
        for fn, arg, on_stop, async_stop, invoke in steps:
            if fn is not None:
                t0 = perf_counter()
                result = fn(*arg[0], **arg[1]) if invoke else fn() if arg is _UNSET else fn(arg)
                if hasattr(type(result), "__await__"):
                    if limit is None:
                        result = await result
                    else:
                        result = await _within(result, limit, lambda: _late_start(plan, i, limit, None))
                if invoke:
                    self._inst[i] = result
                took = perf_counter() - t0
                if limit is not None and took > limit:
                    # The hook did its work, only late: its stop hook is due.
                    if on_stop is not None:
                        stops.append((i, on_stop, arg, async_stop))
                    raise _late_start(plan, i, limit, took)
            if on_stop is not None:
                stops.append((i, on_stop, arg, async_stop))
        return perf_counter() - begin

    async def _astart_hooks(self) -> tuple[int, BaseException, str] | None:
        """The start phase of ``start_async``: layer by layer; in a layer,
        the services whose hooks are all synchronous first (plan order),
        then the others concurrently. Returns the first failure (service,
        cause, phase) after cancelling the layer's hooks still running;
        every stop hook due is in `_stops`."""
        import asyncio

        plan = self.plan
        emit = self._emit is not None
        for layer in plan.layers:
            concurrent: list[tuple[int, list[tuple[Any, Any, Any, bool, bool]]]] = []
            for i in layer:
                steps = self._steps(i)
                if steps is None:
                    if emit:
                        self._event("started", i)
                    continue
                concurrent.append((i, steps))
            if not concurrent:
                continue
            if len(concurrent) == 1:
                # One service with hooks in this layer: run in this task.
                i, steps = concurrent[0]
                try:
                    took = await self._arun_steps(i, steps, self._stops)
                except Exception as e:
                    return i, e, "invoke" if steps[0][4] else "start-hook"
                if emit:
                    if any(step[0] is not None for step in steps):
                        self._event("start-hook", i, took)
                    self._event("started", i)
                continue
            # Tasks made in plan order, so the hooks are called in plan order
            # (a synchronous one runs whole when its task first runs).
            owns: dict[int, list[tuple[int, Any, Any, bool]]] = {i: [] for i, _ in concurrent}
            tasks = {asyncio.ensure_future(self._arun_steps(i, steps, owns[i])): (i, steps) for i, steps in concurrent}
            pending = set(tasks)
            failed: tuple[int, BaseException, str] | None = None
            try:
                while pending and failed is None:
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    for t in sorted(done, key=lambda t: tasks[t][0]):
                        i, steps = tasks[t]
                        self._stops.extend(owns.pop(i))
                        err: BaseException | None = (asyncio.CancelledError(f"the start hook of {_q(plan.ids[i])} was cancelled")
                                                     if t.cancelled() else t.exception())
                        if err is not None:
                            if not isinstance(err, Exception):
                                raise err
                            if failed is None:
                                failed = (i, err, "invoke" if steps[0][4] else "start-hook")
                            continue
                        if emit:
                            if any(step[0] is not None for step in steps):
                                self._event("start-hook", i, t.result())
                            self._event("started", i)
            finally:
                # Fail fast, as factories do (promise 5): the layer's other
                # hooks are cancelled and get one turn of the loop; the stop
                # hooks of what got through are due; a hook that ignores its
                # cancellation is abandoned (its error, if any, is dropped).
                for t in pending:
                    t.cancel()
                if pending:
                    await asyncio.sleep(0)
                    for t in sorted(pending, key=lambda t: tasks[t][0]):
                        self._stops.extend(owns.pop(tasks[t][0], ()))
                        if not t.done():
                            t.add_done_callback(_drop_outcome)
                # Left by an interruption (KeyboardInterrupt, SystemExit)
                # raised mid-batch: the stop hooks of hooks that finished.
                for i in sorted(owns):
                    self._stops.extend(owns.pop(i))
            if failed is not None:
                return failed
        return None

    def _run_stops(self) -> list[BaseException]:
        """Runs every stop hook due, newest first (each within its service's
        stop timeout, measured); returns the errors."""
        plan = self.plan
        stops = self._stops
        errors: list[BaseException] = []
        while stops:
            i, fn, arg, _ = stops.pop()
            limit = _limit_of(plan._stop_limits, i, self._stop_timeout)
            t0 = perf_counter()
            try:
                result = fn() if arg is _UNSET else fn(arg)
                _not_awaitable(result, f"the stop hook of {_q(plan.ids[i])} is async: stop the app with `await app.astop()`")
            except BaseException as e:  # noqa: BLE001 - every stop hook error is collected; the rest still run
                _note(e, plan, i)
                errors.append(e)
                self._event("failed", i, phase="stop-hook", error=e)
                continue
            took = perf_counter() - t0
            if limit is not None and took > limit:
                late = _late_stop(plan, i, limit, took)
                _note(late, plan, i)
                errors.append(late)
                self._event("failed", i, phase="stop-hook", error=late)
            elif self._emit is not None:
                self._event("stop-hook", i, took)
        return errors

    async def _arun_stops(self) -> list[BaseException]:
        """As :meth:`_run_stops`, awaiting async stop hooks (each cancelled
        after its service's stop timeout)."""
        plan = self.plan
        stops = self._stops
        errors: list[BaseException] = []
        while stops:
            i, fn, arg, _ = stops.pop()
            limit = _limit_of(plan._stop_limits, i, self._stop_timeout)
            t0 = perf_counter()
            try:
                result = fn() if arg is _UNSET else fn(arg)
                if hasattr(type(result), "__await__"):
                    if limit is None:
                        await result
                    else:
                        await _within(result, limit, lambda: _late_stop(plan, i, limit, None))
                took = perf_counter() - t0
                if limit is not None and took > limit:
                    raise _late_stop(plan, i, limit, took)
            except BaseException as e:  # noqa: BLE001 - every stop hook error is collected (a cancellation too)
                _note(e, plan, i)
                errors.append(e)
                self._event("failed", i, phase="stop-hook", error=e)
                continue
            if self._emit is not None:
                self._event("stop-hook", i, took)
        return errors

    def _clear(self) -> None:
        """Forgets every instance (in place: scopes hold the same list)."""
        self._inst[:] = [_UNSET] * len(self.plan.ids)

    # ---- start -------------------------------------------------------------

    def _fail(self, i: int, cause: BaseException, phase: str = "construct") -> StartError:
        self._event("failed", i, phase=phase, error=cause)  # first: then the rollback's events
        errors = self._run_stops()
        done, finish = self._stop_events()
        errors += _rollback_errors(self.teardowns, self.plan, self._stop_timeout, cause, self.plan._stop_limits, done)
        finish()
        return self._failed_with(errors, i, cause, phase)

    def _failed_with(self, errors: list[BaseException], i: int, cause: BaseException, phase: str) -> StartError:
        self._clear()
        self._state = "stopped"
        self._running = False
        group = _group("errors while rolling back start-up", errors) if errors else None
        err = StartError(self.plan.ids[i], self.plan.source(i), cause, group)
        err.phase = phase
        if phase != "construct":
            _add_note(err, f"in the {'invoked function' if phase == 'invoke' else 'start hook'} of {_q(self.plan.ids[i])}")
        return self._failed(err, i, cause)

    def _failed(self, err: StartError, i: int, cause: BaseException) -> StartError:
        """`err`, with the start-up record up to the failure of `i`."""
        if err.phase == "construct":
            self._outcomes.setdefault(i, "timed-out" if isinstance(cause, TimeoutError) and getattr(cause, "_wireplan_late", False) else "failed")
            if self._starts[i] >= 0 and self._durations[i] == 0.0:
                self._durations[i] = perf_counter() - self._starts[i]
        err.timeline = self.timeline()
        return err

    def _interrupted(self, e: BaseException, errors: list[BaseException]) -> None:
        """After a KeyboardInterrupt, a cancellation or SystemExit during
        start-up has been rolled back: notes on `e` for the teardown errors
        met (none is swallowed), before `e` goes on."""
        self._clear()
        self._state = "stopped"
        _note_teardown_errors(e, errors, "rolling back start-up")

    def _refuse_async(self) -> None:
        """A synchronous start of a plan with async factories (or async start
        hooks): refused before anything starts, naming them (the core's
        words for factories)."""
        plan = self.plan
        if plan._hooked:
            hooked = [plan.ids[i] for i in plan._hooked if plan._hooks[i].async_start]  # type: ignore[index, union-attr]
            if hooked:
                listed = " and ".join(_q(x) for x in hooked[:2]) + (f" and {len(hooked) - 2} more" if len(hooked) > 2 else "")
                raise TypeError(f"cannot start synchronously: {listed} {'has an async start hook' if len(hooked) == 1 else 'have async start hooks'}; "
                                "start with `start_async()`")
        if not plan._async_start:
            return
        kinds, needs, ns = plan._kinds, plan._needs_await, plan.singletons
        names: dict[int, None] = {}
        for i in range(ns):
            if not needs[i]:
                continue
            if kinds[i] in _ASYNC_KINDS:
                names[i] = None
                continue
            for _, _, how, t in plan._spec(i):  # through a transient built for it
                for p in (t,) if how == _ONE else t if how == _MANY else ():
                    if p >= ns and needs[p]:
                        names.update((j, None) for j in plan._recipes.get(p) or (p,) if kinds[j] in _ASYNC_KINDS)
        if not names:  # pragma: no cover - every awaited singleton has an async factory in reach
            names = dict.fromkeys(i for i in range(ns) if needs[i])
        raise TypeError(_core.async_in_sync_start([plan.ids[i] for i in names], "start_async()"))

    def _start(self) -> None:
        self._refuse_async()
        self._state = "starting"
        self._open_events()
        # The loop makes an object or more per service, all of which live
        # on: the cyclic GC would scan the whole plan again and again (a full
        # collection during a 100,000-service start costs more than the
        # starts). Off for the loop only, then as it was.
        enabled = gc.isenabled()
        if enabled:
            gc.disable()
        self._building = True
        try:
            try:
                if self._emit is None:
                    self._start_loop()
                else:
                    self._start_loop_events()
            finally:
                self._building = False
            # The start phase too: the collection the build put off would
            # otherwise fall on its first allocation.
            if self._emit is not None or self.plan._hooks is not None or self._appended:
                self._start_hooks()
        finally:
            if enabled:
                gc.enable()
        self._running = True
        self._state = "started"
        if self._emit is not None:
            self._event("app-started", None, perf_counter() - self._begin)

    def _start_loop(self) -> None:
        plan = self.plan
        inst = self._inst
        durations = self._durations
        teardowns = self.teardowns
        # A singleton's arguments are read from `_inst`; transients it needs
        # are built by their own recipes, so its `local` stays empty.
        local: dict[int, Any] = {}
        make = self._make
        calls = plan._calls
        factories = plan._factories
        plain, starts_ = plan._plain, plan._plain_start
        metas, names = plan._metas, plan._names
        getitem = inst.__getitem__
        limit = _INF if self._start_timeout is None else self._start_timeout
        if plan._start_limits:  # the smallest limit: one comparison per service, the exact one when over it
            limit = min(limit, *plan._start_limits.values())
        # INVARIANT: singletons are numbered in start-up order, so every
        # non-lazy dependency of `i` is made before `i`.
        starts = self._starts
        before = self._begin = perf_counter()
        for i in range(plan.singletons):
            starts[i] = before
            try:
                call = calls[i]
                if call == 1:
                    inst[i] = factories[i](*map(getitem, plain[starts_[i]:starts_[i + 1]]))
                elif call == 0:
                    inst[i] = make(i, local, teardowns)
                else:
                    inst[i] = factories[i](**dict(zip(names[metas[i]], map(getitem, plain[starts_[i]:starts_[i + 1]]))))
            except Exception as e:
                raise self._fail(i, e) from e
            except BaseException as e:
                # KeyboardInterrupt, SystemExit: stop what started, then let it through.
                self._interrupted(e, _rollback_errors(teardowns, plan, self._stop_timeout, e, plan._stop_limits))
                raise
            now = perf_counter()
            took = durations[i] = now - before
            before = now
            if took > limit:
                # Measured after the fact: a blocking call cannot be interrupted.
                own = self._start_limit(i)
                if own is not None and took > own:
                    late = _late_start(plan, i, own, took)
                    raise self._fail(i, late) from late

    def _start_loop_events(self) -> None:
        """The start loop of an app whose events go somewhere: each factory
        between a ``constructing`` and a ``constructed`` event."""
        plan = self.plan
        inst = self._inst
        teardowns = self.teardowns
        ready: list[int] = self._ready  # type: ignore[assignment] # events: a list
        starts = self._starts
        self._begin = perf_counter()
        for i in range(plan.singletons):
            self._event("constructing", i)
            t0 = starts[i] = perf_counter()
            try:
                inst[i] = self._make(i, {}, teardowns)
            except Exception as e:
                raise self._fail(i, e) from e
            except BaseException as e:
                self._interrupted(e, _rollback_errors(teardowns, plan, self._stop_timeout, e, plan._stop_limits))
                raise
            took = self._durations[i] = perf_counter() - t0
            limit = self._start_limit(i)
            if limit is not None and took > limit:
                late = _late_start(plan, i, limit, took)
                raise self._fail(i, late) from late
            ready.append(i)
            self._event("constructed", i, took)

    async def _astart(self) -> None:
        self._state = "starting"
        self._open_events()
        self._building = True
        try:
            failure = await self._astart_layers()
        except BaseException as e:
            # A cancellation (task.cancel(), Ctrl-C under asyncio.run),
            # KeyboardInterrupt or SystemExit: stop everything started so
            # far, in reverse, then let it through.
            self._interrupted(e, await _arollback_errors(self.teardowns, self.plan, self._stop_timeout, e, self.plan._stop_limits))
            raise
        finally:
            self._building = False
        if failure is not None:
            i, cause, others, abandoned = failure
            err = await self._afail(i, cause)
            for j, other in others:
                _add_note(err, f"{_q(self.plan.ids[j])} failed too: {type(other).__name__}: {_core.escape(str(other))}")
            if abandoned:
                err.abandoned = tuple(self.plan.ids[j] for j, _ in abandoned)
                err._settled = self._tear_down_when_settled(abandoned, cause)
            raise err from cause
        if self._emit is not None or self.plan._hooks is not None or self._appended:
            try:
                hook_failure = await self._astart_hooks()
            except BaseException as e:
                errors = await self._arun_stops()
                self._interrupted(e, errors + await _arollback_errors(self.teardowns, self.plan, self._stop_timeout, e,
                                                                       self.plan._stop_limits))
                raise
            if hook_failure is not None:
                i, cause, phase = hook_failure
                raise await self._afail(i, cause, phase) from cause
        self._running = True
        self._state = "started"
        if self._emit is not None:
            self._event("app-started", None, perf_counter() - self._begin)

    async def _astart_layers(self) -> tuple[int, BaseException, list[tuple[int, BaseException]], list[tuple[int, Any]]] | None:
        """Starts layer after layer; returns the first failure (service,
        cause, the layer's other failures, the abandoned factories' tasks)
        without rolling back.

        Fail fast: the first failure cancels the layer's factories still in
        flight, lets them react once (a factory that honours cancellation is
        done by then), and returns at once; one still running is abandoned
        (see :meth:`_tear_down_when_settled`).
        """
        plan = self.plan
        inst = self._inst
        durations = self._durations
        needs = plan._needs_await
        ready = self._ready
        self._begin = perf_counter()
        for layer in plan.layers:
            waiting: list[int] = []
            for i in layer:
                if needs[i]:
                    waiting.append(i)
                    continue
                if ready is not None:
                    self._event("constructing", i)
                t0 = self._starts[i] = perf_counter()
                try:
                    inst[i] = self._make(i, {}, self.teardowns)
                except Exception as e:
                    return i, e, [], []
                took = durations[i] = perf_counter() - t0
                limit = self._start_limit(i)
                if limit is not None and took > limit:
                    return i, _late_start(plan, i, limit, took), [], []
                if ready is not None:
                    ready.append(i)
                    self._event("constructed", i, took)
            if not waiting:
                continue
            if len(waiting) == 1:
                # One factory: awaited in this task (no task to make).
                i = waiting[0]
                own: list[Any] = []
                try:
                    inst[i], took = await self._timed(i, own)
                except Exception as e:
                    return i, e, [], []
                finally:
                    self.teardowns.extend(own)  # INVARIANT: teardowns in order of readiness
                durations[i] = took
                limit = self._start_limit(i)
                if limit is not None and took > limit:
                    return i, _late_start(plan, i, limit, took), [], []
                if ready is not None:
                    ready.append(i)
                    self._event("constructed", i, took)
                continue
            failure = await self._astart_layer(waiting)
            if failure is not None:
                return failure
        return None

    async def _astart_layer(self, waiting: list[int]
                            ) -> tuple[int, BaseException, list[tuple[int, BaseException]], list[tuple[int, Any]]] | None:
        """Runs the async factories of one layer as tasks (created in plan
        order, so called in plan order) until all are ready or one fails."""
        import asyncio  # imported here: `import wireplan` stays cheap

        plan = self.plan
        owns: dict[int, list[Any]] = {i: [] for i in waiting}
        tasks = {asyncio.ensure_future(self._timed(i, owns[i])): i for i in waiting}
        pending = set(tasks)
        failed: list[tuple[int, BaseException]] = []
        try:
            while pending and not failed:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                # Tasks done in the same turn, in plan order: their readiness order.
                for t in sorted(done, key=tasks.__getitem__):
                    i = tasks[t]
                    if t.cancelled():
                        failed.append((i, asyncio.CancelledError(f"{_q(plan.ids[i])} was cancelled")))
                        continue
                    e = t.exception()
                    if e is not None:
                        if not isinstance(e, Exception):
                            raise e  # a factory's own KeyboardInterrupt or SystemExit
                        failed.append((i, e))
                        continue
                    self.teardowns.extend(owns[i])
                    self._inst[i], took = t.result()
                    self._durations[i] = took
                    limit = self._start_limit(i)
                    if limit is not None and took > limit:
                        failed.append((i, _late_start(plan, i, limit, took)))
                    elif self._ready is not None:
                        self._ready.append(i)
                        self._event("constructed", i, took)
        except BaseException as e:
            # This start is cancelled (or a factory raised KeyboardInterrupt):
            # what is still running is cancelled and left behind; the caller
            # rolls back what is ready.
            left = await self._cancel(pending, tasks, owns)
            if left:
                self._tear_down_when_settled(left, e)
            raise
        if not failed:
            return None
        abandoned = await self._cancel(pending, tasks, owns)
        first, cause = failed[0]
        return first, cause, failed[1:], abandoned

    async def _cancel(self, pending: set[Any], tasks: dict[Any, int], owns: dict[int, list[Any]]) -> list[tuple[int, Any]]:
        """Cancels the `pending` factory tasks in plan order and lets each
        react once; returns the ones still running (abandoned). One that
        finished anyway is ready: its teardown joins the rollback."""
        import asyncio

        if not pending:
            return []
        order = sorted(pending, key=tasks.__getitem__)
        now = perf_counter()
        for t in order:
            i = tasks[t]
            self._outcomes[i] = "cancelled"
            if self._starts[i] >= 0:
                self._durations[i] = now - self._starts[i]
            t.cancel()
        await asyncio.sleep(0)  # one turn: each cancelled factory sees its CancelledError
        abandoned: list[tuple[int, Any]] = []
        for t in order:
            i = tasks[t]
            if not t.done():
                abandoned.append((i, t))
            elif not t.cancelled() and t.exception() is None:
                self.teardowns.extend(owns[i])
                self._inst[i] = t.result()[0]
        return [(i, (t, owns[i])) for i, t in abandoned]

    def _tear_down_when_settled(self, abandoned: list[tuple[int, Any]], cause: BaseException) -> Any:
        """A task that tears down each abandoned factory's instance once it
        settles (told of the start's failure), and returns the errors."""
        import asyncio

        plan = self.plan
        limit = self._stop_timeout

        async def settle() -> list[BaseException]:
            errors: list[BaseException] = []
            for _, (task, own) in abandoned:
                try:
                    await asyncio.shield(task)
                except BaseException:  # noqa: BLE001 - a failed or cancelled factory left nothing to tear down
                    continue
                errors += await _arollback_errors(own, plan, limit, cause)
            return errors

        task = asyncio.ensure_future(settle())
        self._settling.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._settling.discard)
        return task

    async def _timed(self, i: int, teardowns: list[Any]) -> tuple[Any, float]:
        if self._emit is not None:
            self._event("constructing", i)
        t0 = self._starts[i] = perf_counter()
        limit = self._start_limit(i)
        plan = self.plan
        if limit is None:
            obj = await self._amake(i, {}, teardowns)
        else:
            obj = await _within(self._amake(i, {}, teardowns), limit, lambda: _late_start(plan, i, limit, None))
        return obj, perf_counter() - t0

    async def _afail(self, i: int, cause: BaseException, phase: str = "construct") -> StartError:
        self._event("failed", i, phase=phase, error=cause)  # first: then the rollback's events
        errors = await self._arun_stops()
        done, finish = self._stop_events()
        errors += await _arollback_errors(self.teardowns, self.plan, self._stop_timeout, cause, self.plan._stop_limits, done)
        finish()
        return self._failed_with(errors, i, cause, phase)

    def stop(self, *, error: BaseException | None = None) -> None:
        """Stops every started service in shutdown order (reverse of
        start-up), each teardown told of `error` when the app ends because of
        one (a ``with`` block does that). Raises an ExceptionGroup of every
        teardown error, after running every teardown; a teardown over the
        stop timeout is one (a ``TimeoutError`` naming the service). Stopping
        twice is a no-op."""
        _no_async_teardown(self.teardowns, self.plan, "stop the app with `await app.astop()`")
        for i, _, _, is_async in self._stops:
            if is_async:
                raise TypeError(f"{_q(self.plan.ids[i])} has an async stop hook: stop the app with `await app.astop()`")
        self._stop(error)

    def _stop(self, error: BaseException | None = None) -> None:
        if self._state == "stopped":
            return
        self._running = False
        self._state = "stopping"
        t0 = perf_counter()
        done, finish = self._stop_events()
        errors = self._run_stops()
        errors += _rollback_errors(self.teardowns, self.plan, self._stop_timeout, error, self.plan._stop_limits, done)
        self._stopped(t0, finish)
        if errors:
            raise _group("errors while stopping services", errors)

    def _stopped(self, t0: float, finish: Callable[[], None]) -> None:
        finish()
        self._clear()
        self._state = "stopped"
        if self._emit is not None:
            self._event("app-stopped", None, perf_counter() - t0)

    async def astop(self, *, error: BaseException | None = None) -> None:
        """As :meth:`stop`, awaiting async stop hooks and teardowns (each
        cancelled after the stop timeout, and reported; the others still
        run)."""
        if self._state == "stopped":
            return
        self._running = False
        self._state = "stopping"
        t0 = perf_counter()
        done, finish = self._stop_events()
        errors = await self._arun_stops()
        errors += await _arollback_errors(self.teardowns, self.plan, self._stop_timeout, error, self.plan._stop_limits, done)
        self._stopped(t0, finish)
        if errors:
            raise _group("errors while stopping services", errors)

    def run(self) -> int:
        """Waits for SIGINT or SIGTERM, then stops this app gracefully;
        returns the exit code (see :meth:`Plan.run`)."""
        from ._run import run_app

        return run_app(self)

    async def arun(self) -> int:
        """As :meth:`run`, in the running event loop, stopping with
        :meth:`astop`."""
        from ._run import arun_app

        return await arun_app(self)

    # ---- hot reload --------------------------------------------------------

    def reload(self, plan: Plan) -> dict[str, Any]:
        """Applies a new plan (compiled from an edited registry) to this
        running app: the services whose factory (or hooks, or record in the
        plan) changed, and everything that depends on them, are stopped
        (stop hooks, then teardowns, in reverse) and started again from
        `plan` (factories, then start hooks, in plan order); every other
        instance is kept as it is, the very same object. Scopes opened
        afterwards use the new plan.

        On a failure, what the reload started is stopped and torn down
        (told the cause), the old services are started again from the old
        plan, and :class:`~wireplan.ReloadError` is raised: the app runs
        the old plan. Returns what happened: ``{"changed", "dependents",
        "stopped", "started", "kept", "errors"}`` (ids, in the order they
        were stopped and started; ``kept``: how many services were kept;
        ``errors``: the stop hooks and teardowns that failed while
        stopping, also sent as ``failed`` events).

        A reload starts its services one after another; use
        :meth:`areload` for async factories or hooks.
        """
        r = self._reload_plan(plan)
        new, stop, start = r.new, r.stop, r.start
        for j in start:
            if new._needs_await[j] or (new._hooks is not None and (h := new._hooks[j]) is not None and h.async_start):
                raise TypeError(f"{_q(new.ids[j])} is async: reload with `await app.areload(plan)`")
        for i, _, _, is_async in self._stops:
            if is_async and i in stop:
                raise TypeError(f"{_q(self.plan.ids[i])} has an async stop hook: reload with `await app.areload(plan)`")
        _no_async_teardown([e for e in self.teardowns if e[0] in stop], self.plan, "reload with `await app.areload(plan)`")
        t0 = perf_counter()
        errors = self._reload_stop(stop, r.order)
        fresh: list[Any] = []
        fresh_stops: list[tuple[int, Any, Any, bool]] = []
        saved = self._reload_switch(r)
        errors += _rollback_errors(self._gone, r.old, self._stop_timeout, None, r.old._stop_limits)
        try:
            self._building = True
            try:
                for j in start:
                    self._reload_make(j, fresh)
            finally:
                self._building = False
            for j in start:
                steps = self._steps(j)
                if steps is not None:
                    t1 = perf_counter()
                    try:
                        self._run_steps(j, steps, fresh_stops)
                    except Exception as e:
                        raise _HookFailed(j, e, "invoke" if steps[0][4] else "start-hook") from e
                    if self._emit is not None:
                        self._event("start-hook", j, perf_counter() - t1)
                if self._emit is not None:
                    self._event("started", j)
        except Exception as e:
            j, cause, phase = (e.service, e.cause, e.phase) if isinstance(e, _HookFailed) else (self._reload_at, e, "construct")
            self._event("failed", j, phase=phase, error=cause)
            undo: list[BaseException] = []
            self._stops = fresh_stops
            undo += self._run_stops()
            undo += _rollback_errors(fresh, self.plan, self._stop_timeout, cause, self.plan._stop_limits)
            failed_id, source = self.plan.ids[j], self.plan.source(j)
            self._reload_restore(saved)
            restored = self._restart_old(stop, undo)
            raise self._reload_error(failed_id, source, cause, phase, undo, restored) from cause
        except BaseException as e:
            # Interrupted (Ctrl-C): what the reload built is torn down, told
            # why, and the app is back on the old plan without the services
            # it stopped (the interruption wants out, not a restart): failed,
            # as when a restart fails; stop() stops what runs.
            self._stops = fresh_stops
            undo = self._run_stops()
            undo += _rollback_errors(fresh, self.plan, self._stop_timeout, e, self.plan._stop_limits)
            self._reload_interrupted(saved, e, undo)
            raise
        return self._reload_done(r, fresh, fresh_stops, errors, t0)

    async def areload(self, plan: Plan) -> dict[str, Any]:
        """As :meth:`reload`, awaiting async factories, hooks and teardowns
        (each within its service's timeouts)."""
        r = self._reload_plan(plan)
        stop, start = r.stop, r.start
        t0 = perf_counter()
        errors = await self._areload_stop(stop, r.order)
        fresh: list[Any] = []
        fresh_stops: list[tuple[int, Any, Any, bool]] = []
        saved = self._reload_switch(r)
        errors += await _arollback_errors(self._gone, r.old, self._stop_timeout, None, r.old._stop_limits)
        try:
            self._building = True
            try:
                for j in start:
                    if self._emit is not None:
                        self._event("constructing", j)
                    self._reload_at = j
                    t1 = self._starts[j] = perf_counter()
                    limit = self._start_limit(j)
                    self._inst[j], took = await self._timed_into(j, fresh, limit)
                    self._reload_built(j, took, limit)
            finally:
                self._building = False
            for j in start:
                steps = self._steps(j)
                if steps is not None:
                    try:
                        took = await self._arun_steps(j, steps, fresh_stops)
                    except Exception as e:
                        raise _HookFailed(j, e, "invoke" if steps[0][4] else "start-hook") from e
                    if self._emit is not None:
                        self._event("start-hook", j, took)
                if self._emit is not None:
                    self._event("started", j)
        except Exception as e:
            j, cause, phase = (e.service, e.cause, e.phase) if isinstance(e, _HookFailed) else (self._reload_at, e, "construct")
            self._event("failed", j, phase=phase, error=cause)
            undo: list[BaseException] = []
            self._stops = fresh_stops
            undo += await self._arun_stops()
            undo += await _arollback_errors(fresh, self.plan, self._stop_timeout, cause, self.plan._stop_limits)
            failed_id, source = self.plan.ids[j], self.plan.source(j)
            self._reload_restore(saved)
            restored = await self._arestart_old(stop, undo)
            raise self._reload_error(failed_id, source, cause, phase, undo, restored) from cause
        except BaseException as e:
            # Interrupted (a cancellation, Ctrl-C): as in `reload`.
            self._stops = fresh_stops
            undo = await self._arun_stops()
            undo += await _arollback_errors(fresh, self.plan, self._stop_timeout, e, self.plan._stop_limits)
            self._reload_interrupted(saved, e, undo)
            raise
        return self._reload_done(r, fresh, fresh_stops, errors, t0)

    async def _timed_into(self, j: int, fresh: list[Any], limit: float | None) -> tuple[Any, float]:
        t0 = perf_counter()
        plan = self.plan
        if limit is None:
            obj = await self._amake(j, {}, fresh)
        else:
            obj = await _within(self._amake(j, {}, fresh), limit, lambda: _late_start(plan, j, limit, None))
        return obj, perf_counter() - t0

    def _reload_plan(self, plan: Plan) -> _Reload:
        """What applying `plan` to this app does (the core decides)."""
        if not isinstance(plan, Plan):
            raise TypeError(f"reload() takes a wireplan.Plan (registry.compile()), not {type(plan).__name__}")
        if self._state != "started":
            raise RuntimeError(f"reload() needs a started app; this one is {self._state}")
        old = self.plan
        return _Reload(old, plan, *_core.reload(old.core, plan.core, _replaced(old, plan)))

    def _reload_stop(self, stop: set[int], order: list[int]) -> list[BaseException]:
        """Stops the old services of a reload: their stop hooks (newest
        first), then their teardowns (in stop order)."""
        errors: list[BaseException] = []
        if not stop:
            return errors
        kept, self._stops = _split(self._stops, stop)
        errors += self._run_stops()
        self._stops = kept
        self.teardowns, by_service = _split_teardowns(self.teardowns, stop)
        plan = self.plan
        for i in order:
            entries = by_service.get(i)
            t0 = perf_counter()
            failed = _rollback_errors(entries, plan, self._stop_timeout, None, plan._stop_limits) if entries else []
            errors += failed
            for e in failed:
                self._event("failed", i, phase="teardown", error=e)
            if not failed and self._emit is not None:
                self._event("stopped", i, perf_counter() - t0)
            self._inst[i] = _UNSET
        return errors

    async def _areload_stop(self, stop: set[int], order: list[int]) -> list[BaseException]:
        errors: list[BaseException] = []
        if not stop:
            return errors
        kept, self._stops = _split(self._stops, stop)
        errors += await self._arun_stops()
        self._stops = kept
        self.teardowns, by_service = _split_teardowns(self.teardowns, stop)
        plan = self.plan
        for i in order:
            entries = by_service.get(i)
            t0 = perf_counter()
            failed = await _arollback_errors(entries, plan, self._stop_timeout, None, plan._stop_limits) if entries else []
            errors += failed
            for e in failed:
                self._event("failed", i, phase="teardown", error=e)
            if not failed and self._emit is not None:
                self._event("stopped", i, perf_counter() - t0)
            self._inst[i] = _UNSET
        return errors

    def _reload_switch(self, r: _Reload) -> tuple[Any, ...]:
        """Moves the app onto the new plan, the kept services' instances,
        teardowns, stop hooks and records renumbered; returns the old state
        (for :meth:`_reload_restore`)."""
        new, keep = r.new, r.keep
        old = self.plan
        old_inst = self._inst
        to_new: Any
        if old.ids == new.ids:
            # The same ids under the same numbers (code edited, the graph the
            # same): every kept service keeps its number, and every stopped
            # one is unset already. A new list: scopes hold the old one.
            to_new = _Same(r.stop)
            inst = old_inst[:]
            durations = self._durations[:]
            starts = self._starts[:]
        else:
            to_new = dict(keep)
            inst = [_UNSET] * len(new.ids)
            durations = [0.0] * new.singletons
            starts = [-1.0] * new.singletons
            old_durations, old_starts = self._durations, self._starts
            for o, k in keep:
                inst[k] = old_inst[o]
                durations[k] = old_durations[o]
                starts[k] = old_starts[o]
        # An app-level transient's teardown stays with the app under its
        # number in the new plan (by id); one of a service the new plan
        # lacks is torn down now (`gone`: no kept singleton holds it, as the
        # change spreads to dependents).
        # The old list kept for a failed reload leaves the gone ones out:
        # they are torn down now, once.
        new_ids: dict[str, int] | None = None
        teardowns: list[Any] = []
        old_teardowns: list[Any] = []
        gone: list[Any] = []
        for i, kind, obj in self.teardowns:
            n = to_new.get(i)
            if n is None:
                if new_ids is None:
                    new_ids = dict(zip(new.ids, range(len(new.ids))))
                n = new_ids.get(old.ids[i])
                if n is None:
                    gone.append((i, kind, obj))
                    continue
            old_teardowns.append((i, kind, obj))
            teardowns.append((n, kind, obj))
        saved = (old, old_inst, old_teardowns, self._stops, self._appended, self._durations, self._starts,
                 self._outcomes, self._ready)
        self._gone = gone
        self.plan = new
        self._inst = inst
        self.teardowns = teardowns
        self._stops = [(to_new[i], f, a, s) for i, f, a, s in self._stops if i in to_new]
        self._appended = {to_new[i]: h for i, h in self._appended.items() if i in to_new}
        self._durations = durations
        self._starts = starts
        self._outcomes = {to_new[i]: o for i, o in self._outcomes.items() if i in to_new}
        if self._ready is not None:
            self._ready = [to_new[i] for i in self._ready if i in to_new]
        return saved

    def _reload_restore(self, saved: tuple[Any, ...]) -> None:
        """Back onto the old plan (the reload failed): the kept services as
        they were, the stopped ones to be started again."""
        plan, inst, teardowns, stops, appended, durations, starts, outcomes, ready = saved
        self.plan = plan
        self._inst = inst
        self.teardowns = teardowns
        self._stops = stops
        self._appended = {i: h for i, h in appended.items() if inst[i] is not _UNSET}
        self._durations = durations
        self._starts = starts
        self._outcomes = outcomes
        if ready is not None:
            self._ready = [i for i in ready if inst[i] is not _UNSET]

    def _reload_make(self, j: int, fresh: list[Any]) -> None:
        if self._emit is not None:
            self._event("constructing", j)
        self._reload_at = j
        t0 = self._starts[j] = perf_counter()
        self._inst[j] = self._make(j, {}, fresh)
        self._reload_built(j, perf_counter() - t0, self._start_limit(j))

    def _reload_built(self, j: int, took: float, limit: float | None) -> None:
        self._durations[j] = took
        if limit is not None and took > limit:
            raise _late_start(self.plan, j, limit, took)
        if self._ready is not None:
            self._ready.append(j)
        if self._emit is not None:
            self._event("constructed", j, took)

    def _restart_old(self, stop: set[int], undo: list[BaseException]) -> bool:
        """Starts the old services a failed reload stopped, from the old
        plan; whether that worked (if not, what it started is torn down)."""
        fresh: list[Any] = []
        stops: list[tuple[int, Any, Any, bool]] = []
        try:
            self._building = True
            try:
                for i in sorted(stop):
                    self._reload_make(i, fresh)
            finally:
                self._building = False
            for i in sorted(stop):
                steps = self._steps(i)
                if steps is not None:
                    self._run_steps(i, steps, stops)
                if self._emit is not None:
                    self._event("started", i)
        except Exception as e:
            self._stops, kept = stops, self._stops
            undo.append(e)
            undo += self._run_stops() + _rollback_errors(fresh, self.plan, self._stop_timeout, e, self.plan._stop_limits)
            self._stops = kept
            for i in stop:
                self._inst[i] = _UNSET
            return False
        self.teardowns += fresh
        self._stops += stops
        return True

    async def _arestart_old(self, stop: set[int], undo: list[BaseException]) -> bool:
        fresh: list[Any] = []
        stops: list[tuple[int, Any, Any, bool]] = []
        try:
            self._building = True
            try:
                for i in sorted(stop):
                    if self._emit is not None:
                        self._event("constructing", i)
                    self._reload_at = i
                    limit = self._start_limit(i)
                    self._inst[i], took = await self._timed_into(i, fresh, limit)
                    self._reload_built(i, took, limit)
            finally:
                self._building = False
            for i in sorted(stop):
                steps = self._steps(i)
                if steps is not None:
                    await self._arun_steps(i, steps, stops)
                if self._emit is not None:
                    self._event("started", i)
        except Exception as e:
            self._stops, kept = stops, self._stops
            undo.append(e)
            undo += await self._arun_stops()
            undo += await _arollback_errors(fresh, self.plan, self._stop_timeout, e, self.plan._stop_limits)
            self._stops = kept
            for i in stop:
                self._inst[i] = _UNSET
            return False
        self.teardowns += fresh
        self._stops += stops
        return True

    def _reload_interrupted(self, saved: tuple[Any, ...], e: BaseException, undo: list[BaseException]) -> None:
        """After an interrupted reload tore down what it built: the old
        plan back, the app failed (its stopped services not restarted)."""
        self._reload_restore(saved)
        self._running = False
        self._state = "failed"
        _note_teardown_errors(e, undo, "rolling back a reload")

    def _reload_error(self, service: str, source: str | None, cause: BaseException, phase: str,
                      undo: list[BaseException], restored: bool) -> ReloadError:
        group = _group("errors while rolling back a reload", undo) if undo else None
        err = ReloadError(service, source, cause, phase, restored, group)
        if not restored:
            self._running = False
            self._state = "failed"
        return err

    def _reload_done(self, r: _Reload, fresh: list[Any], fresh_stops: list[tuple[int, Any, Any, bool]], errors: list[BaseException],
                     t0: float) -> dict[str, Any]:
        self.teardowns += fresh  # INVARIANT: after the kept ones, none of which depends on a new one
        self._stops += fresh_stops
        if self._emit is not None:
            self._event("reloaded", None, perf_counter() - t0)
        return {"changed": r.changed, "dependents": r.dependents, "stopped": [r.old.ids[i] for i in r.order],
                "started": [r.new.ids[j] for j in r.start], "kept": len(r.keep), "errors": errors}

    # ---- health ------------------------------------------------------------

    def liveness(self) -> dict[str, str]:
        """``{"status": "pass"}`` while the app is started; ``"fail"`` once
        it is stopping or stopped (or before it started)."""
        return {"status": "pass" if self._state == "started" else "fail"}

    def _health_checks(self) -> list[tuple[int, Any, float, bool]]:
        """(service, check, limit in seconds, async?) in plan order."""
        hooks = self.plan._hooks
        if hooks is None:
            return []
        return [(i, h.health, _HEALTH_TIMEOUT if h.health_timeout is None else h.health_timeout, h.async_health)
                for i, h in enumerate(hooks) if h is not None and h.health is not None]

    def _check_result(self, i: int, result: Any, took: float, limit: float) -> dict[str, Any]:
        error: BaseException | None = None
        if limit != _INF and took > limit:
            error = TimeoutError(_health_late(self.plan.ids[i], limit, took))
        passed = error is None and result is not False
        return self._check(i, passed, took, error)

    def _check(self, i: int, passed: bool, took: float, error: BaseException | None) -> dict[str, Any]:
        if error is not None:
            self._event("failed", i, phase="health", error=error)
        return {"id": self.plan.ids[i], "status": "pass" if passed else "fail", "duration_us": max(0, round(took * 1e6)),
                "error": None if error is None else f"{type(error).__name__}: {error}"}

    def health(self) -> dict[str, Any]:
        """Runs every service's health check (``registry.provide(...,
        health=fn)``) in plan order and returns ``{"status": "pass"|"fail",
        "checks": [{"id", "status", "duration_us", "error"}]}``: ``fail``
        when a check fails (it returned ``False``, raised, or ran over its
        ``health_timeout``, measured: a synchronous call cannot be
        interrupted), or when the app is not started (readiness; no check
        runs then). An async check fails here: use :meth:`ahealth`."""
        if self._state != "started":
            return {"status": "fail", "checks": []}
        checks = []
        inst = self._inst
        for i, check, limit, _ in self._health_checks():
            t0 = perf_counter()
            try:
                result = check(inst[i])
                _not_awaitable(result, f"{_q(self.plan.ids[i])} has an async health check: use `await app.ahealth()`")
            except Exception as e:
                checks.append(self._check(i, False, perf_counter() - t0, e))
                continue
            checks.append(self._check_result(i, result, perf_counter() - t0, limit))
        return {"status": "pass" if all(c["status"] == "pass" for c in checks) else "fail", "checks": checks}

    async def ahealth(self) -> dict[str, Any]:
        """As :meth:`health`, the checks run concurrently (synchronous ones
        first, in plan order), each async one cancelled after its
        ``health_timeout``."""
        import asyncio

        if self._state != "started":
            return {"status": "fail", "checks": []}
        inst = self._inst
        plan = self.plan

        async def one(i: int, check: Any, limit: float) -> dict[str, Any]:
            t0 = perf_counter()
            try:
                result = check(inst[i])
                if hasattr(type(result), "__await__"):
                    late = lambda: TimeoutError(_health_late(plan.ids[i], limit, None))  # noqa: E731
                    result = await (result if limit == _INF else _within(result, limit, late))
            except Exception as e:
                return self._check(i, False, perf_counter() - t0, e)
            return self._check_result(i, result, perf_counter() - t0, limit)

        results: dict[int, dict[str, Any]] = {}
        waiting = []
        for i, check, limit, is_async in self._health_checks():
            if is_async:
                waiting.append((i, one(i, check, limit)))
            else:
                results[i] = await one(i, check, limit)
        if waiting:
            # Every check settles before anything goes on (`one` keeps each
            # Exception; a cancellation or interruption of one is raised
            # once all have settled, no check left running on its own).
            settled = await asyncio.gather(*(aw for _, aw in waiting), return_exceptions=True)
            for result in settled:
                if isinstance(result, BaseException):
                    raise result
            for (i, _), result in zip(waiting, settled):
                results[i] = result  # type: ignore[assignment] # not an exception: raised above
        checks = [results[i] for i in sorted(results)]
        return {"status": "pass" if all(c["status"] == "pass" for c in checks) else "fail", "checks": checks}

    def scope(self) -> Scope:
        """A new scope (a request, a job): ``with app.scope() as scope``."""
        # INVARIANT: the fields Scope.__init__ sets, set here without its
        # frame (one per request).
        scope = _new_object(Scope)
        scope.plan = self.plan
        scope.app = self
        scope._inst = self._inst
        scope.scoped = {}
        scope.teardowns = ()  # type: ignore[assignment] # a list from the first build (_teardown_list)
        scope.lock = None
        scope._owner = _opener()
        scope._busy = False
        return scope

    def timings(self) -> dict[str, float]:
        """Seconds each singleton's factory took, by id, in start-up order."""
        ids = self.plan.ids
        return {ids[i]: d for i, d in enumerate(self._durations)}

    def timeline(self) -> dict[str, Any]:
        """The start-up record, in the shape both runtimes write and the core
        reads (``wireplan timeline``, :func:`wireplan.render_timeline`): for
        each singleton whose factory was called, its layer, start offset and
        duration in whole microseconds, its outcome (``started``, ``failed``,
        ``timed-out``, ``cancelled``) and the singletons it waited for. A
        failed start's record is on the :class:`StartError` (``err.timeline``).

        # Complexity
        O(S + D), one pass over the plan.
        """
        plan = self.plan
        ids, ns, begin = plan.ids, plan.singletons, self._begin
        layer_of = [0] * ns
        for n, layer in enumerate(plan.layers):
            for i in layer:
                layer_of[i] = n
        outcomes, durations = self._outcomes, self._durations
        services = []
        for i, at in enumerate(self._starts):
            if at < 0:
                continue
            needs: dict[str, None] = {}
            for _, _, how, t in plan._spec(i):
                for p in (t,) if how == _ONE else t if how == _MANY else ():
                    if p < ns:
                        needs[ids[p]] = None
            services.append({
                "id": ids[i], "layer": layer_of[i], "start_us": max(0, round((at - begin) * 1e6)),
                "duration_us": max(0, round(durations[i] * 1e6)), "outcome": outcomes.get(i, "started"), "needs": list(needs),
            })
        return {"timeline": 1, "services": services}

    def critical_chain(self) -> list[Timing]:
        """The slowest chain of dependencies (like ``systemd-analyze
        critical-chain``), first started first: the services that bound how
        fast the app can start with every layer concurrent.

        # Complexity
        O(S + D), one pass in start-up order.
        """
        plan = self.plan
        ns = plan.singletons
        if ns == 0:
            return []
        finish = [0.0] * ns
        prev = [-1] * ns
        for i in range(ns):
            best, at = 0.0, -1
            for _, _, how, t in plan._spec(i):
                for p in (t,) if how == _ONE else t if how == _MANY else ():
                    if p < ns and (at == -1 or finish[p] > best):
                        best, at = finish[p], p
            finish[i] = best + self._durations[i]
            prev[i] = at
        end = max(range(ns), key=finish.__getitem__)
        from ._timing import Timing

        chain: list[Timing] = []
        while end != -1:
            chain.append(Timing(plan.ids[end], self._durations[end], finish[end]))
            end = prev[end]
        chain.reverse()
        return chain

    def __enter__(self) -> App:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        # No refusal here: what can stop does, the rest is reported.
        _leave_block(e, lambda: self._stop(e), "stopping the app")

    def __repr__(self) -> str:
        return f"<wireplan.App {'running' if self._running else 'stopped'}, {self.plan.singletons} singletons>"


class _Reload:
    """What applying a new plan to a running app does (``_core.reload``)."""

    __slots__ = ("old", "new", "order", "stop", "start", "keep", "changed", "dependents")

    def __init__(self, old: Plan, new: Plan, stop: list[int], start: list[int], keep: list[tuple[int, int]],
                 changed: list[str], dependents: list[str]) -> None:
        self.old = old
        self.new = new
        #: Old numbers to stop, in stop order; and as a set.
        self.order = stop
        self.stop = set(stop)
        #: New numbers to start, in start order.
        self.start = start
        #: Kept singletons: (old number, new number).
        self.keep = keep
        self.changed = changed
        self.dependents = dependents


class _HookFailed(Exception):
    """A start hook failed during a reload (carried to its rollback)."""

    def __init__(self, service: int, cause: BaseException, phase: str) -> None:
        super().__init__(service, cause, phase)
        self.service = service
        self.cause = cause
        self.phase = phase


def _replaced(old: Plan, new: Plan) -> list[str]:
    """Ids in both plans whose factory (the supplied value, the invoked
    function) or runtime options differ: changes the plans cannot show.

    # Complexity
    O(S): one pass of identity comparisons when the ids are the same.
    """
    from operator import is_not

    of = [old._invokes.get(i, f) for i, f in enumerate(old._factories)] if old._invokes else old._factories
    nf = [new._invokes.get(i, f) for i, f in enumerate(new._factories)] if new._invokes else new._factories
    oh = old._hooks or [None] * len(old.ids)
    nh = new._hooks or [None] * len(new.ids)
    if old.ids == new.ids:
        # Whole-list steps (loops in C), then a look at the few that differ.
        pairs = _trues(list(map(is_not, of, nf)))
        if old._hooks is not None or new._hooks is not None:
            pairs += [i for i in _trues(list(map(is_not, oh, nh))) if not _same_hooks(oh[i], nh[i])]
        return sorted({new.ids[i] for i in pairs})
    at = dict(zip(old.ids, range(len(old.ids))))
    out = []
    for j, id in enumerate(new.ids):
        i = at.get(id)
        if i is not None and (of[i] is not nf[j] or not _same_hooks(oh[i], nh[j])):
            out.append(id)
    return out


def _trues(flags: list[bool]) -> list[int]:
    """Where `flags` is true (``list.index`` scans in C: few are)."""
    out: list[int] = []
    i = -1
    try:
        while True:
            i = flags.index(True, i + 1)
            out.append(i)
    except ValueError:
        return out


class _Same:
    """The renumbering of a reload whose plans have the same ids: a kept
    service keeps its number (``dict(keep)``'s interface, without the
    dict)."""

    __slots__ = ("stopped",)

    def __init__(self, stopped: set[int]) -> None:
        self.stopped = stopped

    def get(self, i: int, default: Any = None) -> Any:
        return default if i in self.stopped else i

    def __contains__(self, i: int) -> bool:
        return i not in self.stopped

    def __getitem__(self, i: int) -> int:
        if i in self.stopped:
            raise KeyError(i)
        return i


def _same_hooks(a: _Hooks | None, b: _Hooks | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.same(b)


def _split(entries: list[Any], services: set[int]) -> tuple[list[Any], list[Any]]:
    """`entries` (tuples whose first item is a service number) split into
    those of other services and those of `services`, order kept."""
    kept: list[Any] = []
    taken: list[Any] = []
    for e in entries:
        (taken if e[0] in services else kept).append(e)
    return kept, taken


def _split_teardowns(teardowns: list[Any], services: set[int]) -> tuple[list[Any], dict[int, list[Any]]]:
    """As :func:`_split`, the taken teardowns by service."""
    kept, taken = _split(teardowns, services)
    by_service: dict[int, list[Any]] = {}
    for e in taken:
        by_service.setdefault(e[0], []).append(e)
    return kept, by_service


class Scope(_Builder):
    """One scope: scoped instances live until it exits, then are torn down in
    reverse order of creation."""

    # A scope per request: slots make it cheaper to make and to read.
    __slots__ = ("plan", "app", "scoped", "teardowns", "lock", "_owner", "_busy", "_inflight", "_inst", "__weakref__")

    # One instance per scope, whatever threads ask, without a lock per
    # request: the thread that opened the scope (`_owner`) builds without
    # one, marked `_busy`, while the scope has no lock. Any other thread
    # makes the lock first (`_sync`), then waits until `_owner` is not
    # busy, then builds under the lock, as `_owner` does from then on.
    # Under the GIL, each read and write of a field is a step of its own
    # and every thread sees them in one order: `_owner` marks itself busy,
    # then looks for the lock; the other thread sets the lock, then looks
    # at `_busy`. So either `_owner` sees the lock and takes it, or the
    # other thread sees `_owner` busy and waits: never both building at
    # once. Without a GIL (a free-threaded build), every scope has its
    # lock from the start.

    #: Scoped builds under way (async), by service; made by the first
    #: (unset until then).
    _inflight: dict[int, Any]

    def __init__(self, app: App) -> None:
        self.plan = app.plan
        self.app = app
        self._inst = app._inst
        self.scoped = {}
        self.teardowns = ()  # type: ignore[assignment] # a list from the first build (_teardown_list)
        self.lock = None
        self._owner = _opener()
        self._busy = False

    def _sync(self) -> RLock:
        lock = self.lock
        if lock is None:
            with _SHARING:  # one lock per scope, whatever threads make it
                lock = self.lock
                if lock is None:
                    lock = self.lock = RLock()
        if self._busy and self._owner != get_ident():
            # `_owner` began a build before the lock was there: wait for it
            # to end (polling: the build holds nothing this thread could
            # wake on, and this thread holds nothing it needs: not the lock).
            from time import sleep

            pause = 1e-5
            while self._busy:
                sleep(pause)
                pause = min(pause * 2, 1e-3)
        return lock

    def _recipe(self, target: int) -> Any:
        # Under the lock or, by the thread that opened a scope no other
        # thread has used, marked busy (see above).
        if self.lock is None and self._owner == get_ident():
            busy = self._busy
            try:  # marked inside: whatever interrupts, `finally` unmarks
                self._busy = True
                if self.lock is None:  # still unshared, now that we are marked
                    return self._build(target)
            finally:
                self._busy = busy
        with self._sync():
            return self._build(target)

    def close(self, *, error: BaseException | None = None) -> None:
        """Tears down this scope's instances (scoped ones, and the transients
        built in it), newest first, each told of `error` when the scope ends
        because of one (a ``with`` block does that)."""
        _no_async_teardown(self.teardowns, self.plan, "close the scope with `await scope.aclose()` (`async with`)")
        self._close(error)

    def _close(self, error: BaseException | None = None) -> None:
        errors = _rollback_errors(self.teardowns, self.plan, None, error)
        self.scoped = {}
        if errors:
            raise _group("errors while closing a scope", errors)

    async def aclose(self, *, error: BaseException | None = None) -> None:
        """As :meth:`close`, awaiting async teardowns."""
        errors = await _arollback_errors(self.teardowns, self.plan, None, error)
        self.scoped = {}
        if errors:
            raise _group("errors while closing a scope", errors)

    if TYPE_CHECKING:
        @overload
        def get(self, key: type[T]) -> T: ...
        @overload
        def get(self, key: Any) -> Any: ...

    def get(self, key: Any) -> Any:
        """As :meth:`App.get`; shared within the scope: scoped services."""
        # _Builder.get's common cases, for a scope: a request's usual get
        # (a scoped service of one singleton) checked first; a key's first
        # get, and a build under the lock, there.
        plan = self.plan
        found = plan._by_type.get(key) if type(key) is type else None
        if found is None:
            return _Builder.get(self, key)
        if type(found) is tuple:
            i, f, dep, is_scoped = found
            arg = self._inst[dep]
            if arg is not _UNSET:
                if not is_scoped:
                    return f(arg)  # a transient of one singleton
                scoped: dict[int, Any] = self.scoped  # type: ignore[assignment] # a scope's: never None
                v = scoped.get(i, _UNSET)
                if v is not _UNSET:
                    return v
                # Owned and unshared: no lock (see above).
                if self.lock is None and self._owner == get_ident():
                    busy = self._busy
                    try:  # marked inside: whatever interrupts, `finally` unmarks
                        self._busy = True
                        if self.lock is None:  # still unshared, now that we are marked
                            v = scoped[i] = f(arg)
                            return v
                    finally:
                        self._busy = busy
                return _Builder.get(self, key)  # shared: under the lock
        elif type(found) is int:
            if found < plan.singletons:
                v = self._inst[found]
                if v is not _UNSET:
                    return v
            else:
                quick = plan._fast[found]
                if quick is not None:
                    v = self._quick(found, quick)
                    if v is not _UNSET:
                        return v
        return self._get_index(plan._index(key))

    def __enter__(self) -> Scope:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if not self.teardowns:  # nothing to tear down (the usual request)
            self.scoped = {}
            return
        # No refusal here: what can close does, the rest is reported.
        _leave_block(e, lambda: self._close(e), "closing the scope")

    async def __aenter__(self) -> Scope:
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        await _aleave_block(e, self.aclose(error=e), "closing the scope")


class _AsyncStart:
    """What ``plan.start_async()`` returns: an async context manager."""

    def __init__(self, plan: Plan, start_timeout: float | None = None, stop_timeout: float | None = None,
                 on_event: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self._app = App(plan, start_timeout=start_timeout, stop_timeout=stop_timeout, on_event=on_event)

    async def __aenter__(self) -> App:
        await self._app._astart()
        return self._app

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        await _aleave_block(e, self._app.astop(error=e), "stopping the app")

    def __await__(self) -> Any:
        """``app = await plan.start_async()`` (then ``await app.astop()``)."""
        async def run() -> App:
            await self._app._astart()
            return self._app
        return run().__await__()


