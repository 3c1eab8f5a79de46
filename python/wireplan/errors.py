"""wireplan's exceptions: one base class, :class:`PlanError`, and a tree under it.

The words are the core's: ``str(err)`` is the rendering made by the Rust
planner, the same text the CLI prints and JS shows, and ``err.diagnostics``
is the core's JSON report parsed into dicts, each
``{code, severity, message, help, services, key, location, related}``.
Every exception here pickles (it is rebuilt from the two texts).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing's: `import wireplan` does not import typing (milliseconds)
if TYPE_CHECKING:
    from typing import Any

if sys.version_info >= (3, 11):
    from builtins import BaseExceptionGroup, ExceptionGroup
else:  # pragma: no cover - exercised on 3.10 only
    from exceptiongroup import BaseExceptionGroup, ExceptionGroup

__all__ = [
    "AmbiguousDependencyError",
    "CycleError",
    "BaseExceptionGroup",
    "ExceptionGroup",
    "MissingDependencyError",
    "PlanError",
    "ReloadError",
    "AmbiguousKeyError",
    "NotPlannedError",
    "ScopeError",
    "StartError",
    "StartupError",
    "UnknownIdError",
    "UnknownKeyError",
]


class PlanError(Exception):
    """The graph cannot be planned (or a cached plan cannot be used).

    Attributes:
        diagnostics: every problem found, as the core reports it.
        report_json: the core's JSON report, as text (byte for byte).
        rendering: the core's text for a person; also ``str(self)``.
    """

    diagnostics: list[dict[str, Any]]
    report_json: str
    rendering: str

    def __init__(self, report_json: str, rendering: str) -> None:
        super().__init__(report_json, rendering)
        self.report_json = report_json
        self.rendering = rendering
        import json  # here: `import wireplan` stays cheap

        self.diagnostics = json.loads(report_json)["diagnostics"]

    def __str__(self) -> str:
        return self.rendering

    @property
    def code(self) -> str | None:
        """The code of the first error (what picked this class), if any."""
        for d in self.diagnostics:
            if d.get("severity") == "error":
                return str(d["code"])
        return None

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The diagnostics of severity ``error``."""
        return [d for d in self.diagnostics if d.get("severity") == "error"]


class CycleError(PlanError):
    """Services need each other through non-lazy dependencies (``dependency-cycle``)."""


class MissingDependencyError(PlanError):
    """A required key that no service provides (``missing-dependency``)."""


class AmbiguousDependencyError(PlanError):
    """A single dependency with several providers (``ambiguous-dependency``)."""


class ScopeError(PlanError):
    """A singleton that holds on to a scoped service (``captive-dependency``)."""


_BY_CODE: dict[str, type[PlanError]] = {
    "dependency-cycle": CycleError,
    "missing-dependency": MissingDependencyError,
    "ambiguous-dependency": AmbiguousDependencyError,
    "captive-dependency": ScopeError,
}


def _from_core(report_json: str, rendering: str) -> PlanError:
    """Called by the binding: the exception for a core report, its class
    chosen by the first error's code."""
    probe = PlanError(report_json, rendering)
    cls = _BY_CODE.get(probe.code or "", PlanError)
    return probe if cls is PlanError else cls(report_json, rendering)


class StartError(Exception):
    """A factory failed (or ran over its start timeout) while the application
    started. JS's runtime throws the same shape under the same name.

    Everything started before it has been stopped again, in reverse order,
    each teardown told of the failure. ``__cause__`` is the factory's
    exception; teardown errors met while rolling back are in
    :attr:`teardown_errors` (never swallowed). ``str(err)`` is the core's
    words (``service `db` (app/db.py:3) failed to start: ...``).

    Attributes:
        service: id of the service whose factory failed (the first failure).
        source: ``file:line`` of its provider, when known.
        cause: the factory's exception.
        teardown_errors: the errors raised while rolling back, or ``None``.
        abandoned: ids of async factories that ignored their cancellation
            (``start_async`` only): each instance is torn down when its
            factory settles; ``await err.settled()`` waits for that.
        timeline: the start-up record up to the failure (as
            ``App.timeline()``), or ``None`` when the error was made by hand.
        phase: what failed: ``"construct"`` (the factory), ``"start-hook"``
            or ``"invoke"`` (an invoked function), as the ``failed`` event says.
    """

    service: str
    source: str | None
    cause: BaseException
    teardown_errors: BaseExceptionGroup[BaseException] | None
    abandoned: tuple[str, ...]
    timeline: dict[str, Any] | None
    phase: str

    def __init__(
        self,
        service: str,
        source: str | None,
        cause: BaseException,
        teardown_errors: BaseExceptionGroup[BaseException] | None = None,
    ) -> None:
        super().__init__(service, source, cause, teardown_errors)
        self.service = service
        self.source = source
        self.cause = cause
        self.teardown_errors = teardown_errors
        self.abandoned = ()
        self.timeline = None
        self.phase = "construct"
        self._settled: Any = None
        self.__cause__ = cause

    def __str__(self) -> str:
        from . import _core  # here: the binding imports this module

        n = len(self.teardown_errors.exceptions) if self.teardown_errors is not None else 0
        return _core.start_failed(self.service, self.source, f"{type(self.cause).__name__}: {self.cause}", n)

    async def settled(self) -> list[BaseException]:
        """Waits until every abandoned factory has settled and its instance
        has been torn down; returns the errors those teardowns raised."""
        if self._settled is None:
            return []
        return list(await self._settled)


