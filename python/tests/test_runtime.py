"""The Python runtime: order, teardown, scopes, lazy, many, optional,
overrides, rollback, lookups. (No `from __future__ import annotations`
here: the providers are local classes, so their hints must be objects.)"""

import contextlib
import pickle
import threading
import time
from typing import Annotated, AsyncIterator, Iterator

import pytest

import wireplan
from wireplan.errors import ExceptionGroup


class Log(list[str]):
    pass


def make_app_registry(log: Log) -> tuple[wireplan.Registry, dict[str, type]]:
    class Config:
        def __init__(self) -> None:
            log.append("start config")

    class Database:
        def __init__(self, dsn: str) -> None:
            self.dsn = dsn

    class Cache:
        pass

    class Plugin:
        def __init__(self, name: str) -> None:
            self.name = name

    class Clock:
        pass

    registry = wireplan.Registry()

    @registry.provide
    def database(config: Config) -> Iterator[Database]:
        log.append("start db")
        yield Database("main")
        log.append("stop db")

    registry.provide(Config)

    @registry.provide(provides=[Plugin])
    def metrics() -> Plugin:
        return Plugin("metrics")

    @registry.provide(provides=[Plugin])
    def tracing() -> Plugin:
        return Plugin("tracing")

    class UserService:
        def __init__(self, db: Database, cache: Cache | None = None, plugins: list[Plugin] = wireplan.many,
                     clock: wireplan.Lazy[Clock] = wireplan.lazy) -> None:
            log.append("start users")
            self.db, self.cache, self.plugins, self.clock = db, cache, plugins, clock

    registry.provide(UserService)

    @registry.provide
    @contextlib.contextmanager
    def clock(users: UserService) -> Iterator[Clock]:
        log.append("start clock")
        yield Clock()
        log.append("stop clock")

    return registry, {"Config": Config, "Database": Database, "UserService": UserService, "Clock": Clock,
                      "Plugin": Plugin, "Cache": Cache}


def test_start_order_teardown_many_optional_lazy() -> None:
    log = Log()
    registry, t = make_app_registry(log)
    plan = registry.compile()
    with plan.start() as app:
        users = app.get(t["UserService"])
        assert isinstance(users, t["UserService"])
        assert users.db.dsn == "main"
        assert users.cache is None
        assert [p.name for p in users.plugins] == ["metrics", "tracing"]
        assert isinstance(users.clock, wireplan.Lazy)
        assert users.clock.get() is app.get(t["Clock"])
        assert [p.name for p in app.get_all(t["Plugin"])] == ["metrics", "tracing"]
        assert log == ["start config", "start db", "start users", "start clock"]
    assert log[-2:] == ["stop clock", "stop db"]
    chain = app.critical_chain()
    assert [c.service.rsplit(".", 1)[-1] for c in chain][-1] == "clock"
    assert all(b.finished >= a.finished for a, b in zip(chain, chain[1:]))
    assert set(app.timings()) == set(plan.startup_order)


def test_named_binding_and_string_keys() -> None:
    class Database:
        def __init__(self, name: str) -> None:
            self.name = name

    registry = wireplan.Registry()
    registry.provide(Annotated[Database, "replica"], lambda: Database("replica"))
    registry.provide(Database, lambda: Database("main"))
    registry.provide("answer", lambda: 42)

    class Reader:
        def __init__(self, db: Annotated[Database, "replica"], main: Database) -> None:
            self.db, self.main = db, main

    registry.provide(Reader)
    with registry.compile().start() as app:
        assert app.get(Reader).db.name == "replica"
        assert app.get(Reader).main.name == "main"
        assert app.get("answer") == 42
        assert app.get(Annotated[Database, "replica"]).name == "replica"


def test_unknown_key_names_the_closest() -> None:
    class Database:
        pass

    registry = wireplan.Registry()
    registry.provide(Database)
    with registry.compile().start() as app:
        with pytest.raises(wireplan.UnknownKeyError) as info:
            app.get(wireplan.key_of(Database) + "s")
        assert wireplan.key_of(Database) in info.value.suggestions
        assert "did you mean" in str(info.value)
        assert isinstance(info.value, LookupError)


