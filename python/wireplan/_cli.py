"""`wireplan` from the Python package (the wheel's console script and
``python -m wireplan``): the Rust command line itself, linked into the
extension, so every subcommand and format prints the same bytes and exits
with the same codes as the `wireplan` binary and ``npx wireplan``::

    python -m wireplan check services.json --format github
    python -m wireplan graph services.yaml --format mermaid
    python -m wireplan explain services.json db --why server

Exit codes: 0 valid, 1 the graph has errors, 2 the input cannot be used.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


def run(argv: Sequence[str]) -> int:
    """Runs the command line ``argv`` (without the program name) and gives
    its exit code. Output goes to file descriptors 1 and 2, after Python's
    own buffers are flushed."""
    from . import _core

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    return _core.cli(list(argv))


def main() -> None:
    """The `wireplan` console script."""
    sys.exit(run(sys.argv[1:]))
