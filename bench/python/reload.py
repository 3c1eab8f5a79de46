"""Hot reload against a full restart: one leaf of a 1,000-service app.

    .venv/bin/python bench/python/reload.py            # about 20 seconds
    .venv/bin/python bench/python/reload.py --n 10000 --repeat 50

The app is bench/gen.py's layered graph (the same graphs as every other
benchmark): N generated classes whose ``__init__`` parameters are
type-hinted with the classes they depend on, every one a singleton. Two
plans differ in one leaf (a service no other service depends on): its
factory is another function under the same id, as after editing its code.
Both plans are compiled once, before timing: a restart needs the new plan
as much as a reload does.

- reload: ``app.reload(other_plan)`` on a started app, alternating between
  the two plans (each a one-leaf reload: stop it, start its replacement,
  keep the other N - 1 instances);
- restart: ``app.stop()`` then ``other_plan.start()``, the same alternation.

Each is timed ``--repeat`` times, interleaved, each from a collected heap
(``gc.collect()`` before it, untimed); the table gives the medians and the
ratio.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import statistics
import sys
import types
from pathlib import Path
from time import perf_counter
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent.parent
spec = importlib.util.spec_from_file_location("wireplan_bench_gen", ROOT / "bench" / "gen.py")
assert spec is not None and spec.loader is not None
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)

import wireplan  # noqa: E402 - after the generator, from the running interpreter


def classes(n: int) -> tuple[list[type], int, list[Callable[..., Any]]]:
    """The generated classes, the number of one leaf (no dependents), and
    two factories of the leaf: the same code twice, two function objects
    (as after editing it)."""
    graph = gen.layered(n)
    module = types.ModuleType("reload_bench_app")
    sys.modules[module.__name__] = module
    out: list[type] = []
    for i, deps in enumerate(graph):
        params = "".join(f", d{j}: C{d}" for j, d in enumerate(deps))
        exec(f"class C{i}:\n    def __init__(self{params}) -> None:\n        self.deps = ({''.join(f'd{j}, ' for j in range(len(deps)))})\n",
             module.__dict__)
        out.append(module.__dict__[f"C{i}"])
    needed = {d for deps in graph for d in deps}
    leaf = max(i for i in range(n) if i not in needed)
    params = ", ".join(f"d{j}: C{d}" for j, d in enumerate(graph[leaf]))
    passed = ", ".join(f"d{j}" for j in range(len(graph[leaf])))
    factories = []
    for k in range(2):
        exec(f"def make_leaf_{k}({params}) -> C{leaf}:\n    return C{leaf}({passed})\n", module.__dict__)
        factories.append(module.__dict__[f"make_leaf_{k}"])
    return out, leaf, factories


def plan_with(cls: list[type], leaf: int, factory: Callable[..., Any]) -> wireplan.Plan:
    registry = wireplan.Registry()
    for i, c in enumerate(cls):
        if i == leaf:
            registry.provide(factory, id="leaf")
        else:
            registry.provide(c)
    return registry.compile()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    cls, leaf, factories = classes(args.n)
    plans = [plan_with(cls, leaf, f) for f in factories]
    app = plans[0].start()
    result = app.reload(plans[1])
    assert result["stopped"] == ["leaf"] and result["started"] == ["leaf"] and result["kept"] == args.n - 1, result
    current = 1
    reload_times: list[float] = []
    restart_times: list[float] = []
    for _ in range(args.repeat):
        # Each timed from a collected heap: neither pays for the other's garbage.
        gc.collect()
        other = plans[1 - current]
        t0 = perf_counter()
        app.reload(other)
        reload_times.append(perf_counter() - t0)
        current = 1 - current
        other = plans[1 - current]
        gc.collect()
        t0 = perf_counter()
        app.stop()
        app = other.start()
        restart_times.append(perf_counter() - t0)
        current = 1 - current
    app.stop()
    r, s = statistics.median(reload_times), statistics.median(restart_times)
    print(f"| {args.n:,} singletons, one leaf changed | median of {args.repeat} |")
    print("|---|---|")
    print(f"| app.reload(new_plan) | {r * 1e6:,.0f} us |")
    print(f"| app.stop(); new_plan.start() | {s * 1e6:,.0f} us |")
    print(f"| reload / restart | {r / s:.2f} ({s / r:.1f}x faster) |")


if __name__ == "__main__":
    main()
