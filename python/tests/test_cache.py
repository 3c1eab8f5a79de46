"""The disk cache: hits skip introspection and planning; corrupt, truncated,
stale and foreign entries are detected, logged and rebuilt; concurrent
writers never leave a torn file. (What the key covers: test_cache_stale.py;
special files, trust, modes and pruning: test_cache_files.py.)"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import wireplan
import wireplan.registry
from wireplan import _core


class Config:
    pass


class Database:
    def __init__(self, config: Config) -> None:
        self.config = config


class Service:
    def __init__(self, db: Database, extra: int | None = None) -> None:
        self.db = db
        self.extra = extra


def make_registry() -> wireplan.Registry:
    registry = wireplan.Registry()
    registry.provide(Config)
    registry.provide(Database)
    registry.provide(Service)
    return registry


def entry_file(d: Path) -> Path:
    [entry] = list(d.glob("*.wpc"))
    return entry


def split_entry(data: bytes) -> tuple[bytes, bytes, bytes]:
    """Header, manifest and plan of an entry (see _cache's layout)."""
    mlen = int.from_bytes(data[12:16], "little")
    plen = int.from_bytes(data[16:24], "little")
    return data[:32], data[32:32 + mlen], data[32 + mlen:32 + mlen + plen]


def replace_plan(entry: Path, plan: bytes) -> None:
    """Puts other plan bytes in an entry, its header's lengths kept right."""
    head, manifest, _ = split_entry(entry.read_bytes())
    head = head[:16] + len(plan).to_bytes(8, "little") + head[24:]
    entry.write_bytes(head + manifest + plan)


def check_works(plan: wireplan.Plan) -> None:
    with plan.start() as app:
        assert isinstance(app.get(Service).db.config, Config)
        assert app.get(Service).extra is None


def test_hit_skips_introspection_and_planning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_registry().compile(cache_dir=str(tmp_path))
    _, manifest, plan = split_entry(entry_file(tmp_path).read_bytes())
    assert _core.peek_fingerprint(plan) == first.fingerprint
    lines = manifest.decode().splitlines()
    assert lines[1] == f"plan {first.fingerprint}"
    # The sources: this file, where the classes and their hints are, and any
    # module holding them among its globals (the fault tests import them).
    sources = {line.split(" ", 6)[-1] for line in lines[2:]}
    assert __file__ in sources
    assert sources <= {__file__, str(Path(__file__).with_name("test_cache_faults.py"))}

    def fail(*_: Any) -> Any:
        raise AssertionError("introspected on a cache hit")

    monkeypatch.setattr(wireplan.registry, "_introspect", fail)
    monkeypatch.setattr(_core, "plan", fail)
    second = make_registry().compile(cache_dir=str(tmp_path))
    assert second.fingerprint == first.fingerprint
    assert second.to_json() == first.to_json()
    check_works(second)


def test_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREPLAN_CACHE_DIR", str(tmp_path / "c"))
    make_registry().compile()
    assert len(list((tmp_path / "c").glob("*.wpc"))) == 1


def _damage_and_reload(tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: Any, expect: str) -> None:
    plan = make_registry().compile(cache_dir=str(tmp_path))
    damage(entry_file(tmp_path))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="wireplan"):
        again = make_registry().compile(cache_dir=str(tmp_path))
    messages = " ".join(r.getMessage() for r in caplog.records if r.name == "wireplan")
    assert "rebuilding" in messages and expect in messages, messages
    assert again.fingerprint == plan.fingerprint
    check_works(again)
    # Rebuilt: the next start is a clean hit.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="wireplan"):
        make_registry().compile(cache_dir=str(tmp_path))
    assert not [r for r in caplog.records if r.name == "wireplan"]


def test_truncated(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def damage(entry: Path) -> None:
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2])

    _damage_and_reload(tmp_path, caplog, damage, "truncated")


