"""The shared runtime vectors (``tests/runtime/``), run by the Python runtime.

Each case is a graph of descriptor services, a behaviour per service (its
factory succeeds, fails, is slow, hangs; its teardown is clean, raises, or is
a unit of work), and steps (start, scopes, lookups, stop). The factories log
what happens to them; the log and each step's outcome must equal the case's,
exactly. JS runs the same cases (``js/test/runtime-vectors.test.mjs``); the
format is ``tests/runtime/README.md``, the contract ``docs/lifecycle.md``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import time
from pathlib import Path
from typing import Any, Callable

import pytest

import wireplan
from wireplan.errors import ExceptionGroup

VECTORS = Path(__file__).resolve().parent.parent.parent / "tests" / "runtime"
MANIFEST = [line for line in (VECTORS / "manifest.txt").read_text().splitlines() if line]
TICK = 0.01  # seconds: the cases' unit of time


def _load(rel: str) -> dict[str, Any]:
    case: dict[str, Any] = json.loads((VECTORS / rel).read_text())
    return case


CASES = {rel: _load(rel) for rel in MANIFEST}
RUNS = [(rel, mode) for rel in MANIFEST for mode in CASES[rel]["modes"] if mode in ("sync", "async")]


def test_the_harness_runs_exactly_the_manifest() -> None:
    on_disk = sorted(str(p.relative_to(VECTORS)) for p in (VECTORS / "cases").rglob("*.json"))
    assert MANIFEST == on_disk
    assert len(MANIFEST) == len(set(MANIFEST)) >= 100
    # Every case runs here at least once (JS-only cases do not exist: JS runs `async`).
    assert sorted({rel for rel, _ in RUNS}) == sorted(MANIFEST)


def test_the_generated_cases_are_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("runtime_vectors_generate", VECTORS / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    for rel, text in generate.cases().items():
        assert (VECTORS / rel).read_text() == text, f"{rel} is stale: run python3 tests/runtime/generate.py"


class FactoryError(Exception):
    """What a failing factory raises: names its service."""

    def __init__(self, sid: str) -> None:
        super().__init__(f"injected failure in {sid}")
        self.sid = sid


class TeardownError(Exception):
    """What a failing teardown raises."""

    def __init__(self, sid: str) -> None:
        super().__init__(f"injected teardown failure in {sid}")
        self.sid = sid


class Marker(Exception):
    """The harness's own exception, leaving a scope or the app."""


class Instance:
    """What every factory returns: it knows its service."""

    def __init__(self, sid: str) -> None:
        self.id = sid


