"""An fx-style API over the registry and the plan, for users coming from
Uber's fx (Go) and di_fx: an application is a list of options.

    from typing import Annotated
    from wireplan import fx

    app = fx.App(
        fx.Supply(Settings()),
        fx.Provide(new_db, (Annotated[Db, "replica"], new_replica)),
        fx.Module("http", fx.Provide(new_server), fx.Invoke(register_routes)),
    )
    raise SystemExit(app.run())

``Provide`` registers factories (``registry.provide``: a factory, or a
``(key, factory)`` pair; keyword options such as ``lifetime``, ``on_start``
or ``start_timeout`` apply to each), ``Supply`` ready values
(``registry.supply``; a value or a ``(key, value)`` pair), ``Invoke``
functions run at start (``registry.invoke``), ``Module`` groups options
under a name. Names are ``typing.Annotated`` keys, as in the registry. A
factory takes a parameter typed :class:`Lifecycle` to append start and stop
hooks. ``App`` compiles the plan at once (a broken graph raises
:class:`~wireplan.PlanError` naming every problem, where fx's ``app.Err()``
would hold it), then ``run()`` (until SIGINT/SIGTERM), ``start()``/``stop()``,
``async start_async()``/``stop_async()``, or ``with``/``async with``.

Not imported by ``import wireplan``: ``from wireplan import fx`` loads it.
"""

from __future__ import annotations

from ._spec import Lifecycle
from .registry import Registry

TYPE_CHECKING = False  # not typing's: importing this module stays cheap
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, Callable, Iterator, Sequence

    from .runtime import App as RunningApp
    from .runtime import Plan, Scope

__all__ = ["App", "Invoke", "Lifecycle", "Module", "Option", "Provide", "Supply"]


class Option:
    """One option of an :class:`App` (what ``Provide``, ``Supply``,
    ``Invoke`` and ``Module`` make)."""

    __slots__ = ()

    def apply(self, registry: Registry) -> None:  # pragma: no cover - every option overrides it
        raise NotImplementedError


class Provide(Option):
    """Registers each factory (or ``(key, factory)`` pair) as
    ``registry.provide`` would, each with the keyword options given
    (``lifetime``, ``provides``, ``deps``, ``profiles``, ``on_start``,
    ``on_stop``, ``start_timeout``, ``stop_timeout``, ``health``,
    ``health_timeout``)."""

    __slots__ = ("factories", "options")

    def __init__(self, *factories: Any, **options: Any) -> None:
        if not factories:
            raise TypeError("fx.Provide() takes at least one factory")
        if "id" in options and len(factories) > 1:
            raise TypeError("fx.Provide(..., id=...) names one factory: give it alone")
        for f in factories:
            if isinstance(f, tuple):
                if len(f) != 2 or not callable(f[1]):
                    raise TypeError(f"fx.Provide() takes factories or (key, factory) pairs, not {f!r}")
            elif not callable(f):
                raise TypeError(f"fx.Provide() takes factories, not {type(f).__name__}: use fx.Supply for a ready value")
        self.factories = factories
        self.options = options

    def apply(self, registry: Registry) -> None:
        for f in self.factories:
            if isinstance(f, tuple):
                registry.provide(f[0], f[1], **self.options)
            else:
                registry.provide(f, **self.options)

    def __repr__(self) -> str:
        return f"fx.Provide({', '.join(map(_name, self.factories))})"


class Supply(Option):
    """Registers ready values (``registry.supply``), each provided under its
    type, or a ``(key, value)`` pair under its key."""

    __slots__ = ("values",)

    def __init__(self, *values: Any) -> None:
        if not values:
            raise TypeError("fx.Supply() takes at least one value")
        self.values = values

    def apply(self, registry: Registry) -> None:
        for v in self.values:
            if isinstance(v, tuple) and len(v) == 2:
                registry.supply(v[1], key=v[0])
            else:
                registry.supply(v)

    def __repr__(self) -> str:
        return f"fx.Supply({', '.join(type(v).__name__ for v in self.values)})"


class Invoke(Option):
    """Registers functions run at start, after every service is built, in
    plan order with the start hooks (``registry.invoke``): their parameters
    are resolved, their dependencies are roots."""

    __slots__ = ("functions",)

    def __init__(self, *functions: Callable[..., Any]) -> None:
        if not functions:
            raise TypeError("fx.Invoke() takes at least one function")
        self.functions = functions

    def apply(self, registry: Registry) -> None:
        for f in self.functions:
            registry.invoke(f)

    def __repr__(self) -> str:
        return f"fx.Invoke({', '.join(map(_name, self.functions))})"


class Module(Option):
    """Options grouped under a name (a part of the application: ``http``,
    ``storage``); modules nest. The name appears in ``repr`` and in
    :attr:`App.modules`."""

    __slots__ = ("name", "options")

    def __init__(self, name: str, *options: Option) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError("fx.Module() takes a name first, then options")
        _check(options, f"fx.Module({name!r})")
        self.name = name
        self.options = options

    def apply(self, registry: Registry) -> None:
        for option in self.options:
            option.apply(registry)

    def __repr__(self) -> str:
        return f"fx.Module({self.name!r}, {', '.join(map(repr, self.options))})"


