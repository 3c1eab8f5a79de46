"""What the cache key and the sources cover: every edit that changes the
plan is a miss, in a fresh process as a restart would be; edits that
change nothing are hits.

Each case writes a small app into a temporary directory, starts it once
(a cold compile that fills the cache), edits one file, and starts it
again: the second start must wire what a cold compile of the edited code
wires."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import wireplan
from wireplan import _cache, _cache_key, _core

#: How long a source file must be left alone for its stat to be recorded.
RACY = _cache.RACY_NS / 1e9 + 0.1

RUN = """
import json, logging, sys
sys.path.insert(0, {app!r})
warned = []

class Collect(logging.Handler):
    def emit(self, record):
        warned.append(record.getMessage())

logging.getLogger("wireplan").addHandler(Collect(logging.WARNING))
from wireplan import _core
planned = []
real = _core.plan
_core.plan = lambda *a: planned.append(1) or real(*a)
import main
plan = main.registry.compile(cache_dir={cache!r})
with plan.start() as app:
    print(json.dumps([main.result(app), len(planned), warned]))
"""


class App:
    """Files of an app in a directory, and a way to start it in a new
    process: (what `main.result(app)` returns, whether it planned, warnings)."""

    def __init__(self, root: Path, files: dict[str, str]) -> None:
        self.dir = root / "app"
        self.dir.mkdir()
        self.cache = root / "cache"
        self.script = root / "run.py"
        self.script.write_text(RUN.format(app=str(self.dir), cache=str(self.cache)))
        self.written = 0.0
        for name, text in files.items():
            self.write(name, text)

    def write(self, name: str, text: str) -> None:
        (self.dir / name).write_text(textwrap.dedent(text))
        self.written = time.monotonic()

    def start(self) -> tuple[object, bool]:
        # A file saved as a process starts may not be what it imported: its
        # entry is stored as stale (see the last test). Start after saving.
        time.sleep(max(0.0, self.written + 0.2 - time.monotonic()))
        out = subprocess.run([sys.executable, str(self.script)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        result, planned, warned = json.loads(out.stdout)
        assert warned == [], warned
        return result, planned == 1


def test_stale_partial(tmp_path: Path) -> None:
    """(a) A partial of a function in a module that registers nothing: a
    parameter added there changes the plan."""
    app = App(tmp_path, {
        "factories.py": """
            class Db:
                def __init__(self, pool):
                    self.pool = pool
            def make_db(pool: int) -> Db:
                return Db(pool)
        """,
        "main.py": """
            import functools, wireplan
            from factories import Db, make_db
            class Clock:
                pass
            registry = wireplan.Registry()
            registry.provide(Clock)
            registry.provide(Db, functools.partial(make_db, pool=5))
            def result(app):
                db = app.get(Db)
                return [db.pool, type(getattr(db, "clock", None)).__name__]
        """,
    })
    assert app.start() == ([5, "NoneType"], True)
    assert app.start() == ([5, "NoneType"], False)
    app.write("factories.py", """
        class Db:
            def __init__(self, pool, clock):
                self.pool = pool
                self.clock = clock
        def make_db(clock: "main.Clock", pool: int) -> Db:
            return Db(pool, clock)
        import main
    """)
    assert app.start() == ([5, "Clock"], True)
    assert app.start() == ([5, "Clock"], False)


def test_wraps_and_bound_methods_in_other_modules(tmp_path: Path) -> None:
    """The code behind ``functools.wraps`` and a bound method is a source,
    wherever it lives."""
    app = App(tmp_path, {
        "deco.py": """
            import functools
            def logged(f):
                @functools.wraps(f)
                def wrapper(*args, **kwargs):
                    return f(*args, **kwargs)
                return wrapper
        """,
        "impl.py": """
            from deco import logged
            class Name:
                def __init__(self):
                    self.text = "name"
            class Greeting(str):
                pass
            @logged
            def greet(name: Name) -> Greeting:
                return Greeting("hello " + name.text)
            class Factory:
                def make(self, greeting: Greeting) -> list:
                    return [greeting]
        """,
        "main.py": """
            import wireplan
            from impl import Factory, Greeting, Name, greet
            registry = wireplan.Registry()
            registry.provide(Name)
            registry.provide(greet)
            registry.provide(Factory().make)
            def result(app):
                return app.get(list)
        """,
    })
    assert app.start() == (["hello name"], True)
    assert app.start() == (["hello name"], False)
    # The wrapped function now takes a second dependency.
    app.write("impl.py", (app.dir / "impl.py").read_text().replace(
        'def greet(name: Name) -> Greeting:\n    return Greeting("hello " + name.text)',
        'def greet(name: Name, factory: "Factory" = None) -> Greeting:\n    return Greeting("hi " + name.text)'))
    assert app.start() == (["hi name"], True)
    # The bound method's class, edited.
    app.write("impl.py", (app.dir / "impl.py").read_text().replace(
        "return [greeting]", "return [greeting, name.text]").replace(
        "def make(self, greeting: Greeting)", "def make(self, greeting: Greeting, name: Name)"))
    assert app.start() == (["hi name", "name"], True)
    assert app.start() == (["hi name", "name"], False)


@pytest.mark.parametrize("future", [False, True], ids=["evaluated", "string-annotations"])
def test_alias_in_a_module_that_registers_nothing(tmp_path: Path, future: bool) -> None:
    """(b) ``Reports = Annotated[Pool, "replica"]`` in a module of aliases,
    changed to ``"primary"``: the warm start wires the primary pool."""
    header = "from __future__ import annotations\n" if future else ""
    app = App(tmp_path, {
        "pools.py": """
            class Pool:
                def __init__(self, name):
                    self.name = name
        """,
        "aliases.py": """
            from typing import Annotated
            from pools import Pool
            Reports = Annotated[Pool, "replica"]
        """,
        "main.py": header + textwrap.dedent("""
            from typing import Annotated
            import wireplan
            from pools import Pool
            from aliases import Reports
            class Report:
                def __init__(self, pool: Reports) -> None:
                    self.pool = pool
            registry = wireplan.Registry()
            registry.provide(Annotated[Pool, "replica"], lambda: Pool("replica"))
            registry.provide(Annotated[Pool, "primary"], lambda: Pool("primary"))
            registry.provide(Report)
            def result(app):
                return app.get(Report).pool.name
        """),
    })
    assert app.start() == ("replica", True)
    assert app.start() == ("replica", False)
    app.write("aliases.py", (app.dir / "aliases.py").read_text().replace('"replica"', '"primary"'))
    assert app.start() == ("primary", True)
    assert app.start() == ("primary", False)


def test_class_re_exported_by_a_module_that_registers_nothing(tmp_path: Path) -> None:
    """A module that re-exports a class, edited to export another class of
    the same name: the key of the dependency changes with it."""
    app = App(tmp_path, {
        "old.py": "class Store:\n    name = 'old'\n",
        "new.py": "class Store:\n    name = 'new'\n",
        "api.py": "from old import Store\n",
        "main.py": """
            import wireplan, old, new
            from api import Store
            class Service:
                def __init__(self, store: Store) -> None:
                    self.store = store
            registry = wireplan.Registry()
            registry.provide(old.Store)
            registry.provide(new.Store)
            registry.provide(Service)
            def result(app):
                return app.get(Service).store.name
        """,
    })
    assert app.start() == ("old", True)
    app.write("api.py", "from new import Store\n")
    assert app.start() == ("new", True)
    assert app.start() == ("new", False)


def test_same_size_same_mtime_edit(tmp_path: Path) -> None:
    """(c) An edit that keeps the file's size and mtime (``touch -r``, some
    build tools and archive extractions) is still seen: its ctime moved,
    and the content hash differs."""
    app = App(tmp_path, {
        "aliases.py": "from typing import Annotated\nName = Annotated[str, 'aaaa']\n",
        "main.py": """
            from typing import Annotated
            import wireplan
            from aliases import Name
            def greet(name: Name) -> list:
                return [name]
            registry = wireplan.Registry()
            registry.supply("a", key=Annotated[str, "aaaa"])
            registry.supply("b", key=Annotated[str, "bbbb"])
            registry.provide(greet)
            def result(app):
                return app.get(list)
        """,
    })
    aliases = app.dir / "aliases.py"
    time.sleep(RACY)  # so that the stat is recorded (see the next test but one)
    before = aliases.stat()
    assert app.start() == (["a"], True)
    [entry] = app.cache.glob("*.wpc")
    assert f" {before.st_size} {before.st_mtime_ns} {before.st_ctime_ns} {before.st_ino} {aliases}\n".encode() \
        in entry.read_bytes()
    assert app.start() == (["a"], False)
    aliases.write_text(aliases.read_text().replace("aaaa", "bbbb"))
    os.utime(aliases, ns=(before.st_atime_ns, before.st_mtime_ns))
    app.written = time.monotonic()  # (the ctime moved)
    after = aliases.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert app.start() == (["b"], True)
    assert app.start() == (["b"], False)


def test_touch_without_change_is_a_hit_and_refreshes_the_entry(tmp_path: Path) -> None:
    """A file touched (or copied, or checked out again) with the same
    content: the hash proves it unchanged, a hit; the entry then records
    the new stat, so later starts need no hashing."""
    app = App(tmp_path, {"main.py": """
        import wireplan
        class A:
            pass
        registry = wireplan.Registry()
        registry.provide(A)
        def result(app):
            return type(app.get(A)).__name__
    """})
    main = app.dir / "main.py"
    assert app.start() == ("A", True)
    [entry] = app.cache.glob("*.wpc")
    os.utime(main, ns=(10**18, 10**18))
    time.sleep(RACY)
    assert app.start() == ("A", False)  # hashed: the same content
    refreshed = entry.read_bytes()
    assert f" {main.stat().st_size} {10**18} ".encode() in refreshed
    assert app.start() == ("A", False)
    assert entry.read_bytes() == refreshed  # proven by stat: not rewritten


def test_a_file_edited_just_now_is_hashed_not_trusted_by_stat(tmp_path: Path) -> None:
    """Timestamps are coarse: a file changed within the last two seconds
    could change again with the same mtime and ctime. Its stat is not
    recorded (``-``), so every load hashes it until it is older."""
    app = App(tmp_path, {"main.py": """
        import wireplan
        class A:
            pass
        registry = wireplan.Registry()
        registry.provide(A)
        def result(app):
            return type(app.get(A)).__name__
    """})
    assert app.start() == ("A", True)
    [entry] = app.cache.glob("*.wpc")
    assert f" - - - - {app.dir / 'main.py'}\n".encode() in entry.read_bytes()


def test_code_without_a_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Code from ``exec`` is keyed by its bytecode and annotations; with
    string annotations that resolve in a namespace with no file, it is not
    cached at all."""
    def registry_of(source: str) -> wireplan.Registry:
        ns: dict[str, object] = {"__name__": "generated"}
        exec(compile(source, "<generated>", "exec", dont_inherit=True), ns)
        r = wireplan.Registry()
        r.provide(ns["A"])  # type: ignore[arg-type]
        r.provide(ns["make"])  # type: ignore[arg-type]
        return r

    src = "class A: pass\ndef make(a: A) -> list:\n    return [1]\n"
    registry_of(src).compile(cache_dir=str(tmp_path))
    registry_of(src).compile(cache_dir=str(tmp_path))
    assert len(list(tmp_path.glob("*.wpc"))) == 1
    registry_of(src.replace("[1]", "[2]")).compile(cache_dir=str(tmp_path))
    assert len(list(tmp_path.glob("*.wpc"))) == 2
    caplog.clear()
    registry_of("from __future__ import annotations\n" + src).compile(cache_dir=str(tmp_path))
    assert "not cached" in caplog.text and "string annotations and no source file" in caplog.text
    assert len(list(tmp_path.glob("*.wpc"))) == 2


