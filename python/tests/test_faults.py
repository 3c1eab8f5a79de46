"""Fault injection in the runtime, exhaustively over positions.

One generated 50-service layered plan (two dependencies per service above
the first layer), run sync, async and mixed (every third factory
synchronous inside ``start_async``). At every position in start-up order a
factory raises, is interrupted (KeyboardInterrupt), hangs past the start
timeout, or has its start cancelled; a teardown raises or hangs past the
stop timeout. In every case each service that started is torn down exactly
once, in exact reverse order of start-up, nothing is left alive, and the
error names the service, its source line and the cause.
"""

import asyncio
import gc
import random
import signal
import sys
import threading
import time
import weakref
from typing import Any, AsyncIterator, Callable, Iterator

import pytest

import wireplan
from wireplan.errors import BaseExceptionGroup, ExceptionGroup

N = 50


class Resource:
    """What each factory yields: weakly tracked, to prove nothing leaks."""

    def __init__(self, sid: str) -> None:
        self.sid = sid


class Harness:
    """What the factories log, and the faults they inject (by service id)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self, **faults: Any) -> None:
        self.started: list[str] = []
        self.stopped: list[str] = []
        self.cancelled: list[str] = []
        self.hanging: list[str] = []
        self.live: weakref.WeakSet[Resource] = weakref.WeakSet()
        self.fail_start: str | None = faults.pop("fail_start", None)
        self.fail_stop: set[str] = set(faults.pop("fail_stop", ()))
        self.interrupt: str | None = faults.pop("interrupt", None)
        self.sigint: str | None = faults.pop("sigint", None)
        self.hang_start: set[str] = set(faults.pop("hang_start", ()))
        self.hang_stop: str | None = faults.pop("hang_stop", None)
        self.slow_start: str | None = faults.pop("slow_start", None)
        self.slow_stop: str | None = faults.pop("slow_stop", None)
        self.slow = float(faults.pop("slow", 0.0))
        assert not faults, faults

    # -- what every factory does before its instance exists ----------------

    def before_start(self, sid: str) -> None:
        if sid == self.fail_start:
            raise ValueError(f"injected failure in {sid}")
        if sid == self.interrupt:
            raise KeyboardInterrupt
        if sid == self.slow_start:
            time.sleep(self.slow)

    def resource(self, sid: str) -> Resource:
        self.started.append(sid)
        r = Resource(sid)
        self.live.add(r)
        return r

    def after_stop(self, sid: str) -> None:
        self.stopped.append(sid)
        if sid == self.slow_stop:
            time.sleep(self.slow)
        if sid in self.fail_stop:
            raise RuntimeError(f"injected teardown failure in {sid}")

    async def abefore_start(self, sid: str) -> None:
        await asyncio.sleep(0)  # every factory really awaits: layers interleave
        if sid == self.sigint:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C, as asyncio.run sees it
            await asyncio.sleep(0.5)
        if sid in self.hang_start:
            await self._hang(sid)
        self.before_start(sid)

    async def aafter_stop(self, sid: str) -> None:
        await asyncio.sleep(0)
        if sid == self.hang_stop:
            self.stopped.append(sid)
            await self._hang(sid)
        self.after_stop(sid)

    async def _hang(self, sid: str) -> None:
        self.hanging.append(sid)
        try:
            await asyncio.Event().wait()  # never set
        except asyncio.CancelledError:
            self.cancelled.append(sid)
            raise


H = Harness()
#: file:line of each service's factory, by flavor.
SOURCES: dict[str, dict[str, str]] = {}


def _source(f: Callable[..., Any]) -> str:
    return f"{f.__code__.co_filename}:{f.__code__.co_firstlineno}"


def sync_root(sid: str) -> Callable[..., Any]:
    def factory() -> Iterator[Resource]:
        H.before_start(sid)
        try:  # a rollback tells the teardown why (gen.throw): it runs either way
            yield H.resource(sid)
        finally:
            H.after_stop(sid)

    return factory


def sync_node(sid: str) -> Callable[..., Any]:
    def factory(a: Resource, b: Resource) -> Iterator[Resource]:
        H.before_start(sid)
        assert a.sid in H.started and b.sid in H.started and a in H.live and b in H.live
        try:  # a rollback tells the teardown why (gen.throw): it runs either way
            yield H.resource(sid)
        finally:
            H.after_stop(sid)

    return factory


def async_root(sid: str) -> Callable[..., Any]:
    async def factory() -> AsyncIterator[Resource]:
        await H.abefore_start(sid)
        try:
            yield H.resource(sid)
        finally:
            await H.aafter_stop(sid)

    return factory


def async_node(sid: str) -> Callable[..., Any]:
    async def factory(a: Resource, b: Resource) -> AsyncIterator[Resource]:
        await H.abefore_start(sid)
        assert a.sid in H.started and b.sid in H.started
        try:
            yield H.resource(sid)
        finally:
            await H.aafter_stop(sid)

    return factory


def _graph() -> dict[str, list[str]]:
    """50 services like an application's: the first 6 need nothing, every
    other one two of the 12 before it (a fixed seed: the same plan always)."""
    rng = random.Random(20261124)
    deps: dict[str, list[str]] = {}
    for k in range(N):
        deps[f"s{k:02d}"] = [] if k < 6 else [f"s{j:02d}" for j in sorted(rng.sample(range(max(0, k - 12), k), 2))]
    return deps


GRAPH = _graph()


def is_sync(flavor: str, sid: str) -> bool:
    return flavor == "sync" or (flavor == "mixed" and int(sid[1:]) % 3 == 0)


def build(flavor: str) -> wireplan.Plan:
    registry = wireplan.Registry()
    sources = SOURCES[flavor] = {}
    for sid, deps in GRAPH.items():
        if is_sync(flavor, sid):
            factory = sync_node(sid) if deps else sync_root(sid)
        else:
            factory = async_node(sid) if deps else async_root(sid)
        registry.provide(sid, factory, deps=deps, id=sid)
        sources[sid] = _source(factory)
    return registry.compile()


PLANS = {flavor: build(flavor) for flavor in ("sync", "async", "mixed")}
ORDER = PLANS["sync"].startup_order
POSITIONS = range(N)


def layers(plan: wireplan.Plan) -> list[list[str]]:
    return [[plan.ids[i] for i in layer] for layer in plan.layers]


def test_the_plan_is_layered() -> None:
    for plan in PLANS.values():
        assert plan.startup_order == ORDER and len(ORDER) == N
    shape = [len(layer) for layer in layers(PLANS["sync"])]
    assert len(shape) >= 5 and max(shape) >= 5, shape
    for flavor, plan in PLANS.items():
        assert [plan.source(plan.ids.index(sid)) for sid in ORDER] == [SOURCES[flavor][sid] for sid in ORDER]
    assert len({SOURCES["mixed"][sid] for sid in ORDER}) == 4


def expected_started(flavor: str, sid: str) -> set[str]:
    """What has started when `sid` fails (or hangs): every service before it
    in start-up order when sync; when async, every earlier layer, and in its
    layer the synchronous factories (run first, in layer order, before the
    async ones are awaited together) and every other async factory."""
    if flavor == "sync":
        return set(ORDER[: ORDER.index(sid)])
    out: set[str] = set()
    for layer in layers(PLANS[flavor]):
        if sid not in layer:
            out.update(layer)
            continue
        syncs = [s for s in layer if is_sync(flavor, s)]
        if is_sync(flavor, sid):
            out.update(syncs[: syncs.index(sid)])
        else:
            out.update(s for s in layer if s != sid)
        return out
    raise AssertionError(sid)


def check_rolled_back(expected: set[str]) -> None:
    """Each started service was stopped exactly once, in exact reverse order
    of start-up, and no instance is alive any more."""
    assert set(H.started) == expected
    assert len(H.started) == len(expected)  # each started once
    assert H.stopped == H.started[::-1]
    # Tracebacks of collected errors make reference cycles with the frames
    # that hold them: collect those (young ones first: a full collection is
    # slow in a big test process).
    if list(H.live):
        gc.collect(1)
    if list(H.live):
        gc.collect()
    assert not list(H.live), [r.sid for r in H.live]


def start_error(run: Callable[[], Any]) -> wireplan.StartupError:
    """The StartupError `run` raises. The caller drops it before checking
    that nothing is alive: its traceback holds the factories' frames."""
    try:
        run()
    except wireplan.StartupError as e:
        return e
    raise AssertionError("the start did not fail")


