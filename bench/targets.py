"""Issue 16's speed targets, every row against its anchor in one run:
the Rust rows (``cargo run --release -p wireplan --example targets``), the
Node rows (``node bench/js/targets.mjs``) and the Python rows
(``.venv/bin/python bench/python/targets.py``), each measured interleaved
with its anchor (medians, and the median of the per-pair ratios). Prints
the Markdown table the README quotes, with the date, the command and the
load, and each row's target and whether it is met.

    .venv/bin/python bench/targets.py [quick]

Needs ``cd js && npm run build`` and ``cd bench && npm ci`` first. Not a
test: figures on a shared 2-core machine; compare ratios, not times.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUICK = "quick" in sys.argv[1:]


def run(cmd: list[str]) -> list[dict]:
    out = subprocess.run(cmd + (["quick"] if QUICK else []), cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def t(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms" if ms >= 100 else f"{ms:.1f} ms" if ms >= 10 else f"{ms:.2f} ms"


def cell(r: dict) -> tuple[str, str, str]:
    if r["kind"] == "absolute":
        unit = " µs" if "µs" in r["row"] else " ms" if r["row"].endswith("ms") else " KB"
        now = f"{r['value']:.3g}{unit}"
        target = f"at most {r['target']:g}{unit}"
        met = r["value"] <= r["target"]
    else:
        now = f"{r['ratio']:.2f}x ({t(r['wireplan_ms'])} vs {t(r['anchor_ms'])})"
        target = f"at most {r['target']:.2f}x"
        met = r["ratio"] <= r["target"]
    return now, target, "met" if met else "short"


def main() -> None:
    rows: list[dict] = []
    rows += run(["cargo", "run", "--release", "-q", "-p", "wireplan", "--example", "targets", "--"])
    rows += run(["node", "bench/js/targets.mjs"])
    rows += run([sys.executable, "bench/python/targets.py"])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Measured {datetime.date.today().isoformat()} by `.venv/bin/python bench/targets.py{' quick' if QUICK else ''}`, "
          f"load average {load:.2f} at the end (2 cores). Ratios are wireplan's time over the anchor's; below 1 is faster.\n")
    print("| row | anchor | now | target | |")
    print("|---|---|---|---|---|")
    for r in rows:
        now, target, met = cell(r)
        print(f"| {r['row']} | {r['anchor']} | {now} | {target} | {met} |")


if __name__ == "__main__":
    main()
