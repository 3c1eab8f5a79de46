"""The disk cache of compiled plans.

Layout of a cache directory::

    <key>.key          "<fingerprint> <key>": the plan made for this key (text)
    <fingerprint>.wpl  the core's binary plan

The key is cheap to compute on every start: it hashes what each provider
*is* (its qualified name, the file and first line of its code, and that
file's size and mtime, which stand for its annotations, defaults and body;
bytecode and constants for code with no file), the registration order,
lifetimes, explicit options and the versions, without evaluating a single
type hint. The plan is stored under its real fingerprint (of the
descriptors, `meta` included, which says how to call each factory), and
loading it checks that fingerprint, the header, the checksum and every
invariant in the core. A key file repeats its own key, so one copied over
from another cache (every key file has the same size) is noticed too: it
would point at a valid plan of other descriptors. Anything that fails is
logged as a warning on the ``wireplan`` logger and rebuilt, never trusted.
A cache that cannot be written (read-only, full) is logged and skipped.
Writes go to a temporary file in the same directory and are renamed into
place (``os.replace`` is atomic), plan first and key second, so concurrent
starts never see a torn file.
"""

from __future__ import annotations

import os
import stat
import sys

from . import _core
from ._keys import key_of

try:  # the module hashlib wraps: no OpenSSL to load at start-up
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b
from .errors import PlanError

TYPE_CHECKING = False  # not typing's: importing this module stays cheap
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any, Sequence

    from .registry import _Provider


class _Log:
    """The ``wireplan`` logger, got when a warning is logged: logging is
    imported then, not on every start (it costs milliseconds)."""

    def warning(self, msg: str, *args: Any) -> None:
        import logging

        logging.getLogger("wireplan").warning(msg, *args, stacklevel=2)


log = _Log()

#: Bumped when what the Python side puts in descriptors changes.
_LAYOUT = "wireplan-py-cache-2"

# The largest cached plan read back: far above the binary plan of any graph
# the default limits admit, and a bound on what a planted file (a device, a
# huge file) can make `load` read.
_MAX_PLAN_BYTES = 1 << 30


def directory(cache_dir: str | os.PathLike[str] | None) -> str | None:
    """The cache directory in force: the argument, else ``WIREPLAN_CACHE_DIR``."""
    d = cache_dir if cache_dir is not None else os.environ.get("WIREPLAN_CACHE_DIR")
    return os.fspath(d) if d else None


def _hash_code(blobs: list[Any], code: CodeType) -> None:
    """Bytecode, constants and names (nested code objects included)."""
    code_type = type(code)
    stack = [code]
    while stack:
        c = stack.pop()
        blobs.append(c.co_code)
        blobs.append(repr(c.co_names).encode())
        for k in c.co_consts:
            if isinstance(k, code_type):
                stack.append(k)
            else:
                blobs.append(repr(k).encode())


def _stamp(file: str, stats: dict[str, str]) -> str:
    """``mtime_ns:size`` of a source file (one stat per file), or ``""``."""
    stamp = stats.get(file)
    if stamp is None:
        try:
            st = os.stat(file)
            stamp = f"{st.st_mtime_ns}:{st.st_size}"
        except (OSError, ValueError):
            stamp = ""
        stats[file] = stamp
    return stamp


def _code_part(target: Any, stats: dict[str, str], out: list[str], blobs: list[Any]) -> None:
    """What identifies a provider's code: its qualified name, where its code
    is, and the size and mtime of that file (which stand for everything in
    it: annotations, defaults, bodies). Code with no file on disk (``exec``)
    is hashed by bytecode and constants instead."""
    obj = target
    if not isinstance(obj, type) and "__wrapped__" in getattr(obj, "__dict__", ()):
        import inspect

        obj = inspect.unwrap(obj)
    if isinstance(obj, type):
        module = sys.modules.get(obj.__module__)
        out.append(f"{obj.__module__}.{obj.__qualname__}")
        init = getattr(obj, "__init__")  # noqa: B009 - the class attribute, inherited or not
        code = getattr(init, "__code__", None)
        file = getattr(module, "__file__", None)
        if file:
            out.append(_stamp(file, stats))
    else:
        code = getattr(obj, "__code__", None) or getattr(getattr(obj, "__call__", None), "__code__", None)
        out.append(f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}")
    if code is not None:
        out.append(f"{code.co_filename}:{code.co_firstlineno}")
        stamp = _stamp(code.co_filename, stats)
        if stamp:
            out.append(stamp)
        else:
            _hash_code(blobs, code)