class Harness:
    """The behaviours of one case's services, and the log they write."""

    def __init__(self, case: dict[str, Any]) -> None:
        self.behaviour: dict[str, dict[str, Any]] = case.get("behaviour", {})
        self.log: list[str] = []
        self.calls: dict[str, int] = {}

    def _how(self, sid: str) -> tuple[str, dict[str, Any]]:
        b = self.behaviour.get(sid, {})
        n = self.calls[sid] = self.calls.get(sid, 0) + 1
        how = b.get("factory", "ok")
        if "times" in b and n > b["times"]:
            how = "ok"
        return how, b

    def make(self, sid: str) -> Instance:
        """A synchronous factory."""
        how, b = self._how(sid)
        self.log.append(f"build {sid}")
        if how in ("slow", "fail-late"):
            time.sleep(b["delay"] * TICK)
        elif how not in ("ok", "raise"):
            raise AssertionError(f"`{how}` has no synchronous form")
        if how in ("raise", "fail-late"):
            self.log.append(f"fail {sid}")
            raise FactoryError(sid)
        self.log.append(f"ready {sid}")
        return Instance(sid)

    async def amake(self, sid: str) -> Instance:
        """An async factory: `ok` and `raise` settle without awaiting."""
        how, b = self._how(sid)
        self.log.append(f"build {sid}")
        if how in ("slow", "fail-late", "hang"):
            loop = asyncio.get_running_loop()
            end = loop.time() + b.get("delay", 0) * TICK
            try:
                if how == "hang":
                    await asyncio.Event().wait()
                else:
                    await asyncio.sleep(b["delay"] * TICK)
            except asyncio.CancelledError:
                self.log.append(f"cancel {sid}")
                if not b.get("ignores_cancel"):
                    raise
                await asyncio.sleep(max(0.0, end - loop.time()))
                self.log.append(f"late {sid}")
                return Instance(sid)
        if how in ("raise", "fail-late"):
            self.log.append(f"fail {sid}")
            raise FactoryError(sid)
        self.log.append(f"ready {sid}")
        return Instance(sid)

    def clean(self, sid: str) -> None:
        """A teardown on a clean exit."""
        kind = self.behaviour[sid]["teardown"]
        if kind == "raise":
            self.log.append(f"teardown-fail {sid}")
            raise TeardownError(sid)
        self.log.append(f"commit {sid}" if kind == "unit-of-work" else f"teardown {sid}")

    def told(self, sid: str, error: BaseException) -> None:
        """A teardown told of `error` (the caller re-raises it)."""
        kind = self.behaviour[sid]["teardown"]
        if kind == "raise":
            self.log.append(f"teardown-fail {sid}")
            raise TeardownError(sid)
        self.log.append(f"rollback {sid}" if kind == "unit-of-work" else f"teardown {sid} error")


    def hook(self, sid: str, phase: str, is_async: bool) -> Callable[[Any], Any] | None:
        """A start or stop hook as the case says: `ok` logs `<phase> <id>`;
        `raise` logs it, then `<phase>-fail <id>`, and raises (a failing
        stop hook as a teardown does)."""
        kind = self.behaviour.get(sid, {}).get("on_start" if phase == "start-hook" else "on_stop")
        if kind is None:
            return None

        def run(instance: Any) -> None:
            assert instance.id == sid
            self.log.append(f"{phase} {sid}")
            if kind == "raise":
                self.log.append(f"{phase}-fail {sid}")
                raise FactoryError(sid) if phase == "start-hook" else TeardownError(sid)

        async def arun(instance: Any) -> None:
            run(instance)

        return arun if is_async else run


# Factories are made from source, so that each takes one parameter per
# dependency (what the registry binds by position).
_TEMPLATES = {
    (False, False): "def f({params}):\n    return H.make(SID)\n",
    (True, False): "async def f({params}):\n    return await H.amake(SID)\n",
    (False, True): ("def f({params}):\n    inst = H.make(SID)\n    try:\n        yield inst\n"
                    "    except BaseException as e:\n        H.told(SID, e)\n        raise\n    H.clean(SID)\n"),
    (True, True): ("async def f({params}):\n    inst = await H.amake(SID)\n    try:\n        yield inst\n"
                   "    except BaseException as e:\n        H.told(SID, e)\n        raise\n    H.clean(SID)\n"),
}


def factory(h: Harness, sid: str, is_async: bool, deps: int) -> Callable[..., Any]:
    teardown = h.behaviour.get(sid, {}).get("teardown", "none") != "none"
    source = _TEMPLATES[is_async, teardown].format(params=", ".join(f"d{i}" for i in range(deps)))
    scope: dict[str, Any] = {"H": h, "SID": sid}
    exec(compile(source, f"<vector service {sid}>", "exec"), scope)
    f: Callable[..., Any] = scope["f"]
    return f


