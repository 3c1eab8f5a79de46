"""Test overrides on a compiled plan (`plan.override`) and `registry.copy()`."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Annotated, AsyncIterator, Iterator

import pytest

import wireplan


class Settings:
    dsn = "postgres://prod"


class Database:
    def __init__(self, settings: Settings) -> None:
        self.dsn = settings.dsn


class Repo:
    def __init__(self, db: Database) -> None:
        self.db = db


class Session:
    def __init__(self, db: Database) -> None:
        self.db = db


class Plugin: ...


class Admin: ...


class FakeDatabase:
    dsn = "fake://"


def make_registry() -> wireplan.Registry:
    registry = wireplan.Registry()
    registry.provide(Settings)
    registry.provide(Database)
    registry.provide(Repo)
    registry.provide(Session, lifetime="scoped")
    return registry


@pytest.fixture
def plan() -> wireplan.Plan:
    return make_registry().compile()


def test_apps_started_inside_get_the_fake(plan: wireplan.Plan) -> None:
    fake = FakeDatabase()
    with plan.override(Database, fake) as o:
        assert o.active
        with plan.start() as app:
            assert app.get(Database) is fake
            assert app.get(Repo).db is fake
            with app.scope() as scope:
                assert scope.get(Session).db is fake
    assert not o.active
    with plan.start() as app:
        assert type(app.get(Database)) is Database
        assert app.get(Repo).db is app.get(Database)


def test_an_app_keeps_the_plan_it_started_with(plan: wireplan.Plan) -> None:
    fake = FakeDatabase()
    before = plan.start()
    o = plan.override(Database, fake)
    inside = plan.start()
    o.undo()
    after = plan.start()
    try:
        # Scoped services are built after the override came and went: each
        # app builds them from its own plan.
        with before.scope() as s:
            assert type(s.get(Session).db) is Database
        with inside.scope() as s:
            assert s.get(Session).db is fake
        with after.scope() as s:
            assert type(s.get(Session).db) is Database
        assert before.plan is plan and after.plan is plan and inside.plan is o.plan
    finally:
        for app in (before, inside, after):
            app.stop()


def test_a_fake_factory_is_planned_with_its_dependencies_and_teardown(plan: wireplan.Plan) -> None:
    events: list[str] = []

    def fake_db(settings: Settings) -> Iterator[Database]:
        events.append(f"open {settings.dsn}")
        db = FakeDatabase()
        try:
            yield db  # type: ignore[misc]
        finally:
            events.append("close")

    with plan.override(Database, factory=fake_db):
        with plan.start() as app:
            assert type(app.get(Repo).db) is FakeDatabase
    assert events == ["open postgres://prod", "close"]


def test_a_fake_factory_keeps_the_replaced_lifetime(plan: wireplan.Plan) -> None:
    made: list[object] = []

    def fake_session() -> Session:
        s = object.__new__(Session)
        made.append(s)
        return s

    with plan.override(Session, factory=fake_session):
        with plan.start() as app:
            with app.scope() as scope:
                assert scope.get(Session) is scope.get(Session) is made[0]
            with app.scope() as scope:
                assert scope.get(Session) is made[1]
    with plan.override(Session, factory=fake_session, lifetime="transient"):
        with plan.start() as app, app.scope() as scope:
            assert scope.get(Session) is not scope.get(Session)


def test_an_async_fake_factory(plan: wireplan.Plan) -> None:
    events: list[str] = []

    async def fake_db() -> AsyncIterator[Database]:
        await asyncio.sleep(0)
        events.append("open")
        yield FakeDatabase()  # type: ignore[misc]
        events.append("close")

    async def main() -> None:
        with plan.override(Database, factory=fake_db):
            async with plan.start_async() as app:
                assert type(app.get(Repo).db) is FakeDatabase

    asyncio.run(main())
    assert events == ["open", "close"]


def test_a_key_the_plan_does_not_have(plan: wireplan.Plan) -> None:
    with pytest.raises(wireplan.UnknownKeyError) as err:
        plan.override(f"{__name__}.Databse", FakeDatabase())
    assert err.value.suggestions == [f"{__name__}.Database"]
    assert str(err.value) == f"no service provides `{__name__}.Databse`; did you mean `{__name__}.Database`?"
    with pytest.raises(wireplan.UnknownKeyError, match="no service provides"):
        plan.override(Plugin, Plugin())
    assert plan._overridden is None  # nothing stays active after a refusal


def test_a_key_registered_but_not_planned() -> None:
    registry = make_registry()
    registry.provide(Admin)
    plan = registry.compile(roots=[Repo])
    with pytest.raises(wireplan.NotPlannedError, match="is registered but no root needs it"):
        plan.override(Admin, Admin())


def test_wrong_arguments(plan: wireplan.Plan) -> None:
    with pytest.raises(TypeError, match="a value or a factory=, not both"):
        plan.override(Database)
    with pytest.raises(TypeError, match="a value or a factory=, not both"):
        plan.override(Database, FakeDatabase(), factory=FakeDatabase)
    with pytest.raises(TypeError, match="lifetime= goes with factory="):
        plan.override(Database, FakeDatabase(), lifetime="scoped")
    with pytest.raises(ValueError, match="lifetime must be"):
        plan.override(Database, factory=FakeDatabase, lifetime="request")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pass an instance, or the class as a factory"):
        plan.override(Database, FakeDatabase)
    with pytest.raises(TypeError, match="takes a callable"):
        plan.override(Database, factory=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty mapping"):
        plan.override({})
    assert plan._overridden is None


def test_a_fake_that_does_not_plan_is_a_plan_error(plan: wireplan.Plan) -> None:
    def fake_db(admin: Admin) -> Database:
        raise AssertionError("never called")

    with pytest.raises(wireplan.MissingDependencyError) as err:
        plan.override(Database, factory=fake_db)
    assert f"`{__name__}.Admin`" in str(err.value)
    assert plan._overridden is None
    with plan.start() as app:
        assert type(app.get(Database)) is Database


def test_a_mapping_overrides_several_keys_at_once(plan: wireplan.Plan) -> None:
    settings, db = Settings(), FakeDatabase()
    with plan.override({Settings: settings, Database: db}):
        with plan.start() as app:
            assert app.get(Settings) is settings and app.get(Repo).db is db


def test_nested_overrides_newest_wins(plan: wireplan.Plan) -> None:
    first, second = FakeDatabase(), FakeDatabase()
    settings = Settings()
    with plan.override(Database, first):
        with plan.override(Database, second), plan.override(Settings, settings):
            with plan.start() as app:
                assert app.get(Database) is second and app.get(Settings) is settings
        with plan.start() as app:
            assert app.get(Database) is first and app.get(Settings) is not settings
    assert plan._overridden is None


def test_undo_out_of_order(plan: wireplan.Plan) -> None:
    db, settings, other = FakeDatabase(), Settings(), FakeDatabase()
    a = plan.override(Database, db)
    b = plan.override(Settings, settings)
    c = plan.override(Repo, factory=lambda: Repo(other))  # type: ignore[arg-type,return-value]
    a.undo()  # the oldest: the others stay
    with plan.start() as app:
        assert type(app.get(Database)) is Database and app.get(Settings) is settings and app.get(Repo).db is other
    c.undo()  # now the newest, but what it restores was made stale by undoing `a`
    with plan.start() as app:
        assert type(app.get(Database)) is Database and app.get(Settings) is settings
        assert app.get(Repo).db is app.get(Database)
    b.undo()
    b.undo()  # twice: a no-op
    assert plan._overridden is None


def test_as_a_decorator_active_only_during_each_call(plan: wireplan.Plan) -> None:
    fake = FakeDatabase()

    @plan.override(Database, fake)
    def check(n: int) -> int:
        with plan.start() as app:
            assert app.get(Database) is fake
        return n + 1

    assert plan._overridden is None  # not from the decoration on
    assert check(1) == 2 and check(2) == 3
    assert check.__name__ == "check"
    assert plan._overridden is None

    @plan.override(Database, fake)
    async def acheck() -> None:
        async with plan.start_async() as app:
            assert app.get(Database) is fake

    assert plan._overridden is None
    asyncio.run(acheck())
    assert plan._overridden is None


def test_a_server_thread_started_inside_uses_the_fake(plan: wireplan.Plan) -> None:
    # An override belongs to the plan, not to a thread: a server started in
    # another thread while it is active gets the fake.
    fake = FakeDatabase()
    seen: list[object] = []

    def serve() -> None:
        with plan.start() as app:
            seen.append(app.get(Database))

    with plan.override(Database, fake):
        t = threading.Thread(target=serve)
        t.start()
        t.join()
    assert seen == [fake]


def test_overrides_from_threads_at_once() -> None:
    # Eight threads override and undo the same plan 20 times each: every
    # app started sees a plan with its own fake (or a later one), and when
    # all are undone the plan is as compiled.
    plan = make_registry().compile()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for _ in range(20):
                s = Settings()
                with plan.override(Settings, s) as o:
                    with o.plan.start() as app:
                        assert app.get(Settings) is s
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert plan._overridden is None
    assert not plan._override_stack.entries


def test_an_override_stands_in_for_the_registrys_own() -> None:
    registry = make_registry()
    registered = FakeDatabase()
    registry.override(Database, registered)
    plan = registry.compile()
    fake = FakeDatabase()
    with plan.override(Database, fake):
        with plan.start() as app:
            assert app.get(Database) is fake
    with plan.start() as app:
        assert app.get(Database) is registered


def test_every_provider_of_a_key_is_replaced() -> None:
    registry = make_registry()
    registry.provide(provides=[Plugin])(lambda: Plugin())
    registry.provide(Plugin, lambda: Plugin())
    plan = registry.compile()
    fake = Plugin()
    with plan.override(Plugin, fake), plan.start() as app:
        assert app.get_all(Plugin) == [fake]


def test_named_keys() -> None:
    registry = make_registry()
    registry.supply("replica://", key=Annotated[str, "replica"])
    plan = registry.compile()
    with plan.override(Annotated[str, "replica"], "fake://"), plan.start() as app:
        assert app.get(Annotated[str, "replica"]) == "fake://"


def test_no_cache_entry_for_overrides(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = str(tmp_path)
    monkeypatch.setenv("WIREPLAN_CACHE_DIR", cache)
    plan = make_registry().compile()
    entries = sorted(os.listdir(cache))
    assert any(e.endswith(".wpc") for e in entries)
    with plan.override(Database, FakeDatabase()), plan.start() as app:
        assert type(app.get(Database)) is FakeDatabase
    assert sorted(os.listdir(cache)) == entries
    # And a plan loaded from the cache overrides alike.
    warm = make_registry().compile()
    with warm.override(Database, FakeDatabase()), warm.start() as app:
        assert type(app.get(Database)) is FakeDatabase


def test_profiles_and_roots_are_kept() -> None:
    registry = wireplan.Registry()
    registry.provide(Settings)
    registry.provide(Database)
    registry.provide(Repo)
    registry.provide(Admin, profiles=["admin"])
    plan = registry.compile(profile="prod", roots=[Repo])
    with plan.override(Settings, Settings()) as o:
        assert o.plan.core.profile == "prod"
        assert o.plan.ids == [f"override:{__name__}.Settings", f"{__name__}.Database", f"{__name__}.Repo"]


def test_registry_copy_is_independent() -> None:
    registry = make_registry()
    copy = registry.copy()
    fake = FakeDatabase()
    copy.override(Database, fake)
    copy.provide(Admin)
    with copy.compile().start() as app:
        assert app.get(Repo).db is fake and isinstance(app.get(Admin), Admin)
    registry.provide(Plugin)
    assert len(registry) == 5 and len(copy) == 6
    with registry.compile().start() as app:
        assert type(app.get(Repo).db) is Database
        with pytest.raises(wireplan.UnknownKeyError):
            app.get(Admin)
    assert sorted(registry.compile().ids) == sorted(make_registry().compile().ids + [f"{__name__}.Plugin"])
