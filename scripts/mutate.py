#!/usr/bin/env python3
"""Mutation testing for the Python and JS runtimes, with a test command as judge.

Why a script of our own: the runtimes are two files each, the judge is a
plain shell command (the shared runtime vectors and the runtime tests), and
mutmut and Stryker each want their own test-runner integration in one
language only. This one makes small textual mutants (a comparison turned
round, a boolean flipped, a call deleted, a return emptied...), applies each
in place, runs the judge, and restores the file. A mutant the judge passes is
a *survivor*: either a test is missing or the mutant is equivalent, and the
README says which.

    python3 scripts/mutate.py --file js/src/runtime.js \\
        --test "cd js && node --test test/runtime.test.mjs" --timeout 60

Exit status: 0 when every mutant was killed, 1 when some survived, 2 when the
judge fails on the unmutated file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    line: int  # 1-based
    col: int  # 0-based, in the original line
    op: str
    before: str  # the original text replaced
    after: str

    def apply(self, lines: list[str]) -> list[str]:
        out = list(lines)
        text = out[self.line - 1]
        out[self.line - 1] = text[: self.col] + self.after + text[self.col + len(self.before) :]
        return out


# (name, pattern, replacement) applied at every match outside strings and
# comments. Patterns are anchored on word or operator boundaries so that
# `<=` is not read as `<`, `=>` not as `>=`, `++` not as `+`.
PY_OPS: list[tuple[str, str, str]] = [
    ("eq", r"(?<![=!<>])==(?!=)", "!="),
    ("ne", r"!=", "=="),
    ("lt", r"(?<![<-])<(?![<=])", "<="),
    ("le", r"<=", "<"),
    ("gt", r"(?<![>-])>(?![>=])", ">="),
    ("ge", r"(?<![>])>=", ">"),
    ("and", r"\band\b", "or"),
    ("or", r"\bor\b", "and"),
    ("not", r"\bnot\s+(?!in\b)", ""),
    ("is-not", r"\bis not\b", "is"),
    ("is", r"\bis\b(?! not)", "is not"),
    ("in", r"(?<!not )\bin\b(?=\s)", "not in"),
    ("true", r"\bTrue\b", "False"),
    ("false", r"\bFalse\b", "True"),
    ("plus", r"(?<=\s)\+(?=\s)", "-"),
    ("minus", r"(?<=\s)-(?=\s)", "+"),
    ("plus-eq", r"\+=", "-="),
    ("zero", r"(?<![\w.])0(?![\w.])", "1"),
    ("one", r"(?<![\w.])1(?![\w.])", "0"),
    ("break", r"\bbreak\b", "continue"),
    ("continue", r"\bcontinue\b", "break"),
]

JS_OPS: list[tuple[str, str, str]] = [
    ("eq", r"===", "!=="),
    ("ne", r"!==", "==="),
    ("lt", r"(?<![<])<(?![<=])", "<="),
    ("le", r"<=", "<"),
    ("gt", r"(?<![>=-])>(?![>=])", ">="),
    ("ge", r"(?<![>=])>=", ">"),
    ("and", r"&&(?!=)", "||"),
    ("or", r"\|\|(?!=)", "&&"),
    ("nullish", r"\?\?(?!=)", "||"),
    ("not", r"(?<![!=])!(?!=)", ""),
    ("true", r"\btrue\b", "false"),
    ("false", r"\bfalse\b", "true"),
    ("plus", r"(?<=\s)\+(?=\s)", "-"),
    ("minus", r"(?<=\s)-(?=\s)", "+"),
    ("plus-eq", r"\+=", "-="),
    ("incr", r"\+\+", "--"),
    ("zero", r"(?<![\w.$])0(?![\w.])", "1"),
    ("one", r"(?<![\w.$])1(?![\w.])", "0"),
    ("break", r"\bbreak\b", "continue"),
    ("continue", r"\bcontinue\b", "break"),
]

# Whole-statement mutants: a call made for its effect is deleted, a returned
# value is dropped.
PY_CALL_STMT = re.compile(r"^(\s*)(?:await\s+)?[\w.\[\]]+\(.*\)\s*$")
PY_RETURN = re.compile(r"^(\s*)return\s+\S.*$")
JS_CALL_STMT = re.compile(r"^(\s*)(?:await\s+)?[\w.$\[\]?]+\(.*\);\s*$")
JS_RETURN = re.compile(r"^(\s*)return\s+[^;]+;\s*$")


def mask(line: str, js: bool, state: dict[str, str | None]) -> str:
    """The line with string contents and comments blanked, so operators are
    only found in code. `state` carries an open triple-quoted string (Python)
    or block comment / template literal (JS) across lines."""
    out = []
    i = 0
    n = len(line)
    while i < n:
        open_ = state.get("open")
        if open_:
            end = line.find(open_, i)
            if end < 0:
                out.append(" " * (n - i))
                return "".join(out)
            out.append(" " * (end + len(open_) - i))
            i = end + len(open_)
            state["open"] = None
            continue
        ch = line[i]
        if not js and ch == "#":
            out.append(" " * (n - i))
            break
        if js and line.startswith("//", i):
            out.append(" " * (n - i))
            break
        if js and line.startswith("/*", i):
            state["open"] = "*/"
            out.append("  ")
            i += 2
            continue
        if not js and (line.startswith('"""', i) or line.startswith("'''", i)):
            state["open"] = line[i : i + 3]
            out.append("   ")
            i += 3
            continue
        if js and ch == "`":
            # Template literals: blanked whole (their ${} code is not mutated).
            state["open"] = "`"
            out.append(" ")
            i += 1
            continue
        if ch in "\"'":
            j = i + 1
            while j < n and line[j] != ch:
                j += 2 if line[j] == "\\" else 1
            out.append(" " * (min(j, n - 1) + 1 - i))
            i = j + 1
            continue
        if js and ch == "/" and re.match(r"[\s(,=:!&|?{};]*$", line[:i][-1:] or " ") and re.search(r"[=(,:!&|?]\s*$|^\s*$", line[:i]):
            # A regular-expression literal: blank it to its closing slash.
            j = i + 1
            while j < n and line[j] != "/":
                j += 2 if line[j] == "\\" else 1
            out.append(" " * (min(j, n - 1) + 1 - i))
            i = j + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def mutants(path: Path, lines_range: tuple[int, int] | None) -> list[Mutant]:
    js = path.suffix in {".js", ".mjs", ".cjs"}
    ops = JS_OPS if js else PY_OPS
    call_stmt = JS_CALL_STMT if js else PY_CALL_STMT
    ret = JS_RETURN if js else PY_RETURN
    state: dict[str, str | None] = {"open": None}
    found: list[Mutant] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        was_open = state["open"] is not None
        code = mask(raw, js, state)
        if lines_range and not lines_range[0] <= number <= lines_range[1]:
            continue
        if not code.strip() or was_open and not code.strip():
            continue
        if not js and re.match(r"\s*(import|from|def|class|@)\b", code):
            continue
        if js and re.match(r"\s*(import|export \{|export \*)\b", code):
            continue
        for name, pattern, replacement in ops:
            for m in re.finditer(pattern, code):
                if name == "in" and re.search(r"\bfor\b", code[: m.start()]):
                    continue  # `for x not in y` does not parse
                found.append(Mutant(number, m.start(), name, raw[m.start() : m.end()], replacement))
        stripped = raw.strip()
        if call_stmt.match(code) and code.rstrip().endswith(")" if not js else ";") and raw.count("(") == raw.count(")"):
            indent = raw[: len(raw) - len(raw.lstrip())]
            found.append(Mutant(number, len(indent), "delete-call", stripped, "pass" if not js else "void 0;"))
        m = ret.match(code)
        if m and raw.count("(") == raw.count(")") and raw.count("[") == raw.count("]") and raw.count("{") == raw.count("}"):
            indent = m.group(1)
            empty = "return None" if not js else "return undefined;"
            if stripped not in {"return None", "return undefined;", "return;"}:
                found.append(Mutant(number, len(indent), "empty-return", stripped, empty))
    return found