def test_scopes_and_transients() -> None:
    log = Log()

    class Config:
        pass

    class Session:
        pass

    class Request:
        def __init__(self, session: Session, config: Config) -> None:
            self.session = session

    class Token:
        pass

    registry = wireplan.Registry()
    registry.provide(Config)

    @registry.provide(lifetime="scoped")
    def session() -> Iterator[Session]:
        log.append("open")
        yield Session()
        log.append("close")

    registry.provide(Request, lifetime="scoped")
    registry.provide(Token, lifetime="transient")
    plan = registry.compile()
    with plan.start() as app:
        assert app.get(Token) is not app.get(Token)
        with pytest.raises(LookupError, match="scoped"):
            app.get(Session)
        with app.scope() as scope:
            r = scope.get(Request)
            assert scope.get(Request) is r
            assert r.session is scope.get(Session)
            assert scope.get(Config) is app.get(Config)
            assert scope.get(Token) is not scope.get(Token)
        assert log == ["open", "close"]
        with app.scope() as other:
            assert other.get(Request) is not r
        assert log == ["open", "close", "open", "close"]


def test_scoped_get_is_thread_safe() -> None:
    """Rule (lifecycle.md 3): concurrent gets of a scoped service in one
    scope, or of two services sharing a scoped dependency, build it once;
    synchronous scopes are serialized by a lock. The constructor sleeps, so
    without the lock every thread would find the scope empty and build its
    own (checked: with the lock removed, 8 threads built 8 sessions)."""
    made: list[object] = []

    class Session:
        def __init__(self) -> None:
            time.sleep(0.05)  # wide open: the other threads arrive meanwhile
            made.append(self)

    class Repo:
        def __init__(self, session: Session) -> None:
            self.session = session

    class Audit:
        def __init__(self, session: Session) -> None:
            self.session = session

    registry = wireplan.Registry()
    registry.provide(Session, lifetime="scoped")
    registry.provide(Repo, lifetime="scoped")
    registry.provide(Audit, lifetime="scoped")
    with registry.compile().start() as app:
        for asked in ([Session] * 8, [Repo, Audit] * 4):
            made.clear()
            with app.scope() as scope:
                barrier = threading.Barrier(len(asked))
                seen: list[object] = []

                def work(key: type) -> None:
                    barrier.wait()
                    got = scope.get(key)
                    seen.append(got if key is Session else got.session)

                threads = [threading.Thread(target=work, args=(key,)) for key in asked]
                for th in threads:
                    th.start()
                for th in threads:
                    th.join()
                assert len(made) == 1, f"{len(made)} sessions built in one scope"
                assert len(seen) == len(asked) and all(s is made[0] for s in seen)
                if asked[0] is Repo:
                    assert scope.get(Repo) is scope.get(Repo) and scope.get(Audit).session is made[0]



def _scoped_of_singletons(path: str, made: list[object], building: threading.Event) -> tuple[wireplan.Registry, type]:
    """A registry whose scoped service `Session` takes singletons only, each
    way a scope builds it: by position from one (`get`'s quick path), from
    two by keyword (`_quick`), or as a generator (its recipe, under the
    scope's lock or marked busy). Its build signals `building`, then sleeps."""

    class Db:
        pass

    class Config:
        pass

    class Session:
        def __init__(self) -> None:
            building.set()
            time.sleep(0.05)  # wide open: the other threads arrive meanwhile
            made.append(self)

    registry = wireplan.Registry()
    registry.provide(Db)
    registry.provide(Config)
    if path == "one":
        def one(db: Db) -> Session:
            return Session()

        registry.provide(one, lifetime="scoped")
    elif path == "quick":
        def quick(db: Db, *, config: Config) -> Session:
            return Session()

        registry.provide(quick, lifetime="scoped")
    else:
        def recipe(db: Db) -> Iterator[Session]:
            yield Session()

        registry.provide(recipe, lifetime="scoped")
    return registry, Session


