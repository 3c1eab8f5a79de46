"""The disk cache of compiled plans: one file per key, trusted only when it
can be.

A cache directory holds ``<key>.wpc`` entries (the key: ``_cache_key``)::

    offset  size  field
    0       8     magic b"WPLCACHE"
    8       2     entry format version (u16 LE)
    10      2     flags (u16 LE): bit 0, a MAC follows the plan
    12      4     manifest length M (u32 LE)
    16      8     plan length N (u64 LE)
    24      8     zero
    32      M     manifest, UTF-8 lines: ``key <key>``, ``plan <fingerprint>``,
                  then one ``f <blake2b-128> <size> <mtime_ns> <ctime_ns> <ino> <path>``
                  per source file (the four stat fields ``-`` when not recorded)
    32+M    N     the core's binary plan (its own header, checksum, fingerprint)
    32+M+N  32    with bit 0: keyed BLAKE2b-256 of all of the above

One file, so a reader never follows a reference to a second file that a
pruner could remove in between: an entry is read from one descriptor.

Reading trusts nothing. The entry is opened without following a symbolic
link and without blocking (a FIFO), must be a regular file owned by this
user or root and writable by no one else, in a directory of the same kind
(as ssh treats its keys); its fixed header is read first and the lengths
it declares must add up to the file's size (a sparse 2 GB file is refused
by its size, unread); with ``WIREPLAN_CACHE_SECRET`` set, the MAC must
verify before anything in the entry is used. Then the key must be ours,
every source file must still hash to what the manifest says (a (size,
mtime, ctime, inode) match proves it without reading; a ctime cannot be set
back, so any write changes it), and the plan must decode under the
manifest's fingerprint. A stale entry is a quiet miss; anything else is a
warning on the ``wireplan`` logger and a recompile, never a wrong plan.

Writing respects the umask (new files are ``0o644 & ~umask``: never
writable by group or other, which reading would refuse), goes to a
temporary file renamed into place, and is skipped with a warning when the
directory cannot be written. The directory is bounded: after a write, the
entries beyond the newest ``WIREPLAN_CACHE_MAX_ENTRIES`` (64) that are older
than an hour are removed, under an exclusive ``flock`` that writers hold
shared while they rename, so a file being renamed in is never removed; a
removed entry still open in a reader stays readable. A hit older than the
grace period is touched, so entries in use stay the newest.
"""

from __future__ import annotations

import os
import stat
import sys
from _thread import allocate_lock

from . import _core
from ._cache_key import Uncacheable, cache_key, extra_key, sources
from .errors import PlanError

try:  # the module hashlib wraps: no OpenSSL to load at start-up
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b

TYPE_CHECKING = False  # not typing's: importing this module stays cheap
if TYPE_CHECKING:
    from typing import Any, Iterable, Sequence

    from ._spec import _Provider

__all__ = ["Entry", "directory", "log"]


class _Log:
    """The ``wireplan`` logger, got when a warning is logged: logging is
    imported then, not on every start (it costs milliseconds)."""

    def warning(self, msg: str, *args: Any) -> None:
        import logging

        logging.getLogger("wireplan").warning(msg, *args, stacklevel=2)

    def debug(self, msg: str, *args: Any) -> None:
        logging = sys.modules.get("logging")
        if logging is not None:
            logging.getLogger("wireplan").debug(msg, *args, stacklevel=2)


log = _Log()

MAGIC = b"WPLCACHE"
VERSION = 1
HEADER = 32
MAC_LEN = 32
SUFFIX = ".wpc"
#: An entry larger than this is refused unread (the plan of 100,000
#: services is about 15 MB).
MAX_ENTRY = 256 << 20
#: A source file larger than this is not hashed (the entry is then stale).
MAX_SOURCE = 256 << 20
#: Entries younger than this are never pruned; older hits are touched.
GRACE_NS = 3600 * 10**9
#: A source file changed less than this before its stat was taken may change
#: again within the file system's timestamp granularity: its stat is not
#: recorded, its content is hashed on every load until an entry records it.
RACY_NS = 2 * 10**9
_DEFAULT_MAX_ENTRIES = 64

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_READ = os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_CLOEXEC
#: Guards the registry's ``RESOLVED`` tuple while it is replaced.
_RECORDING = allocate_lock()


