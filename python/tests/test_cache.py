"""The disk cache: hits skip introspection and planning; corrupt, truncated,
stale and foreign files are detected, logged and rebuilt; concurrent
writers never leave a torn file."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
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


def plan_files(d: Path) -> tuple[Path, Path]:
    [key] = list(d.glob("*.key"))
    fp = key.read_text().split()[0]
    return key, d / f"{fp}.wpl"


def check_works(plan: wireplan.Plan) -> None:
    with plan.start() as app:
        assert isinstance(app.get(Service).db.config, Config)
        assert app.get(Service).extra is None


def test_hit_skips_introspection_and_planning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_registry().compile(cache_dir=str(tmp_path))
    key, wpl = plan_files(tmp_path)
    assert wpl.name == first.fingerprint + ".wpl"
    assert _core.peek_fingerprint(wpl.read_bytes()) == first.fingerprint

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
    assert len(list((tmp_path / "c").glob("*.wpl"))) == 1


def _damage_and_reload(tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: Any, expect: str) -> None:
    plan = make_registry().compile(cache_dir=str(tmp_path))
    key, wpl = plan_files(tmp_path)
    damage(key, wpl)
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
    def damage(key: Path, wpl: Path) -> None:
        data = wpl.read_bytes()
        wpl.write_bytes(data[: len(data) // 2])

    _damage_and_reload(tmp_path, caplog, damage, "truncated")


def test_truncated_header(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _damage_and_reload(tmp_path, caplog, lambda key, wpl: wpl.write_bytes(wpl.read_bytes()[:20]), "truncated")


def test_flipped_byte(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def damage(key: Path, wpl: Path) -> None:
        data = bytearray(wpl.read_bytes())
        data[len(data) - 5] ^= 0x40
        wpl.write_bytes(bytes(data))

    _damage_and_reload(tmp_path, caplog, damage, "checksum")


def test_other_planner_version(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def damage(key: Path, wpl: Path) -> None:
        data = bytearray(wpl.read_bytes())
        data[10:12] = (99).to_bytes(2, "little")  # planner major version
        wpl.write_bytes(bytes(data))

    _damage_and_reload(tmp_path, caplog, damage, "made by planner 99")


def test_foreign_plan(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    other = _core.plan([("x", '{"version": 1, "services": [{"id": "other"}]}')])

    def damage(key: Path, wpl: Path) -> None:
        wpl.write_bytes(other.encode())

    _damage_and_reload(tmp_path, caplog, damage, "fingerprint")


def test_not_a_plan(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _damage_and_reload(tmp_path, caplog, lambda key, wpl: wpl.write_bytes(b"hello, world" * 10), "bad magic")


def test_corrupt_key_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _damage_and_reload(tmp_path, caplog, lambda key, wpl: key.write_bytes(b"\xff\x00garbage"), "corrupt")


def test_missing_plan_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _damage_and_reload(tmp_path, caplog, lambda key, wpl: wpl.unlink(), "cannot read")


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
    assert len(list(tmp_path.glob("*.key"))) == 4


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
    assert _run(script) == "one"
    mod.write_text(body.format(value="two!"))
    assert _run(script) == "two!"
    assert len(list(cache.glob("*.key"))) == 2


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
    assert len(list(cache.glob("*.wpl"))) == 1
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
    assert len(list(tmp_path.glob("*.key"))) == 1
