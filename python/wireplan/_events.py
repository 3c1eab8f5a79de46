"""Lifecycle events in words: the default subscriber, the ``wireplan`` logger.

An event is a dict with exactly the keys ``type``, ``id``, ``phase``,
``at_us``, ``duration_us`` and ``error`` (the shape JS sends too; see
docs/lifecycle.md). With no ``on_event`` given, a start asks once whether
``logging.getLogger("wireplan")`` is enabled for DEBUG: if so, every event
is logged (``failed`` at ERROR), each record carrying the event as
``record.wireplan_event``; if not, only ``failed`` events are, at ERROR, and
the start does nothing per service. ``logging`` is not imported unless the
program has imported it already (nobody can have enabled a logger
otherwise), or a failure is to be logged.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing's: `import wireplan` does not import typing
if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = ["describe", "log_adapter", "log_failure"]


def describe(event: dict[str, Any]) -> str:
    """One line for an event, in the core's words (JS's `logEvents` says the
    same): ids and error texts escaped, so a control character cannot start a
    log line of its own."""
    from . import _core

    return _core.event(event["type"], event["id"], event["phase"], event["duration_us"], event["error"])


class _LogEvents:
    """Sends events to a logger: DEBUG, ``failed`` at ERROR."""

    __slots__ = ("logger", "debug", "error")

    def __init__(self, logger: Any, debug: int, error: int) -> None:
        self.logger = logger
        self.debug = debug
        self.error = error

    def __call__(self, event: dict[str, Any]) -> None:
        level = self.error if event["type"] == "failed" else self.debug
        self.logger.log(level, "wireplan: %s", describe(event), extra={"wireplan_event": event})


def log_adapter() -> Callable[[dict[str, Any]], None] | None:
    """The default subscriber when the ``wireplan`` logger is enabled for
    DEBUG; ``None`` otherwise (asked once per start)."""
    logging = sys.modules.get("logging")
    if logging is None:
        return None
    logger = logging.getLogger("wireplan")
    if not logger.isEnabledFor(logging.DEBUG):
        return None
    return _LogEvents(logger, logging.DEBUG, logging.ERROR)


def log_failure(event: dict[str, Any]) -> None:
    """A ``failed`` event when no subscriber takes events: logged at ERROR."""
    import logging

    logger = logging.getLogger("wireplan")
    if logger.isEnabledFor(logging.ERROR):
        _LogEvents(logger, logging.DEBUG, logging.ERROR)(event)
