#!/usr/bin/env bash
# Creates bench/.venv with the pinned peers of bench/python/requirements.txt.
# wireplan itself comes from the root .venv (scripts/setup), whose python runs
# the benchmark and appends bench/.venv's site-packages to its path. Not part
# of scripts/setup: the benchmark is not part of the test command.
#
#   bash bench/python/setup.sh
#   .venv/bin/python bench/python/run.py
set -euo pipefail
cd "$(dirname "$0")/../.."
# The same interpreter as .venv, so run.py (run by .venv/bin/python) can load
# the peers' compiled modules from bench/.venv.
PY=${PYTHON:-$(test -x .venv/bin/python && echo .venv/bin/python || echo python3)}
if [ ! -x bench/.venv/bin/python ]; then
  "$PY" -m venv bench/.venv
fi
bench/.venv/bin/pip install -q -r bench/python/requirements.txt
bench/.venv/bin/python -c 'import graphlib2, rustworkx, dishka, dependency_injector, dioxide, wireup; print("bench/.venv ready")'
