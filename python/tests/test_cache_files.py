"""The cache's files as an attacker or an accident may leave them: special
files, other users' files and directories, unauthenticated plans; the
modes of new files under a umask; the directory kept bounded, also with
several processes writing and pruning at once.

Whatever is found, the plan is the right one; what cannot be trusted is
refused quickly, with a warning, and the plan recompiled."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import wireplan
from wireplan import _cache

from test_cache import make_registry, split_entry  # noqa: E402
from test_cache_faults import RIGHT, check_right  # noqa: E402

ROOT = os.geteuid() == 0
NOBODY = 65534
# A genuinely optional platform: only root can give a file to another user
# (chown), so the tests of foreign owners run where the suite runs as
# root and skip elsewhere, saying so (a non-root run keeps the mode tests).
needs_root = pytest.mark.skipif(not ROOT, reason="changing a file's owner needs root")


def compile_logged(caplog: pytest.LogCaptureFixture, cache: Path, **options: Any) -> tuple[wireplan.Plan, str]:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="wireplan"):
        plan = make_registry().compile(cache_dir=str(cache), **options)
    return plan, "\n".join(r.getMessage() for r in caplog.records if r.name == "wireplan")


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Path]:
    d = tmp_path / "cache"
    d.mkdir(mode=0o755)
    d.chmod(0o755)
    yield d
    d.chmod(0o755)


def filled(cache: Path) -> Path:
    make_registry().compile(cache_dir=str(cache))
    [entry] = cache.glob("*.wpc")
    return entry


def refused_quickly(caplog: pytest.LogCaptureFixture, cache: Path, expect: str) -> None:
    t0 = time.perf_counter()
    plan, warned = compile_logged(caplog, cache)
    took = time.perf_counter() - t0
    check_right(plan)
    assert expect in warned and "rebuilding" in warned, warned
    assert took < 1.0, took
    # Replaced by a good entry: the next start is a clean hit.
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == ""


# ---- special files ---------------------------------------------------------------


def test_fifo(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A FIFO would block a reader until a writer comes: opened without
    blocking, refused by its type, unread."""
    entry = filled(cache)
    entry.unlink()
    os.mkfifo(entry)
    refused_quickly(caplog, cache, "is not a regular file")


