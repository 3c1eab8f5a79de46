"""wireplan's Python benchmark: wireplan and its peers in one run, with ratios.

    bash bench/python/setup.sh            # once: the peers, into bench/.venv
    .venv/bin/python bench/python/run.py  # about 6 minutes; --quick: under 1

The peers (graphlib2, rustworkx, dishka, dependency-injector, dioxide,
wireup; pinned in requirements.txt) are taken from bench/.venv, whose
site-packages this script appends to sys.path; wireplan from the running
interpreter. A peer or wireplan that is missing shows as "n/a".

Graphs come from bench/gen.py (shared with the other languages):

(a) graphlib: ``static_order`` of a 100,000-node layered graph (~294,000
    edges) given as a dict of lists, construction included.
(b) DI start-up: N generated classes whose ``__init__`` parameters are
    type-hinted with the classes they depend on; register + compile + start
    all (every service resolved once). wireplan cold (no cache) and warm
    (plan from the disk cache, after one run that filled it); the peers
    (cold, their only mode); and a hand-written loop calling the
    constructors in a precomputed order, the floor. Then what trusting
    the cache costs a warm start of 1,000 providers: the cache key and
    the stat of every source file.
(c) a chain of providers: which frameworks start chains of 1,000 and
    10,000, and wireplan on 100,000 (start and stop).
(d) what ``import X`` adds to a bare interpreter (``-X importtime``'s
    cumulative time of X, median of 5 runs, bytecode cached as after an
    install).
(e) memory of 10,000 providers started, beyond the instances themselves
    (tracemalloc, minus what the hand-written loop's instances take).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import re
import shutil
import site
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import types
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PEER_SITE = sorted((ROOT / "bench" / ".venv" / "lib").glob("python3*/site-packages"))
for path in PEER_SITE:
    site.addsitedir(str(path))  # appended: the running venv's packages come first

spec = importlib.util.spec_from_file_location("wireplan_bench_gen", ROOT / "bench" / "gen.py")
assert spec is not None and spec.loader is not None
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)


def try_import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


wireplan = try_import("wireplan")
wgraphlib = try_import("wireplan.graphlib")


def best_of(fn: Callable[..., Any], repeat: int, setup: Callable[[], Any] | None = None,
            cap: float = 3.0) -> float:
    """Best wall time of ``repeat`` calls (fewer once ``cap`` seconds were
    spent); ``setup()``'s result is passed to ``fn`` and is not timed."""
    best = float("inf")
    spent = 0.0
    for _ in range(repeat):
        if spent > cap:
            break
        arg = setup() if setup else None
        gc.collect()
        t0 = time.perf_counter()
        fn(arg) if setup else fn()
        took = time.perf_counter() - t0
        best = min(best, took)
        spent += took
        del arg
    return best


def fmt_time(s: float | None) -> str:
    if s is None:
        return "n/a"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 0.01:
        return f"{s * 1e3:.0f} ms"
    return f"{s * 1e3:.2f} ms"


ROWS: list[tuple[str, str, str, str]] = []


def row(bench: str, subject: str, value: str, ratio: str = "") -> None:
    ROWS.append((bench, subject, value, ratio))
    print(f"  {bench:<34} {subject:<30} {value:>12}  {ratio}", flush=True)


def ratio(t: float | None, ref: float | None, word: str) -> str:
    if t is None or ref is None or ref <= 0:
        return ""
    return f"{t / ref:.1f}x {word}"


# --- (a) graphlib -------------------------------------------------------------


def bench_graphlib(n: int) -> None:
    import graphlib as std

    ids = gen.layered(n)
    graph = gen.names(ids)
    title = f"static_order {n // 1000}k nodes/{gen.edge_count(ids) // 1000}k edges"
    results: dict[str, float | None] = {}

    def wire() -> list:
        assert wgraphlib is not None
        return list(wgraphlib.TopologicalSorter(graph).static_order())

    def stdlib() -> list:
        return list(std.TopologicalSorter(graph).static_order())

    graphlib2 = try_import("graphlib2")

    def g2() -> list:
        return list(graphlib2.TopologicalSorter(graph).static_order())

    rx = try_import("rustworkx")

    def rustworkx() -> list:
        g = rx.PyDiGraph()
        names = list(graph)
        index = dict(zip(names, g.add_nodes_from(names)))
        g.add_edges_from_no_data([(index[p], index[s]) for s, ps in graph.items() for p in ps])
        return [g[i] for i in rx.topological_sort(g)]

    subjects = [("wireplan.graphlib", wire if wgraphlib else None, 5),
                ("graphlib (stdlib)", stdlib, 2),
                ("graphlib2", g2 if graphlib2 else None, 3),
                ("rustworkx", rustworkx if rx else None, 3)]
    for name, fn, rep in subjects:
        results[name] = best_of(fn, rep) if fn else None
    if wgraphlib:
        same = wire() == stdlib()
        print(f"  (wireplan.graphlib order identical to stdlib's: {same})")
        assert same, "wireplan.graphlib's order differs from the standard library's"
    ref = results["wireplan.graphlib"]
    for name, _, _ in subjects:
        t = results[name]
        row(title, name, fmt_time(t), "" if name.startswith("wireplan") else ratio(t, ref, "wireplan"))


