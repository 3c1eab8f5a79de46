"""The published pre-commit hook (`.pre-commit-hooks.yaml`), run as users run
it: a fixture git repository whose `.pre-commit-config.yaml` names this
repository at its HEAD commit and `id: wireplan-check`, then `pre-commit run`
once with a good graph and once with a broken one. pre-commit installs this
repository as a package (a maturin build from source, about a minute), once
for both runs; its environments are kept in target/pre-commit-home."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pre_commit  # noqa: F401 - in python/requirements-test.txt: missing, this file fails, never skips
import pytest

REPO = Path(__file__).resolve().parents[2]

# pre-commit builds the package from source, with git and cargo. The README's
# test command (`scripts/test`, WIREPLAN_INSTALLED=1) has both (it runs
# `cargo test` first), so there their absence fails; a developer's run
# without them skips, saying so.
_TOOLS = shutil.which("git") is not None and shutil.which(
    "cargo", path=os.environ.get("PATH", "") + os.pathsep + str(Path.home() / ".cargo" / "bin")) is not None
if not _TOOLS:
    if os.environ.get("WIREPLAN_INSTALLED") == "1":
        raise RuntimeError("the pre-commit hook test needs git and cargo, which the test command has")
    pytest.skip("pre-commit builds the package from source: needs git and cargo", allow_module_level=True)

GOOD = '{"version": 1, "services": [{"id": "config"}, {"id": "db", "deps": ["config"]}]}\n'
BROKEN = '{"version": 1, "services": [{"id": "db", "deps": ["Config"]}, {"id": "config"}]}\n'


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _run_hook(project: Path) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        PRE_COMMIT_HOME=str(REPO / "target" / "pre-commit-home"),
        # The package build reuses the repository's cargo cache.
        CARGO_TARGET_DIR=str(REPO / "target" / "pre-commit-cargo"),
        PATH=os.environ.get("PATH", "") + os.pathsep + str(Path.home() / ".cargo" / "bin"),
        NO_COLOR="1",
        GIT_CONFIG_GLOBAL=str(project.parent / "gitconfig"),
    )
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "gitconfig").write_text("[user]\n\tname = wireplan tests\n\temail = tests@example.invalid\n[safe]\n\tdirectory = *\n")
    root = tmp_path / "project"
    root.mkdir()
    _git(root, "init", "-q")
    (root / "README.md").write_text("a project with a service graph\n")
    (root / "deploy").mkdir()
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, check=True, capture_output=True, text=True).stdout.strip()
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO}\n    rev: {head}\n    hooks:\n      - id: wireplan-check\n"
    )
    return root


def test_the_hook_passes_a_good_graph_and_fails_a_broken_one(project: Path) -> None:
    services = project / "deploy" / "services.json"
    services.write_text(GOOD)
    _git(project, "add", "-A")
    good = _run_hook(project)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "wireplan check" in good.stdout and "Passed" in good.stdout

    services.write_text(BROKEN)
    _git(project, "add", "-A")
    broken = _run_hook(project)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "Failed" in broken.stdout
    assert "error[missing-dependency]: no service provides `Config`, needed by `db`" in broken.stdout
    assert "did you mean `config`?" in broken.stdout
