"""Determinism: the same descriptors give byte-identical binary plans under
any PYTHONHASHSEED (and whatever seeds Rust's hash maps in each process),
and the shared vectors' plans are byte for byte the committed ``.wpl``
files the Rust core blessed (so Python's bytes are Rust's)."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

TESTS = Path(__file__).resolve().parent
VECTORS = TESTS.parent.parent / "tests" / "vectors"


def app_source() -> str:
    """A generated application: plain, optional, many, lazy and named
    dependencies, scoped and transient services, profiles, generators."""
    rng = random.Random(7)
    lines = [
        "from typing import Annotated, Iterator",
        "import wireplan",
        "registry = wireplan.Registry()",
        "class Plugin: ...",
        "class Session: ...",
    ]
    for k in range(60):
        params = []
        if k:
            for j in sorted(rng.sample(range(k), min(k, 3))):
                params.append(f"d{j}: C{j}" if rng.random() < 0.6 else f"d{j}: C{j} | None = None")
        if k % 7 == 3:
            params.append("plugins: list[Plugin] = wireplan.many")
        if k % 11 == 5:
            params.append(f"later: wireplan.Lazy[C{k - 1}] = wireplan.lazy")
        if k % 13 == 4:
            params.append(f"named: Annotated[C{k - 1}, 'replica']")
        lines.append(f"class C{k}:")
        # Keyword-only: optional and required parameters in any order.
        lines.append(f"    def __init__(self{', *' if params else ''}{''.join(', ' + p for p in params)}) -> None: ...")
        options = ", lifetime='transient'" if k % 17 == 16 else ""
        lines.append(f"registry.provide(C{k}{options})")
        if k % 13 == 3:
            lines.append(f"registry.provide(Annotated[C{k}, 'replica'], lambda: C{k}())")
        if k % 7 == 2:
            lines.append(f"@registry.provide(provides=[Plugin], profiles=['prod', 'p{k}'])")
            lines.append(f"def plugin{k}(c: C0) -> Iterator[Plugin]:")
            lines.append("    yield Plugin()")
    lines.append("@registry.provide(lifetime='scoped')")
    lines.append("def session(c: C10) -> Session: ...")
    return "\n".join(lines) + "\n"


SCRIPT = """
import hashlib, json, sys
sys.path.insert(0, {here!r})
import app, wireplan
from wireplan import _cache, _core

def h(data):
    return hashlib.sha256(data if isinstance(data, bytes) else data.encode()).hexdigest()

out = {{}}
for profile in (None, "prod"):
    plan = app.registry.compile(profile=profile)
    out[f"app/{{profile}}/plan"] = h(plan.core.encode())
    out[f"app/{{profile}}/json"] = h(plan.to_json())
    out[f"app/{{profile}}/key"] = _cache.cache_key(app.registry._providers, profile, None)
out["app/document"] = h(app.registry.document())
for case, text, profile, roots in json.loads(sys.stdin.read()):
    out[case] = h(_core.plan([(case + ".json", text)], profile, roots).encode())
print(json.dumps(out, sort_keys=True))
"""


def valid_cases() -> list[tuple[str, str, str | None, list[str] | None]]:
    lines = (VECTORS / "manifest.txt").read_text().splitlines()
    cases = []
    for case in (line.strip() for line in lines):
        if not case.startswith("valid/"):
            continue
        options_file = VECTORS / f"{case}.options.json"
        options = json.loads(options_file.read_text()) if options_file.exists() else {}
        cases.append((case, (VECTORS / f"{case}.json").read_text(), options.get("profile"), options.get("roots")))
    return cases


def test_same_bytes_under_every_hash_seed(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(app_source())
    script = tmp_path / "plan_all.py"
    script.write_text(textwrap.dedent(SCRIPT.format(here=str(tmp_path))))
    cases = valid_cases()
    stdin = json.dumps(cases)
    seeds = [str(s) for s in range(20)] + [str(random.SystemRandom().randrange(1, 2**32)) for _ in range(3)]
    outputs: dict[str, str] = {}
    # Four at a time (a 2-core machine): about two seconds in all.
    for batch in (seeds[i:i + 4] for i in range(0, len(seeds), 4)):
        procs = {seed: subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONHASHSEED=seed))
                 for seed in batch}
        for seed, p in procs.items():
            out, err = p.communicate(stdin, timeout=120)
            assert p.returncode == 0, err
            outputs[seed] = out
    assert len(outputs) == len(seeds)
    first = json.loads(outputs["0"])
    differing = [seed for seed, out in outputs.items() if out != outputs["0"]]
    assert not differing, differing
    # The hash seed did change something: str hashes (and so set order) differ.
    hashes = {subprocess.run([sys.executable, "-c", "print(hash('wireplan'))"], capture_output=True, text=True,
                             env=dict(os.environ, PYTHONHASHSEED=s)).stdout for s in ("1", "2")}
    assert len(hashes) == 2
    # Python's bytes are Rust's: the committed plans, blessed by the core.
    committed = {str(p.relative_to(VECTORS).with_suffix("")): p for p in VECTORS.rglob("*.wpl")}
    assert committed and set(committed) <= {c[0] for c in cases}
    for case, path in committed.items():
        assert first[case] == hashlib.sha256(path.read_bytes()).hexdigest(), case
    # The profile made a difference (so both plans were really compared).
    assert first["app/None/plan"] != first["app/prod/plan"]
