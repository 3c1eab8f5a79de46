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
    "ScopeError",
    "StartupError",
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


class StartupError(Exception):
    """A factory failed while the application started.

    Everything started before it has been stopped again, in reverse order.
    ``__cause__`` is the factory's exception; teardown errors met while
    rolling back are in :attr:`teardown_errors` (never swallowed).

    Attributes:
        service: id of the service whose factory failed.
        source: ``file:line`` of its provider, when known.
        cause: the factory's exception.
        teardown_errors: the errors raised while rolling back, or ``None``.
    """

    service: str
    source: str | None
    cause: BaseException
    teardown_errors: BaseExceptionGroup[BaseException] | None

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
        self.__cause__ = cause

    def __str__(self) -> str:
        where = f" ({self.source})" if self.source else ""
        text = f"service `{self.service}`{where} failed to start: {type(self.cause).__name__}: {self.cause}"
        if self.teardown_errors is not None:
            n = len(self.teardown_errors.exceptions)
            text += f"; {n} teardown error{'s' if n != 1 else ''} while rolling back"
        return text


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