def directory(cache_dir: str | os.PathLike[str] | None) -> str | None:
    """The cache directory in force: the argument, else ``WIREPLAN_CACHE_DIR``."""
    d = cache_dir if cache_dir is not None else os.environ.get("WIREPLAN_CACHE_DIR")
    return os.fspath(d) if d else None


class _Refused(Exception):
    """A cache file or directory that is not used (the reason, for the log)."""


def _secret() -> bytes | None:
    """The MAC key from ``WIREPLAN_CACHE_SECRET`` (BLAKE2b takes 64 bytes at
    most: a longer secret is hashed down)."""
    s = os.environ.get("WIREPLAN_CACHE_SECRET")
    if not s:
        return None
    b = s.encode("utf-8", "surrogateescape")
    return b if len(b) <= 64 else blake2b(b).digest()


def _private_group(st: os.stat_result) -> bool:
    """Whether a group-writable file's group is its owner's own (the user
    private group of Debian and Fedora, which OpenSSH's Debian build also
    accepts): then group write is the owner's."""
    try:
        import grp
        import pwd

        owner = pwd.getpwuid(st.st_uid)
        group = grp.getgrgid(st.st_gid)
    except (ImportError, KeyError, OSError):
        return False
    return owner.pw_gid == st.st_gid and all(m == owner.pw_name for m in group.gr_mem)


def _foreign(st: os.stat_result) -> str | None:
    """Why another user could have written this file or directory (owned by
    neither this user nor root, or writable by group, other than the
    owner's private group, or other), or ``None``."""
    geteuid = getattr(os, "geteuid", None)
    if geteuid is None:  # pragma: no cover - Windows: no such modes
        return None
    if st.st_uid != geteuid() and st.st_uid != 0:
        return f"is owned by another user (uid {st.st_uid})"
    if st.st_mode & 0o002 or (st.st_mode & 0o020 and not _private_group(st)):
        return f"is writable by other users (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


