"""pytest helpers: plan overrides undone when a test ends.

Installed with wireplan as a pytest plugin (the ``pytest11`` entry point
``wireplan``), so every test can ask for the ``wireplan_overrides``
fixture::

    def test_signup(wireplan_overrides):
        wireplan_overrides.override(plan, Mailer, FakeMailer())
        with plan.start() as app:       # started with the fake
            ...
                                        # undone when the test ends

Or, bound to one plan in a ``conftest.py`` (with fakes of its own for every
test, if wanted)::

    from wireplan.testing import override_fixture
    from myapp import plan

    overrides = override_fixture(plan)                    # a fixture named `overrides`
    fakes = override_fixture(plan, lambda: {Mailer: FakeMailer()}, autouse=True)

    def test_signup(overrides):
        overrides(Database, factory=fake_database)

An override applies to the apps started while it is active, from any
thread (a server's too): see :meth:`wireplan.Plan.override`. Importing
``wireplan`` never imports this module, nor pytest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator, Literal, Mapping

import pytest

from ._override import Override
from ._spec import _MISSING

if TYPE_CHECKING:
    from .runtime import Plan

__all__ = ["Overrides", "PlanOverrides", "override_fixture", "wireplan_overrides"]


class Overrides:
    """The overrides made during one test, undone newest first when it ends
    (or by :meth:`undo`)."""

    def __init__(self) -> None:
        self._made: list[Override] = []

    def override(self, plan: Plan, key: Any, value: Any = _MISSING, /, *, factory: Callable[..., Any] | None = None,
                 lifetime: Literal["singleton", "scoped", "transient"] | None = None) -> Override:
        """``plan.override(key, value)`` (or ``factory=``, or a mapping of
        keys to values), undone at the end of the test."""
        o = Override(plan, key, value, factory, lifetime)
        self._made.append(o)
        return o

    def undo(self) -> None:
        """Undoes every override made here, newest first."""
        while self._made:
            self._made.pop().undo()


class PlanOverrides(Overrides):
    """:class:`Overrides` bound to one plan: ``overrides(Key, fake)``."""

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan

    def __call__(self, key: Any, value: Any = _MISSING, /, *, factory: Callable[..., Any] | None = None,
                 lifetime: Literal["singleton", "scoped", "transient"] | None = None) -> Override:
        """``plan.override(key, value)`` for this plan, undone at the end of the test."""
        return self.override(self.plan, key, value, factory=factory, lifetime=lifetime)


@pytest.fixture
def wireplan_overrides() -> Iterator[Overrides]:
    """Overrides of any plan, undone when the test ends:
    ``wireplan_overrides.override(plan, Key, fake)``."""
    made = Overrides()
    try:
        yield made
    finally:
        made.undo()


def override_fixture(plan: Plan, values: Mapping[Any, Any] | Callable[[], Mapping[Any, Any]] | None = None, *,
                     autouse: bool = False, scope: Literal["function", "class", "module", "package", "session"] = "function",
                     name: str | None = None) -> Any:
    """A pytest fixture (assign it to a name in a test module or
    ``conftest.py``: that name is the fixture's, unless `name` is given)
    giving a :class:`PlanOverrides` for `plan`; what it overrides is undone
    when the fixture ends (each test, with the default `scope`).

    `values` (a mapping of keys to fakes, or a function returning one, called
    for each test so that each gets fresh fakes) is applied at the start;
    with ``autouse=True`` every test in reach gets those fakes unasked.
    """
    if values is not None and not callable(values) and not isinstance(values, Mapping):
        raise TypeError(f"override_fixture() values must be a mapping of keys to fakes or a function returning one, "
                        f"not {type(values).__name__}")

    def fixture() -> Iterator[PlanOverrides]:
        made = PlanOverrides(plan)
        try:
            if values is not None:
                mapping = values() if callable(values) else values
                if mapping:
                    made(mapping)
            yield made
        finally:
            made.undo()

    fixture.__doc__ = f"Overrides of {plan!r}, undone when the fixture ends."
    return pytest.fixture(fixture, scope=scope, autouse=autouse, name=name)
