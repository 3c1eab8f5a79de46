"""The README's Python example runs (doc examples are tests)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent.parent / "README.md"


def test_readme_python_example_runs(capsys: object) -> None:
    text = README.read_text()
    section = text[text.index("\n## Python\n"):]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks, "the Python section has no example"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {"__name__": "readme_example"})