def _name(f: Any) -> str:
    if isinstance(f, tuple):
        return f"({f[0]!r}, {_name(f[1])})"
    return getattr(f, "__qualname__", None) or repr(f)


def _check(options: Sequence[Any], where: str) -> None:
    for option in options:
        if not isinstance(option, Option):
            raise TypeError(f"{where} takes fx options (fx.Provide, fx.Supply, fx.Invoke, fx.Module), "
                            f"not {type(option).__name__}")


def _modules(options: Sequence[Option], prefix: str = "") -> Iterator[str]:
    for option in options:
        if isinstance(option, Module):
            yield prefix + option.name
            yield from _modules(option.options, f"{prefix}{option.name}.")


class App:
    """An application made of options, compiled at once (a broken graph
    raises :class:`~wireplan.PlanError` here).

    Keyword options: ``start_timeout``, ``stop_timeout`` and ``on_event``
    (as :meth:`wireplan.Plan.start`); ``profile`` and ``cache_dir`` (as
    :meth:`wireplan.Registry.compile`).

    Attributes:
        registry: the :class:`~wireplan.Registry` the options filled.
        plan: the compiled :class:`~wireplan.Plan`.
        modules: the names of its modules (nested ones dotted), in order.
    """

    def __init__(self, *options: Option, start_timeout: float | None = None, stop_timeout: float | None = None,
                 on_event: Callable[[dict[str, Any]], Any] | None = None, profile: str | None = None,
                 cache_dir: str | None = None) -> None:
        _check(options, "fx.App()")
        self.registry = Registry()
        for option in options:
            option.apply(self.registry)
        self.modules = list(_modules(options))
        self.plan: Plan = self.registry.compile(profile=profile, cache_dir=cache_dir)
        self._start: dict[str, Any] = {"start_timeout": start_timeout, "stop_timeout": stop_timeout, "on_event": on_event}
        self._app: RunningApp | None = None

    @property
    def app(self) -> RunningApp:
        """The running :class:`wireplan.App` (after :meth:`start`)."""
        if self._app is None:
            raise RuntimeError("the fx app is not started: call start() (or run(), or use `with`)")
        return self._app

    def run(self) -> int:
        """Starts, waits for SIGINT/SIGTERM, stops; the exit code (fx's
        ``app.Run()``; see :meth:`wireplan.Plan.run`)."""
        return self.plan.run(**self._start)

    async def run_async(self) -> int:
        """As :meth:`run`, in the running event loop."""
        return await self.plan.run_async(**self._start)

    def start(self) -> App:
        """Builds every singleton, then runs the start hooks and invoked
        functions (raises :class:`~wireplan.StartError`, rolled back)."""
        if self._app is not None:
            raise RuntimeError("the fx app is started already")
        self._app = self.plan.start(**self._start)
        return self

    def stop(self, *, error: BaseException | None = None) -> None:
        """Runs the stop hooks, then the teardowns, in reverse."""
        app, self._app = self.app, None
        app.stop(error=error)

    async def start_async(self) -> App:
        """As :meth:`start`, awaiting async factories and hooks."""
        if self._app is not None:
            raise RuntimeError("the fx app is started already")
        self._app = await self.plan.start_async(**self._start)
        return self

    async def stop_async(self, *, error: BaseException | None = None) -> None:
        """As :meth:`stop`, awaiting async hooks and teardowns."""
        app, self._app = self.app, None
        await app.astop(error=error)

    def get(self, key: Any) -> Any:
        """The instance for `key` (as :meth:`wireplan.App.get`)."""
        return self.app.get(key)

    def get_all(self, key: Any) -> list[Any]:
        return self.app.get_all(key)

    def get_by_id(self, id: str) -> Any:
        return self.app.get_by_id(id)

    def scope(self) -> Scope:
        return self.app.scope()

    def health(self) -> dict[str, Any]:
        return self.app.health() if self._app is not None else {"status": "fail", "checks": []}

    async def ahealth(self) -> dict[str, Any]:
        return await self.app.ahealth() if self._app is not None else {"status": "fail", "checks": []}

    def liveness(self) -> dict[str, str]:
        return self.app.liveness() if self._app is not None else {"status": "fail"}

    def __enter__(self) -> App:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        app, self._app = self.app, None
        app.__exit__(et, e, tb)

    async def __aenter__(self) -> App:
        return await self.start_async()

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        from .runtime import _aleave_block

        app, self._app = self.app, None
        await _aleave_block(e, app.astop(error=e), "stopping the app")

    def __repr__(self) -> str:
        state = "started" if self._app is not None else "not started"
        return f"<wireplan.fx.App {len(self.plan.ids)} services, {state}>"