def run_async(flavor: str, **options: Any) -> Callable[[], Any]:
    async def main() -> None:
        async with PLANS[flavor].start_async(**options):
            raise AssertionError("not reached")

    return lambda: asyncio.run(main())


def check_error(err: wireplan.StartupError, flavor: str, sid: str, cause_type: type[BaseException], text: str) -> None:
    src = SOURCES[flavor][sid]
    assert err.service == sid
    assert err.source == src
    assert isinstance(err.cause, cause_type) and err.__cause__ is err.cause
    assert text in str(err.cause)
    assert str(err).startswith(f"service `{sid}` ({src}) failed to start: {cause_type.__name__}: ")
    assert text in str(err)
    assert err.teardown_errors is None


# ---- a factory raises ----------------------------------------------------------


@pytest.mark.parametrize("position", POSITIONS)
def test_sync_factory_raises(position: int) -> None:
    sid = ORDER[position]
    H.reset(fail_start=sid)
    err = start_error(PLANS["sync"].start)
    check_error(err, "sync", sid, ValueError, f"injected failure in {sid}")
    del err
    assert H.started == ORDER[:position]
    check_rolled_back(set(ORDER[:position]))


@pytest.mark.parametrize("flavor", ["async", "mixed"])
@pytest.mark.parametrize("position", POSITIONS)
def test_async_factory_raises(flavor: str, position: int) -> None:
    sid = ORDER[position]
    H.reset(fail_start=sid)
    err = start_error(run_async(flavor))
    check_error(err, flavor, sid, ValueError, f"injected failure in {sid}")
    del err
    check_rolled_back(expected_started(flavor, sid))