def test_chain_reads_through_every_wrapper() -> None:
    import functools

    def inner(a: int) -> str:
        return str(a)

    @functools.wraps(inner)
    def wrapper(*args: object) -> str:
        return inner(*args)  # type: ignore[arg-type]

    class Holder:
        def method(self) -> None:
            pass

        def __call__(self) -> None:
            pass

    part = functools.partial(functools.partial(wrapper, 1))
    chain = _cache_key._chain(part)
    assert chain == [part, wrapper, inner]  # (nested partials are flattened by functools)
    holder = Holder()
    assert _cache_key._chain(holder.method) == [holder.method, Holder.method]
    assert _cache_key._chain(holder) == [holder, Holder]
    # A __wrapped__ cycle ends.
    loop = functools.partial(inner, 1)
    wrapper.__wrapped__ = wrapper  # type: ignore[attr-defined]
    assert _cache_key._chain(wrapper) == [wrapper]
    assert _cache_key._chain(loop) == [loop, inner]


def test_a_source_saved_after_the_process_started_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An editor saving a file while the app starts: the plan was read from
    the code imported before the save, so the entry records the file as
    changed and the next start recompiles from the saved code."""
    from test_cache import check_works, make_registry

    monkeypatch.setattr(_cache, "_process_start_ns", lambda: 0)  # as if every source was saved since
    make_registry().compile(cache_dir=str(tmp_path))
    [entry] = tmp_path.glob("*.wpc")
    assert f"f {_cache.CHANGED} ".encode() in entry.read_bytes()
    monkeypatch.undo()
    planned: list[int] = []
    real = _core.plan
    monkeypatch.setattr(_core, "plan", lambda *a: planned.append(1) or real(*a))
    check_works(make_registry().compile(cache_dir=str(tmp_path)))  # a miss, stored properly
    check_works(make_registry().compile(cache_dir=str(tmp_path)))  # a hit
    assert planned == [1]
    assert _cache.CHANGED.encode() not in entry.read_bytes()