@pytest.mark.parametrize("path", ["one", "quick", "recipe"])
def test_scoped_get_from_the_opening_thread_and_others_builds_once(path: str) -> None:
    """A scope is used without a lock by the thread that opened it until
    another thread builds in it: threads racing the opening one, and
    threads arriving while the opening thread builds without the lock,
    still get the one instance (they wait for its build)."""
    made: list[object] = []
    building = threading.Event()
    registry, Session = _scoped_of_singletons(path, made, building)
    with registry.compile().start() as app:
        # Every thread at once, the scope's own among them.
        with app.scope() as scope:
            assert scope.lock is None
            barrier = threading.Barrier(5)
            seen: list[object] = []

            def work() -> None:
                barrier.wait()
                seen.append(scope.get(Session))

            threads = [threading.Thread(target=work) for _ in range(4)]
            for th in threads:
                th.start()
            work()
            for th in threads:
                th.join()
            assert len(made) == 1 and len(seen) == 5 and all(s is made[0] for s in seen)
            assert scope.lock is not None  # shared now: every build takes it
        # The opening thread builds first, without the lock; the others come
        # in during its build.
        made.clear()
        building.clear()
        with app.scope() as scope:
            seen = []

            def late() -> None:
                building.wait()
                seen.append(scope.get(Session))

            threads = [threading.Thread(target=late) for _ in range(4)]
            for th in threads:
                th.start()
            mine = scope.get(Session)
            for th in threads:
                th.join()
            assert len(made) == 1 and mine is made[0] and len(seen) == 4 and all(s is mine for s in seen)


def test_scoped_get_nested_in_an_unlocked_build_while_another_thread_waits() -> None:
    """A factory of the opening thread's unlocked build that gets another
    scoped service of its scope, while another thread waits to build in it,
    takes the (new) lock itself and finishes: nobody waits for the other."""

    class Db:
        pass

    class Inner:
        def __init__(self, db: Db) -> None:
            self.db = db

    building = threading.Event()
    arrived = threading.Event()
    holder: list[wireplan.Scope] = []
    made: list[object] = []

    class Outer:
        def __init__(self, db: Db) -> None:
            building.set()
            assert arrived.wait(5)
            time.sleep(0.02)  # the other thread is polling now
            self.inner = holder[0].get(Inner)
            made.append(self)

    registry = wireplan.Registry()
    registry.provide(Db)
    registry.provide(Inner, lifetime="scoped")
    registry.provide(Outer, lifetime="scoped")
    with registry.compile().start() as app:
        with app.scope() as scope:
            holder.append(scope)
            got: list[object] = []

            def other() -> None:
                building.wait()
                arrived.set()
                got.append(scope.get(Outer))
                got.append(scope.get(Inner))

            th = threading.Thread(target=other)
            th.start()
            outer = scope.get(Outer)
            th.join(10)
            assert not th.is_alive()
            assert made == [outer] and got == [outer, outer.inner]


def test_override_replaces_provider() -> None:
    class Database:
        pass

    class FakeDatabase(Database):
        pass

    class Service:
        def __init__(self, db: Database) -> None:
            self.db = db

    registry = wireplan.Registry()
    registry.provide(Database)
    registry.provide(Service)
    fake = FakeDatabase()
    registry.override(Database, fake)
    with registry.compile().start() as app:
        assert app.get(Service).db is fake
        assert app.get(Database) is fake

    registry2 = wireplan.Registry()
    registry2.provide(Database)
    registry2.provide(Service)
    registry2.override(Database, factory=FakeDatabase)
    with registry2.compile().start() as app:
        assert type(app.get(Service).db) is FakeDatabase