def _read_exactly(fd: int, n: int) -> bytes:
    """`n` bytes from `fd`, or fewer if the file ends first."""
    chunks = []
    while n > 0:
        chunk = os.read(fd, min(n, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _stat_fields(st: os.stat_result, now_ns: int) -> str:
    """``size mtime ctime ino`` of a source file, or ``- - - -`` when it
    changed too recently for its timestamps to prove anything."""
    if max(st.st_mtime_ns, st.st_ctime_ns) > now_ns - RACY_NS:
        return "- - - -"
    return f"{st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}"


def _hash_source(path: str) -> tuple[str, os.stat_result] | None:
    """The content hash of a source file and its stat, read from one
    descriptor; ``None`` when it is not a readable regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_CLOEXEC)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_SOURCE:
            return None
        data = _read_exactly(fd, st.st_size + 1)
        if len(data) != st.st_size:
            return None
        return blake2b(data, digest_size=16).hexdigest(), st
    except OSError:
        return None
    finally:
        os.close(fd)


def _escape(path: str) -> str:
    return path.encode("unicode_escape").decode("ascii") if not path.isprintable() or "\\" in path else path


def _unescape(text: str) -> str:
    return text.encode("ascii").decode("unicode_escape") if "\\" in text else text


def manifest(key: str, fingerprint: str, files: Iterable[str], expected: Sequence[str] | None = None) -> str | None:
    """The manifest text of a new entry; ``None`` when a source file cannot
    be read (the plan is then not stored: it could not be checked). With
    `expected` (a refresh: the digests a load just verified), also ``None``
    when a file no longer has its digest: it changed since, and the plan in
    hand was read from the old content."""
    import time

    now = time.time_ns()
    # A file changed since this process started may differ from the code it
    # imported (an editor saving during start-up): the plan was read from
    # that code, so the file is recorded as changed, and the next start
    # recompiles from what it imports.
    started = _process_start_ns() if expected is None else None
    lines = [f"key {key}", f"plan {fingerprint}"]
    for i, path in enumerate(files):
        got = _hash_source(path)
        if got is None or (expected is not None and got[0] != expected[i]):
            if expected is None:
                log.warning("wireplan: cannot read source file `%s`; the plan is not cached", path)
            return None
        digest, st = got
        if started is not None and max(st.st_mtime_ns, st.st_ctime_ns) >= started - _START_MARGIN_NS:
            lines.append(f"f {CHANGED} - - - - {_escape(path)}")  # no stat: it must be hashed, and fail
            continue
        lines.append(f"f {digest} {_stat_fields(st, now)} {_escape(path)}")
    return "\n".join(lines) + "\n"


#: The digest of a source that may not be what this process imported: it
#: matches no content, so the next load recompiles.
CHANGED = "changed-since-the-process-began"[:32].ljust(32, "-")


def _process_start_ns() -> int | None:
    """When this process started (Linux: its start in clock ticks since
    boot, from ``/proc``, against the boot-time clock), or ``None`` when
    unknown (elsewhere: then a file saved between an import and the store
    goes unnoticed, as the README says)."""
    import time

    try:
        with open("/proc/self/stat", "rb") as f:
            stat_ = f.read()
        ticks = int(stat_[stat_.rindex(b")") + 2:].split()[19])  # field 22, starttime
        since_boot = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
        return time.time_ns() - (since_boot - ticks * 10**9 // os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return None


#: File timestamps come from a coarse clock (a jiffy late at most) and the
#: start time is known to a clock tick: a file written after the start has
#: a timestamp no earlier than this before it.
_START_MARGIN_NS = 100 * 10**6


class _Source:
    __slots__ = ("digest", "stat", "path")

    def __init__(self, digest: str, stat_: tuple[int, int, int, int] | None, path: str) -> None:
        self.digest, self.stat, self.path = digest, stat_, path


def _parse_manifest(text: str) -> tuple[str, str, list[_Source]]:
    """Key, fingerprint and sources; ``ValueError`` when malformed."""
    lines = text.split("\n")
    if len(lines) < 3 or lines[-1] != "" or not lines[0].startswith("key ") or not lines[1].startswith("plan "):
        raise ValueError("manifest")
    key, fingerprint = lines[0][4:], lines[1][5:]
    if len(fingerprint) != 32 or fingerprint.strip("0123456789abcdef"):
        raise ValueError("fingerprint")
    out = []
    for line in lines[2:-1]:
        tag, digest, size, mtime, ctime, ino, path = line.split(" ", 6)
        if tag != "f" or len(digest) != 32 or not path:
            raise ValueError("source")
        st = None if size == "-" else (int(size), int(mtime), int(ctime), int(ino))
        out.append(_Source(digest, st, _unescape(path)))
    return key, fingerprint, out


def _fresh(sources: list[_Source]) -> bool | None:
    """``True`` when every source is unchanged and its stat proves it;
    ``None`` when unchanged but some were hashed (the entry's stats are
    worth refreshing); ``False`` when one changed or is gone."""
    proven = True
    stat_ = os.stat
    for s in sources:
        if s.stat is not None:
            try:
                st = stat_(s.path)
            except (OSError, ValueError):
                return False
            if (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) == s.stat:
                continue
        got = _hash_source(s.path)
        if got is None or got[0] != s.digest:
            return False
        proven = False
    return True if proven else None


class Entry:
    """The cache entry of one compile: its directory and key; loads and
    stores the plan.

    # Complexity
    Load: O(P) for the key, O(F) stats for F source files, plus the
    plan's decoding. Store (a cold compile): O(G) for the sources' search
    over loaded modules' globals, and a read of every source file.
    """

    __slots__ = ("directory", "key", "path", "_write", "_sources", "_digests", "_plan_bytes", "_refresh", "_resolved")

    def __init__(self, directory: str, key: str) -> None:
        self.directory = directory
        self.key = key
        self.path = os.path.join(directory, key + SUFFIX)
        self._write = True  # False once the directory is refused: then nothing is written either
        self._sources: list[str] | None = None
        self._digests: list[str] | None = None
        self._plan_bytes: bytes | None = None
        self._refresh: str | None = None  # fingerprint of a hit whose stats are worth refreshing
        self._resolved: list[dict[str, Any]] = []

    @classmethod
    def open(cls, cache_dir: str | None, providers: Sequence[_Provider], profile: str | None,
             roots: Sequence[Any] | None, explicit_key: str | None) -> Entry | None:
        """The entry for a compile, or ``None`` when there is no cache
        directory or the providers cannot be cached (logged)."""
        d = directory(cache_dir)
        if d is None:
            return None
        try:
            key = cache_key(providers, profile, roots, extra_key(explicit_key))
        except Uncacheable as e:
            log.warning("wireplan: the plan is not cached: %s", e)
            return None
        return cls(d, key)

    # ---- reading ---------------------------------------------------------------

    def load(self) -> _core.Plan | None:
        """The cached plan, or ``None`` (a miss, a stale entry, or a file
        that cannot be trusted: logged as a warning)."""
        try:
            dfd = os.open(self.directory, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as e:
            log.warning("wireplan: cannot read the cache directory %s (%s); rebuilding", self.directory, e.strerror or e)
            return None
        try:
            why = _foreign(os.fstat(dfd))
            if why is not None:
                self._write = False
                log.warning("wireplan: cache directory `%s` %s: not trusted, planning without the cache",
                            self.directory, why)
                return None
            try:
                return self._load(dfd)
            except _Refused as e:
                log.warning("wireplan: cache file %s %s; rebuilding", self.path, e)
                return None
        finally:
            os.close(dfd)

    def _load(self, dfd: int) -> _core.Plan | None:
        name = self.key + SUFFIX
        try:
            fd = os.open(name, _READ, dir_fd=dfd)
        except FileNotFoundError:
            return None
        except OSError as e:
            import errno

            if e.errno == errno.ELOOP:
                raise _Refused("is a symbolic link") from None
            raise _Refused(f"cannot be read ({e.strerror or e})") from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise _Refused("is not a regular file")
            why = _foreign(st)
            if why is not None:
                raise _Refused(why)
            if st.st_size > MAX_ENTRY:
                raise _Refused(f"is too large ({st.st_size} bytes)")
            head = _read_exactly(fd, HEADER)
            if len(head) < HEADER:
                raise _Refused("is truncated")
            if head[:8] != MAGIC:
                raise _Refused("is corrupt (bad magic)")
            version = int.from_bytes(head[8:10], "little")
            if version != VERSION:
                raise _Refused(f"is of another format version ({version})")
            flags = int.from_bytes(head[10:12], "little")
            mlen = int.from_bytes(head[12:16], "little")
            plen = int.from_bytes(head[16:24], "little")
            mac = MAC_LEN if flags & 1 else 0
            if HEADER + mlen + plen + mac != st.st_size:
                raise _Refused("is truncated" if HEADER + mlen + plen + mac > st.st_size else "has a wrong length")
            rest = _read_exactly(fd, mlen + plen + mac)
            if len(rest) != mlen + plen + mac:
                raise _Refused("is truncated")
        finally:
            os.close(fd)
        secret = _secret()
        if secret is not None:
            if not mac:
                raise _Refused("is not authenticated (WIREPLAN_CACHE_SECRET is set)")
            import hmac

            expected = blake2b(head + rest[:-MAC_LEN], key=secret, digest_size=MAC_LEN).digest()
            if not hmac.compare_digest(expected, rest[-MAC_LEN:]):
                raise _Refused("failed authentication (another WIREPLAN_CACHE_SECRET, or altered)")
        try:
            key, fingerprint, sources = _parse_manifest(rest[:mlen].decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise _Refused("is corrupt") from None
        if key != self.key:
            # Another key's entry, copied or swapped in: its plan may be
            # valid and still be another registry's.
            raise _Refused(f"belongs to another key ({key[:64]})")
        fresh = _fresh(sources)
        if fresh is False:
            return None  # a source changed since: a miss, not a fault
        plan_bytes = rest[mlen:mlen + plen]
        try:
            plan = _core.Plan.decode(plan_bytes, fingerprint)
        except PlanError as e:
            raise _Refused(f"holds a plan that fails to decode: {e.diagnostics[0]['message'] if e.diagnostics else e}") from None
        if fresh is None:
            self._refresh = fingerprint
            self._sources = [s.path for s in sources]
            self._digests = [s.digest for s in sources]
            self._plan_bytes = plan_bytes
        elif st.st_mtime_ns < _now_ns() - GRACE_NS:
            try:  # in use: keep it among the newest (pruning removes the oldest)
                os.utime(name, dir_fd=dfd, follow_symlinks=False)
            except (OSError, NotImplementedError):
                pass
        return plan

    def refresh(self) -> None:
        """After a hit that had to hash sources (touched, copied, or just
        edited when stored): rewrites the entry with their current stats,
        so the next start proves them by stat alone."""
        if self._refresh is None or self._sources is None or self._plan_bytes is None:
            return
        text = manifest(self.key, self._refresh, self._sources, self._digests)
        if text is not None:
            self._write_entry(text, self._plan_bytes, quiet=True)  # a read-only cache still hits

    # ---- writing ---------------------------------------------------------------

    def recording(self, registry: Any) -> _Recording:
        """While reading the providers: collects what the registry's string
        annotations evaluate to (its ``RESOLVED`` hook)."""
        return _Recording(registry, self._resolved)

    def store(self, plan: _core.Plan, providers: Sequence[_Provider]) -> None:
        """Stores a plan just made, with the sources it was read from. A cache
        that cannot be written is logged, never fatal."""
        if not self._write:
            return
        try:
            files = sources(providers, self._resolved)
        except Uncacheable as e:
            log.warning("wireplan: the plan is not cached: %s", e)
            return
        text = manifest(self.key, plan.fingerprint, files)
        if text is not None:
            self._write_entry(text, plan.encode())

    def _write_entry(self, text: str, plan_bytes: bytes, quiet: bool = False) -> None:
        body = text.encode("utf-8")
        secret = _secret()
        head = (MAGIC + VERSION.to_bytes(2, "little") + (1 if secret else 0).to_bytes(2, "little")
                + len(body).to_bytes(4, "little") + len(plan_bytes).to_bytes(8, "little") + bytes(8))
        data = head + body + plan_bytes
        if secret is not None:
            data += blake2b(data, key=secret, digest_size=MAC_LEN).digest()
        try:
            os.makedirs(self.directory, mode=0o755, exist_ok=True)
            dfd = os.open(self.directory, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
        except OSError as e:
            (log.debug if quiet else log.warning)("wireplan: cannot write the plan cache in %s (%s)",
                                                   self.directory, e.strerror or e)
            return
        try:
            why = _foreign(os.fstat(dfd))
            if why is not None:
                log.warning("wireplan: cache directory `%s` %s: not trusted, the plan is not cached",
                            self.directory, why)
                return
            _write_atomic(dfd, self.key + SUFFIX, data)
            prune(dfd)
        except OSError as e:
            (log.debug if quiet else log.warning)("wireplan: cannot write the plan cache in %s (%s)",
                                                   self.directory, e.strerror or e)
        finally:
            os.close(dfd)


class _Recording:
    """Adds a list to the registry's ``RESOLVED`` hook for a ``with`` block
    (contextlib costs an import on the first compile)."""

    __slots__ = ("registry", "into")

    def __init__(self, registry: Any, into: list[dict[str, Any]]) -> None:
        self.registry, self.into = registry, into

    def __enter__(self) -> None:
        with _RECORDING:
            self.registry.RESOLVED = (*self.registry.RESOLVED, self.into)

    def __exit__(self, *_: object) -> None:
        with _RECORDING:
            self.registry.RESOLVED = tuple(r for r in self.registry.RESOLVED if r is not self.into)


def _now_ns() -> int:
    import time

    return time.time_ns()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _lock(dfd: int, exclusive: bool) -> int | None:
    """A descriptor of the directory's ``.lock`` holding a shared or (if it
    can be had at once) exclusive ``flock``; ``None`` without one."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock: no pruning either
        return None
    try:
        fd = os.open(".lock", os.O_RDWR | os.O_CREAT | _O_NOFOLLOW | _O_CLOEXEC, 0o644, dir_fd=dfd)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)
    except OSError:
        os.close(fd)
        return None
    return fd