def parses(text: str, js: bool) -> bool:
    """Whether a mutant is still a program: one that does not parse would be
    "killed" by any judge and say nothing about the tests."""
    if not js:
        try:
            compile(text, "<mutant>", "exec")
        except SyntaxError:
            return False
        return True
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".mjs", encoding="utf-8") as tmp:
        tmp.write(text)
        tmp.flush()
        return subprocess.run(["node", "--check", tmp.name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def run(command: str, timeout: float, env: dict[str, str]) -> str:
    """'passed', 'failed' or 'timeout' for the judge command."""
    proc = subprocess.Popen(command, shell=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        return "passed" if proc.wait(timeout=timeout) == 0 else "failed"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return "timeout"


def forget_bytecode(path: Path) -> None:
    # A mutant of the same size written in the same second would otherwise
    # be run from the stale .pyc of the original.
    cache = path.parent / "__pycache__"
    if cache.is_dir():
        for pyc in cache.glob(f"{path.stem}.*.pyc"):
            pyc.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--file", required=True, type=Path, help="the .py or .js file to mutate (in place; restored at the end)")
    parser.add_argument("--test", required=True, help="the judge: a shell command run from the repository root; exit 0 = mutant survived")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per run; a run past it counts as killed (default 120)")
    parser.add_argument("--lines", help="only lines A-B of the file")
    parser.add_argument("--op", action="append", help="only these operators (repeatable)")
    parser.add_argument("--sample", type=int, help="only N mutants, chosen evenly across the file (a quick estimate of the score)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--json", type=Path, help="write every mutant's outcome to this file")
    args = parser.parse_args()

    path = (ROOT / args.file).resolve() if not args.file.is_absolute() else args.file
    lines_range = None
    if args.lines:
        a, _, b = args.lines.partition("-")
        lines_range = (int(a), int(b or a))
    found = [m for m in mutants(path, lines_range) if not args.op or m.op in args.op]
    js = path.suffix in {".js", ".mjs", ".cjs"}
    lines = path.read_text(encoding="utf-8").split("\n")
    found = [m for m in found if parses("\n".join(m.apply(lines)), js)]
    if args.sample and args.sample < len(found):
        step = len(found) / args.sample
        found = [found[int(i * step)] for i in range(args.sample)]
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    if args.list:
        for m in found:
            print(f"{rel}:{m.line}:{m.col + 1}: {m.op}: {m.before!r} -> {m.after!r}")
        print(f"{len(found)} mutants")
        return 0

    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    original = "\n".join(lines)
    started = time.monotonic()
    if run(args.test, args.timeout, env) != "passed":
        print("the judge fails on the unmutated file; fix that first", file=sys.stderr)
        return 2
    results = []
    survivors = []
    try:
        for index, m in enumerate(found, start=1):
            path.write_text("\n".join(m.apply(lines)), encoding="utf-8")
            forget_bytecode(path)
            outcome = run(args.test, args.timeout, env)
            status = "survived" if outcome == "passed" else "killed"
            results.append({"line": m.line, "col": m.col + 1, "op": m.op, "before": m.before, "after": m.after, "status": status, "by": outcome})
            mark = "SURVIVED" if status == "survived" else "killed"
            print(f"[{index}/{len(found)}] {rel}:{m.line}: {m.op}: {m.before!r} -> {m.after!r}: {mark}", flush=True)
            if status == "survived":
                survivors.append(m)
    finally:
        path.write_text(original, encoding="utf-8")
        forget_bytecode(path)
    killed = len(found) - len(survivors)
    print(f"\n{rel}: {killed}/{len(found)} mutants killed ({100 * killed / max(len(found), 1):.1f}%) in {time.monotonic() - started:.0f} s")
    for m in survivors:
        print(f"  survived {rel}:{m.line}:{m.col + 1}: {m.op}: {lines[m.line - 1].strip()}")
    if args.json:
        args.json.write_text(json.dumps({"file": str(rel), "killed": killed, "total": len(found), "mutants": results}, indent=1) + "\n", encoding="utf-8")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