def build(case: dict[str, Any], h: Harness, mode: str) -> tuple[wireplan.Plan, dict[str, str]]:
    """Registers the case's services; returns the plan and each case id's
    registry id (an override's is the registry's own)."""
    registry = wireplan.Registry()
    services = case["services"]
    overrides: list[str] = []
    for s in services:
        sid = s["id"]
        deps = s.get("deps", [])
        assert all(type(d) is str for d in deps), "the harness binds plain keys only"
        is_async = mode == "async" or bool(h.behaviour.get(sid, {}).get("async"))
        f = factory(h, sid, is_async, len(deps))
        keys = s.get("provides", [sid])
        lifetime = s.get("lifetime", "singleton")
        if s.get("replaces"):
            # Python replaces through override(key): every provider of the key.
            [key] = keys
            assert sorted(s["replaces"]) == sorted(o["id"] for o in services if key in o.get("provides", [o["id"]]) and o is not s)
            registry.override(key, factory=f, lifetime=lifetime)
            overrides.append(sid)
        else:
            registry.provide(f, provides=keys, deps=deps, lifetime=lifetime, profiles=s.get("profiles"), id=sid,
                             on_start=h.hook(sid, "start-hook", is_async), on_stop=h.hook(sid, "stop-hook", is_async))
    roots = case.get("roots")
    plan = registry.compile(profile=case.get("profile"), roots=roots)
    ids = {sid: sid for sid in (s["id"] for s in services)}
    for sid in overrides:
        [ids[sid]] = [i for i in plan.ids if i.startswith("override:")]
    return plan, ids


def lookup_outcome(e: BaseException) -> str:
    if isinstance(e, wireplan.NotPlannedError):
        return "replaced" if e.replaced_by is not None else "not-planned"
    if isinstance(e, wireplan.AmbiguousKeyError):
        return "ambiguous-key"
    if isinstance(e, wireplan.UnknownIdError):
        return "unknown-id"
    if isinstance(e, wireplan.UnknownKeyError):
        return "unknown-key"
    raise e


def start_outcome(e: wireplan.StartError, back: dict[str, str]) -> str:
    sid = back[e.service]
    if isinstance(e.cause, TimeoutError):
        return f"timeout {sid}"
    assert isinstance(e.cause, FactoryError) and e.cause.sid == sid, e.cause
    return f"start-failed {sid}"


def got(value: Any) -> str:
    values = value if isinstance(value, list) else [value]
    return " ".join(["ok", *(v.id for v in values)])


def run_sync(case: dict[str, Any], h: Harness) -> list[str]:
    plan, ids = build(case, h, "sync")
    back = {v: k for k, v in ids.items()}
    outcomes: list[str] = []
    app: Any = None
    for step in case["steps"]:
        do = step["do"]
        try:
            if do == "start":
                timeout = step.get("start_timeout")
                app = plan.start(start_timeout=timeout * TICK if timeout else None)
                outcomes.append("ok")
            elif do == "stop":
                if step.get("raise"):
                    marker = Marker()
                    try:
                        with app:
                            raise marker
                    except Marker as m:
                        assert m is marker
                        outcomes.append("app-raised")
                else:
                    app.stop()
                    outcomes.append("ok")
            elif do == "scope":
                outcomes.append(sync_scope(app, step))
            elif do == "get":
                outcomes.append(got(app.get(step["key"])))
            elif do == "get_all":
                outcomes.append(got(app.get_all(step["key"])))
            elif do == "get_id":
                outcomes.append(got(app.get_by_id(ids.get(step["id"], step["id"]))))
            else:
                raise AssertionError(f"unknown step `{do}`")
        except wireplan.StartError as e:
            outcomes.append(start_outcome(e, back))
        except ExceptionGroup as e:
            assert all(isinstance(x, TeardownError) for x in e.exceptions), e
            outcomes.append("teardown-failed")
        except LookupError as e:
            outcomes.append(lookup_outcome(e))
        except TypeError as e:
            assert str(e).startswith("cannot start synchronously"), e
            outcomes.append("async-in-sync-start")
    return outcomes


def sync_scope(app: wireplan.App, step: dict[str, Any]) -> str:
    assert not step.get("concurrent"), "concurrent gets are async cases"
    first: str | None = None
    marker = Marker()
    try:
        with app.scope() as scope:
            for key in [*step.get("get", []), *step.get("then", [])]:
                try:
                    scope.get(key)
                except FactoryError as e:
                    first = first or f"failed {e.sid}"
            if step.get("raise"):
                raise marker
    except Marker as m:
        assert m is marker
        return "scope-raised"
    return first or "ok"