def cache_key(providers: Sequence[_Provider], profile: str | None, roots: Sequence[Any] | None) -> str:
    """The cache key of a registry and options (32 hex digits).

    # Complexity
    O(P) for P providers, one stat per source file; no type hint is read.
    """
    out: list[str] = [_LAYOUT, _core.VERSION, f"{sys.version_info[0]}.{sys.version_info[1]}", repr(profile),
                      repr([key_of(r) for r in roots or ()])]
    blobs: list[Any] = []
    stats: dict[str, str] = {}
    # Source files of plain classes by number, in order of first use: each
    # file's name and stamp go in the key once, at the end.
    files: dict[str, int] = {}
    modules: dict[str, int] = {}
    for p in providers:
        target = p.target
        if type(target) is type and not p.is_value and p.profiles is None and not p.keys and p.deps is None:
            # A plain class registered plainly, the common case, in one
            # string: what _code_part appends for it, fewer steps.
            module = target.__module__
            mfile = modules.get(module)
            if mfile is None:
                file = getattr(sys.modules.get(module), "__file__", None)
                # A file that cannot be read is not numbered: its code is
                # hashed instead (the general way, below).
                mfile = modules[module] = files.setdefault(file, len(files)) if file and _stamp(file, stats) else -1
            code = getattr(getattr(target, "__init__"), "__code__", None)  # noqa: B009 - inherited or not
            if code is None:
                out.append(f"\0{p.id}\0{p.lifetime}\0{module}.{target.__qualname__}\0{mfile}")
                continue
            file = code.co_filename
            number = files.get(file)
            if number is None and _stamp(file, stats):
                number = files[file] = len(files)
            if number is not None:
                out.append(f"\0{p.id}\0{p.lifetime}\0{module}.{target.__qualname__}\0{mfile}\0{number}:{code.co_firstlineno}")
                continue
        out.append(f"\0{p.id}\0{p.lifetime}")
        if p.profiles is not None:
            out.append(repr(p.profiles))
        if p.keys:
            out.append(repr([key_of(k) for k in p.keys]))
        if p.deps is not None:
            out.append(repr([key_of(k) for k in p.deps]))
        if p.is_value:
            out.append("v")
            _code_part(type(p.target), stats, out, blobs)
        else:
            _code_part(p.target, stats, out, blobs)
    out.append(repr([(file, stats[file]) for file in files]))
    h = blake2b("\x1f".join(out).encode(), digest_size=16)
    for b in blobs:
        h.update(b)
    return h.hexdigest()


def load(cache_dir: str, key: str) -> _core.Plan | None:
    """The cached plan for `key`, or ``None`` (a miss, or a file that cannot
    be trusted: logged as a warning)."""
    key_path = os.path.join(cache_dir, key + ".key")
    try:
        with open(key_path, "rb") as f:
            parts = f.read(128).decode("ascii", "replace").split()
    except FileNotFoundError:
        return None
    except OSError as e:
        log.warning("wireplan: cannot read cache file %s (%s); rebuilding", key_path, e)
        return None
    fingerprint = parts[0] if len(parts) == 2 else ""
    if len(fingerprint) != 32 or any(c not in "0123456789abcdef" for c in fingerprint):
        log.warning("wireplan: cache file %s is corrupt; rebuilding", key_path)
        return None
    if parts[1] != key:
        # Another cache's key file (a copy, a swap): its plan may be valid
        # and still be another registry's.
        log.warning("wireplan: cache file %s belongs to another key (%s); rebuilding", key_path, parts[1][:64])
        return None
    plan_path = os.path.join(cache_dir, fingerprint + ".wpl")
    try:
        with open(plan_path, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_PLAN_BYTES:
                log.warning("wireplan: cached plan %s is not a plan file of at most %d bytes; rebuilding",
                            plan_path, _MAX_PLAN_BYTES)
                return None
            data = f.read(_MAX_PLAN_BYTES + 1)
    except OSError as e:
        log.warning("wireplan: cannot read cached plan %s (%s); rebuilding", plan_path, e)
        return None
    try:
        return _core.Plan.decode(data, fingerprint)
    except PlanError as e:
        reason = e.diagnostics[0]["message"] if e.diagnostics else str(e)
        log.warning("wireplan: %s (%s); rebuilding", reason, plan_path)
        return None


def _write_atomic(path: str, data: bytes) -> None:
    import tempfile

    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def store(cache_dir: str, key: str, plan: _core.Plan) -> None:
    """Stores a plan under its fingerprint and points `key` at it. A cache
    that cannot be written is logged, never fatal."""
    try:
        os.makedirs(cache_dir, exist_ok=True)
        _write_atomic(os.path.join(cache_dir, plan.fingerprint + ".wpl"), plan.encode())
        _write_atomic(os.path.join(cache_dir, key + ".key"), f"{plan.fingerprint} {key}\n".encode())
    except OSError as e:
        log.warning("wireplan: cannot write the plan cache in %s (%s)", cache_dir, e)