# --- (b) DI start-up ------------------------------------------------------------


def app_source(deps: list[list[int]]) -> str:
    width = len(str(len(deps) - 1))
    lines = ["# generated by bench/python/run.py: one class per service\n"]
    for i, ds in enumerate(deps):
        name = f"S{i:0{width}d}"
        params = "".join(f", d{k}: S{d:0{width}d}" for k, d in enumerate(ds))
        body = "".join(f"        self.d{k} = d{k}\n" for k in range(len(ds))) or "        pass\n"
        lines.append(f"class {name}:\n    def __init__(self{params}) -> None:\n{body}\n")
    return "".join(lines)


_INIT_CODE: dict[int, Any] = {}


def _init_code(arity: int) -> Any:
    """``def __init__(self, d0, ..., dK) -> None: self.d0 = d0; ...``,
    compiled once per arity (compiling a module of 100,000 classes would
    take minutes, and is not what is measured)."""
    code = _INIT_CODE.get(arity)
    if code is None:
        params = "".join(f", d{k}" for k in range(arity))
        body = "".join(f"    self.d{k} = d{k}\n" for k in range(arity)) or "    pass\n"
        src = f"def __init__(self{params}) -> None:\n{body}"
        module = compile(src, "<init>", "exec", dont_inherit=True)
        code = _INIT_CODE[arity] = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    return code


class App:
    """A fresh module of generated classes, as if imported from ``path``
    (whose text shows the same classes): ``S<i>.__init__`` takes one
    parameter per dependency, annotated with the dependency's class. Each
    ``__init__`` has the file and line its class has in that text."""

    def __init__(self, path: Path, deps: list[list[int]]):
        name = path.stem
        module = types.ModuleType(name)
        module.__file__ = str(path)
        sys.modules[name] = module  # the same name every time, like a restart
        width = len(str(len(deps) - 1))
        classes: list[type] = []
        line = 2
        ns = module.__dict__
        for i, ds in enumerate(deps):
            cname = f"S{i:0{width}d}"
            code = _init_code(len(ds)).replace(
                co_filename=str(path), co_firstlineno=line + 1, co_qualname=f"{cname}.__init__"
            )
            init = types.FunctionType(code, ns, "__init__")
            init.__qualname__ = f"{cname}.__init__"
            init.__module__ = name
            ann: dict[str, Any] = {f"d{k}": classes[d] for k, d in enumerate(ds)}
            ann["return"] = None
            init.__annotations__ = ann
            cls = type(cname, (), {"__init__": init, "__module__": name, "__qualname__": cname})
            ns[cname] = cls
            classes.append(cls)
            line += 2 + max(1, len(ds)) + 1
        self.classes = classes
        self.deps = deps
        self.module = module


def write_app(workdir: Path, tag: str, deps: list[list[int]]) -> Path:
    path = workdir / f"wpbench_{tag}.py"
    path.write_text(app_source(deps), encoding="utf-8")
    return path


def run_hand(app: App) -> list:
    # The floor: constructors called in a precomputed order (deps come first
    # in id order), no framework at all.
    classes, deps = app.classes, app.deps
    inst: list = [None] * len(classes)
    for i, cls in enumerate(classes):
        inst[i] = cls(*[inst[d] for d in deps[i]])
    return inst


def run_wireplan(app: App, cache_dir: str | None = None, stop: bool = True) -> Any:
    reg = wireplan.Registry()
    for cls in app.classes:
        reg.provide(cls)
    plan = reg.compile(cache_dir=cache_dir)
    ctx = plan.start()
    started = ctx.__enter__()
    get = started.get
    for cls in app.classes:
        get(cls)
    if stop:
        ctx.__exit__(None, None, None)
        return None
    return ctx, started