def test_cycle_error() -> None:
    class A:
        pass

    class B:
        def __init__(self, a: A) -> None: ...

    def make_a(b: B) -> A:
        return A()

    registry = wireplan.Registry()
    registry.provide(make_a)
    registry.provide(B)
    with pytest.raises(wireplan.CycleError) as info:
        registry.compile()
    err = info.value
    assert isinstance(err, wireplan.PlanError)
    assert err.code == "dependency-cycle"
    assert str(err).startswith("error[dependency-cycle]: dependency cycle:")
    assert __file__ in str(err)  # every hop points at the code
    assert err.diagnostics[0]["services"][0] == err.diagnostics[0]["services"][-1]
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is wireplan.CycleError and str(again) == str(err) and again.diagnostics == err.diagnostics


def test_lazy_closes_a_cycle() -> None:
    class A:
        def __init__(self, b: "wireplan.Lazy[B]") -> None:
            self.b = b

    class B:
        def __init__(self, a: A) -> None:
            self.a = a

    A.__init__.__annotations__["b"] = wireplan.Lazy[B]
    registry = wireplan.Registry()
    registry.provide(A)
    registry.provide(B)
    with registry.compile().start() as app:
        assert app.get(A).b.get() is app.get(B)
        assert app.get(B).a is app.get(A)


def test_missing_ambiguous_captive_errors() -> None:
    class Missing:
        pass

    class Needs:
        def __init__(self, m: Missing) -> None: ...

    registry = wireplan.Registry()
    registry.provide(Needs)
    with pytest.raises(wireplan.MissingDependencyError) as info:
        registry.compile()
    assert info.value.diagnostics[0]["key"] == wireplan.key_of(Missing)

    class Db:
        pass

    class User:
        def __init__(self, db: Db) -> None: ...

    registry = wireplan.Registry()
    registry.provide(Db, lambda: Db())
    registry.provide(Db, lambda: Db())
    registry.provide(User)
    with pytest.raises(wireplan.AmbiguousDependencyError):
        registry.compile()

    class Session:
        pass

    class Singleton:
        def __init__(self, s: Session) -> None: ...

    registry = wireplan.Registry()
    registry.provide(Session, lifetime="scoped")
    registry.provide(Singleton)
    with pytest.raises(wireplan.ScopeError) as scope_info:
        registry.compile()
    assert scope_info.value.code == "captive-dependency"


def test_every_problem_at_once() -> None:
    class X:
        def __init__(self, a: "int") -> None: ...

    registry = wireplan.Registry()
    registry.provide("a", lambda b: 1, deps=["b"])
    registry.provide("b", lambda a: 1, deps=["a"])
    registry.provide("c", lambda d: 1, deps=["nope"])
    with pytest.raises(wireplan.CycleError) as info:
        registry.compile()
    codes = [d["code"] for d in info.value.diagnostics]
    assert "dependency-cycle" in codes and "missing-dependency" in codes
    assert str(info.value).rstrip().endswith("error: 2 errors")


def test_rollback_on_failure() -> None:
    log = Log()
    registry = wireplan.Registry()

    # A rollback tells each teardown why (gen.throw): the code after
    # `yield` runs in `finally`, or in `except` to see the error.
    # Builtins are dependencies only when named (Annotated), as here.
    def first() -> Iterator[Annotated[int, "first"]]:
        log.append("start first")
        try:
            yield 1
        finally:
            log.append("stop first")

    def second(x: Annotated[int, "first"]) -> Iterator[Annotated[str, "second"]]:
        log.append("start second")
        try:
            yield "s"
        except ValueError as e:
            log.append(f"stop second: {e}")
            raise OSError("second teardown broke") from None

    def third(s: Annotated[str, "second"]) -> float:
        raise ValueError("boom")

    registry.provide(first)
    registry.provide(second)
    registry.provide(third)
    plan = registry.compile()
    with pytest.raises(wireplan.StartupError) as info:
        plan.start()
    err = info.value
    assert err.service.endswith("third")
    assert isinstance(err.cause, ValueError) and err.__cause__ is err.cause
    assert err.source is not None and err.source.startswith(__file__ + ":")
    assert log == ["start first", "start second", "stop second: boom", "stop first"]
    assert err.teardown_errors is not None
    assert isinstance(err.teardown_errors.exceptions[0], OSError)
    assert "third" in str(err) and "boom" in str(err)


