"""`wireplan check` from the Python package (the wheel's console script and
`python -m wireplan`): the Rust CLI's `check`, the same output and exit codes.
Every vector is checked against its expected text and JSON; when an
up-to-date Rust CLI build exists, each run is also compared with it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"
CASES = [line.strip() for line in (VECTORS / "manifest.txt").read_text().splitlines() if line.strip() and not line.startswith("#")]
UNUSABLE = {"invalid-descriptor", "unsupported-version", "limit-exceeded"}
ENV = dict(os.environ, NO_COLOR="1")


def _newest(path: Path) -> float:
    return max((p.stat().st_mtime for p in path.rglob("*") if p.is_file()), default=0.0)


def _rust_cli() -> Path | None:
    sources = max(_newest(REPO / "crates" / d / "src") for d in ("planner", "planner-cli"))
    builds = [p for p in (REPO / "target" / "release" / "wireplan", REPO / "target" / "debug" / "wireplan") if p.exists() and p.stat().st_mtime >= sources]
    return max(builds, key=lambda p: p.stat().st_mtime) if builds else None


RUST = _rust_cli()
#: The README's test command (`scripts/test`): the suite runs against the
#: installed wheel, after `cargo test --workspace` has built the Rust CLI.
INSTALLED = os.environ.get("WIREPLAN_INSTALLED") == "1"


def py(*argv: str, stdin: str | None = None, cwd: Path = VECTORS) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wireplan", *argv], cwd=cwd, env=ENV, input=stdin, capture_output=True, text=True)


def _args(name: str, fmt: str) -> list[str]:
    options_file = VECTORS / f"{name}.options.json"
    options = json.loads(options_file.read_text()) if options_file.exists() else {}
    out = ["check", f"{name}.json", "--format", fmt]
    if options.get("profile"):
        out += ["--profile", options["profile"]]
    for root in options.get("roots", []):
        out += ["--root", root]
    return out


@pytest.mark.parametrize("name", CASES)
def test_every_vector_prints_and_exits_as_the_rust_cli(name: str) -> None:
    for fmt in ("human", "json"):
        r = py(*_args(name, fmt))
        assert r.stderr == ""
        if name.startswith("valid/"):
            assert r.returncode == 0, r.stdout
        else:
            expected_json = (VECTORS / f"{name}.report.json").read_text()
            errors = [d for d in json.loads(expected_json)["diagnostics"] if d["severity"] == "error"]
            assert r.returncode == (2 if all(d["code"] in UNUSABLE for d in errors) else 1), fmt
            assert r.stdout == (expected_json if fmt == "json" else (VECTORS / f"{name}.report.txt").read_text())
        if RUST is not None:
            rr = subprocess.run([str(RUST), *_args(name, fmt)], cwd=VECTORS, env=ENV, capture_output=True, text=True)
            assert (r.stdout, r.returncode) == (rr.stdout, rr.returncode), f"{name} {fmt}: not the Rust CLI's output"
    # Workflow commands: one line per diagnostic, the Rust CLI's when there is a build.
    r = py(*_args(name, "github"))
    assert r.stderr == ""
    expected = json.loads((VECTORS / f"{name}.report.json").read_text())["diagnostics"] if name.startswith("invalid/") else []
    lines = r.stdout.splitlines()
    assert len(lines) == len([d for d in expected]) or name.startswith("valid/")
    for line, d in zip(lines, expected):
        assert line.startswith(f"::{d['severity']} ") and f"title=wireplan {d['code']}::" in line
    if RUST is not None:
        rr = subprocess.run([str(RUST), *_args(name, "github")], cwd=VECTORS, env=ENV, capture_output=True, text=True)
        assert (r.stdout, r.returncode) == (rr.stdout, rr.returncode), f"{name} github: not the Rust CLI's output"


def test_the_comparisons_with_the_rust_cli_ran() -> None:
    """The comparisons above run only against a Rust CLI built after the
    last change to its sources. The test command builds it first, so there
    a missing one fails this test instead of the comparisons vanishing; a
    developer's run without a fresh build skips, saying so."""
    if RUST is None and not INSTALLED:
        pytest.skip("no Rust CLI build newer than crates/planner*/src: the comparisons with it did not run "
                    "(`cargo build -p wireplan-cli`)")
    assert RUST is not None, "no Rust CLI build newer than crates/planner*/src after `cargo test --workspace`"