def run_dependency_injector(app: App) -> Any:
    from dependency_injector import containers, providers

    # Explicit wiring (no introspection), as its documentation shows.
    container = containers.DynamicContainer()
    made: list = []
    for cls, ds in zip(app.classes, app.deps):
        p = providers.Singleton(cls, *[made[d] for d in ds])
        made.append(p)
        setattr(container, cls.__name__, p)
    for p in made:
        p()
    return container


def run_dishka(app: App) -> Any:
    from dishka import Provider, Scope, make_container

    provider = Provider(scope=Scope.APP)
    for cls in app.classes:
        provider.provide(cls)
    container = make_container(provider)
    for cls in app.classes:
        container.get(cls)
    return container


def run_wireup(app: App) -> Any:
    import wireup

    for cls in app.classes:
        wireup.injectable(cls)
    container = wireup.create_sync_container(injectables=app.classes)
    for cls in app.classes:
        container.get(cls)
    return container


def run_dioxide(app: App) -> Any:
    import dioxide
    from dioxide._registry import _clear_registry

    _clear_registry()
    for cls in app.classes:
        dioxide.service(cls)
    container = dioxide.Container()
    container.scan()
    for cls in app.classes:
        container.resolve(cls)
    return container


PEERS: list[tuple[str, str, Callable[[App], Any]]] = [
    ("dependency-injector", "dependency_injector", run_dependency_injector),
    ("dioxide", "dioxide", run_dioxide),
    ("dishka", "dishka", run_dishka),
    ("wireup", "wireup", run_wireup),
]


def bench_startup(workdir: Path, n: int, repeat: int, slow_budget: float) -> dict[str, Any]:
    deps = gen.layered(n)
    path = write_app(workdir, f"layered_{n}", deps)
    title = f"start-up {n:,} providers"
    times: dict[str, Any] = {}
    times["hand-written loop"] = best_of(run_hand, repeat * 2, setup=lambda: App(path, deps))
    if wireplan:
        times["wireplan cold"] = best_of(run_wireplan, repeat, setup=lambda: App(path, deps))
        cache = tempfile.mkdtemp(prefix="wpbench-cache-", dir=workdir)
        fill_cache(path, n, cache)
        times["wireplan warm (disk cache)"] = best_of(
            lambda a: run_wireplan(a, cache_dir=cache), repeat, setup=lambda: App(path, deps)
        )
    else:
        times["wireplan cold"] = times["wireplan warm (disk cache)"] = None
    for label, module, fn in PEERS:
        if try_import(module) is None:
            times[label] = None
            continue
        est = PEER_1K.get(label)
        if est is not None and est * n / 1000 > slow_budget:
            print(f"  ({label} skipped at {n:,}: about {est * n / 1000:.0f} s expected; --slow-budget)")
            times[label] = "skipped"
            if n != 1000:
                PEER_10K[label] = None
            continue
        try:
            times[label] = best_of(fn, 1 if n > 1000 else repeat, setup=lambda: App(path, deps))
        except Exception as e:  # noqa: BLE001 - a failing peer is a result
            print(f"  ({label} failed: {type(e).__name__}: {str(e)[:80]})")
            times[label] = None
        if n == 1000:
            PEER_1K[label] = times[label]
        else:
            PEER_10K[label] = times[label]
    ref = times["wireplan cold"]
    hand = times["hand-written loop"]
    for label, t in times.items():
        if t == "skipped":
            row(title, label, "skipped")
            continue
        if label == "hand-written loop":
            r = ""
        elif label.startswith("wireplan"):
            r = ratio(t, hand, "hand loop")
        else:
            r = ratio(t, ref, "wireplan cold")
        row(title, label, fmt_time(t), r)
    return times


PEER_1K: dict[str, float | None] = {}
PEER_10K: dict[str, float | None] = {}


def fill_cache(path: Path, n: int, cache: str) -> None:
    """Fills the cache as a restart would: in a new process. This process
    wrote the app's file after it started, so the entries it stores record
    that file as changed (it might not be what was imported), and the next
    start would recompile. It waits until the file is old enough for its
    stat to be recorded (see _cache.RACY_NS), as an app's files are."""
    from wireplan import _cache

    age = time.time_ns() - path.stat().st_ctime_ns
    time.sleep(max(0.0, (_cache.RACY_NS - age) / 1e9 + 0.1))
    subprocess.run([sys.executable, __file__, "--fill-cache", str(path), str(n), cache], check=True)


