"""wireplan.testing: the pytest plugin (found through the installed entry
point) and override_fixture, run in a pytest of their own."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import wireplan
from wireplan.testing import Overrides, PlanOverrides, override_fixture

APP = '''
import wireplan

class Database:
    name = "real"

class FakeDatabase:
    name = "fake"

class Mailer:
    name = "real"

class Repo:
    def __init__(self, db: Database, mailer: Mailer) -> None:
        self.db, self.mailer = db, mailer

registry = wireplan.Registry()
registry.provide(Database)
registry.provide(Mailer)
registry.provide(Repo)
plan = registry.compile()
'''

CONFTEST = '''
from wireplan.testing import override_fixture
from app import FakeDatabase, Mailer, plan

overrides = override_fixture(plan)

class FakeMailer:
    name = "fake"

mailers = override_fixture(plan, lambda: {Mailer: FakeMailer()}, name="fake_mailer")
'''

TESTS = '''
import pytest
from app import Database, FakeDatabase, Mailer, Repo, plan

def names():
    with plan.start() as app:
        repo = app.get(Repo)
        return repo.db.name, repo.mailer.name

def test_plugin_fixture(wireplan_overrides):
    o = wireplan_overrides.override(plan, Database, FakeDatabase())
    assert o.active and names() == ("fake", "real")

def test_undone_after_the_plugin_fixture():
    assert names() == ("real", "real")

def test_bound_fixture(overrides):
    overrides(Database, factory=FakeDatabase)
    assert names() == ("fake", "real")

def test_undone_after_the_bound_fixture():
    assert names() == ("real", "real")

def test_fixture_with_values(fake_mailer, overrides):
    assert names() == ("real", "fake")
    overrides(Database, FakeDatabase())
    assert names() == ("fake", "fake")

seen = []

def test_fresh_fakes_1(fake_mailer):
    with plan.start() as app:
        seen.append(app.get(Mailer))

def test_fresh_fakes_2(fake_mailer):
    with plan.start() as app:
        mailer = app.get(Mailer)
    assert mailer.name == "fake" and seen and mailer is not seen[0]

def test_a_wrong_key_fails_the_test(overrides):
    overrides("app.Databse", FakeDatabase())
'''


def test_plugin_and_override_fixture(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_app.py").write_text(TESTS)
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf", str(tmp_path)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    # Seven pass; the wrong key fails with the did-you-mean words.
    assert "1 failed, 7 passed" in out.stdout, out.stdout + out.stderr
    assert "UnknownKeyError: no service provides `app.Databse`; did you mean `app.Database`?" in out.stdout, out.stdout


def test_the_plugin_is_registered_by_the_entry_point() -> None:
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group="pytest11") if ep.name == "wireplan"]
    assert [ep.value for ep in found] == ["wireplan.testing"]


def test_overrides_undo_newest_first() -> None:
    registry = wireplan.Registry()

    class Clock: ...

    registry.provide(Clock)
    plan = registry.compile()
    a, b = Clock(), Clock()
    made = PlanOverrides(plan)
    first = made(Clock, a)
    second = made(Clock, b)
    with plan.start() as app:
        assert app.get(Clock) is b
    made.undo()
    assert not first.active and not second.active and plan._overridden is None
    made.undo()  # nothing left: a no-op
    generic = Overrides()
    generic.override(plan, Clock, a)
    with plan.start() as app:
        assert app.get(Clock) is a
    generic.undo()
    assert plan._overridden is None


def test_override_fixture_refuses_what_is_not_a_mapping() -> None:
    plan = wireplan.Registry().compile()
    with pytest.raises(TypeError, match="must be a mapping of keys to fakes or a function returning one, not list"):
        override_fixture(plan, [1, 2])  # type: ignore[arg-type]


def test_import_wireplan_imports_no_pytest() -> None:
    code = textwrap.dedent("""
        import sys
        import wireplan
        import wireplan._override
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("pytest", "_pytest", "wireplan")))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pytest" not in out.stdout.replace("wireplan", ""), out.stdout
    assert "wireplan.testing" not in out.stdout
