"""`wireplan check`, from the Python package: the Rust CLI's `check` on the
same core, for CI jobs and pre-commit hooks that install the wheel rather
than build the CLI. Same output (the core's rendering, or its report JSON)
and the same exit codes: 0 valid (warnings allowed unless
``--deny-warnings``), 1 when the graph has errors, 2 when the input cannot be
read or parsed, or the command line is wrong. JSON input only; the Rust CLI
also reads YAML and TOML."""

from __future__ import annotations

import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

OK, INVALID, UNUSABLE = 0, 1, 2
# Reports made only of these codes mean the input could not be used at all.
UNUSABLE_CODES = frozenset({"invalid-descriptor", "unsupported-version", "limit-exceeded"})
# The core's default `max_input_bytes`; at most one byte more is ever read,
# so /dev/zero or an endless pipe costs a bounded read, then a limit error.
MAX_INPUT_BYTES = 256 << 20

USAGE = """\
Usage: wireplan check [OPTIONS] <FILE>...

Validate descriptor files (JSON; several are merged in order; - is standard input).
Exit 0 when valid, 1 when the graph has errors, 2 when the input cannot be used.

Options:
      --format <FORMAT>   human (default), json, or github (workflow commands that annotate a pull request)
      --profile <P>       the active profile
      --root <ID>         a service that must start (repeatable)
      --deny-warnings     exit 1 on warnings too
  -h, --help              print help
  -V, --version           print version
"""


class _Usage(Exception):
    """The command line is wrong."""


class _Unreadable(Exception):
    """An input file cannot be read."""


def _read(name: str) -> tuple[str, str]:
    from wireplan import _core

    display = "<stdin>" if name == "-" else name
    # A file name is user text: escaped as the core shows ids, so a newline
    # in it cannot start a line of its own in a terminal or a CI log.
    shown = _core.escape(display)
    # Refused by name, before a byte of it is read.
    if name != "-" and name.lower().endswith((".yaml", ".yml", ".toml")):
        raise _Unreadable(f"cannot read `{shown}`: the Python CLI reads JSON only; convert it, or use the Rust CLI for YAML and TOML")
    try:
        if name == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            # O_NONBLOCK: opening a FIFO with no writer must not hang.
            fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
            with os.fdopen(fd, "rb") as f:
                if stat.S_ISDIR(os.fstat(fd).st_mode):
                    raise IsADirectoryError(name)
                os.set_blocking(fd, True)
                data = f.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise _Unreadable(f"cannot read `{shown}`: no such file") from None
    except IsADirectoryError:
        raise _Unreadable(f"cannot read `{shown}`: it is a directory, not a descriptor file") from None
    except PermissionError:
        raise _Unreadable(f"cannot read `{shown}`: permission denied") from None
    except OSError as e:
        what = "standard input" if name == "-" else f"`{shown}`"
        raise _Unreadable(f"cannot read {what}: {(e.strerror or str(e)).lower()}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Unreadable(f"cannot read `{shown}`: invalid UTF-8; descriptors must be UTF-8 text") from None
    return display, text


def _parse(argv: Sequence[str]) -> dict[str, object]:
    files: list[str] = []
    roots: list[str] = []
    out: dict[str, object] = {"files": files, "format": "human", "profile": None, "roots": roots, "deny_warnings": False}
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, inline = arg.partition("=")

        def value() -> str:
            nonlocal i
            if eq:
                return inline
            if i + 1 >= len(argv):
                raise _Usage(f"a value is required for `{name} <VALUE>`")
            i += 1
            return argv[i]

        if arg == "--":
            files.extend(argv[i + 1 :])
            break
        if name == "--format":
            fmt = value()
            if fmt not in ("human", "json", "github"):
                raise _Usage(f"invalid value `{fmt}` for `--format <FORMAT>` (the Python CLI has human, json and github; the Rust CLI also has sarif)")
            out["format"] = fmt
        elif name == "--profile":
            out["profile"] = value()
        elif name == "--root":
            roots.append(value())
        elif arg == "--deny-warnings":
            out["deny_warnings"] = True
        elif arg.startswith("-") and arg != "-":
            raise _Usage(f"unexpected argument `{arg}`")
        else:
            files.append(arg)
        i += 1
    if not files:
        raise _Usage("the following required arguments were not provided: <FILE>...")
    return out


def _write(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # A closed pipe (`| head`): the exit code still tells the graph's state.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaces the closed stream for interpreter exit
        except OSError:  # pragma: no cover
            pass


def run(argv: Sequence[str]) -> int:
    """Runs the command line `argv` (without the program name); returns the exit code."""
    from wireplan import _core

    if not argv or argv[0] in ("-h", "--help", "help"):
        (sys.stdout if argv else sys.stderr).write(USAGE)
        return OK if argv else UNUSABLE
    if argv[0] in ("-V", "--version"):
        _write(f"wireplan {_version()}\n")
        return OK
    if argv[0] != "check":
        sys.stderr.write(f"error: unrecognized subcommand `{_core.escape(argv[0])}` (the Python package has `check`; the Rust CLI has plan, graph, explain and diff too)\n\n{USAGE}")
        return UNUSABLE
    try:
        args = _parse(argv[1:])
    except _Usage as e:
        # The message quotes the command line, user text: escaped whole.
        sys.stderr.write(f"error: {_core.escape(str(e))}\n\n{USAGE}")
        return UNUSABLE
    try:
        documents = [_read(f) for f in args["files"]]  # type: ignore[attr-defined]
    except _Unreadable as e:
        sys.stderr.write(f"error: {e}\n")
        return UNUSABLE
    report_json, rendering = _core.check(documents, args["profile"], args["roots"] or None, github=args["format"] == "github")  # type: ignore[arg-type]
    import json

    diagnostics = json.loads(report_json)["diagnostics"]
    errors = [d for d in diagnostics if d["severity"] == "error"]
    warnings = [d for d in diagnostics if d["severity"] == "warning"]
    _write(report_json + "\n" if args["format"] == "json" else rendering)
    if errors and all(d["code"] in UNUSABLE_CODES for d in errors):
        return UNUSABLE
    if errors or (args["deny_warnings"] and warnings):
        return INVALID
    return OK


def _version() -> str:
    from importlib.metadata import version

    return version("wireplan")


def main() -> None:
    """The `wireplan` console script."""
    sys.exit(run(sys.argv[1:]))