def _fill_cache_main(path: str, n: int, cache: str) -> None:
    sys.path.insert(0, str(Path(path).parent))
    run_wireplan(App(Path(path), gen.layered(n)), cache_dir=cache)


def bench_cache_key(workdir: Path, n: int, repeat: int) -> None:
    """What a warm start pays to trust the disk cache: the key (read from
    the registrations, no type hint) and the check that every source file
    the plan was read from is unchanged (a stat each; their stats are
    recorded once the files are two seconds old, hence the wait). With the
    classes in one file, and spread over 100 files as in a real project."""
    from wireplan import _cache, _cache_key

    deps = gen.layered(n)
    path = write_app(workdir, f"keyed_{n}", deps)
    spread = [path.with_name(f"keyed_{n}_{k}.py") for k in range(100)]
    for f in spread:
        f.write_text("# one of 100 source files\n")
    for label, files in (("1 source file", None), ("100 source files", spread)):
        def make() -> Any:
            app = App(path, deps)
            if files is not None:  # each class's __init__ in one of the files
                for i, cls in enumerate(app.classes):
                    init = cls.__dict__["__init__"]
                    init.__code__ = init.__code__.replace(co_filename=str(files[i % len(files)]))
            reg = wireplan.Registry()
            for cls in app.classes:
                reg.provide(cls)
            return reg

        reg = make()
        key = _cache_key.cache_key(reg._providers, None, None)
        time.sleep(_cache.RACY_NS / 1e9 + 0.2)
        # The manifest a restart's cold compile records (their stats old
        # enough to prove the files unchanged).
        found = _cache_key.sources(reg._providers, [])
        digests = [_cache._hash_source(f)[0] for f in found]  # type: ignore[index]
        text = _cache.manifest(key, "0" * 32, found, digests)
        assert text is not None
        _, _, sources = _cache._parse_manifest(text)
        assert _cache._fresh(sources) is True, "the sources' stats should prove them unchanged"
        t_key = best_of(lambda: _cache_key.cache_key(reg._providers, None, None), repeat * 20)
        t_check = best_of(lambda: _cache._fresh(sources), repeat * 20)
        assert _cache_key.cache_key(reg._providers, None, None) == key
        row(f"cache key + source check, {n:,} providers", label, fmt_time(t_key + t_check),
            f"key {fmt_time(t_key)}, {len(sources)} stats {fmt_time(t_check)}")


# --- (c) chains -------------------------------------------------------------------


def bench_chain(workdir: Path, wire_n: int, slow_budget: float) -> None:
    for n in (1000, 10_000):
        deps = gen.chain(n)
        path = write_app(workdir, f"chain_{n}", deps)
        for label, module, fn in [("hand-written loop", "", run_hand)] + PEERS:
            if module and try_import(module) is None:
                row(f"chain of {n:,}", label, "n/a")
                continue
            est = PEER_1K.get(label)
            if n > 1000 and est is not None and est * n / 1000 > slow_budget:
                row(f"chain of {n:,}", label, "skipped")
                continue
            try:
                fn(App(path, deps))
                verdict = "ok"
            except RecursionError:
                verdict = "RecursionError"
            except Exception as e:  # noqa: BLE001
                verdict = type(e).__name__
            row(f"chain of {n:,}", label, verdict)
    if not wireplan:
        row(f"chain of {wire_n:,}", "wireplan", "n/a")
        return
    deps = gen.chain(wire_n)
    path = write_app(workdir, f"chain_{wire_n}", deps)
    app = App(path, deps)
    try:
        t0 = time.perf_counter()
        run_wireplan(app)
        row(f"chain of {wire_n:,} (start+stop)", "wireplan", fmt_time(time.perf_counter() - t0))
    except RecursionError:
        row(f"chain of {wire_n:,}", "wireplan", "RecursionError")


# --- (d) import time --------------------------------------------------------------


IMPORTS = {  # what a user of each writes
    "wireplan": "import wireplan",
    "dependency_injector": "from dependency_injector import containers, providers",
    "dioxide": "import dioxide",
    "dishka": "import dishka",
    "wireup": "import wireup",
}


