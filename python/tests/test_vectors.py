"""The shared test vectors (tests/vectors), compared byte for byte with what
the Rust core blessed: plans, reports and their renderings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import wireplan
from wireplan import _core

VECTORS = Path(__file__).resolve().parent.parent.parent / "tests" / "vectors"


def _manifest() -> list[str]:
    lines = (VECTORS / "manifest.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


CASES = _manifest()
RAN: list[str] = []


def _expected(path: Path) -> str:
    text = path.read_text()
    return text[:-1] if text.endswith("\n") else text


def _options(case: str) -> tuple[str | None, list[str] | None]:
    path = VECTORS / f"{case}.options.json"
    if not path.exists():
        return None, None
    options = json.loads(path.read_text())
    return options.get("profile"), options.get("roots")


def test_manifest_is_complete() -> None:
    # A harness that finds nothing must fail: the manifest lists every case,
    # and every case file on disk is in the manifest.
    assert len(CASES) > 0
    on_disk = {
        str(p.relative_to(VECTORS).with_suffix("")) for p in VECTORS.rglob("*.json")
        if not p.name.endswith((".plan.json", ".report.json", ".options.json", ".report.python.json", ".report.js.json"))
    }
    assert on_disk == set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_vector(case: str) -> None:
    RAN.append(case)
    profile, roots = _options(case)
    text = (VECTORS / f"{case}.json").read_text()
    documents = [(f"{case}.json", text)]
    if case.startswith("valid/"):
        plan = _core.plan(documents, profile, roots)
        assert plan.to_json() == _expected(VECTORS / f"{case}.plan.json")
        # The committed binary plan decodes to the same plan (the format is pinned).
        wpl = VECTORS / f"{case}.wpl"
        assert wpl.exists(), f"{case}.wpl is missing: every valid vector has its binary plan (WIREPLAN_BLESS=1 cargo test -p wireplan --test vectors)"
        assert _core.Plan.decode(wpl.read_bytes(), plan.fingerprint).to_json() == plan.to_json()
        assert _core.Plan.decode(plan.encode(), plan.fingerprint).to_json() == plan.to_json()
        # The public API gives the same plan and fingerprint.
        public = wireplan.plan(documents, profile=profile, roots=roots or ())
        assert public.to_json() == plan.to_json()
        assert wireplan.fingerprint(documents, profile=profile, roots=roots or ()) == plan.fingerprint
        assert wireplan.check(documents, profile=profile, roots=roots or ()).ok
    else:
        assert case.startswith("invalid/")
        with pytest.raises(wireplan.PlanError) as info:
            _core.plan(documents, profile, roots)
        err = info.value
        # Help in the Python API's words, where they differ from the JSON ones.
        spoken = "report.python" if (VECTORS / f"{case}.report.python.json").exists() else "report"
        assert err.report_json == _expected(VECTORS / f"{case}.{spoken}.json")
        assert str(err) == (VECTORS / f"{case}.{spoken}.txt").read_text()
        report_json, rendering = _core.check(documents, profile, roots)
        assert report_json == err.report_json
        assert rendering == err.rendering
        # The public API raises the same error and reports the same report.
        with pytest.raises(type(err)) as public:
            wireplan.plan(documents, profile=profile, roots=roots or ())
        assert public.value.report_json == err.report_json
        report = wireplan.check(documents, profile=profile, roots=roots or ())
        assert not report.ok and report.to_json() == err.report_json and str(report) == str(err)


def test_ran_exactly_the_manifest(request: pytest.FixtureRequest) -> None:
    # Runs after the cases (file order): every case of the manifest ran, once.
    if request.config.getoption("keyword") or request.config.getoption("markexpr"):
        # Only a run filtered by hand (-k/-m) skips: the test command never filters.
        pytest.skip("a filtered run")
    assert sorted(RAN) == sorted(CASES)
    assert len(RAN) == len(CASES) == len(set(CASES))