async def run_async(case: dict[str, Any], h: Harness) -> list[str]:
    plan, ids = build(case, h, "async")
    back = {v: k for k, v in ids.items()}
    outcomes: list[str] = []
    starting: Any = None
    app: Any = None
    errors: list[wireplan.StartError] = []
    for step in case["steps"]:
        do = step["do"]
        try:
            if do == "start":
                timeout = step.get("start_timeout")
                starting = plan.start_async(start_timeout=timeout * TICK if timeout else None)
                app = await starting.__aenter__()
                outcomes.append("ok")
            elif do == "stop":
                if step.get("raise"):
                    marker = Marker()
                    try:
                        try:
                            raise marker
                        except Marker as m:  # what `async with` does when its body raises
                            await starting.__aexit__(type(m), m, m.__traceback__)
                            raise
                    except Marker as m:
                        assert m is marker
                        outcomes.append("app-raised")
                else:
                    await starting.__aexit__(None, None, None)
                    outcomes.append("ok")
            elif do == "scope":
                outcomes.append(await async_scope(app, step))
            elif do == "get":
                outcomes.append(got(await app.aget(step["key"])))
            elif do == "get_all":
                outcomes.append(got(await app.aget_all(step["key"])))
            elif do == "get_id":
                outcomes.append(got(await app.aget_by_id(ids.get(step["id"], step["id"]))))
            else:
                raise AssertionError(f"unknown step `{do}`")
        except wireplan.StartError as e:
            errors.append(e)
            outcomes.append(start_outcome(e, back))
        except ExceptionGroup as e:
            assert all(isinstance(x, TeardownError) for x in e.exceptions), e
            outcomes.append("teardown-failed")
        except LookupError as e:
            outcomes.append(lookup_outcome(e))
    # Wait until nothing is in flight: abandoned factories settle and are torn down.
    for err in errors:
        assert await err.settled() == []
    return outcomes


async def run_async_case(case: dict[str, Any], h: Harness) -> list[str]:
    # A runtime that waits for a hung factory fails here, not by hanging the suite.
    outcomes = await asyncio.wait_for(run_async(case, h), 30)
    me = asyncio.current_task()
    while others := [t for t in asyncio.all_tasks() if t is not me]:
        _, pending = await asyncio.wait(others, timeout=30)
        assert not pending, f"still running after the case: {pending}"
    return outcomes


async def async_scope(app: wireplan.App, step: dict[str, Any]) -> str:
    first: str | None = None
    marker = Marker()

    def record(e: BaseException) -> None:
        nonlocal first
        if not isinstance(e, FactoryError):
            raise e
        first = first or f"failed {e.sid}"

    try:
        async with app.scope() as scope:
            keys = step.get("get", [])
            if step.get("concurrent"):
                for r in await asyncio.gather(*(scope.aget(k) for k in keys), return_exceptions=True):
                    if isinstance(r, BaseException):
                        record(r)
            else:
                for key in keys:
                    try:
                        await scope.aget(key)
                    except FactoryError as e:
                        record(e)
            for key in step.get("then", []):
                try:
                    await scope.aget(key)
                except FactoryError as e:
                    record(e)
            if step.get("raise"):
                raise marker
    except Marker as m:
        assert m is marker
        return "scope-raised"
    return first or "ok"


def expected(case: dict[str, Any], field: str, mode: str) -> list[str]:
    table: dict[str, list[str]] = case[field]
    return table[mode] if mode in table else table["default"]


@pytest.mark.parametrize("rel, mode", RUNS, ids=[f"{rel.removeprefix('cases/').removesuffix('.json')}-{mode}" for rel, mode in RUNS])
def test_runtime_vector(rel: str, mode: str) -> None:
    case = CASES[rel]
    h = Harness(case)
    outcomes = run_sync(case, h) if mode == "sync" else asyncio.run(run_async_case(case, h))
    assert (h.log, outcomes) == (expected(case, "events", mode), expected(case, "outcome", mode)), case["about"]