@pytest.mark.parametrize("position", POSITIONS)
def test_keyboard_interrupt_in_sync_start(position: int) -> None:
    sid = ORDER[position]
    H.reset(interrupt=sid)
    with pytest.raises(KeyboardInterrupt):
        PLANS["sync"].start()
    assert H.started == ORDER[:position]
    check_rolled_back(set(ORDER[:position]))


def test_keyboard_interrupt_keeps_teardown_errors() -> None:
    H.reset(interrupt=ORDER[40], fail_stop=[ORDER[3], ORDER[30]])
    with pytest.raises(KeyboardInterrupt) as info:
        PLANS["sync"].start()
    notes = info.value.__notes__
    assert len(notes) == 2
    assert notes[0].startswith(f"rolling back start-up, while stopping service `{ORDER[30]}` ({SOURCES['sync'][ORDER[30]]}): ")
    assert notes[0].endswith(f"RuntimeError: injected teardown failure in {ORDER[30]}")
    assert ORDER[3] in notes[1]
    del info
    check_rolled_back(set(ORDER[:40]))


@pytest.mark.parametrize("position", [0, 9, 24, 49])
def test_ctrl_c_during_async_start(position: int) -> None:
    """Ctrl-C under asyncio.run: the runner cancels the main task; the start
    rolls back, then asyncio.run raises KeyboardInterrupt."""
    # A genuinely optional platform: CPython 3.10's asyncio.run does not turn
    # SIGINT into a cancellation, and only the main thread with the default
    # handler receives it. The test command (3.11+, pytest's main thread)
    # runs it.
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler or sys.version_info < (3, 11) \
            or threading.current_thread() is not threading.main_thread():
        pytest.skip("asyncio.run turns SIGINT into a cancellation with the default handler, from 3.11")
    sid = ORDER[position]
    H.reset(sigint=sid)
    with pytest.raises(KeyboardInterrupt):
        run_async("async")()
    # The SIGINT factory itself and those of its layer still awaiting were
    # cancelled; whatever had started was stopped.
    assert sid not in H.started
    assert set(H.started) >= {s for layer in layers(PLANS["async"]) if sid not in layer
                              for s in layer if ORDER.index(s) < position}
    assert H.stopped == H.started[::-1]
    gc.collect()
    assert not list(H.live)


def test_factory_raises_with_teardown_errors_on_the_way() -> None:
    # A failure at `p`, and a teardown that raises at each `q` before it.
    for p in (10, 25, 49):
        for q in range(p):
            H.reset(fail_start=ORDER[p], fail_stop=[ORDER[q]])
            err = start_error(PLANS["sync"].start)
            assert err.service == ORDER[p]
            assert err.teardown_errors is not None
            [te] = err.teardown_errors.exceptions
            assert str(te) == f"injected teardown failure in {ORDER[q]}"
            assert te.__notes__ == [f"while stopping service `{ORDER[q]}` ({SOURCES['sync'][ORDER[q]]})"]
            assert str(err).endswith("; 1 teardown error while rolling back")
            del err, te
            check_rolled_back(set(ORDER[:p]))


# ---- a teardown raises ---------------------------------------------------------


