"""Cache faults: a cache directory that is read-only, full, missing or not a
directory; two processes writing the same plan at once, 100 times over; a
cache file swapped for another project's of the same size. In every case
the plan is the right one: at worst it is recompiled, with a warning on the
``wireplan`` logger."""

from __future__ import annotations

import errno
import json
import logging
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import IO, Any, Iterator

import pytest

import wireplan
from wireplan import _core


# The same small app as the cache tests: one definition of it.
from test_cache import Config, Database, Service, make_registry  # noqa: E402,F401


#: The plan made without any cache: what every compile must give.
RIGHT = make_registry().compile()


def check_right(plan: wireplan.Plan) -> None:
    assert plan.fingerprint == RIGHT.fingerprint
    assert plan.core.encode() == RIGHT.core.encode()
    assert plan.to_json() == RIGHT.to_json()
    with plan.start() as app:
        assert isinstance(app.get(Service).db.config, Config)


def warnings_of(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name == "wireplan" and r.levelno == logging.WARNING)


def compile_logged(caplog: pytest.LogCaptureFixture, cache: Path, **options: Any) -> tuple[wireplan.Plan, str]:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="wireplan"):
        plan = make_registry().compile(cache_dir=str(cache), **options)
    return plan, warnings_of(caplog)


@pytest.fixture
def no_planning(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the plans made by the core (a cache hit makes none)."""
    calls: list[int] = []
    real = _core.plan

    def counting(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(_core, "plan", counting)
    yield calls


def cache_files(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir()) if d.is_dir() else []


# ---- read-only -----------------------------------------------------------------


def make_read_only(d: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod a-w; as root (or wherever that does not stop writes), the
    refusal the OS would give is emulated where the cache creates files."""
    d.chmod(0o555)
    probe = d / ".probe"
    try:
        probe.write_bytes(b"")
    except PermissionError:
        return
    probe.unlink()
    real = tempfile.mkstemp

    def refuse(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("dir") is not None and Path(kwargs["dir"]) == d:
            raise PermissionError(errno.EACCES, "Permission denied", str(d))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refuse)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Path]:
    d = tmp_path / "cache"
    d.mkdir()
    yield d
    d.chmod(0o755)  # so that pytest can remove it