def test_truncated_header(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _damage_and_reload(tmp_path, caplog, lambda entry: entry.write_bytes(entry.read_bytes()[:20]), "truncated")


def test_truncated_plan_with_lengths_fixed_up(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def damage(entry: Path) -> None:
        _, _, plan = split_entry(entry.read_bytes())
        replace_plan(entry, plan[: len(plan) // 2])

    _damage_and_reload(tmp_path, caplog, damage, "truncated")


def test_flipped_byte(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def damage(entry: Path) -> None:
        data = bytearray(entry.read_bytes())
        data[len(data) - 5] ^= 0x40
        entry.write_bytes(bytes(data))

    _damage_and_reload(tmp_path, caplog, damage, "checksum")


def test_other_planner_version(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def damage(entry: Path) -> None:
        _, _, plan = split_entry(entry.read_bytes())
        data = bytearray(plan)
        data[10:12] = (99).to_bytes(2, "little")  # planner major version
        replace_plan(entry, bytes(data))

    _damage_and_reload(tmp_path, caplog, damage, "made by planner 99")


def test_other_entry_format(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def damage(entry: Path) -> None:
        data = bytearray(entry.read_bytes())
        data[8:10] = (7).to_bytes(2, "little")
        entry.write_bytes(bytes(data))

    _damage_and_reload(tmp_path, caplog, damage, "another format version (7)")


def test_foreign_plan(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    other = _core.plan([("x", '{"version": 1, "services": [{"id": "other"}]}')])
    _damage_and_reload(tmp_path, caplog, lambda entry: replace_plan(entry, other.encode()), "fingerprint")


def replace_plan_and_fingerprint(entry: Path, plan: _core.Plan) -> None:
    """Puts another plan in an entry with its fingerprint in the manifest, so
    it decodes: the entry is then refused by nothing but the binding."""
    head, manifest, _ = split_entry(entry.read_bytes())
    lines = manifest.decode().split("\n")
    assert lines[1].startswith("plan ") and len(plan.fingerprint) == len(lines[1]) - 5
    lines[1] = f"plan {plan.fingerprint}"
    entry.write_bytes(head + "\n".join(lines).encode())
    replace_plan(entry, plan.encode())


def _misfit(document: str, change: str) -> str:
    """`document` (make_registry's) with one change its providers do not fit."""
    services = json.loads(document)["services"]
    config, database, service = services
    if change == "other-ids":  # another registry's plan
        config["id"] = "test_cache.Konfig"
    elif change == "a-value-for-a-factory":
        config["meta"] = "value"
    elif change == "a-parameter-more":
        service["meta"] = "call|db:0|extra:2"
    elif change == "a-parameter-fewer":
        database["meta"] = "call"
    elif change == "a-meta-that-does-not-parse":
        database["meta"] = "call|config"
    return json.dumps({"version": 1, "services": services})


@pytest.mark.parametrize("change", ["other-ids", "a-value-for-a-factory", "a-parameter-more", "a-parameter-fewer",
                                    "a-meta-that-does-not-parse"])
def test_a_cached_plan_that_does_not_fit_the_providers_is_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                                  monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    """Rule (registry.compile): a cached plan is bound to the registered
    providers before it is used; one that decodes under its key but does not
    fit them (a service no provider has, a value where a factory is
    registered, another number of parameters, a meta that does not parse) is
    logged, replanned from the providers and stored again, never started."""
    cold = make_registry().compile(cache_dir=str(tmp_path))
    entry = entry_file(tmp_path)
    misfit = _core.plan([("<registry>", _misfit(make_registry().document(), change))])
    assert misfit.fingerprint != cold.fingerprint
    replace_plan_and_fingerprint(entry, misfit)
    assert _core.Plan.decode(split_entry(entry.read_bytes())[2], misfit.fingerprint).to_json() == misfit.to_json()
    planned: list[int] = []
    real = _core.plan
    monkeypatch.setattr(_core, "plan", lambda *a: planned.append(1) or real(*a))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="wireplan"):
        again = make_registry().compile(cache_dir=str(tmp_path))
    messages = [r.getMessage() for r in caplog.records if r.name == "wireplan"]
    assert messages == [f"wireplan: cached plan {entry.stem} does not match the registered providers; rebuilding"]
    assert planned == [1]
    assert again.fingerprint == cold.fingerprint and again.to_json() == cold.to_json()
    check_works(again)
    # Stored again: the next start is a clean hit.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="wireplan"):
        warm = make_registry().compile(cache_dir=str(tmp_path))
    assert not [r for r in caplog.records if r.name == "wireplan"]
    assert planned == [1] and warm.fingerprint == cold.fingerprint
    check_works(warm)


def test_not_an_entry(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _damage_and_reload(tmp_path, caplog, lambda entry: entry.write_bytes(b"hello, world" * 10), "bad magic")


def test_corrupt_manifest(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def damage(entry: Path) -> None:
        data = entry.read_bytes()
        entry.write_bytes(data[:32] + b"\xff" + data[33:])

    _damage_and_reload(tmp_path, caplog, damage, "corrupt")


def test_changes_miss(tmp_path: Path) -> None:
    make_registry().compile(cache_dir=str(tmp_path))
    # Another lifetime, another registration order, another profile: new keys.
    r = wireplan.Registry()
    r.provide(Config)
    r.provide(Database)
    r.provide(Service, lifetime="transient")
    r.compile(cache_dir=str(tmp_path))
    r = wireplan.Registry()
    r.provide(Database)
    r.provide(Config)
    r.provide(Service)
    r.compile(cache_dir=str(tmp_path))
    make_registry().compile(profile="prod", cache_dir=str(tmp_path))
    assert len(list(tmp_path.glob("*.wpc"))) == 4


def test_stale_after_edit(tmp_path: Path) -> None:
    """A provider whose code changes (same name, same file) misses."""
    cache = tmp_path / "cache"
    mod = tmp_path / "edited_app.py"
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import edited_app, wireplan
        plan = edited_app.registry.compile(cache_dir={str(cache)!r})
        with plan.start() as app:
            print(app.get(edited_app.Service).value)
    """))
    body = textwrap.dedent("""
        import wireplan
        registry = wireplan.Registry()
        class Config: pass
        class Service:
            def __init__(self, config: Config) -> None:
                self.value = {value!r}
        registry.provide(Config)
        registry.provide(Service)
    """)
    mod.write_text(body.format(value="one"))
    time.sleep(0.2)  # a file saved as the process starts is not trusted (test_cache_stale)
    assert _run(script) == "one"
    mod.write_text(body.format(value="two!"))
    time.sleep(0.2)
    assert _run(script) == "two!"
    # The same registrations: one entry, rewritten.
    assert len(list(cache.glob("*.wpc"))) == 1


def _run(script: Path) -> str:
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert "rebuilding" not in out.stderr, out.stderr
    return out.stdout.strip()


def test_concurrent_writers(tmp_path: Path) -> None:
    """Several processes start at once on a cold cache, several times: every
    one gets a working plan and no one ever reads a torn file."""
    cache = tmp_path / "cache"
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(f"""
        import logging, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        logging.basicConfig(level=logging.WARNING)
        import test_cache
        for _ in range(20):
            plan = test_cache.make_registry().compile(cache_dir={str(cache)!r})
            test_cache.check_works(plan)
        print("ok")
    """))
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(6)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out.strip() == "ok"
        assert "rebuilding" not in err, err
    assert len(list(cache.glob("*.wpc"))) == 1
    assert not list(cache.glob(".tmp-*"))


def test_generators_and_context_managers_survive_the_cache(tmp_path: Path) -> None:
    log: list[str] = []

    def resource(config: Config) -> Iterator[Database]:
        log.append("open")
        yield Database(config)
        log.append("close")

    for _ in range(2):
        r = wireplan.Registry()
        r.provide(Config)
        r.provide(resource)
        with r.compile(cache_dir=str(tmp_path)).start() as app:
            assert isinstance(app.get(Database), Database)
    assert log == ["open", "close", "open", "close"]
    assert len(list(tmp_path.glob("*.wpc"))) == 1


def test_cache_key_option_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A deploy's build id is part of the key: another id is another entry,
    the same id a hit."""
    make_registry().compile(cache_dir=str(tmp_path), cache_key="build-41")
    make_registry().compile(cache_dir=str(tmp_path), cache_key="build-42")
    assert len(list(tmp_path.glob("*.wpc"))) == 2
    monkeypatch.setenv("WIREPLAN_CACHE_KEY", "build-42")
    make_registry().compile(cache_dir=str(tmp_path))  # the same key as cache_key="build-42"
    assert len(list(tmp_path.glob("*.wpc"))) == 2
    make_registry().compile(cache_dir=str(tmp_path), cache_key="")  # the argument wins over the environment
    assert len(list(tmp_path.glob("*.wpc"))) == 3


def test_a_library_holding_a_builtin_class_is_not_a_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `int | None` has the parts `int` and `NoneType`, the same objects in
    # every module: a loaded library that keeps `NoneType` among its globals
    # (pydantic, typing_extensions do) re-exports nothing of the hint.
    lib = tmp_path / "lib" / "holds_none.py"
    lib.parent.mkdir()
    lib.write_text("NoneType = type(None)\nInt = int\n")
    monkeypatch.syspath_prepend(str(lib.parent))
    import holds_none  # noqa: F401

    try:
        make_registry().compile(cache_dir=str(tmp_path / "cache"))
        _, manifest, _ = split_entry(entry_file(tmp_path / "cache").read_bytes())
        sources = {line.split(" ", 6)[-1] for line in manifest.decode().splitlines()[2:]}
        assert __file__ in sources and str(lib) not in sources
    finally:
        sys.modules.pop("holds_none", None)