def check_stop_errors(group: BaseExceptionGroup[BaseException], flavor: str, failing: list[str]) -> None:
    """One error per failing teardown, in stop order, each naming its service."""
    assert isinstance(group, ExceptionGroup)
    assert [str(e) for e in group.exceptions] == [f"injected teardown failure in {s}" for s in failing]
    assert [e.__notes__ for e in group.exceptions] == [[f"while stopping service `{s}` ({SOURCES[flavor][s]})"]
                                                       for s in failing]


@pytest.mark.parametrize("position", POSITIONS)
def test_sync_teardown_raises(position: int) -> None:
    sid = ORDER[position]
    H.reset(fail_stop=[sid])
    app = PLANS["sync"].start()
    with pytest.raises(ExceptionGroup) as info:
        app.stop()
    check_stop_errors(info.value, "sync", [sid])
    app.stop()  # nothing left to stop: no teardown runs twice
    del app, info
    check_rolled_back(set(ORDER))


@pytest.mark.parametrize("flavor", ["async", "mixed"])
@pytest.mark.parametrize("position", POSITIONS)
def test_async_teardown_raises(flavor: str, position: int) -> None:
    sid = ORDER[position]
    H.reset(fail_stop=[sid])

    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with PLANS[flavor].start_async():
                assert set(H.started) == set(ORDER)
        check_stop_errors(info.value, flavor, [sid])

    asyncio.run(main())
    check_rolled_back(set(ORDER))


def test_every_teardown_raises() -> None:
    H.reset(fail_stop=ORDER)
    app = PLANS["sync"].start()
    with pytest.raises(ExceptionGroup) as info:
        app.stop()
    check_stop_errors(info.value, "sync", ORDER[::-1])
    del app, info
    check_rolled_back(set(ORDER))


# ---- timeouts ------------------------------------------------------------------

HANG_POSITIONS = [0, 5, 6, 21, 37, 49]


def awaiting(positions: Any) -> list[tuple[str, int]]:
    """(flavor, position) where the factory is async: one that can hang on
    an event, or be cancelled while it awaits."""
    return [(flavor, p) for flavor in ("async", "mixed") for p in positions if not is_sync(flavor, ORDER[p])]


@pytest.mark.parametrize("flavor, position", awaiting(HANG_POSITIONS))
def test_hanging_factory_times_out(flavor: str, position: int) -> None:
    sid = ORDER[position]
    H.reset(hang_start=[sid])
    t0 = time.perf_counter()
    err = start_error(run_async(flavor, start_timeout=0.1))
    assert time.perf_counter() - t0 < 2
    check_error(err, flavor, sid, TimeoutError, f"`{sid}` did not start within 100 ms")
    assert str(err.cause) == f"`{sid}` did not start within 100 ms"  # the core's words
    del err
    assert H.cancelled == [sid]  # the hung factory was cancelled, not abandoned
    check_rolled_back(expected_started(flavor, sid))


@pytest.mark.parametrize("flavor, position", awaiting(HANG_POSITIONS))
def test_hanging_teardown_times_out(flavor: str, position: int) -> None:
    sid = ORDER[position]
    H.reset(hang_stop=sid)

    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with PLANS[flavor].start_async(stop_timeout=0.1):
                pass
        [e] = info.value.exceptions
        assert isinstance(e, TimeoutError)
        assert str(e) == f"`{sid}` did not stop within 100 ms"
        assert e.__notes__ == [f"while stopping service `{sid}` ({SOURCES[flavor][sid]})"]

    t0 = time.perf_counter()
    asyncio.run(main())
    assert time.perf_counter() - t0 < 2
    assert H.cancelled == [sid]
    # Every teardown ran, the ones after the hung one included.
    check_rolled_back(set(ORDER))


@pytest.mark.parametrize("position", [0, 24, 49])
def test_slow_sync_factory_is_measured(position: int) -> None:
    sid = ORDER[position]
    H.reset(slow_start=sid, slow=0.25)
    err = start_error(lambda: PLANS["sync"].start(start_timeout=0.1))
    check_error(err, "sync", sid, TimeoutError, f"`{sid}` did not start within 100 ms: the factory returned after ")
    assert "cannot be interrupted" in str(err)
    del err
    # It did start: it is stopped with the others, first.
    assert H.stopped[0] == sid
    check_rolled_back(set(ORDER[: position + 1]))


def test_slow_sync_factory_in_async_start_is_measured() -> None:
    sid = next(s for s in ORDER[10:] if is_sync("mixed", s))
    H.reset(slow_start=sid, slow=0.25)
    err = start_error(run_async("mixed", start_timeout=0.1))
    check_error(err, "mixed", sid, TimeoutError, f"`{sid}` did not start within 100 ms: the factory returned after ")
    del err
    check_rolled_back(expected_started("mixed", sid) | {sid})


