"""Run until signalled (fx's ``app.Run()``): start, wait for SIGINT or
SIGTERM, stop gracefully within the stop timeouts, and give an exit code.

Exit codes (the same in JS): 0 after a clean stop; 1 when the start or the
stop failed; a second signal while stopping exits at once with 128 + the
signal's number (130 for SIGINT, 143 for SIGTERM), the remaining teardowns
skipped. Each outcome is one line on stderr, starting ``wireplan:``.

Imported only by ``run()``/``run_async()`` (``signal`` and ``threading``
are not imported by ``import wireplan``).
"""

from __future__ import annotations

import os
import signal
import sys

from . import _core

TYPE_CHECKING = False  # not typing's: `import wireplan` does not import typing
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any

    # The runtime calls this module: naming its classes here would close an
    # import circle (test_registry_state keeps the graph free of them).
    App = Any
    Plan = Any

__all__ = ["arun_app", "run_app", "run_plan", "run_plan_async"]

#: The signals that stop the app.
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def say(line: str) -> None:
    """One line on stderr, flushed (the process may be about to exit)."""
    try:
        sys.stderr.write(f"wireplan: {line}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # pragma: no cover - stderr closed
        pass


def _name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:  # pragma: no cover - a signal Python does not name
        return f"signal {signum}"


def _force(signum: int) -> None:
    """A second signal: exit now, skipping what is left of the stop.

    Runs in a signal handler, which may have interrupted a write to
    ``sys.stdout`` or ``sys.stderr`` holding its lock: the line goes
    straight to file descriptor 2, and stdout is flushed only if that is
    possible without waiting."""
    code = 128 + signum
    line = f"wireplan: {_core.signal_forced(_name(signum), code)}\n"
    try:
        sys.stdout.flush()
    except BaseException:  # noqa: BLE001 - a reentrant call or a closed stream: leave it
        pass
    try:
        os.write(2, line.encode("utf-8", "replace"))
    except OSError:  # pragma: no cover - stderr closed
        pass
    os._exit(code)


def _stop_errors(e: BaseException) -> str:
    errors = list(getattr(e, "exceptions", None) or [e])
    return _core.stopped([f"{type(x).__name__}: {x}" for x in errors])


class _Waiter:
    """The signal handlers of one synchronous run: the first signal asks
    for a stop, the second forces an exit.

    The handler only sets an attribute: it runs in the main thread, between
    two bytecodes of whatever that thread was doing, so it must take no lock
    (a ``threading.Event`` would deadlock against its own ``wait``). The
    wait blocks in ``select`` on a pipe that the interpreter's C-level
    handler writes each signal's number to (``signal.set_wakeup_fd``),
    whichever thread the signal was delivered to."""

    def __init__(self) -> None:
        import threading

        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("run() waits for SIGINT and SIGTERM, which only the main thread receives: call it from there")
        self.signum: int | None = None
        self.old: dict[int, Any] = {}
        self.old_fd = -1
        self.pipe: tuple[int, int] | None = None

    def __enter__(self) -> _Waiter:
        r, w = os.pipe()
        os.set_blocking(r, False)
        os.set_blocking(w, False)
        self.pipe = (r, w)
        self.old_fd = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
        for s in SIGNALS:
            self.old[s] = signal.signal(s, self.handle)
        return self

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None:
            _force(signum)
        self.signum = signum

    def wait(self) -> int:
        import select

        assert self.pipe is not None
        r = self.pipe[0]
        while self.signum is None:
            # Returns when a signal's byte arrives (its handler has run by
            # then, or runs as select is interrupted); the timeout is a
            # safety net only.
            select.select([r], [], [], 5.0)
            try:
                os.read(r, 512)
            except BlockingIOError:
                pass
        return self.signum

    def __exit__(self, *exc: object) -> None:
        for s, old in self.old.items():
            signal.signal(s, old)
        signal.set_wakeup_fd(self.old_fd)
        if self.pipe is not None:
            for fd in self.pipe:
                os.close(fd)


def _stopping(signum: int) -> None:
    say(_core.signal_received(_name(signum)))


def run_app(app: App) -> int:
    """Waits for SIGINT/SIGTERM, then stops `app`; the exit code."""
    with _Waiter() as waiter:
        return _stop_after(app, waiter)


def _stop_after(app: App, waiter: _Waiter) -> int:
    _stopping(waiter.wait())
    try:
        app.stop()
    except Exception as e:  # noqa: BLE001 - every stop failure is reported, then the code says so
        say(_stop_errors(e))
        return 1
    say(_core.stopped([]))
    return 0


def run_plan(plan: Plan, **options: Any) -> int:
    """Starts `plan` (options as :meth:`Plan.start`), waits for a signal,
    stops; the exit code. A signal during the start stops the app as soon
    as it has started."""
    from .errors import StartError

    with _Waiter() as waiter:
        try:
            app = plan.start(**options)
        except StartError as e:
            say(str(e))
            return 1
        return _stop_after(app, waiter)


async def _await_signal(app: App | None, plan: Plan | None, options: dict[str, Any]) -> int:
    import asyncio

    from .errors import StartError

    loop = asyncio.get_running_loop()
    got: asyncio.Future[int] = loop.create_future()

    def handle(signum: int) -> None:
        if got.done():
            _force(signum)
        got.set_result(signum)

    installed: list[int] = []
    old: dict[int, Any] = {}
    for s in SIGNALS:
        try:
            loop.add_signal_handler(s, handle, s)
            installed.append(s)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows, or a loop in another thread
            old[s] = signal.signal(s, lambda n, f: loop.call_soon_threadsafe(handle, n))
    try:
        if app is None:
            assert plan is not None
            try:
                app = await plan.start_async(**options)
            except StartError as e:
                say(str(e))
                return 1
        _stopping(await got)
        try:
            await app.astop()
        except Exception as e:  # noqa: BLE001 - every stop failure is reported, then the code says so
            say(_stop_errors(e))
            return 1
        say(_core.stopped([]))
        return 0
    finally:
        for s2 in installed:
            loop.remove_signal_handler(s2)
        for s3, h in old.items():  # pragma: no cover - Windows
            signal.signal(s3, h)


async def arun_app(app: App) -> int:
    """As :func:`run_app`, in the running event loop (its signal handlers)."""
    return await _await_signal(app, None, {})


async def run_plan_async(plan: Plan, **options: Any) -> int:
    """As :func:`run_plan`, with ``start_async`` and ``astop``."""
    return await _await_signal(None, plan, options)