def test_teardown_errors_are_collected() -> None:
    log = Log()
    registry = wireplan.Registry()

    def a() -> Iterator[Annotated[int, "a"]]:
        yield 1
        log.append("a")
        raise RuntimeError("a broke")

    def b(x: Annotated[int, "a"]) -> Iterator[str]:
        yield "b"
        log.append("b")
        raise RuntimeError("b broke")

    registry.provide(a)
    registry.provide(b)
    app = registry.compile().start()
    with pytest.raises(ExceptionGroup) as info:
        app.stop()
    assert log == ["b", "a"]
    assert [str(e) for e in info.value.exceptions] == ["b broke", "a broke"]


def test_deep_chain_of_100k() -> None:
    n = 100_000
    registry = wireplan.Registry()
    registry.provide("n0", lambda: 0, id="n0")
    for i in range(1, n):
        registry.provide(f"n{i}", lambda prev: prev + 1, deps=[f"n{i - 1}"], id=f"n{i}")
    plan = registry.compile()
    with plan.start() as app:
        assert app.get(f"n{n - 1}") == n - 1
    assert len(app.critical_chain()) == n


class _PosX:
    pass


class _PosY:
    pass


def test_missing_optional_positional_only_parameter_keeps_the_others_in_place() -> None:
    # Leaving `x` out would shift `y` into its slot: its default is passed.
    class Svc:
        def __init__(self, x: _PosX | None = None, y: _PosY | None = None, /) -> None:
            self.x, self.y = x, y

    registry = wireplan.Registry()
    registry.provide(_PosY)
    registry.provide(Svc)
    with registry.compile().start() as app:
        svc = app.get(Svc)
        assert svc.x is None
        assert isinstance(svc.y, _PosY)


def test_limits_reach_the_core_and_exceeding_one_is_a_plan_error() -> None:
    registry = wireplan.Registry()
    registry.provide(_PosX)
    registry.provide(_PosY)
    assert len(registry.compile(limits={"max_services": 2}).ids) == 2
    with pytest.raises(wireplan.PlanError) as info:
        registry.compile(limits={"max_services": 1})
    assert "limit-exceeded" in str(info.value) or "over the limit" in str(info.value)
    with pytest.raises(ValueError, match="max_nonsense"):
        registry.compile(limits={"max_nonsense": 1})


# ---- the lifecycle contract (docs/lifecycle.md), synchronous side -----------


def test_teardown_learns_why_a_scope_or_the_app_ended() -> None:
    log = Log()
    registry = wireplan.Registry()

    def unit_of_work() -> Iterator[str]:
        try:
            yield "tx"
        except Exception as e:
            log.append(f"rollback: {e}")
            raise  # the very error: not a teardown failure
        else:
            log.append("commit")

    @contextlib.contextmanager
    def handle() -> Iterator[str]:
        try:
            yield "handle"
        except Exception as e:
            log.append(f"exit {type(e).__name__} {e}")
            raise
        else:
            log.append("exit None None")

    registry.provide("tx", unit_of_work, lifetime="scoped")
    registry.provide("handle", handle, lifetime="scoped")
    with registry.compile().start() as app:
        with app.scope() as scope:
            scope.get("tx")
            scope.get("handle")
        assert log == ["exit None None", "commit"]
        log.clear()
        with pytest.raises(KeyError) as info:
            with app.scope() as scope:
                scope.get("tx")
                scope.get("handle")
                raise KeyError("bad request")
        # The request's own error comes out, unchanged, and each teardown saw it.
        assert info.value.args == ("bad request",)
        assert log == ["exit KeyError 'bad request'", "rollback: 'bad request'"]
        log.clear()
    assert log == []