def _write_atomic(dfd: int, name: str, data: bytes) -> None:
    """Writes `name` in the directory as a temporary file renamed into place
    (created ``0o644``, less the umask), holding the directory's lock
    shared from the temporary file's creation to the rename, so that
    pruning (which holds it exclusively) never removes either mid-write."""
    lock = _lock(dfd, exclusive=False)
    try:
        tmp = f".tmp-{os.getpid()}-{os.urandom(6).hex()}{SUFFIX}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC, 0o644, dir_fd=dfd)
        try:
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
            os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=dfd)
            except OSError:
                pass
            raise
    finally:
        if lock is not None:
            os.close(lock)


def max_entries() -> int:
    """``WIREPLAN_CACHE_MAX_ENTRIES``, else 64 (at least 1)."""
    try:
        return max(1, int(os.environ.get("WIREPLAN_CACHE_MAX_ENTRIES", _DEFAULT_MAX_ENTRIES)))
    except ValueError:
        return _DEFAULT_MAX_ENTRIES


def prune(dfd: int) -> int:
    """Removes the entries beyond the newest :func:`max_entries` and the
    temporary files of crashed writers, if older than the grace period;
    returns how many were removed. Skipped while another process prunes.

    # Complexity
    O(E log E) for E files in the directory.
    """
    now = _now_ns()
    entries: list[tuple[int, str]] = []
    stale: list[str] = []
    with os.scandir(dfd) as it:
        for e in it:
            try:
                if not e.is_file(follow_symlinks=False):
                    continue
                mtime = e.stat(follow_symlinks=False).st_mtime_ns
            except OSError:
                continue
            if e.name.startswith(".tmp-"):
                if mtime < now - GRACE_NS:
                    stale.append(e.name)
            elif e.name.endswith(SUFFIX):
                entries.append((mtime, e.name))
    keep = max_entries()
    if len(entries) <= keep and not stale:
        return 0
    entries.sort(reverse=True)
    stale += [name for mtime, name in entries[keep:] if mtime < now - GRACE_NS]
    if not stale:
        return 0
    lock = _lock(dfd, exclusive=True)
    if lock is None:
        return 0  # another process prunes (or no flock): its turn
    removed = 0
    try:
        for name in stale:
            try:
                # Checked again under the lock: a writer may have renamed a
                # new entry over an old one since the scan.
                if os.stat(name, dir_fd=dfd, follow_symlinks=False).st_mtime_ns >= now - GRACE_NS:
                    continue
                os.unlink(name, dir_fd=dfd)
                removed += 1
            except OSError:
                continue
    finally:
        os.close(lock)
    return removed
