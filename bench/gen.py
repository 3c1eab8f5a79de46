"""Deterministic graph generators shared by wireplan's benchmarks.

Every language's benchmark builds its graphs from these rules, so the
numbers compare like with like. The pseudo-random numbers come from
splitmix64 (not Python's `random`), which any language can reproduce bit for
bit; `crates/planner/benches` may mirror it.

The application-like graph: ``n`` services in ``layers`` layers (layer 0
holds settings, clients and other leaves); each service above layer 0 depends
on ``deps`` distinct services of lower layers: the first in the layer just
below (the layer it builds on), the rest anywhere below. Services are listed
in id order, dependencies in the order they were drawn.
"""

from __future__ import annotations

MASK64 = (1 << 64) - 1


def splitmix64(seed: int):
    """Yields the splitmix64 sequence for ``seed`` (64-bit unsigned ints)."""
    state = seed & MASK64
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        yield z ^ (z >> 31)


def default_layers(n: int) -> int:
    """About the depth of a real application: 12 layers, fewer for tiny graphs."""
    return max(1, min(12, n // 4))


def layer_bounds(n: int, layers: int) -> list[int]:
    """Start id of each layer, plus ``n`` at the end (layer k is
    ``range(bounds[k], bounds[k + 1])``). Layer 0 is a fiftieth of the graph
    when there are several layers; the rest is split evenly."""
    if layers <= 1:
        return [0, n]
    first = max(1, n // 50)
    rest = n - first
    bounds = [0, first]
    for k in range(1, layers):
        bounds.append(first + rest * k // (layers - 1))
    return bounds


def layered(n: int, deps: int = 3, layers: int | None = None, seed: int = 42) -> list[list[int]]:
    """Dependencies of each service ``0..n`` (a list of lists of ids)."""
    layers = default_layers(n) if layers is None else layers
    bounds = layer_bounds(n, layers)
    rng = splitmix64(seed)
    graph: list[list[int]] = []
    for k in range(len(bounds) - 1):
        lo, hi = bounds[k], bounds[k + 1]
        for _ in range(lo, hi):
            if k == 0:
                graph.append([])
                continue
            below_lo = bounds[k - 1]
            want = min(deps, lo)
            chosen: list[int] = []
            while len(chosen) < want:
                r = next(rng)
                if not chosen:
                    d = below_lo + r % (lo - below_lo)  # the layer just below
                else:
                    d = r % lo  # any lower layer
                if d not in chosen:
                    chosen.append(d)
            graph.append(chosen)
    return graph


def chain(n: int) -> list[list[int]]:
    """Service ``i`` depends on ``i - 1``: the deepest possible graph."""
    return [[]] + [[i - 1] for i in range(1, n)]


def names(graph: list[list[int]], prefix: str = "svc") -> dict[str, list[str]]:
    """The graph as a dict of lists of string names, ``svc00042`` style."""
    width = len(str(max(len(graph) - 1, 0)))
    label = [f"{prefix}{i:0{width}d}" for i in range(len(graph))]
    return {label[i]: [label[d] for d in ds] for i, ds in enumerate(graph)}


def edge_count(graph: list[list[int]]) -> int:
    return sum(len(ds) for ds in graph)


if __name__ == "__main__":
    g = layered(100_000)
    print(len(g), "nodes", edge_count(g), "edges", "first:", g[20000][:3], "last:", g[-1])