def test_read_only_cold(cache: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    make_read_only(cache, monkeypatch)
    for _ in range(2):  # every start recompiles, and says why
        plan, warned = compile_logged(caplog, cache)
        check_right(plan)
        assert "cannot write the plan cache" in warned and "Permission denied" in warned, warned
    assert cache_files(cache) == []


def test_read_only_warm(cache: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
                        no_planning: list[int]) -> None:
    make_registry().compile(cache_dir=str(cache))
    files = cache_files(cache)
    make_read_only(cache, monkeypatch)
    no_planning.clear()
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == "" and no_planning == []  # a hit: reading is all it needs
    assert cache_files(cache) == files


def test_unreadable_key_file(cache: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    make_registry().compile(cache_dir=str(cache))
    real = open

    def refuse(file: Any, *args: Any, **kwargs: Any) -> IO[Any]:
        if str(file).endswith(".key") and (not args or "r" in args[0]):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real(file, *args, **kwargs)  # type: ignore[no-any-return]

    import builtins

    monkeypatch.setattr(builtins, "open", refuse)
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert "cannot read cache file" in warned and "rebuilding" in warned, warned


def test_cache_path_is_a_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    not_a_dir = tmp_path / "cache"
    not_a_dir.write_text("not a directory")
    plan, warned = compile_logged(caplog, not_a_dir)
    check_right(plan)
    assert "cannot read cache file" in warned and "cannot write the plan cache" in warned, warned
    assert not_a_dir.read_text() == "not a directory"


# ---- full ----------------------------------------------------------------------


class FullDisk:
    """``os.fdopen`` whose files take `room` bytes, then fail with ENOSPC."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, room: int, skip: int = 0) -> None:
        self.room = room
        self.skip = skip  # files written normally first
        self.real = os.fdopen
        monkeypatch.setattr(os, "fdopen", self)

    def __call__(self, fd: int, *args: Any, **kwargs: Any) -> Any:
        f = self.real(fd, *args, **kwargs)
        if self.skip:
            self.skip -= 1
            return f
        room, real_write = self.room, f.write

        def write(data: bytes) -> int:
            real_write(data[:room])
            f.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        f.write = write
        return f


@pytest.mark.parametrize("room", [0, 40, 1000])
def test_full_disk(cache: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, room: int,
                   no_planning: list[int]) -> None:
    with monkeypatch.context() as m:
        FullDisk(m, room)
        plan, warned = compile_logged(caplog, cache)
        check_right(plan)
        assert "cannot write the plan cache" in warned and "No space left on device" in warned, warned
        assert cache_files(cache) == []  # no torn file, no temporary file left behind
    # Room again: stored, then a clean hit.
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == ""
    no_planning.clear()
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == "" and no_planning == []


def test_full_disk_after_the_plan(cache: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    # The plan fits, the key file does not: the next start misses, quietly.
    with monkeypatch.context() as m:
        FullDisk(m, 0, skip=1)
        plan, warned = compile_logged(caplog, cache)
        check_right(plan)
        assert "No space left on device" in warned
    assert [n.endswith(".wpl") for n in cache_files(cache)] == [True]
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == ""
    assert sorted(Path(n).suffix for n in cache_files(cache)) == [".key", ".wpl"]


# ---- missing -------------------------------------------------------------------


def test_missing_directory_is_created(tmp_path: Path, caplog: pytest.LogCaptureFixture, no_planning: list[int]) -> None:
    cache = tmp_path / "not" / "there" / "yet"
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == "" and len(cache_files(cache)) == 2
    no_planning.clear()
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == "" and no_planning == []


def test_directory_removed_between_starts(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    make_registry().compile(cache_dir=str(cache))
    for p in cache.iterdir():
        p.unlink()
    cache.rmdir()
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == "" and len(cache_files(cache)) == 2  # a cold cache, made again


# ---- another project's file ----------------------------------------------------


def the_files(d: Path) -> tuple[Path, Path]:
    [key] = d.glob("*.key")
    fingerprint = key.read_text().split()[0]
    return key, d / f"{fingerprint}.wpl"


def test_plan_file_swapped_for_another_projects_of_the_same_size(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    make_registry().compile(cache_dir=str(cache))
    key, wpl = the_files(cache)
    # Another project: the same shape, other names of the same length.
    document = make_registry().document().replace("Config", "Konfig").replace("Database", "Datenbnk")
    other = _core.plan([("<registry>", document)]).encode()
    assert len(other) == wpl.stat().st_size and other != wpl.read_bytes()
    wpl.write_bytes(other)
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert "fingerprint" in warned and "rebuilding" in warned, warned
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == ""


@pytest.mark.parametrize("other", ["roots", "profile", "lifetime"])
def test_key_file_swapped_for_another_projects(cache: Path, caplog: pytest.LogCaptureFixture, other: str) -> None:
    """Every key file has the same size. One copied from a registry with the
    same provider ids (other roots, another profile, the same app with
    another lifetime) points at a plan that is valid, and binds: before the
    key files named their key, this gave a wrong plan without a word."""
    make_registry().compile(cache_dir=str(cache))
    [ours] = cache.glob("*.key")
    if other == "roots":
        make_registry().compile(roots=[Database], cache_dir=str(cache))
    elif other == "profile":
        make_registry().compile(profile="prod", cache_dir=str(cache))
    else:
        r = wireplan.Registry()
        r.provide(Config)
        r.provide(Database, lifetime="transient")
        r.provide(Service)
        r.compile(cache_dir=str(cache))
    [theirs] = set(cache.glob("*.key")) - {ours}
    assert ours.stat().st_size == theirs.stat().st_size
    ours.write_bytes(theirs.read_bytes())
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert "belongs to another key" in warned and "rebuilding" in warned, warned
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == ""


def test_old_key_file_without_its_key(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    make_registry().compile(cache_dir=str(cache))
    key, _ = the_files(cache)
    key.write_text(key.read_text().split()[0] + "\n")
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert "corrupt" in warned, warned


# ---- two processes at once -----------------------------------------------------

WORKER = """
import json, logging, sys, time
sys.path.insert(0, {tests!r})
warned = []

class Collect(logging.Handler):
    def emit(self, record):
        warned.append(record.getMessage())

logging.getLogger("wireplan").addHandler(Collect(logging.WARNING))
import test_cache_faults as t
from wireplan import _core
planned = []
real = _core.plan
_core.plan = lambda *a: planned.append(1) or real(*a)
print("ready", flush=True)
for line in sys.stdin:
    cache, at = line.split()
    del planned[:], warned[:]
    while time.time() < float(at):  # both start together (spinning: sleep is too coarse)
        pass
    cold = t.make_registry().compile(cache_dir=cache)   # both processes write
    made = len(planned)
    warm = t.make_registry().compile(cache_dir=cache)   # a hit, maybe on the other's file
    t.check_right(cold)
    t.check_right(warm)
    print(json.dumps([made, len(planned) - made, warned]), flush=True)
"""


def test_two_processes_write_the_same_plan_at_once_100_times(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(tests=str(Path(__file__).resolve().parent)))
    procs = [subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline() == "ready\n", p.communicate()[1]
        both_planned = 0
        for i in range(100):
            cache = tmp_path / f"cache{i}"
            at = time.time() + 0.005
            for p in procs:  # both go at once, on a cold directory
                assert p.stdin is not None
                p.stdin.write(f"{cache} {at!r}\n")
                p.stdin.flush()
            results = []
            for p in procs:
                assert p.stdout is not None
                line = p.stdout.readline()
                assert line, p.communicate()[1]
                results.append(json.loads(line))
            for made, remade, warned in results:
                assert warned == [] and remade == 0, (i, results)
            both_planned += all(r[0] == 1 for r in results)
            names = cache_files(cache)
            assert len(names) == 2 and not [n for n in names if n.startswith(".tmp-")], names
    finally:
        for p in procs:  # end of input: the worker's loop ends
            _, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
    # Rounds where both processes missed and both wrote (a quarter to a half
    # of them on a busy 2-core machine; in the others, one read the file the
    # other had just renamed into place).
    assert both_planned > 0, both_planned