#: The name before 0.2; the same class.
StartupError = StartError


class ReloadError(Exception):
    """A hot reload (``app.reload(plan)``) failed: a service of the new plan
    did not construct or start. What the reload had started has been
    stopped and torn down (told the cause), and the services it had stopped
    were started again from the old plan: the app runs the old plan
    (``restored``). Should that restart fail too, ``restored`` is false,
    what it started is torn down again, and the app is marked failed
    (``app.liveness()`` fails): stop it.

    Attributes:
        service: id of the service (of the new plan) that failed.
        source: ``file:line`` of its provider, when known.
        cause: its exception (also ``__cause__``).
        phase: ``"construct"``, ``"start-hook"`` or ``"invoke"``.
        restored: whether the old services run again.
        teardown_errors: errors met while rolling back, or ``None``.
    """

    def __init__(self, service: str, source: str | None, cause: BaseException, phase: str = "construct",
                 restored: bool = True, teardown_errors: BaseExceptionGroup[BaseException] | None = None) -> None:
        super().__init__(service, source, cause, phase, restored, teardown_errors)
        self.service = service
        self.source = source
        self.cause = cause
        self.phase = phase
        self.restored = restored
        self.teardown_errors = teardown_errors
        self.__cause__ = cause

    def __str__(self) -> str:
        from . import _core

        n = len(self.teardown_errors.exceptions) if self.teardown_errors is not None else 0
        failed = _core.start_failed(self.service, self.source, f"{type(self.cause).__name__}: {self.cause}", n)
        return _core.reload_failed(failed, self.restored)


class UnknownKeyError(LookupError):
    """``get`` of a key that is not in the plan; names the closest keys.
    Its words are the core's (the JS runtime says the same)."""

    key: str
    suggestions: list[str]

    def __init__(self, key: str, message: str, suggestions: list[str]) -> None:
        super().__init__(message)
        self.key = key
        self.suggestions = suggestions

    def __reduce__(self) -> tuple[type, tuple[str, str, list[str]]]:
        return (type(self), (self.key, str(self), self.suggestions))


class UnknownIdError(LookupError):
    """``get_by_id`` of an id that is not in the plan; names the closest ids."""

    id: str
    suggestions: list[str]

    def __init__(self, id: str, message: str, suggestions: list[str]) -> None:
        super().__init__(message)
        self.id = id
        self.suggestions = suggestions

    def __reduce__(self) -> tuple[type, tuple[str, str, list[str]]]:
        return (type(self), (self.id, str(self), self.suggestions))


class AmbiguousKeyError(LookupError):
    """``get`` of a key that several services provide: names them (use
    ``get_all``, or ``get_by_id``)."""

    key: str
    providers: list[str]

    def __init__(self, key: str, providers: list[str], message: str) -> None:
        super().__init__(message)
        self.key = key
        self.providers = providers

    def __reduce__(self) -> tuple[type, tuple[str, list[str], str]]:
        return (type(self), (self.key, self.providers, str(self)))


class NotPlannedError(UnknownKeyError):
    """A lookup of a key or id that is registered but not in the plan: no
    root needs it, it belongs to another profile, or it was replaced
    (then :attr:`replaced_by` names the replacement). An ``UnknownKeyError``
    (the plan has no such service), with words that say why."""

    replaced_by: str | None

    def __init__(self, name: str, message: str, replaced_by: str | None = None) -> None:
        super().__init__(name, message, [])
        self.replaced_by = replaced_by

    @property
    def name(self) -> str:
        """The key or id asked for."""
        return self.key

    def __reduce__(self) -> tuple[type, tuple[str, str, str | None]]:  # type: ignore[override]
        return (type(self), (self.key, str(self), self.replaced_by))
