"""The package as users receive it. `scripts/test` builds the wheel, installs
it into a fresh venv (not editable) and runs this whole suite there with
`WIREPLAN_INSTALLED=1`; then these tests check that it is the installed
package under test, with its bytecode written at install time as pip does."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import wireplan

INSTALLED = os.environ.get("WIREPLAN_INSTALLED") == "1"
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not INSTALLED, reason="runs against the installed wheel (scripts/test sets WIREPLAN_INSTALLED=1)")


def test_the_package_under_test_is_the_installed_wheel() -> None:
    package = Path(wireplan.__file__).resolve().parent
    assert package.parent == Path(sysconfig.get_paths()["purelib"]).resolve()
    assert REPO / "python" not in package.parents
    assert (package / "py.typed").is_file()
    assert any(package.glob("_core*.so")) or any(package.glob("_core*.pyd"))


def test_bytecode_was_written_at_install() -> None:
    package = Path(wireplan.__file__).resolve().parent
    cached = {p.name.split(".")[0] for p in (package / "__pycache__").glob("*.pyc")}
    sources = {p.stem for p in package.glob("*.py")}
    assert sources <= cached, f"no bytecode for {sorted(sources - cached)}"


def test_import_wireplan_from_a_clean_process_is_quick() -> None:
    # The README's figure: `import wireplan` in a fresh interpreter, from the
    # installed wheel's bytecode. Generous bound: a loaded 2-core CI machine.
    code = "import time; t = time.perf_counter(); import wireplan; print(time.perf_counter() - t)"
    took = min(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout) for _ in range(5))
    assert took < 0.25, f"import wireplan took {took * 1000:.1f} ms"
