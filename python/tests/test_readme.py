"""The README's Python example runs (doc examples are tests)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent.parent / "README.md"


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_python_examples_run() -> None:
    # The landing page's first look (the registry, then the descriptor API),
    # its lifecycle, its look at the graph (pictures, explain, diff, timeline,
    # inspect) and the FastAPI integration with a test override.
    blocks = _python_blocks(README.read_text())
    assert len(blocks) == 5, "the README has five Python examples"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {"__name__": "readme_example"})


def test_docs_python_examples_run() -> None:
    page = README.parent / "docs" / "python.md"
    blocks = _python_blocks(page.read_text())
    assert blocks, "docs/python.md has no example"
    for block in blocks:
        exec(compile(block, str(page), "exec"), {"__name__": "docs_python_example"})


def test_package_readme_example_runs() -> None:
    # python/README.md is the PyPI page (pyproject's `readme`).
    page = README.parent / "python" / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    assert len(blocks) == 1, "the package README has one example"
    scope: dict[str, object] = {"__name__": "package_readme_example"}
    exec(compile(blocks[0], str(page), "exec"), scope)
    assert scope["db"].dsn == "sqlite://"  # type: ignore[attr-defined]
