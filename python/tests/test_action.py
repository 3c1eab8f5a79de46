"""The GitHub Action (`action.yml`), run as far as it can be off GitHub: its
shape is checked, the install step is run against a stand-in `python` that
records what it would install, and the check step's script is run with the
installed `wireplan` console script on a good graph, a broken one and the
action's inputs, as a runner would (bash, inputs as environment variables,
`GITHUB_STEP_SUMMARY` a file)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # PyYAML, which pre-commit (python/requirements-test.txt) brings: missing, this file fails, never skips

REPO = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
STEPS = ACTION["runs"]["steps"]
WIREPLAN = shutil.which("wireplan", path=str(Path(sys.executable).parent))
#: The README's test command (`scripts/test`) runs the suite against the
#: installed wheel, which has the console script: there its absence fails.
INSTALLED = os.environ.get("WIREPLAN_INSTALLED") == "1"


def _step(name: str) -> dict[str, str]:
    return next(s for s in STEPS if s.get("name") == name)


def _run(script: str, env: dict[str, str], path: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, PATH=path + os.pathsep + os.environ.get("PATH", ""), NO_COLOR="1", **env)
    # As GitHub runs a composite step's `shell: bash`: `bash --noprofile --norc -eo pipefail`.
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=full, capture_output=True, text=True, timeout=120)


def _inputs(**given: str) -> dict[str, str]:
    """The step's env with `${{ inputs.x }}` replaced as GitHub would."""
    values = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()} | given
    return values


def _env(step: dict[str, str], **given: str) -> dict[str, str]:
    values = _inputs(**given)
    out = {}
    for k, v in step.get("env", {}).items():
        inner = v.removeprefix("${{ inputs.").removesuffix(" }}")
        out[k] = values[inner]
    return out


def test_a_composite_action_with_documented_inputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert ACTION["inputs"]["files"]["required"] is True
    assert STEPS[0]["uses"].startswith("actions/setup-python@")
    for step in STEPS[1:]:
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], "inputs reach scripts through env, never pasted into the script"


def test_the_install_step_installs_the_released_wheel(tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "python"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {tmp_path / "argv"}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    step = _step("Install wireplan")
    r = _run(step["run"], _env(step), str(fake.parent), tmp_path)
    assert r.returncode == 0, r.stderr
    argv = (tmp_path / "argv").read_text().split()
    assert argv[:3] == ["-m", "pip", "install"] and "--only-binary=:all:" in argv and argv[-1] == "wireplan==0.1.0"
    r = _run(step["run"], _env(step, version=""), str(fake.parent), tmp_path)
    assert (tmp_path / "argv").read_text().split()[-1] == "wireplan"


# Skipped only outside the test command: the editable install made by
# `maturin develop` may not have the console script.
@pytest.mark.skipif(WIREPLAN is None and not INSTALLED, reason="the wireplan console script is not installed in this environment")
def test_the_check_step_annotates_and_summarizes(tmp_path: Path) -> None:
    assert WIREPLAN is not None, "the installed wheel has no `wireplan` console script"
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "services.json").write_text('{"version": 1, "services": [{"id": "config"}, {"id": "db", "deps": ["config"]}]}\n')
    (tmp_path / "deploy" / "broken.json").write_text(
        '{"version": 1, "services": [{"id": "db", "deps": ["Config"], "source": {"file": "app/db.py", "line": 7}}, {"id": "config"}]}\n'
    )
    step = _step("Check")
    summary = tmp_path / "summary.md"
    bin_dir = str(Path(WIREPLAN).parent)

    good = _run(step["run"], _env(step, files="deploy/services.json") | {"GITHUB_STEP_SUMMARY": str(summary)}, bin_dir, tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "::error" not in good.stdout and "ok: no problems" in good.stdout

    broken = _run(step["run"], _env(step, files="deploy/broken.json\n") | {"GITHUB_STEP_SUMMARY": str(summary)}, bin_dir, tmp_path)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    annotation = next(line for line in broken.stdout.splitlines() if line.startswith("::error "))
    assert annotation.startswith("::error file=app/db.py,line=7,title=wireplan missing-dependency::no service provides `Config`, needed by `db`")
    assert "error[missing-dependency]" in broken.stdout  # the human report in the log
    assert "### wireplan check" in summary.read_text() and "did you mean `config`?" in summary.read_text()

    # Inputs: a profile, roots and deny-warnings reach the CLI.
    warn = _run(step["run"], _env(step, files="deploy/services.json", roots="config", **{"deny-warnings": "true"}), bin_dir, tmp_path)
    assert warn.returncode == 1 and "::warning " in warn.stdout and "unused-service" in warn.stdout

    # An input is never expanded by the shell: a `*` root is a root named `*`, not the files here.
    star = _run(step["run"], _env(step, files="deploy/services.json", roots="*"), bin_dir, tmp_path)
    assert star.returncode == 1 and "unknown-root" in star.stdout and "`*`" in star.stdout, star.stdout