def _importtime(code: str) -> list[tuple[str, int]] | None:
    """``(name, cumulative µs)`` of each top-level entry of ``-X importtime``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in PEER_SITE)
    # Bytecode cached, as an installed package has it (pip compiles it):
    # with PYTHONDONTWRITEBYTECODE set, a module edited since its .pyc was
    # written would be compiled again on every run, and timed.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                          capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        return None
    out = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m:
            out.append((m.group(2), int(m.group(1))))
    return out


def import_ms(module: str) -> float | None:
    """Median over 5 runs of what the import statement adds to a bare
    interpreter: the cumulative times of the top-level imports it caused
    (those a bare ``-c pass`` start does not make)."""
    bare = {name for name, _ in _importtime("pass") or []}
    samples = []
    for _ in range(5):
        entries = _importtime(IMPORTS[module])
        if entries is None:
            return None
        samples.append(sum(us for name, us in entries if name not in bare) / 1000)
    return statistics.median(samples)


def bench_import() -> None:
    title = "import, added to a bare interpreter"
    ref = import_ms("wireplan")
    row(title, "wireplan", "n/a" if ref is None else f"{ref:.1f} ms")
    for label, module, _ in PEERS:
        t = import_ms(module)
        row(title, label, "n/a" if t is None else f"{t:.1f} ms",
            "" if t is None or not ref else f"{t / ref:.1f}x wireplan")


# --- (e) memory -------------------------------------------------------------------


def traced(fn: Callable[[App], Any], app: App) -> float:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    keep = fn(app)
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del keep
    return used / (1 << 20)


def bench_memory(workdir: Path, n: int, slow_budget: float) -> None:
    deps = gen.layered(n)
    path = write_app(workdir, f"layered_{n}", deps)
    instances = traced(run_hand, App(path, deps))
    title = f"memory of {n:,} providers"
    row(title, "instances alone (hand loop)", f"{instances:.1f} MiB")
    subjects: list[tuple[str, str, Callable[[App], Any]]] = []
    if wireplan:
        subjects.append(("wireplan", "wireplan", lambda a: run_wireplan(a, stop=False)))
    subjects += PEERS
    ref = None
    for label, module, fn in subjects:
        took = PEER_10K.get(label, 0.0)
        if try_import(module) is None:
            row(title, f"{label} (beyond instances)", "n/a")
            continue
        if label in PEER_10K and (took is None or took > slow_budget):
            row(title, f"{label} (beyond instances)", "skipped")
            continue
        extra = traced(fn, App(path, deps)) - instances
        if label == "wireplan":
            ref = extra
        row(title, f"{label} (beyond instances)", f"{extra:.1f} MiB",
            "" if label == "wireplan" or not ref else f"{extra / ref:.1f}x wireplan")


def main() -> None:
    if sys.argv[1:2] == ["--fill-cache"]:
        _fill_cache_main(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats, no 10,000-provider peers")
    ap.add_argument("--slow-budget", type=float, default=10.0,
                    help="skip a peer at 10,000 providers when its 1,000 time x10 exceeds this (s)")
    args = ap.parse_args()
    budget = 0.0 if args.quick else args.slow_budget
    repeat = 2 if args.quick else 5
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores; "
          f"peers from {PEER_SITE[0] if PEER_SITE else 'nowhere (run bench/python/setup.sh)'}")
    if not wireplan:
        print("wireplan is not importable: its rows show n/a")
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    workdir = Path(tempfile.mkdtemp(prefix="wpbench-"))
    sys.path.insert(0, str(workdir))
    try:
        bench_graphlib(100_000)
        bench_startup(workdir, 1000, repeat, budget)
        if wireplan:
            bench_cache_key(workdir, 1000, repeat)
        bench_startup(workdir, 10_000, max(1, repeat // 2), budget)
        bench_chain(workdir, 100_000, budget)
        bench_import()
        bench_memory(workdir, 10_000, budget)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nPython {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, load average {load} at the end. "
          f"Command: `.venv/bin/python bench/python/run.py{' --quick' if args.quick else ''}`.")
    print("\n| benchmark | subject | result | ratio |\n|---|---|---|---|")
    last = None
    for bench, subject, value, r in ROWS:
        print(f"| {bench if bench != last else ''} | {subject} | {value} | {r} |")
        last = bench


if __name__ == "__main__":
    main()