def test_an_app_left_by_an_exception_tells_its_teardowns() -> None:
    log = Log()
    registry = wireplan.Registry()

    def db() -> Iterator[str]:
        try:
            yield "db"
        except BaseException as e:
            log.append(f"db told {type(e).__name__}")
            raise

    registry.provide("db", db)
    with pytest.raises(SystemExit):
        with registry.compile().start():
            raise SystemExit(3)
    assert log == ["db told SystemExit"]
    app = registry.compile().start()
    app.stop(error=ValueError("shutting down on a fault"))
    assert log == ["db told SystemExit", "db told ValueError"]


def test_start_error_is_one_shape_in_the_cores_words() -> None:
    registry = wireplan.Registry()

    def broken() -> Iterator[str]:
        raise ConnectionError("no route to host")
        yield "unreachable"

    registry.provide("db", broken, id="db")
    with pytest.raises(wireplan.StartError) as info:
        registry.compile().start()
    err = info.value
    assert wireplan.StartupError is wireplan.StartError
    line = broken.__code__.co_firstlineno
    assert err.service == "db" and err.source == f"{__file__}:{line}"
    assert str(err) == f"service `db` ({__file__}:{line}) failed to start: ConnectionError: no route to host"
    assert err.teardown_errors is None and err.abandoned == ()
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is wireplan.StartError and str(copy) == str(err)


def test_start_rolls_back_with_the_error_and_counts_teardown_errors() -> None:
    log = Log()
    registry = wireplan.Registry()

    def a() -> Iterator[str]:
        try:
            yield "a"
        except ValueError:
            log.append("a told")
            raise RuntimeError("a's teardown broke") from None

    def b(a: Annotated[str, "a"]) -> str:
        raise ValueError("b broke")

    registry.provide(Annotated[str, "a"], a, id="a")
    registry.provide("b", b, id="b")
    with pytest.raises(wireplan.StartError) as info:
        registry.compile().start()
    assert log == ["a told"]
    assert str(info.value).endswith("failed to start: ValueError: b broke; 1 teardown error while rolling back")
    assert info.value.teardown_errors is not None
    [e] = info.value.teardown_errors.exceptions
    assert str(e) == "a's teardown broke"


def test_lookups_by_key_and_by_id_say_what_is_true() -> None:
    registry = wireplan.Registry()
    registry.provide(lambda: "pg", provides=["Database"], id="pg")
    registry.provide(lambda: "sqlite", provides=["Database"], id="sqlite")
    registry.provide(lambda: "admin", provides=["admin"], id="admin")
    registry.provide(lambda: "api", provides=["api"], id="api")
    registry.provide(lambda: "mem", provides=["Cache"], id="mem", profiles=["test"])
    with registry.compile(roots=["api", "Database"]).start() as app:
        with pytest.raises(wireplan.AmbiguousKeyError) as ambiguous:
            app.get("Database")
        assert str(ambiguous.value) == ("several services provide `Database`: `pg` and `sqlite`; "
                                        "get them all with `get_all`, or one with `get_by_id`")
        assert ambiguous.value.providers == ["pg", "sqlite"]
        assert app.get_all("Database") == ["pg", "sqlite"]
        assert app.get_by_id("sqlite") == "sqlite"
        with pytest.raises(wireplan.NotPlannedError) as unplanned:
            app.get("admin")
        assert str(unplanned.value) == "`admin` is registered but no root needs it"
        assert isinstance(unplanned.value, wireplan.UnknownKeyError)  # caught as before
        with pytest.raises(wireplan.NotPlannedError) as other_profile:
            app.get_by_id("mem")
        assert str(other_profile.value) == "`mem` is registered but not for profile `(none)`"
        with pytest.raises(wireplan.NotPlannedError):
            app.get_all("admin")
        with pytest.raises(wireplan.UnknownIdError) as unknown:
            app.get_by_id("sqlit")
        assert str(unknown.value) == "no service has the id `sqlit`; did you mean `sqlite`?"
        assert unknown.value.suggestions == ["sqlite"]
        assert app.get_all("nothing-like-it") == []
    for e in (ambiguous.value, unplanned.value, unknown.value):
        copy = pickle.loads(pickle.dumps(e))
        assert type(copy) is type(e) and str(copy) == str(e)


