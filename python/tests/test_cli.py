"""`wireplan` from the Python package (the wheel's console script and
`python -m wireplan`): the Rust command line itself, so every subcommand and
format prints the bytes the `wireplan` binary prints and exits with its code.

Parity is tested on every vector: `check` in all four formats, `plan`,
`graph` in both formats, `explain` in both formats, `diff` in both formats,
`timeline` and `inspect`, each run in this process (`wireplan._cli.run`, the
console script's own call) and by the Rust binary that `cargo test
--workspace` built, compared byte for byte with its exit code. A few runs go
through `python -m wireplan` and the console script as processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from wireplan._cli import run

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"
TIMELINES = REPO / "tests" / "timeline"
CASES = [line.strip() for line in (VECTORS / "manifest.txt").read_text().splitlines() if line.strip() and not line.startswith("#")]
ENV = dict(os.environ, NO_COLOR="1")
#: The README's test command (`scripts/test`): the suite runs against the
#: installed wheel, after `cargo test --workspace` has built the Rust CLI.
INSTALLED = os.environ.get("WIREPLAN_INSTALLED") == "1"


def _newest(path: Path) -> float:
    return max((p.stat().st_mtime for p in path.rglob("*") if p.is_file()), default=0.0)


def _rust_cli() -> Path | None:
    sources = max(_newest(REPO / "crates" / d / "src") for d in ("planner", "planner-cli"))
    builds = [p for p in (REPO / "target" / "release" / "wireplan", REPO / "target" / "debug" / "wireplan") if p.exists() and p.stat().st_mtime >= sources]
    return max(builds, key=lambda p: p.stat().st_mtime) if builds else None


RUST = _rust_cli()


def _require_rust() -> Path:
    if RUST is None:
        if not INSTALLED:
            pytest.skip("no Rust CLI build newer than crates/planner*/src (`cargo build -p wireplan-cli`)")
        pytest.fail("no Rust CLI build newer than crates/planner*/src after `cargo test --workspace`")
    return RUST


def in_process(argv: list[str], cwd: Path = VECTORS, stdin: bytes | None = None) -> tuple[bytes, bytes, int]:
    """`wireplan._cli.run(argv)` with file descriptors 0, 1 and 2 on files:
    the command writes to the descriptors, as the binary does."""
    saved = [os.dup(fd) for fd in (0, 1, 2)]
    here = os.getcwd()
    with tempfile.TemporaryFile() as i, tempfile.TemporaryFile() as o, tempfile.TemporaryFile() as e:
        i.write(stdin or b"")
        i.seek(0)
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            os.chdir(cwd)
            for fd, f in ((0, i), (1, o), (2, e)):
                os.dup2(f.fileno(), fd)
            code = run(argv)
        finally:
            for fd, s in zip((0, 1, 2), saved):
                os.dup2(s, fd)
                os.close(s)
            os.chdir(here)
        o.seek(0)
        e.seek(0)
        return o.read(), e.read(), code


def native(argv: list[str], cwd: Path = VECTORS, stdin: bytes | None = None) -> tuple[bytes, bytes, int]:
    r = subprocess.run([str(_require_rust()), *argv], cwd=cwd, env=ENV, input=stdin or b"", capture_output=True)
    return r.stdout, r.stderr, r.returncode


def _options(name: str) -> list[str]:
    options_file = VECTORS / f"{name}.options.json"
    options = json.loads(options_file.read_text()) if options_file.exists() else {}
    out = []
    if options.get("profile"):
        out += ["--profile", options["profile"]]
    for root in options.get("roots", []):
        out += ["--root", root]
    return out


def _first_id(name: str) -> str:
    try:
        services = json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8-sig"))["services"]
        return str(services[0]["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        return "a"


def commands(name: str, other: str) -> list[list[str]]:
    """Every subcommand and format, on one vector."""
    doc, opts = f"{name}.json", _options(name)
    out = [["check", doc, "--format", f, *opts] for f in ("human", "json", "github", "sarif")]
    out += [["check", doc, "--deny-warnings", *opts], ["plan", doc, *opts]]
    out += [["graph", doc, "--format", f, *opts] for f in ("dot", "mermaid")]
    out += [["explain", doc, _first_id(name), "--format", f, *opts] for f in ("human", "json")]
    out += [["diff", f"{other}.json", doc, "--format", f, *opts] for f in ("human", "json")]
    return out


@pytest.mark.parametrize("index", range(len(CASES)), ids=CASES)
def test_every_subcommand_prints_and_exits_as_the_rust_cli_on_every_vector(index: int) -> None:
    name, other = CASES[index], CASES[index - 1]
    for argv in commands(name, other):
        assert in_process(argv) == native(argv), f"wireplan {' '.join(argv)}: not the Rust CLI's output"


def test_every_vector_was_compared() -> None:
    assert len(CASES) > 20
    assert len(commands(CASES[0], CASES[1])) == 12


def test_timeline_renders_as_the_rust_cli() -> None:
    records = sorted(TIMELINES.glob("*.json"))
    assert records, "tests/timeline holds start-up records"
    for record in records:
        for fmt in ("chain", "blame", "svg", "trace"):
            argv = ["timeline", str(record), "--format", fmt]
            assert in_process(argv) == native(argv), argv
    bad = ["timeline", "-"]
    assert in_process(bad, stdin=b'{"timeline": 1, "services": [{"id": 1}]}') == native(bad, stdin=b'{"timeline": 1, "services": [{"id": 1}]}')


def test_inspect_reads_a_plan_as_the_rust_cli(tmp_path: Path) -> None:
    wpl = next(VECTORS.glob("valid/*/*.wpl"))
    broken = tmp_path / "broken.wpl"
    data = bytearray(wpl.read_bytes())
    data[60] ^= 0xFF
    broken.write_bytes(bytes(data))
    for path in (wpl, broken, VECTORS / "manifest.txt"):
        for fmt in ("human", "json"):
            argv = ["inspect", str(path), "--format", fmt]
            assert in_process(argv) == native(argv), argv
    assert in_process(["inspect", str(wpl)])[2] == 0
    assert in_process(["inspect", str(broken)])[2] == 1


@pytest.mark.parametrize("argv", [
    [], ["--help"], ["--version"], ["check", "--help"], ["frobnicate"], ["check"], ["check", "--format", "xml", "a.json"],
    ["check", "no-such-file.json"], ["check", "valid"], ["check", "nofile\n::error::pwned.json"],
    ["check", "--format", "x\n::error::y", "a.json"], ["explain", "valid/basic/chain.json", "nope"],
    ["graph", "valid/basic/chain.json", "--focus", "nope"],
])
def test_usage_and_unreadable_input_as_the_rust_cli(argv: list[str]) -> None:
    assert in_process(argv) == native(argv)


def test_no_argument_can_inject_a_line_into_a_ci_log() -> None:
    for argv in (["check", "nofile\n::error::pwned.json"], ["check", "--format", "x\n::error::y", "a.json"], ["x\ny"]):
        out, err, code = in_process(argv)
        assert code == 2
        assert not any(line.startswith(b"::") for line in (out + err).splitlines()), err


def test_standard_input_and_yaml_as_the_rust_cli() -> None:
    doc = b'{"version": 1, "services": [{"id": "a", "deps": ["a"]}]}'
    assert in_process(["check", "-"], stdin=doc) == native(["check", "-"], stdin=doc)
    fixtures = REPO / "crates" / "planner-cli" / "tests" / "fixtures"
    for argv in (["check", "app.yaml"], ["graph", "app.toml"], ["diff", "app.json", "broken.json"]):
        assert in_process(argv, cwd=fixtures) == native(argv, cwd=fixtures)


def test_python_dash_m_wireplan_is_the_same_command() -> None:
    argv = ["check", "invalid/cycle/two-components.json", "--format", "github"]
    r = subprocess.run([sys.executable, "-m", "wireplan", *argv], cwd=VECTORS, env=ENV, capture_output=True)
    assert (r.stdout, r.stderr, r.returncode) == native(argv)
    assert r.returncode == 1 and r.stdout.startswith(b"::error ")


def test_a_fifo_with_no_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "services.json"
    os.mkfifo(fifo)
    r = subprocess.run([sys.executable, "-m", "wireplan", "check", str(fifo)], env=ENV, capture_output=True, timeout=30)
    assert r.returncode == 2


def test_endless_input_is_read_only_up_to_the_limit() -> None:
    # /dev/zero never ends: at most max_input_bytes + 1 are read, then the limit is reported.
    r = subprocess.run([sys.executable, "-m", "wireplan", "check", "/dev/zero"], env=ENV, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stdout.startswith("error[limit-exceeded]: "), r.stdout[:200]


def test_the_console_script_is_installed() -> None:
    script = shutil.which("wireplan", path=str(Path(sys.executable).parent))
    if not INSTALLED and script is None:
        pytest.skip("the editable install made by maturin develop may not have the script")
    assert script is not None
    r = subprocess.run([script, "check", "-"], input=b'{"version": 1, "services": [{"id": "a"}]}', env=ENV, capture_output=True)
    assert (r.returncode, r.stdout) == (0, b"ok: no problems\n")
    argv = ["graph", "invalid/cycle/two-components.json", "--format", "mermaid"]
    r = subprocess.run([script, *argv], cwd=VECTORS, env=ENV, capture_output=True)
    assert (r.stdout, r.stderr, r.returncode) == native(argv)