@pytest.mark.parametrize("position", [0, 24, 49])
def test_slow_sync_teardown_is_reported(position: int) -> None:
    sid = ORDER[position]
    H.reset(slow_stop=sid, slow=0.25)
    app = PLANS["sync"].start(start_timeout=5, stop_timeout=0.1)
    with pytest.raises(ExceptionGroup) as info:
        app.stop()
    [e] = info.value.exceptions
    assert isinstance(e, TimeoutError)
    assert str(e).startswith(f"`{sid}` did not stop within 100 ms: the teardown returned after ")
    del app, info, e
    check_rolled_back(set(ORDER))


def test_timeouts_that_do_not_fire() -> None:
    H.reset()
    with PLANS["sync"].start(start_timeout=10, stop_timeout=float("inf")):
        pass
    check_rolled_back(set(ORDER))

    async def main() -> None:
        async with PLANS["mixed"].start_async(start_timeout=10, stop_timeout=10) as app:
            assert app.get("s49").sid == "s49"

    H.reset()
    asyncio.run(main())
    check_rolled_back(set(ORDER))


@pytest.mark.parametrize("value, error", [(0, ValueError), (-1.0, ValueError), (float("nan"), ValueError),
                                          ("1", TypeError), (True, TypeError)])
def test_timeout_values_are_checked(value: Any, error: type[Exception]) -> None:
    H.reset()
    with pytest.raises(error, match="start_timeout"):
        PLANS["sync"].start(start_timeout=value)
    with pytest.raises(error, match="stop_timeout"):
        PLANS["sync"].start_async(stop_timeout=value)
    assert H.started == []


# ---- cancellation --------------------------------------------------------------


async def cancel_start(flavor: str, hanging: int) -> None:
    """Starts, waits until `hanging` factories hang and the rest of their
    layer has settled, then cancels the task that runs the start."""

    async def start() -> None:
        async with PLANS[flavor].start_async():
            raise AssertionError("not reached")

    task = asyncio.ensure_future(start())
    while len(H.hanging) < hanging:
        await asyncio.sleep(0)
    for _ in range(10):
        await asyncio.sleep(0)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


@pytest.mark.parametrize("flavor, position", awaiting(POSITIONS))
def test_cancel_start_mid_layer(flavor: str, position: int) -> None:
    sid = ORDER[position]
    H.reset(hang_start=[sid])
    asyncio.run(cancel_start(flavor, 1))
    assert H.cancelled == [sid]
    check_rolled_back(expected_started(flavor, sid))


@pytest.mark.parametrize("layer", range(len(PLANS["async"].layers)))
def test_cancel_start_with_a_whole_layer_waiting(layer: int) -> None:
    hang = layers(PLANS["async"])[layer]
    H.reset(hang_start=hang)
    asyncio.run(cancel_start("async", len(hang)))
    assert sorted(H.cancelled) == sorted(hang)
    check_rolled_back({s for earlier in layers(PLANS["async"])[:layer] for s in earlier})


def test_cancel_start_through_an_outer_timeout() -> None:
    H.reset(hang_start=[ORDER[30]])

    async def main() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(PLANS["async"].start_async().__aenter__(), 0.1)

    asyncio.run(main())
    check_rolled_back(expected_started("async", ORDER[30]))


@pytest.mark.parametrize("position", [0, 21, 49])
def test_cancel_start_with_a_start_timeout_set(position: int) -> None:
    # The start timeout's own cancellation machinery lets a task
    # cancellation through as a cancellation, not as a timeout.
    sid = ORDER[position]
    H.reset(hang_start=[sid])

    async def main() -> None:
        task = asyncio.ensure_future(PLANS["async"].start_async(start_timeout=30).__aenter__())
        while not H.hanging:
            await asyncio.sleep(0)
        for _ in range(10):
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert H.cancelled == [sid]
    check_rolled_back(expected_started("async", sid))


def test_sync_stop_of_async_teardowns_refuses_then_astop_stops_once() -> None:
    H.reset()

    async def main() -> None:
        app = await PLANS["mixed"].start_async()
        with pytest.raises(TypeError, match="astop"):
            app.stop()
        assert H.stopped == []  # nothing stopped: the async stop can still stop everything
        await app.astop()
        await app.astop()  # a second stop has nothing left to do

    asyncio.run(main())
    check_rolled_back(set(ORDER))
