"""Checked type surfaces: the hand-written `_core.pyi` against the compiled
module (mypy.stubtest), and what mypy infers for users' code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PYTHON = Path(__file__).resolve().parent.parent
PACKAGE = PYTHON / "wireplan"


def test_mypy_is_installed() -> None:
    # Not an importorskip: these checks must fail, not vanish, where mypy is
    # missing (python/requirements-test.txt installs it for the test command).
    try:
        import mypy  # noqa: F401
    except ImportError:  # pragma: no cover - a broken test environment
        pytest.fail("mypy is not installed: `pip install -r python/requirements-test.txt` (the typing checks cannot run)")


def _mypy(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MYPY_CACHE_DIR=str(cache))  # not in the work tree
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=PYTHON, env=env)


def test_stubtest_core(tmp_path: Path) -> None:
    config = tmp_path / "mypy.ini"
    config.write_text(f"[mypy]\ncache_dir = {tmp_path / 'cache'}\n")
    out = _mypy("mypy.stubtest", "--mypy-config-file", str(config), "wireplan._core", "wireplan.graphlib",
                cache=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict_package_and_user_code(tmp_path: Path) -> None:
    # One mypy run (it is slow to start): the package passes --strict, and
    # users' code sees `app.get(UserService)` as a `UserService`.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import wireplan\n"
        "class UserService: ...\n"
        "registry = wireplan.Registry()\n"
        "registry.provide(UserService)\n"
        "with registry.compile().start() as app:\n"
        "    reveal_type(app.get(UserService))\n"
        "    with app.scope() as scope:\n"
        "        reveal_type(scope.get(UserService))\n"
        "import wireplan.graphlib\n"
        "sorter = wireplan.graphlib.TopologicalSorter({'b': ['a']})\n"
        "reveal_type(sorter.layers())\n"
        "reveal_type(sorter.cycles())\n"
    )
    files = [str(p) for p in sorted(PACKAGE.glob("*.py")) if p.name != "graphlib.py"]
    files += [str(p) for p in sorted(PACKAGE.glob("integrations/*.py"))]  # typed against the pinned frameworks
    out = _mypy("mypy", "--strict", "--no-incremental", *files, str(sample), cache=tmp_path / "cache")
    assert out.stdout.count('Revealed type is "sample.UserService"') == 2, out.stdout
    assert 'Revealed type is "list[tuple[str, ...]]"' in out.stdout, out.stdout
    assert 'Revealed type is "list[list[str]]"' in out.stdout, out.stdout
    errors = [line for line in out.stdout.splitlines() if ": error:" in line]
    assert not errors, out.stdout
