"""The table of docs/rust.md from criterion's estimates in target/criterion.

Run by bench/rust.sh after `cargo bench -p wireplan --bench planner`; prints
Markdown: mean times per phase and size, and the ratios the core issue set
targets for (plan against petgraph's bare toposort, planning against
decoding a cached plan). A size criterion has not measured is left out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = ["1k", "10k", "100k", "1M", "1M-chain"]
PHASES = ["parse", "plan", "parse+plan", "petgraph-toposort", "encode", "decode"]


def mean_ns(group: str, phase: str) -> float | None:
    path = ROOT / "target" / "criterion" / group / phase / group / "new" / "estimates.json"
    try:
        return float(json.loads(path.read_text())["mean"]["point_estimate"])
    except (OSError, KeyError, ValueError):
        return None


def fmt(ns: float | None) -> str:
    if ns is None:
        return "n/a"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            value = ns / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{ns:.0f} ns"


def ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--load", help="the load average before the run, for the header")
    args = ap.parse_args()
    rows = []
    newest = 0.0
    for size in SIZES:
        m = {p: mean_ns(size, p) for p in PHASES}
        if all(v is None for v in m.values()):
            continue
        est = ROOT / "target" / "criterion" / size / "plan" / size / "new" / "estimates.json"
        if est.exists():
            newest = max(newest, est.stat().st_mtime)
        rows.append(
            f"| {size} | {fmt(m['parse'])} | {fmt(m['plan'])} | {fmt(m['parse+plan'])} | {fmt(m['petgraph-toposort'])} "
            f"| {ratio(m['plan'], m['petgraph-toposort'])} | {ratio(m['parse+plan'], m['petgraph-toposort'])} "
            f"| {fmt(m['encode'])} | {fmt(m['decode'])} | {ratio(m['parse+plan'], m['decode'])} |"
        )
    when = time.strftime("%Y-%m-%d", time.gmtime(newest or time.time()))
    load = f", load average {args.load} before the run" if args.load else ""
    print(f"{when}, {platform.machine()}, {os.cpu_count()} cores{load}; criterion means. Command: `bash bench/rust.sh`.")
    print()
    print("| graph | parse | plan | parse + plan | petgraph floor | plan / floor | parse + plan / floor | encode | decode | parse + plan / decode |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