def test_the_manifest_is_not_empty() -> None:
    assert len(CASES) > 20


def test_a_valid_graph_says_ok_and_a_cycle_exits_1() -> None:
    ok = py("check", "-", stdin='{"version": 1, "services": [{"id": "a"}]}')
    assert (ok.returncode, ok.stdout) == (0, "ok: no problems\n")
    cycle = py("check", "-", stdin='{"version": 1, "services": [{"id": "a", "deps": ["a"]}]}')
    assert cycle.returncode == 1
    assert "--> <stdin>:1:" in cycle.stdout


def test_unreadable_input_exits_2_with_one_line(tmp_path: Path) -> None:
    for argv, message in (
        (["check", "no-such-file.json"], "error: cannot read `no-such-file.json`: no such file\n"),
        (["check", "valid"], "error: cannot read `valid`: it is a directory, not a descriptor file\n"),
    ):
        r = py(*argv)
        assert (r.returncode, r.stdout, r.stderr) == (2, "", message)


def test_a_fifo_with_no_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "services.json"
    os.mkfifo(fifo)
    r = subprocess.run([sys.executable, "-m", "wireplan", "check", str(fifo)], env=ENV, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2


def test_endless_input_is_read_only_up_to_the_limit() -> None:
    # /dev/zero never ends: at most max_input_bytes + 1 are read, then the limit is reported.
    r = subprocess.run([sys.executable, "-m", "wireplan", "check", "/dev/zero"], env=ENV, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stdout.startswith("error[limit-exceeded]: "), r.stdout[:200]


def test_a_wrong_command_line_exits_2() -> None:
    assert py("check").returncode == 2
    assert py("check", "--format", "xml", "a.json").returncode == 2
    assert py("frobnicate").returncode == 2
    version = py("--version")
    assert version.returncode == 0 and version.stdout.startswith("wireplan ")


def test_deny_warnings_turns_warnings_into_exit_1() -> None:
    doc = '{"version": 1, "services": [{"id": "a"}, {"id": "b"}]}'
    assert py("check", "-", "--root", "a", stdin=doc).returncode == 0
    r = py("check", "-", "--root", "a", "--deny-warnings", stdin=doc)
    assert r.returncode == 1 and "warning[unused-service]" in r.stdout


def test_the_console_script_is_installed() -> None:
    script = shutil.which("wireplan", path=str(Path(sys.executable).parent))
    if not INSTALLED and script is None:
        pytest.skip("the editable install made by maturin develop may not have the script")
    assert script is not None
    r = subprocess.run([script, "check", "-"], input='{"version": 1, "services": [{"id": "a"}]}', env=ENV, capture_output=True, text=True)
    assert (r.returncode, r.stdout) == (0, "ok: no problems\n")


def test_a_file_name_or_argument_cannot_inject_a_line(tmp_path: Path) -> None:
    # A newline in a name would otherwise start a line of its own in a CI log.
    r = py("check", "nofile\n::error::pwned.json")
    assert (r.returncode, r.stderr) == (2, "error: cannot read `nofile\\n::error::pwned.json`: no such file\n")
    r = py("check", "--format", "x\n::error::y", "a.json")
    assert r.returncode == 2 and r.stderr.splitlines()[0] == "error: invalid value `x\\n::error::y` for `--format <FORMAT>` (the Python CLI has human, json and github; the Rust CLI also has sarif)"
    if RUST is not None:
        rr = subprocess.run([str(RUST), "check", "nofile\n::error::pwned.json"], cwd=VECTORS, env=ENV, capture_output=True, text=True)
        assert rr.stderr == r"error: cannot read `nofile\n::error::pwned.json`: no such file" + "\n"