def test_a_replaced_id_names_its_replacement() -> None:
    registry = wireplan.Registry()
    registry.provide(lambda: "pg", provides=["Database"], id="pg")
    registry.override("Database", "fake")
    with registry.compile().start() as app:
        assert app.get("Database") == "fake"
        with pytest.raises(wireplan.NotPlannedError) as info:
            app.get_by_id("pg")
    assert str(info.value) == "`pg` is replaced: `Database` is provided by `override:Database`"
    assert info.value.replaced_by == "override:Database"


def test_transient_teardown_belongs_to_whoever_asked() -> None:
    log = Log()
    registry = wireplan.Registry()
    made = iter(range(100))

    def conn() -> Iterator[int]:
        n = next(made)
        yield n
        log.append(f"close {n}")

    registry.provide("conn", conn, lifetime="transient")
    with registry.compile().start() as app:
        assert app.get("conn") == 0  # the app's: closed at stop
        with app.scope() as scope:
            assert scope.get("conn") == 1  # the scope's: closed at its exit
            assert scope.get("conn") == 2
        assert log == ["close 2", "close 1"]
    assert log == ["close 2", "close 1", "close 0"]


def test_start_spends_no_time_in_the_gc_and_leaves_its_state_as_it_was() -> None:
    import gc

    registry = wireplan.Registry()
    registry.provide(lambda: [0], provides=["k0"], id="s0")
    for i in range(1, 20_000):
        registry.provide(lambda x: [x], provides=[f"k{i}"], deps=[f"k{i - 1}"], id=f"s{i}")
    plan = registry.compile()
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        app = plan.start()
    finally:
        gc.callbacks.remove(count)
    assert collections == [] and gc.isenabled()
    app.stop()
    gc.disable()
    try:
        plan.start().stop()
        assert not gc.isenabled()  # not turned on behind the caller's back
    finally:
        gc.enable()


def test_a_failed_request_whose_teardown_fails_too_still_raises_the_requests_error() -> None:
    # `except ValueError` around the `with` must still catch the failed request;
    # the teardown's own failure rides along as a note, none is swallowed.
    log = Log()
    registry = wireplan.Registry()

    class A: ...
    class B: ...

    @registry.provide(lifetime="scoped")
    def a() -> Iterator[A]:
        try:
            yield A()
        except ValueError:
            log.append("a told")
            raise

    @registry.provide(lifetime="scoped")
    def b(x: A) -> Iterator[B]:
        try:
            yield B()
        except ValueError:
            log.append("b told")
            raise RuntimeError("b teardown broke") from None

    with registry.compile().start() as app:
        with pytest.raises(ValueError, match="boom") as info:
            with app.scope() as scope:
                scope.get(B)
                raise ValueError("boom")
        assert log == ["b told", "a told"]
        notes = getattr(info.value, "__notes__", [])
        assert any("closing the scope" in n and "RuntimeError: b teardown broke" in n for n in notes), notes


async def _async_request(app: wireplan.App) -> None:
    async with app.scope() as scope:
        await scope.aget(Annotated[str, "req"])
        raise ValueError("boom")


def test_async_failed_request_with_a_failing_teardown_raises_the_requests_error() -> None:
    import asyncio

    registry = wireplan.Registry()

    @registry.provide(lifetime="scoped")
    async def req() -> AsyncIterator[Annotated[str, "req"]]:
        try:
            yield "r"
        except ValueError:
            raise RuntimeError("req teardown broke") from None

    async def main() -> None:
        async with registry.compile().start_async() as app:
            with pytest.raises(ValueError, match="boom") as info:
                await _async_request(app)
            assert any("RuntimeError: req teardown broke" in n for n in getattr(info.value, "__notes__", []))

    asyncio.run(main())
