"""The Python binding against inputs written by an attacker, as the Rust
CLI's hostile suite (crates/planner-cli/tests/hostile.rs) tries them: ids
that try to write terminal escapes or workflow commands into ``str(err)``,
a byte-order mark, and inputs over the limits, refused with a clear
``limit-exceeded`` error rather than run until memory runs out."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from wireplan import _core
from wireplan.errors import PlanError

# Control, bidi and invisible characters that must never appear raw.
RAW = re.compile("[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")

EVIL = json.dumps({
    "version": 1,
    "services": [
        {"id": "api\n::error file=README.md,line=1::pwned", "deps": ["db\u001b[2J\u001b]8;;http://x\u0007"]},
        {"id": "a\u202ebc", "deps": ["api\n::error file=README.md,line=1::pwned"]},
    ],
})


def test_ids_cannot_inject_into_str_err() -> None:
    with pytest.raises(PlanError) as info:
        _core.plan([("evil.json", EVIL)])
    text = str(info.value)
    assert not RAW.search(text), text
    assert not any(line.startswith("::") for line in text.splitlines()), text
    assert "`api\\n::error file=README.md,line=1::pwned`" in text
    # The structured diagnostics keep the exact strings.
    assert any("\u001b[2J" in d["message"] for d in info.value.diagnostics)


def test_a_byte_order_mark_is_skipped_as_by_the_cli_and_js() -> None:
    text = '\ufeff{"version": 1, "services": [{"id": "a"}]}'
    plan = _core.plan([("bom.json", text)])
    assert len(plan) == 1


def test_a_document_over_the_byte_limit_is_refused() -> None:
    doc = json.dumps({"version": 1, "services": [{"id": "a", "meta": "x" * 5000}]})
    with pytest.raises(PlanError) as info:
        _core.plan([("big.json", doc)], limits={"max_input_bytes": 4096})
    assert info.value.diagnostics[0]["code"] == "limit-exceeded"
    assert f"the size of the document in bytes is {len(doc)}, over the limit of 4096" in str(info.value)


def test_huge_inputs_are_refused_in_bounded_time() -> None:
    # 300 MB under the default limits: refused from its length, before parsing.
    huge = "[" + "1," * (150 * 1024 * 1024) + "1]"
    start = time.monotonic()
    with pytest.raises(PlanError) as info:
        _core.plan([("huge.json", huge)])
    assert time.monotonic() - start < 30
    assert info.value.diagnostics[0]["code"] == "limit-exceeded"
    # A YAML-bomb-like JSON cannot exist (no aliases), but one key asked for
    # with `many` by many services is the way to a large graph: bounded too.
    providers = [{"id": f"p{i}", "provides": ["K"]} for i in range(2000)]
    askers = [{"id": f"a{i}", "deps": [{"key": "K", "many": True}]} for i in range(2000)]
    doc = json.dumps({"version": 1, "services": providers + askers})
    start = time.monotonic()
    try:
        plan = _core.plan([("amplified.json", doc)])
        assert len(plan.to_json()) < 200 * len(doc)
    except PlanError as e:
        assert e.diagnostics[0]["code"] == "limit-exceeded"
    assert time.monotonic() - start < 30


# A planted cache file (a symlink to /dev/zero, a FIFO, a 2 GB sparse file) is
# held by test_cache_files.py, where the cache lives.
