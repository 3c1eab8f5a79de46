"""The shared rendering vectors in `tests/views/` (made by the core's
harness, `crates/planner/tests/views.rs`): Python's own calls give the same
bytes. For each analyzable planning vector: `wireplan.analyze(...)` drawn as
DOT and Mermaid, `explain` of the service the file names in words and JSON,
and `diff` from the vector it names; for each start-up record in
`tests/timeline/`, `wireplan.render_timeline` in all four formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import wireplan

TESTS = Path(__file__).resolve().parents[2] / "tests"
VIEWS = TESTS / "views"
CASES = sorted(str(p.relative_to(VIEWS).with_suffix("")) for p in VIEWS.rglob("*.json") if p.parent.name != "timeline")
RECORDS = sorted((VIEWS / "timeline").glob("*.json"))


def analysis(case: str) -> wireplan.Analysis:
    options_file = TESTS / "vectors" / f"{case}.options.json"
    options = json.loads(options_file.read_text()) if options_file.exists() else {}
    text = (TESTS / "vectors" / f"{case}.json").read_text(encoding="utf-8")
    return wireplan.analyze([(f"{case}.json", text)], profile=options.get("profile"), roots=options.get("roots", ()),
                            limits=options.get("limits"))


def test_the_views_are_there() -> None:
    assert len(CASES) >= 40 and len(RECORDS) >= 2


@pytest.mark.parametrize("case", CASES)
def test_pictures_explain_and_diff_are_the_cores_bytes(case: str) -> None:
    view = json.loads((VIEWS / f"{case}.json").read_text(encoding="utf-8"))
    a = analysis(case)
    assert a.to_dot() == view["dot"]
    assert a.to_mermaid() == view["mermaid"]
    if view["explain"] is not None:
        name = view["explain"]["name"]
        assert a.explain(name) == view["explain"]["text"]
        assert a.explain(name, format="json") == view["explain"]["json"]
    if view["diff"] is not None:
        old = analysis(view["diff"]["old"])
        assert old.diff(a) == view["diff"]["text"]
        assert old.diff(a, format="json") == view["diff"]["json"]


@pytest.mark.parametrize("record", RECORDS, ids=lambda p: p.name)
def test_timelines_are_the_cores_bytes(record: Path) -> None:
    view = json.loads(record.read_text(encoding="utf-8"))
    text = (TESTS / "timeline" / record.name).read_text(encoding="utf-8")
    for fmt in ("chain", "blame", "svg", "trace"):
        assert wireplan.render_timeline(text, fmt) == view[fmt], fmt
