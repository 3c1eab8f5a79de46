"""`Timing`, in a module of its own: a NamedTuple needs typing, which
``import wireplan`` does not import (it costs milliseconds); the first
``critical_chain()`` or ``wireplan.Timing`` does."""

from __future__ import annotations

from typing import NamedTuple


class Timing(NamedTuple):
    """How long one singleton took to start.

    ``finished`` is when it would be ready if every layer started
    concurrently: its own duration plus the slowest of its dependencies.
    """

    service: str
    duration: float
    finished: float
