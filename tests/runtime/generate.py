#!/usr/bin/env python3
"""Writes cases/generated/: a 50-service plan with a failure at every position.

For each position of the plan's start-up order, one case where that service's
factory fails (sync and async) and one where its teardown raises at stop. The
expected event logs are derived here from the start-up order, which this
script computes by the planner's rule, independently of the planner: a
singleton's layer is the length of the longest dependency chain below it;
start-up is by layer, then by id (byte order). Expected logs:

- factory fails at k, sync: every service before k is built and ready, k is
  built and fails, then the ready ones are torn down in reverse, each told of
  the error;
- factory fails at k, async: as sync, but the whole layer of k is called
  (its `ok` factories settle at once), so k's later siblings are ready too
  and are torn down with the rest;
- teardown raises at k: everything starts; stop tears down in reverse order,
  k's teardown fails, the others are clean.

Run `python3 tests/runtime/generate.py` after editing; the Python runtime
vectors test checks the committed files match.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "cases" / "generated"
N = 50


def graph() -> list[dict]:
    """50 services declared in a scrambled order, ids that do not follow
    declaration order, each needing up to three services declared earlier
    (a fixed-seed LCG: the same graph on every run)."""
    state = 20261130

    def rand(bound: int) -> int:
        nonlocal state
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        return (state >> 33) % bound

    # ids: a permutation of 0..49, so byte order of ids differs from declaration order
    numbers = list(range(N))
    for i in range(N - 1, 0, -1):
        j = rand(i + 1)
        numbers[i], numbers[j] = numbers[j], numbers[i]
    ids = [f"svc{n:02d}" for n in numbers]
    services = []
    for i, sid in enumerate(ids):
        deps = sorted({ids[rand(i)] for _ in range(rand(4))}) if i else []
        services.append({"id": sid, "deps": deps} if deps else {"id": sid})
    return services


def startup(services: list[dict]) -> tuple[list[str], dict[str, int]]:
    """Start-up order and layers by the planner's rule (deps point backwards
    in declaration order, so one pass finds every longest chain)."""
    layer: dict[str, int] = {}
    for s in services:
        layer[s["id"]] = max((layer[d] + 1 for d in s.get("deps", [])), default=0)
    order = sorted(layer, key=lambda sid: (layer[sid], sid.encode()))
    return order, layer


def factory_fails(services: list[dict], order: list[str], layer: dict[str, int], k: int) -> dict:
    failing = order[k]
    sync_events: list[str] = []
    ready: list[str] = []
    for sid in order[:k]:
        sync_events += [f"build {sid}", f"ready {sid}"]
        ready.append(sid)
    sync_events += [f"build {failing}", f"fail {failing}"]
    sync_events += [f"teardown {sid} error" for sid in reversed(ready)]

    async_events: list[str] = []
    ready = []
    for sid in order:
        if layer[sid] > layer[failing]:
            break
        if sid == failing:
            async_events += [f"build {sid}", f"fail {sid}"]
        else:
            async_events += [f"build {sid}", f"ready {sid}"]
            ready.append(sid)
    async_events += [f"teardown {sid} error" for sid in reversed(ready)]
    return {
        "about": f"the factory of `{failing}` (start-up position {k}) fails: what started is rolled back in reverse, each teardown told of the error",
        "modes": ["sync", "async"],
        "services": services,
        "behaviour": {s["id"]: {"factory": "raise" if s["id"] == failing else "ok", "teardown": "ok"} for s in services},
        "steps": [{"do": "start"}],
        "events": {"sync": sync_events, "async": async_events},
        "outcome": {"default": [f"start-failed {failing}"]},
    }


def teardown_raises(services: list[dict], order: list[str], k: int) -> dict:
    failing = order[k]
    events: list[str] = []
    for sid in order:
        events += [f"build {sid}", f"ready {sid}"]
    for sid in reversed(order):
        events.append(f"teardown-fail {sid}" if sid == failing else f"teardown {sid}")
    return {
        "about": f"the teardown of `{failing}` (start-up position {k}) raises at stop: every other teardown still runs, in reverse order",
        "modes": ["sync", "async"],
        "services": services,
        "behaviour": {s["id"]: {"factory": "ok", "teardown": "raise" if s["id"] == failing else "ok"} for s in services},
        "steps": [{"do": "start"}, {"do": "stop"}],
        "events": {"default": events},
        "outcome": {"default": ["ok", "teardown-failed"]},
    }


def cases() -> dict[str, str]:
    """Relative path -> file text, for every generated case."""
    services = graph()
    order, layer = startup(services)
    out: dict[str, str] = {}
    for k in range(N):
        out[f"cases/generated/factory-fails/at-{k:02d}.json"] = dump(factory_fails(services, order, layer, k))
        out[f"cases/generated/teardown-raises/at-{k:02d}.json"] = dump(teardown_raises(services, order, k))
    return out


def dump(case: dict) -> str:
    return json.dumps(case, indent=1) + "\n"


def main() -> int:
    for rel, text in cases().items():
        path = HERE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    manifest = HERE / "manifest.txt"
    listed = sorted(str(p.relative_to(HERE)) for p in (HERE / "cases").rglob("*.json"))
    manifest.write_text("".join(f"{p}\n" for p in listed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
