"""Issue 16's Python rows, each against its anchor in one run, interleaved
(anchor, wireplan, anchor, ...; which goes first alternates), reported as
medians and the median of the per-pair ratios: one JSON object per line, for
``bench/targets.py``. Not a test.

    .venv/bin/python bench/python/targets.py [quick]

Rows: 1,000 providers (classes in a real module) registered, compiled from a
warm cache and started, against a hand-written loop; the same cold (no cache,
writing it) at 1k and 10k, in milliseconds; per request, a scope entered, a
scoped service with one dependency got and the scope left, in microseconds;
a transient's ``get`` against constructing it by hand; a 100,000-provider
chain started and got, against the hand loop. The apps are the generated
modules of ``bench/python/run.py``.

Every timed sample starts after a full collection (``gc.collect()``, not
timed), so each side pays for the collections its own allocations make due,
and none for the other's: a full collection of these processes (100,000
generated classes loaded) takes about 0.4 s, and without it whichever side
allocated when the threshold was crossed paid for it (the hand loop was
timed at 0.5 s in place of 0.12 s in most rounds of the chain row, and at
1.06 ms in place of 0.31 ms in the warm row while wireplan left cyclic
garbage behind).
"""

from __future__ import annotations

import gc
import importlib.util
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("wireplan_bench_run", HERE / "run.py")
assert spec is not None and spec.loader is not None
bench = importlib.util.module_from_spec(spec)
sys.modules["wireplan_bench_run"] = bench
spec.loader.exec_module(bench)

import wireplan  # noqa: E402

QUICK = "quick" in sys.argv[1:]


def pairs(anchor: Callable[[], float], subject: Callable[[], float], rounds: int) -> dict[str, Any]:
    anchor()
    subject()
    a: list[float] = []
    w: list[float] = []
    r: list[float] = []
    for i in range(rounds):
        if i % 2 == 0:
            ta = anchor()
            tw = subject()
        else:
            tw = subject()
            ta = anchor()
        a.append(ta)
        w.append(tw)
        r.append(tw / ta if ta > 0 else float("inf"))
    return {"anchor_ms": statistics.median(a), "wireplan_ms": statistics.median(w), "ratio": statistics.median(r), "rounds": rounds}


def emit(row: str, anchor: str, result: dict[str, Any], target: float, kind: str = "at most") -> None:
    print(json.dumps({"row": row, "anchor": anchor, **result, "target": target, "kind": kind}), flush=True)


def ms(fn: Callable[[], Any]) -> Callable[[], float]:
    def run() -> float:
        gc.collect()  # untimed: see the module's docstring
        t = time.perf_counter()
        fn()
        return (time.perf_counter() - t) * 1e3

    return run


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="wireplan-targets-"))
    try:
        sys.path.insert(0, str(workdir))
        # Warm: 1,000 providers, compile from a warm cache, start every one.
        deps = bench.gen.layered(1000)
        path = bench.write_app(workdir, "targets_1000", deps)
        cache = str(workdir / "cache")
        # Filled by another process, started after the file was written: a
        # process never trusts a cache of sources changed since it began.
        bench.fill_cache(path, 1000, cache)
        app = bench.App(path, deps)
        emit("Python: 1,000 providers, register + compile from a warm cache + start-all, vs a hand-written loop",
             "hand-written loop", pairs(ms(lambda: bench.run_hand(app)), ms(lambda: bench.run_wireplan(app, cache_dir=cache)),
                                        5 if QUICK else 41), 1.5)

        # Cold, writing the cache: absolute milliseconds.
        for n, target in ((1000, 10.0), (10_000, 100.0)):
            deps = bench.gen.layered(n)
            app = bench.App(bench.write_app(workdir, f"targets_cold_{n}", deps), deps)
            samples = []
            for i in range(3 if QUICK else (11 if n == 1000 else 5)):
                d = workdir / f"cold_{n}_{i}"
                gc.collect()  # untimed: see the module's docstring
                t = time.perf_counter()
                bench.run_wireplan(app, cache_dir=str(d))
                samples.append((time.perf_counter() - t) * 1e3)
            emit(f"Python: {n:,} providers, cold (no cache; writing it) register + compile + start-all, ms", "target",
                 {"value": statistics.median(samples), "rounds": len(samples)}, target, "absolute")

        # Per request and transient get.
        class Db:
            pass

        class Session:
            def __init__(self, db: Db) -> None:
                self.db = db

        class Token:
            def __init__(self, db: Db) -> None:
                self.db = db

        ns = {"Db": Db, "Session": Session, "Token": Token}
        for cls in (Session, Token):
            cls.__init__.__annotations__ = {"db": Db, "return": None}
            cls.__module__ = __name__
        globals().update(ns)
        reg = wireplan.Registry()
        reg.provide(Db)
        reg.provide(Session, lifetime="scoped")
        reg.provide(Token, lifetime="transient")
        plan = reg.compile()
        with plan.start() as started:
            n = 2_000 if QUICK else 20_000

            def requests() -> None:
                for _ in range(n):
                    with started.scope() as scope:
                        scope.get(Session)

            t = ms(requests)
            per = statistics.median([t() for _ in range(3 if QUICK else 9)]) * 1e3 / n
            emit("Python: per request, scope enter + get a scoped service with one dependency + exit, µs", "target",
                 {"value": per, "rounds": 9}, 0.6, "absolute")
            db = started.get(Db)
            get = started.get

            def by_hand() -> None:
                for _ in range(n):
                    Token(db)

            def transient() -> None:
                for _ in range(n):
                    get(Token)

            emit("Python: get of a transient, vs constructing it by hand", "constructing by hand",
                 pairs(ms(by_hand), ms(transient), 3 if QUICK else 15), 3.0)

        # A 100,000-provider chain, started and got.
        deps = bench.gen.chain(100_000)
        app = bench.App(bench.write_app(workdir, "targets_chain", deps), deps)
        emit("Python: 100,000-provider chain, start + get (no cache), vs a hand-written loop", "hand-written loop",
             pairs(ms(lambda: bench.run_hand(app)), ms(lambda: bench.run_wireplan(app)), 3 if QUICK else 5), 2.0)
    finally:
        gc.collect()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
