"""Cache faults: a cache directory that is read-only, full, missing or not a
directory; two processes writing the same plan at once, 100 times over; a
plan swapped for another project's of the same size, an entry for another
key's. In every case
the plan is the right one: at worst it is recompiled, with a warning on the
``wireplan`` logger."""

from __future__ import annotations

import errno
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import wireplan
from wireplan import _core


# The same small app as the cache tests: one definition of it.
from test_cache import Config, Database, Service, make_registry, replace_plan, split_entry  # noqa: E402,F401


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


def entries(d: Path) -> list[str]:
    """The cache's files but its lock file."""
    return [n for n in cache_files(d) if n != ".lock"]


# ---- read-only -----------------------------------------------------------------


def refuse_creating_in(d: Path, monkeypatch: pytest.MonkeyPatch, err: int, text: str) -> None:
    """Every file the cache creates in `d` fails with `err`, as the OS would
    fail it (emulated: as root, chmod does not stop writes)."""
    real = os.open

    def refusing(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        where = Path(os.readlink(f"/proc/self/fd/{dir_fd}")) if dir_fd is not None else Path(path).parent
        if flags & os.O_CREAT and where == d:
            raise OSError(err, text, str(path))
        return real(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", refusing)


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
    refuse_creating_in(d, monkeypatch, errno.EACCES, "Permission denied")


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
    assert entries(cache) == []


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


def test_unreadable_entry(cache: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    make_registry().compile(cache_dir=str(cache))
    real = os.open

    def refuse(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        if str(path).endswith(".wpc") and not flags & (os.O_WRONLY | os.O_RDWR):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", refuse)
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert "cannot be read (Permission denied)" in warned and "rebuilding" in warned, warned


def test_cache_path_is_a_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    not_a_dir = tmp_path / "cache"
    not_a_dir.write_text("not a directory")
    plan, warned = compile_logged(caplog, not_a_dir)
    check_right(plan)
    assert "cannot read the cache directory" in warned and "cannot write the plan cache" in warned, warned
    assert not_a_dir.read_text() == "not a directory"


# ---- full ----------------------------------------------------------------------


class FullDisk:
    """``os.write`` that writes `room` bytes in all, then fails with ENOSPC."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, room: int) -> None:
        self.room = room
        self.real = os.write
        monkeypatch.setattr(os, "write", self)

    def __call__(self, fd: int, data: Any) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = self.real(fd, bytes(data[: self.room]))
        self.room -= n
        return n


@pytest.mark.parametrize("room", [0, 40, 1000])
def test_full_disk(cache: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, room: int,
                   no_planning: list[int]) -> None:
    with monkeypatch.context() as m:
        FullDisk(m, room)
        plan, warned = compile_logged(caplog, cache)
        check_right(plan)
        assert "cannot write the plan cache" in warned and "No space left on device" in warned, warned
        assert entries(cache) == []  # no torn file, no temporary file left behind
    # Room again: stored, then a clean hit.
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == ""
    no_planning.clear()
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == "" and no_planning == []


# ---- missing -------------------------------------------------------------------


def test_missing_directory_is_created(tmp_path: Path, caplog: pytest.LogCaptureFixture, no_planning: list[int]) -> None:
    cache = tmp_path / "not" / "there" / "yet"
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == "" and len(entries(cache)) == 1
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
    assert warned == "" and len(entries(cache)) == 1  # a cold cache, made again


# ---- another project's file ----------------------------------------------------


def the_entry(d: Path) -> Path:
    [entry] = d.glob("*.wpc")
    return entry


def test_plan_swapped_for_another_projects_of_the_same_size(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    make_registry().compile(cache_dir=str(cache))
    entry = the_entry(cache)
    _, _, ours = split_entry(entry.read_bytes())
    # Another project: the same shape, other names of the same length.
    document = make_registry().document().replace("Config", "Konfig").replace("Database", "Datenbnk")
    other = _core.plan([("<registry>", document)]).encode()
    assert len(other) == len(ours) and other != ours
    replace_plan(entry, other)
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert "fingerprint" in warned and "rebuilding" in warned, warned
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == ""


@pytest.mark.parametrize("other", ["roots", "profile", "lifetime"])
def test_entry_swapped_for_another_keys(cache: Path, caplog: pytest.LogCaptureFixture, other: str) -> None:
    """An entry copied from a registry with the same provider ids (other
    roots, another profile, the same app with another lifetime) holds a
    plan that is valid, and binds: the entry names its key, so it is
    refused."""
    make_registry().compile(cache_dir=str(cache))
    ours = the_entry(cache)
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
    [theirs] = set(cache.glob("*.wpc")) - {ours}
    ours.write_bytes(theirs.read_bytes())
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert "belongs to another key" in warned and "rebuilding" in warned, warned
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == ""


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
            names = entries(cache)
            assert len(names) == 1 and names[0].endswith(".wpc"), names
    finally:
        for p in procs:  # end of input: the worker's loop ends
            _, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
    # How each round's race fell (both missed and both wrote, or one read
    # the other's file) is up to the scheduler, so it is not asserted here:
    # test_two_processes_in_every_order forces each order.


STEPPED = """
import json, logging, os, sys
sys.path.insert(0, {tests!r})
warned = []

class Collect(logging.Handler):
    def emit(self, record):
        warned.append(record.getMessage())

logging.getLogger("wireplan").addHandler(Collect(logging.WARNING))
import test_cache_faults as t
from wireplan import _cache, _core
planned = []
real_plan = _core.plan
_core.plan = lambda *a: planned.append(1) or real_plan(*a)

def step(event):
    # Tells the test where this process is, and waits for its go.
    print(event, flush=True)
    assert sys.stdin.readline() == "go\\n"

real_load = _cache.Entry.load

def load(self):
    got = real_load(self)
    step("miss" if got is None else "hit")
    return got

_cache.Entry.load = load
real_replace = os.replace

def replace(*args, **kwargs):
    step("renaming")  # the temporary file is written, the directory's lock held shared
    real_replace(*args, **kwargs)

os.replace = replace
t.check_right(t.make_registry().compile(cache_dir=sys.argv[1]))
print(json.dumps([len(planned), warned]), flush=True)
"""


class _Stepped:
    """A process compiling once against `cache`, stopped at each step
    (`miss`/`hit` after its load, `renaming` before its rename) until the
    test says go; it ends printing how many plans it made and its warnings."""

    def __init__(self, script: Path, cache: Path) -> None:
        self.p = subprocess.Popen([sys.executable, str(script), str(cache)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def at(self, event: str) -> None:
        assert self.p.stdout is not None
        line = self.p.stdout.readline()
        assert line == event + "\n", (line, self.p.communicate(timeout=60)[1] if not line else "")

    def go(self) -> None:
        assert self.p.stdin is not None
        self.p.stdin.write("go\n")
        self.p.stdin.flush()

    def done(self) -> tuple[int, list[str]]:
        out, err = self.p.communicate(timeout=60)
        assert self.p.returncode == 0, err
        made, warned = json.loads(out)
        return made, warned


@pytest.mark.parametrize("order", ["both-miss-a-renames-first", "both-miss-b-renames-inside-a",
                                   "a-writes-then-b-reads"])
def test_two_processes_in_every_order(tmp_path: Path, order: str) -> None:
    """Two processes compiling at once on a cold cache, in each order the
    race can fall, forced step by step: both miss and rename one after the
    other (the second replaces the first's entry); both miss and one writes
    and renames while the other holds its temporary file; one writes before
    the other looks (a hit, no planning). Every compile gives the right
    plan without a warning, one entry is left and no temporary file, and the
    entry left is a clean hit."""
    script = tmp_path / "stepped.py"
    script.write_text(STEPPED.format(tests=str(Path(__file__).resolve().parent)))
    cache = tmp_path / "cache"
    a = _Stepped(script, cache)
    if order == "a-writes-then-b-reads":
        a.at("miss")
        a.go()
        a.at("renaming")
        a.go()
        assert a.done() == (1, [])
        b = _Stepped(script, cache)
        b.at("hit")
        b.go()
        assert b.done() == (0, [])
    else:
        b = _Stepped(script, cache)
        a.at("miss")
        b.at("miss")  # both have missed before either writes
        a.go()
        a.at("renaming")
        if order == "both-miss-a-renames-first":
            a.go()
            assert a.done() == (1, [])
            b.go()
            b.at("renaming")
            b.go()
            assert b.done() == (1, [])
        else:
            b.go()
            b.at("renaming")  # while a holds its temporary file, unrenamed
            b.go()
            assert b.done() == (1, [])
            a.go()  # a renames over b's entry
            assert a.done() == (1, [])
    names = entries(cache)
    assert len(names) == 1 and names[0].endswith(".wpc"), names
    c = _Stepped(script, cache)
    c.at("hit")
    c.go()
    assert c.done() == (0, [])
