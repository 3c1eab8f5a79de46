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


def test_package_readme_example_runs() -> None:
    # python/README.md is the PyPI page (pyproject's `readme`).
    page = README.parent / "python" / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    assert len(blocks) == 1, "the package README has one example"
    scope: dict[str, object] = {"__name__": "package_readme_example"}
    exec(compile(blocks[0], str(page), "exec"), scope)
    assert scope["db"].dsn == "sqlite://"  # type: ignore[attr-defined]
