"""Test overrides on a compiled plan: ``plan.override(Key, fake)``.

A module-level plan and the fakes of one test live together, as FastAPI's
``dependency_overrides`` and NestJS's ``overrideProvider`` allow::

    with plan.override(Database, FakeDatabase()):
        with plan.start() as app:          # started inside: the fake
            ...

What it does is what ``registry.override(Key, fake)`` does before a
compile: the plan is compiled again from the registrations it was compiled
from (same profile, roots and limits; never from the disk cache) with the
fake standing in for every provider of `Key`. So a fake ``factory=`` is
planned like any provider: its dependencies are resolved, its teardown
runs, a problem with it is a :class:`~wireplan.PlanError` raised by
``override()`` itself, in the core's words. A key the plan does not have is
an :class:`~wireplan.UnknownKeyError` naming the closest keys (or a
:class:`~wireplan.NotPlannedError` for a key registered but left out).

Semantics (threads, tasks, servers):

- An override is active from the call until it is undone: on leaving its
  ``with`` block, after each call of a function it decorates, or by
  ``.undo()`` (a no-op the second time).
- It applies to the **apps started while it is active** (``plan.start()``,
  ``plan.start_async()``, a server's lifespan), from any thread or task:
  it belongs to the plan, not to a thread or a task, so a server started
  in another thread inside the block uses the fakes. An app keeps the plan
  it started with for its whole life: apps already running when the
  override is made never see the fake, and an app started inside the
  block keeps the fake after it is undone.
- Overrides nest; the newest override of a key wins. Undoing the newest
  is immediate; undoing an older one compiles the others again.
- Tests running at the same time in one process (threads) that override
  the same plan see each other's fakes: give each its own plan
  (``registry.copy()``, then ``override`` and ``compile``), or run them in
  separate processes (``pytest-xdist``).
"""

from __future__ import annotations

from ._keys import key_of
from ._spec import _MISSING

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, Callable, Protocol, Sequence, TypeVar

    class Plan(Protocol):
        """``wireplan.Plan`` as this module uses it (it imports neither
        ``runtime`` nor ``registry``: ``runtime`` imports it, so either
        would close an import circle)."""

        _compiled: Any
        _overridden: Any
        _override_stack: Any
        _by_key: dict[str, int | list[int]]
        _lifetimes: list[str]
        _providers: Sequence[Any]

        def _missing_key(self, k: str) -> LookupError: ...

    F = TypeVar("F", bound=Callable[..., Any])
    # (key as given, its key text, value or _MISSING, factory or None, lifetime or None)
    _Spec = tuple[Any, str, Any, Any, "str | None"]

__all__ = ["Override"]

_LIFETIMES = ("singleton", "scoped", "transient")



class _Stack:
    """The overrides active on one plan, oldest first, each with the plan
    apps started from before it was made (undoing the newest restores it)."""

    __slots__ = ("lock", "entries")

    def __init__(self) -> None:
        from threading import RLock

        self.lock = RLock()
        self.entries: list[tuple[Override, Plan | None]] = []


def _stack_of(plan: Plan) -> _Stack:
    stack = plan._override_stack
    if stack is None:
        with _MADE:
            stack = plan._override_stack
            if stack is None:
                stack = plan._override_stack = _Stack()
    return stack  # type: ignore[no-any-return]


def _new_lock() -> Any:
    from threading import Lock

    return Lock()


_MADE = _new_lock()  # guards making a plan's stack (once per plan)
_STALE: Any = object()  # an entry's "before" once an older override was undone