def test_symlink_to_dev_zero(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An endless device behind a symbolic link: the link is not followed."""
    entry = filled(cache)
    entry.unlink()
    entry.symlink_to("/dev/zero")
    refused_quickly(caplog, cache, "is a symbolic link")


def test_symlink_to_a_good_entry_elsewhere(cache: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Even a link to a valid entry: what it points at is not the cache's."""
    entry = filled(cache)
    moved = tmp_path / "elsewhere.wpc"
    entry.rename(moved)
    entry.symlink_to(moved)
    refused_quickly(caplog, cache, "is a symbolic link")


def test_sparse_2gb_file(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    """2 GB of holes: refused by its size, not read into memory."""
    entry = filled(cache)
    with open(entry, "r+b") as f:
        f.truncate(2 << 30)
    refused_quickly(caplog, cache, "is too large (2147483648 bytes)")


def test_sparse_file_with_a_header_declaring_its_size(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A header whose lengths add up to a huge size: refused by the cap too."""
    entry = filled(cache)
    head, manifest, _ = split_entry(entry.read_bytes())
    size = 2 << 30
    head = head[:16] + (size - 32 - len(manifest)).to_bytes(8, "little") + head[24:]
    with open(entry, "wb") as f:
        f.write(head + manifest)
        f.truncate(size)
    refused_quickly(caplog, cache, "is too large")


def test_header_lengths_that_do_not_match_the_size(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Bytes past the declared lengths: refused, never read."""
    entry = filled(cache)
    entry.write_bytes(entry.read_bytes() + b"\0" * 100)
    refused_quickly(caplog, cache, "has a wrong length")


def test_a_directory_in_place_of_the_entry(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    entry = filled(cache)
    entry.unlink()
    entry.mkdir()
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert "is not a regular file" in warned and "cannot write the plan cache" in warned, warned


# ---- trust -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o777, 0o757, 0o1777])
def test_directory_writable_by_other_users(cache: Path, caplog: pytest.LogCaptureFixture, mode: int) -> None:
    """Anyone who can write the directory could plant a plan: it is not
    used, and nothing is written to it."""
    filled(cache)
    before = sorted(p.name for p in cache.iterdir())
    cache.chmod(mode)
    plan, warned = compile_logged(caplog, cache, cache_key="another")
    check_right(plan)
    assert f"cache directory `{cache}` is writable by other users (mode {mode:04o})" in warned, warned
    assert "not trusted" in warned
    assert sorted(p.name for p in cache.iterdir()) == before


@needs_root
def test_directory_writable_by_a_shared_group(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    filled(cache)
    cache.chmod(0o775)
    plan, warned = compile_logged(caplog, cache)  # group root: root's own group, no other member
    check_right(plan)
    assert warned == ""
    os.chown(cache, -1, 100)  # "users"
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert "is writable by other users (mode 0775)" in warned, warned


@needs_root
def test_directory_owned_by_another_user(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    filled(cache)
    os.chown(cache, NOBODY, -1)
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert f"is owned by another user (uid {NOBODY})" in warned and "not trusted" in warned, warned


@needs_root
def test_entry_owned_by_another_user(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    os.chown(filled(cache), NOBODY, -1)
    refused_quickly(caplog, cache, f"is owned by another user (uid {NOBODY})")


def test_entry_writable_by_other_users(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    filled(cache).chmod(0o646)
    refused_quickly(caplog, cache, "is writable by other users (mode 0646)")


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def set_secret(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv("WIREPLAN_CACHE_SECRET", raising=False)
        else:
            monkeypatch.setenv("WIREPLAN_CACHE_SECRET", value)

    yield set_secret


def test_authenticated_plans(cache: Path, caplog: pytest.LogCaptureFixture, secret: Any) -> None:
    """With ``WIREPLAN_CACHE_SECRET``, entries carry a MAC and only entries
    with the right one are used."""
    secret("first secret")
    entry = filled(cache)
    assert entry.read_bytes()[10] == 1  # the flag: a MAC follows
    plan, warned = compile_logged(caplog, cache)
    check_right(plan)
    assert warned == ""
    # Another secret: refused, rebuilt under this one.
    secret("second secret")
    refused_quickly(caplog, cache, "failed authentication")
    # Unauthenticated entries are refused while a secret is set.
    secret(None)
    entry.unlink()
    filled(cache)
    secret("second secret")
    refused_quickly(caplog, cache, "is not authenticated")


def test_altered_authenticated_entry(cache: Path, caplog: pytest.LogCaptureFixture, secret: Any) -> None:
    """A planted entry (the manifest pointed at other sources, say) fails
    the MAC before anything in it is used."""
    secret("s" * 100)  # longer than BLAKE2b's 64-byte key: hashed down
    entry = filled(cache)
    data = entry.read_bytes()
    entry.write_bytes(data[:40] + bytes([data[40] ^ 1]) + data[41:])  # a byte of the key in the manifest
    refused_quickly(caplog, cache, "failed authentication")


# ---- modes -----------------------------------------------------------------------


@pytest.mark.parametrize(("umask", "file_mode", "dir_mode"), [
    (0o022, 0o644, 0o755),
    (0o027, 0o640, 0o750),
    (0o077, 0o600, 0o700),
    (0o002, 0o644, 0o755),  # never group-writable: reading would refuse it
])
def test_new_files_respect_the_umask(tmp_path: Path, umask: int, file_mode: int, dir_mode: int) -> None:
    """A cache prewarmed by one user (an image build) is readable by another
    (the service) when the umask says so: not mkstemp's 0600."""
    old = os.umask(umask)
    try:
        cache = tmp_path / "new" / "cache"
        make_registry().compile(cache_dir=str(cache))
    finally:
        os.umask(old)
    [entry] = cache.glob("*.wpc")
    assert stat.S_IMODE(entry.stat().st_mode) == file_mode
    assert stat.S_IMODE(cache.stat().st_mode) == dir_mode


# ---- pruning ---------------------------------------------------------------------

HOUR = 3600


def age(path: Path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t), follow_symlinks=False)


def test_pruning_keeps_the_newest_entries(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREPLAN_CACHE_MAX_ENTRIES", "3")
    for i in range(5):
        make_registry().compile(cache_dir=str(cache), cache_key=f"old {i}")
    olds = sorted(cache.glob("*.wpc"))
    for i, p in enumerate(olds):
        age(p, 2 * HOUR + i * 60)  # the first the newest
    crashed = cache / ".tmp-1-0123456789ab.wpc"  # a writer that died
    crashed.write_bytes(b"partial")
    age(crashed, 2 * HOUR)
    writing = cache / ".tmp-2-0123456789ab.wpc"  # a writer at work
    writing.write_bytes(b"partial")
    make_registry().compile(cache_dir=str(cache), cache_key="young 1")
    make_registry().compile(cache_dir=str(cache), cache_key="young 2")
    left = {p for p in cache.glob("*.wpc") if not p.name.startswith(".")}
    assert len(left) == 3 and olds[0] in left and not left & set(olds[1:])
    assert not crashed.exists() and writing.exists()


def test_pruning_never_removes_a_young_entry(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Within the grace period an entry may be about to be read by a process
    that just found it: kept, even beyond the bound."""
    monkeypatch.setenv("WIREPLAN_CACHE_MAX_ENTRIES", "1")
    for i in range(4):
        make_registry().compile(cache_dir=str(cache), cache_key=f"k{i}")
    assert len(list(cache.glob("*.wpc"))) == 4


def test_a_hit_keeps_an_entry_among_the_newest(cache: Path, caplog: pytest.LogCaptureFixture,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREPLAN_CACHE_MAX_ENTRIES", "2")
    entry = filled(cache)
    age(entry, 3 * HOUR)
    time.sleep(_cache.RACY_NS / 1e9 + 0.1)  # its sources' stats recorded, so that the hit does not rewrite it
    entry.unlink()
    filled(cache)
    age(entry, 3 * HOUR)
    plan, warned = compile_logged(caplog, cache)  # a hit: touched
    check_right(plan)
    assert entry.stat().st_mtime > time.time() - 60
    for i in range(2):
        make_registry().compile(cache_dir=str(cache), cache_key=f"other {i}")
        for p in cache.glob("*.wpc"):
            if p != entry:
                age(p, 2 * HOUR)
    assert entry.exists()


def test_pruning_waits_for_a_writer_renaming(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer holds the directory's lock shared while it renames an entry
    in; the pruner takes it exclusively or does nothing."""
    import fcntl

    monkeypatch.setenv("WIREPLAN_CACHE_MAX_ENTRIES", "1")
    for i in range(3):
        make_registry().compile(cache_dir=str(cache), cache_key=f"k{i}")
    for p in cache.glob("*.wpc"):
        age(p, 2 * HOUR)
    fd = os.open(cache / ".lock", os.O_RDWR)
    dfd = os.open(cache, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        assert _cache.prune(dfd) == 0
        assert len(list(cache.glob("*.wpc"))) == 3
        fcntl.flock(fd, fcntl.LOCK_UN)
        assert _cache.prune(dfd) == 2
        assert len(list(cache.glob("*.wpc"))) == 1
    finally:
        os.close(fd)
        os.close(dfd)


PRUNER = """
import json, logging, sys
sys.path.insert(0, {tests!r})
warned = []

class Collect(logging.Handler):
    def emit(self, record):
        warned.append(record.getMessage())

logging.getLogger("wireplan").addHandler(Collect(logging.WARNING))
from wireplan import _cache
_cache.GRACE_NS = 0  # every entry beyond the bound may go at once
import test_cache_faults as t
for i in range(30):
    # Two keys shared by every process, one of its own: processes read,
    # write and prune each other's entries all the time.
    for key in ("shared a", "shared b", f"{{sys.argv[1]}} {{i}}"):
        t.check_right(t.make_registry().compile(cache_dir={cache!r}, cache_key=key))
print(json.dumps(warned))
"""


def test_concurrent_writers_and_pruners(tmp_path: Path) -> None:
    """Four processes write, read and prune one directory bounded to 3
    entries, with no grace period: every compile gives the right plan, no
    one warns (no torn or vanished file is ever read), and the directory
    stays bounded."""
    cache = tmp_path / "cache"
    script = tmp_path / "pruner.py"
    script.write_text(PRUNER.format(tests=str(Path(__file__).resolve().parent), cache=str(cache)))
    env = dict(os.environ, WIREPLAN_CACHE_MAX_ENTRIES="3")
    procs = [subprocess.Popen([sys.executable, str(script), str(n)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for n in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert json.loads(out) == [], out
    names = [p.name for p in cache.iterdir() if p.name != ".lock"]
    assert not [n for n in names if n.startswith(".tmp-")], names
    assert len(names) <= 3 + len(procs), names
    check_right(make_registry().compile(cache_dir=str(cache), cache_key="shared a"))
    assert RIGHT.fingerprint
