"""wireplan: dependency-injection graphs planned in Rust, run in Python.

Register providers on a :class:`Registry`, ``compile()`` it at import time
(every graph problem is reported at once, as a :class:`PlanError`), then
``start()`` the plan::

    registry = wireplan.Registry()

    @registry.provide
    class Database: ...

    plan = registry.compile()
    with plan.start() as app:
        db = app.get(Database)

Descriptor documents written as JSON are planned and checked with
:func:`plan`, :func:`check` and :func:`fingerprint` (see :mod:`wireplan.planning`).
"""

from __future__ import annotations

from . import _core
from ._keys import Lazy, key_of, lazy, many
from .errors import (
    AmbiguousDependencyError,
    AmbiguousKeyError,
    CycleError,
    MissingDependencyError,
    NotPlannedError,
    PlanError,
    ReloadError,
    ScopeError,
    StartError,
    StartupError,
    UnknownIdError,
    UnknownKeyError,
)
from .planning import Analysis, DescriptorPlan, Inspection, Report, analyze, check, fingerprint, inspect, plan, render_timeline
from .registry import Registry
from ._spec import Lifecycle
from .runtime import App, Plan, Scope

TYPE_CHECKING = False  # not typing's: `import wireplan` does not import typing (milliseconds)
if TYPE_CHECKING:
    from typing import Any

    from ._override import Override
    from ._timing import Timing

__version__: str = _core.VERSION


def __getattr__(name: str) -> Any:
    if name == "Timing":  # a NamedTuple, made when first asked for (it needs typing)
        from ._timing import Timing

        return Timing
    if name == "Override":  # what plan.override() returns, for annotations
        from ._override import Override

        return Override
    if name == "fx":  # the fx-style API, loaded on first use (`wireplan.fx.App`)
        import importlib  # not `from . import fx`: that asks this very function again

        return importlib.import_module(".fx", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AmbiguousDependencyError",
    "AmbiguousKeyError",
    "Analysis",
    "App",
    "CycleError",
    "DescriptorPlan",
    "Inspection",
    "Lazy",
    "Lifecycle",
    "MissingDependencyError",
    "NotPlannedError",
    "Override",
    "Plan",
    "PlanError",
    "Registry",
    "ReloadError",
    "Report",
    "Scope",
    "ScopeError",
    "StartError",
    "StartupError",
    "Timing",
    "UnknownIdError",
    "UnknownKeyError",
    "__version__",
    "analyze",
    "check",
    "fingerprint",
    "inspect",
    "key_of",
    "lazy",
    "many",
    "plan",
    "render_timeline",
]

del TYPE_CHECKING  # not part of the API