class Override:
    """An override of a compiled plan, active from its creation until
    :meth:`undo` (see the module's documentation for the semantics).

    Use it as a context manager (undone on exit), as a decorator of a test
    function (sync or async: active during each call), or keep it and call
    :meth:`undo`. ``.plan`` (a :class:`wireplan.Plan`) is the plan apps
    start from while it is active.
    """

    def __init__(self, plan: Plan, key: Any, value: Any = _MISSING, factory: Callable[..., Any] | None = None,
                 lifetime: str | None = None) -> None:
        self._base = plan
        self._specs = _specs(plan, key, value, factory, lifetime)
        self._active = False
        self.plan: Any = plan  # a wireplan.Plan (typed Any here: see `Plan` above)
        self._apply()

    @classmethod
    def _again(cls, base: Plan, specs: list[_Spec]) -> Override:
        self = object.__new__(cls)
        self._base = base
        self._specs = specs
        self._active = False
        self.plan = base
        self._apply()
        return self

    def _apply(self) -> None:
        base = self._base
        stack = _stack_of(base)
        with stack.lock:
            before = base._overridden
            stack.entries.append((self, before))
            try:
                derived = _compile(base, [o for o, _ in stack.entries])
            except BaseException:
                stack.entries.pop()
                raise
            base._overridden = self.plan = derived
            self._active = True

    @property
    def active(self) -> bool:
        """Whether apps started now get this override's fakes."""
        return self._active

    def undo(self) -> None:
        """Ends the override: apps started from now on do not get its fakes
        (apps started while it was active keep them). Undoing twice is a
        no-op."""
        base = self._base
        stack = _stack_of(base)
        with stack.lock:
            if not self._active:
                return
            entries = stack.entries
            at = next(n for n, (o, _) in enumerate(entries) if o is self)
            rest = [o for o, _ in entries[:at] + entries[at + 1:]]
            before = entries[at][1]
            if at == len(entries) - 1 and before is not _STALE:
                derived = before  # the newest: what apps started from before it
            else:
                try:
                    derived = _compile(base, rest) if rest else None
                except Exception as e:
                    raise RuntimeError("the overrides left after undoing this one do not plan together "
                                       "(undo overrides newest first)") from e
                # What the later ones restore is now unknown: compiled when undone.
                entries[at + 1:] = [(o, _STALE) for o, _ in entries[at + 1:]]
            entries.pop(at)
            base._overridden = derived
            self._active = False

    def __enter__(self) -> Override:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.undo()

    def __call__(self, fn: F) -> F:
        """As a decorator: active during each call of `fn` (made again for
        each call), not from the decoration on."""
        self.undo()
        base, specs = self._base, self._specs
        import inspect
        from functools import wraps

        if inspect.iscoroutinefunction(fn):
            @wraps(fn)
            async def arun(*args: Any, **kwargs: Any) -> Any:
                with Override._again(base, specs):
                    return await fn(*args, **kwargs)
            return arun  # type: ignore[return-value]

        @wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with Override._again(base, specs):
                return fn(*args, **kwargs)
        return run  # type: ignore[return-value]

    def __repr__(self) -> str:
        keys = ", ".join(f"`{k}`" for _, k, _, _, _ in self._specs)
        return f"<wireplan.Override of {keys}, {'active' if self._active else 'undone'}>"


def _specs(plan: Plan, key: Any, value: Any, factory: Callable[..., Any] | None, lifetime: str | None) -> list[_Spec]:
    """The overrides asked for, checked against `plan`: each key must be one
    the plan provides (``UnknownKeyError`` with the closest keys, or
    ``NotPlannedError``, otherwise)."""
    if plan._compiled is None:  # pragma: no cover - every Plan comes from Registry.compile
        raise TypeError("only a plan compiled from a wireplan.Registry can be overridden")
    if lifetime is not None and lifetime not in _LIFETIMES:
        raise ValueError(f"lifetime must be `singleton`, `scoped` or `transient`, not `{lifetime}`")
    from collections.abc import Mapping

    if isinstance(key, Mapping) and value is _MISSING and factory is None:
        if lifetime is not None:
            raise TypeError("override() of a mapping takes ready values: lifetime= goes with factory=")
        if not key:
            raise ValueError("override() of an empty mapping overrides nothing")
        pairs = list(key.items())
    else:
        if (value is _MISSING) == (factory is None):
            raise TypeError("override() takes a value or a factory=, not both")
        if factory is not None and not callable(factory):
            raise TypeError(f"override() factory= takes a callable, not {factory!r}: pass a ready value positionally")
        if value is not _MISSING and lifetime is not None:
            raise TypeError("override() of a ready value: it is one instance (a singleton); lifetime= goes with factory=")
        pairs = [(key, value)]
    specs: list[_Spec] = []
    for k, v in pairs:
        text = key_of(k)
        found = plan._by_key.get(text)
        if found is None:
            raise plan._missing_key(text)
        if factory is not None:
            first = found if isinstance(found, int) else found[0]
            specs.append((k, text, _MISSING, factory, lifetime or plan._lifetimes[first]))
        else:
            specs.append((k, text, v, None, None))
    return specs


def _compile(base: Plan, overrides: list[Override]) -> Any:
    """`base` compiled again from its registrations with `overrides` (the
    newest of each key) standing in."""
    registry, profile, roots, limits = base._compiled
    latest: dict[str, _Spec] = {}
    for o in overrides:
        for spec in o._specs:
            latest.pop(spec[1], None)
            latest[spec[1]] = spec
    r = _registrations(base, registry, set(latest))
    for key, _, value, factory, lifetime in latest.values():
        if factory is not None:
            r.override(key, factory=factory, lifetime=lifetime)  # lifetime checked by _specs
        else:
            r.override(key, value)
    # Never the disk cache: a test's fakes are not worth an entry.
    return r.compile(profile, roots, cache_dir="", limits=limits)


def _registrations(base: Plan, registry: Any, replaced: set[str]) -> Any:
    """A registry of what `base` was compiled from (its providers as they
    were then), less the registry's own overrides of `replaced` keys (the
    test's fake stands in for them too)."""
    r = type(registry)()  # a wireplan.Registry (not imported: see `Plan` above)
    seeds = registry._class_keys
    for n, p in enumerate(base._providers):
        if p.override is not _MISSING:
            if key_of(p.override) in replaced:
                continue
            r._overrides[len(r._providers)] = registry._overrides.get(n)
        r._providers.append(p)
        r._ids.add(p.id)
        target = p.target
        if not p.is_value and type(target) is type and target in seeds:
            r._class_keys[target] = seeds[target]
    return r
