"""What the registry says about providers it cannot read, and the surprises
it no longer springs: builtin parameters, a class supplied as a value, an
override of nothing, two classes under one name, wrapped factories, hints
that cannot be resolved. Every problem met while reading is one diagnostic
of the one PlanError, beside the graph's own, in the core's words. (No
`from __future__ import annotations`: local classes' hints must be objects.)"""

import functools
import importlib
import sys
import textwrap
from pathlib import Path
from typing import Annotated, Any, Iterator, Optional

import pytest

import wireplan
from wireplan._spec import unwrap_factory


class Database:
    def __init__(self, dsn: str = "sqlite://") -> None:
        self.dsn = dsn


class Pool:
    def __init__(self, size: int = 1) -> None:
        self.size = size


class Config:
    pass


class Server:
    def __init__(self, db: Database) -> None:
        self.db = db


def line_of(f: Any) -> int:
    return int(f.__code__.co_firstlineno)


def problems(registry: wireplan.Registry) -> list[dict[str, Any]]:
    with pytest.raises(wireplan.PlanError) as info:
        registry.compile()
    return info.value.diagnostics


# ---- 1. builtins are not dependencies unless named ---------------------------


def test_a_builtin_with_a_default_keeps_its_default_whatever_is_supplied() -> None:
    registry = wireplan.Registry()
    registry.supply("postgres://prod", key=str)  # some `str` in the graph
    registry.provide(Database)
    with registry.compile().start() as app:
        assert app.get(Database).dsn == "sqlite://"


def test_a_named_builtin_is_a_dependency() -> None:
    class NamedDb:
        def __init__(self, dsn: Annotated[str, "dsn"] = "sqlite://") -> None:
            self.dsn = dsn

    registry = wireplan.Registry()
    registry.provide(NamedDb)
    with registry.compile().start() as app:
        assert app.get(NamedDb).dsn == "sqlite://"  # optional: nothing provides it
    registry.supply("postgres://prod", key=Annotated[str, "dsn"])
    with registry.compile().start() as app:
        assert app.get(NamedDb).dsn == "postgres://prod"


def test_a_builtin_without_a_default_is_an_error_naming_the_parameter_and_the_line() -> None:
    def make_db(dsn: str, retries: int, tags: list[str], limits: dict[str, int] | None, flag: Optional[bool],
                pool: Pool) -> Database:
        return Database(dsn)

    class Cached:  # the quick class reader defers to the general one
        def __init__(self, name: str, pool: Pool) -> None:
            self.name = name

    registry = wireplan.Registry()
    registry.provide(Pool)
    registry.provide(make_db)
    registry.provide(Cached)
    found = problems(registry)
    # In the core's order: by code, service, then message.
    assert [(d["code"], d["message"].split(" ")[1]) for d in found] == [
        ("unnamed-builtin", "`name`"), ("unnamed-builtin", "`dsn`"), ("unnamed-builtin", "`flag`"),
        ("unnamed-builtin", "`limits`"), ("unnamed-builtin", "`retries`"), ("unnamed-builtin", "`tags`")]
    first = found[1]
    me = f"{__name__}.test_a_builtin_without_a_default_is_an_error_naming_the_parameter_and_the_line.<locals>"
    assert first["message"] == f"parameter `dsn` of `{me}.make_db` has the builtin type `str`, which names no dependency"
    assert first["help"] == ('name the value it needs, as in `Annotated[str, "dsn"]`, and provide that key; '
                             "or give the parameter a default")
    assert first["services"] == [f"{me}.make_db"]
    assert first["location"] == {"file": __file__, "line": line_of(make_db), "column": None, "path": None}
    assert "`Annotated[list[str], \"tags\"]`" in found[5]["help"]
    assert found[0]["location"]["line"] == line_of(Cached.__init__)


def test_a_builtin_provided_by_an_explicit_key_is_still_reachable_by_get() -> None:
    registry = wireplan.Registry()
    registry.provide(Annotated[str, "dsn"], lambda: "postgres://")

    @registry.provide
    def make_list() -> list:  # type: ignore[type-arg]
        return [1]

    with registry.compile().start() as app:
        assert app.get(Annotated[str, "dsn"]) == "postgres://"
        assert app.get(list) == [1]


# ---- 2. supply(Class) -------------------------------------------------------


def test_supplying_a_class_says_its_key_would_be_builtins_type() -> None:
    registry = wireplan.Registry()
    with pytest.raises(TypeError) as info:
        registry.supply(Config)
    assert str(info.value) == (
        f"supply() takes a ready value, not the class `{__name__}.Config` (its key would be `builtins.type`): "
        "supply an instance, registry.supply(Config(...)), or provide the class, registry.provide(Config); "
        "to supply the class itself, pass a key")
    with pytest.raises(TypeError, match="not the function .*use registry.provide"):
        registry.supply(line_of)
    assert len(registry) == 0
    registry.supply(Config, key="config-class")  # on purpose, under a key
    with registry.compile().start() as app:
        assert app.get("config-class") is Config


def test_overriding_with_a_class_says_to_pass_it_as_a_factory() -> None:
    registry = wireplan.Registry()
    registry.provide(Database)
    with pytest.raises(TypeError, match=r"pass an instance, or the class as a factory: override\(key, factory=Pool\)"):
        registry.override(Database, Pool)


# ---- 3. override of a key nobody provides -----------------------------------


def test_an_override_of_an_unknown_key_names_the_closest_keys_and_the_call() -> None:
    registry = wireplan.Registry()
    registry.provide(Database)
    registry.provide(Server)
    registry.override("test_registry_errors.Databse", Database("fake://")); call_line = sys._getframe().f_lineno  # noqa: E702
    [d] = problems(registry)
    assert d["code"] == "invalid-replacement"
    assert d["message"] == ("`override:test_registry_errors.Databse` overrides `test_registry_errors.Databse`, "
                            "which no service provides; did you mean `test_registry_errors.Database`?")
    assert d["help"] == "override a key that a registered provider provides"
    assert d["key"] == "test_registry_errors.Databse"
    assert (d["location"]["file"], d["location"]["line"]) == (__file__, call_line)
    # A known key still overrides.
    registry = wireplan.Registry()
    registry.provide(Database)
    registry.override(Database, Database("fake://"))
    with registry.compile().start() as app:
        assert app.get(Database).dsn == "fake://"


# ---- 4. two classes under one qualified name ----------------------------------


def make_local_classes() -> tuple[type, type]:
    class Settings:
        pass

    class Service:
        def __init__(self, settings: Settings) -> None:
            self.settings = settings

    return Settings, Service


def test_classes_made_by_a_function_called_twice_do_not_share_a_key_silently() -> None:
    settings1, service1 = make_local_classes()
    settings2, service2 = make_local_classes()
    assert wireplan.key_of(settings1) == wireplan.key_of(settings2)  # the key is the name
    registry = wireplan.Registry()
    registry.provide(settings1)
    registry.provide(service2)  # needs the *other* Settings: it would get settings1's instance
    [d] = problems(registry)
    key = f"{__name__}.make_local_classes.<locals>.Settings"
    assert d["code"] == "key-collision"
    assert d["message"] == f"different classes share the key `{key}`"
    assert d["key"] == key
    assert d["services"] == [key, f"{__name__}.make_local_classes.<locals>.Service"]
    assert "define it once, at module level, or name each one, as in `Annotated[Settings, \"name\"]`" in d["help"]
    # Both places are the class statement's line in this file.
    assert {(r["location"]["file"], r["location"]["line"]) for r in d["related"]} == {(__file__, line_of(make_local_classes) + 1)}

    registry = wireplan.Registry()  # both registered: the same
    registry.provide(settings1)
    registry.provide(settings2)
    assert [d["code"] for d in problems(registry)] == ["key-collision"]


def test_named_local_classes_are_told_apart() -> None:
    settings1, _ = make_local_classes()
    settings2, _ = make_local_classes()
    registry = wireplan.Registry()
    registry.provide(Annotated[settings1, "first"], settings1)
    registry.provide(Annotated[settings2, "second"], settings2)
    with registry.compile().start() as app:
        assert type(app.get(Annotated[settings1, "first"])) is settings1
        assert type(app.get(Annotated[settings2, "second"])) is settings2


# ---- 5. wrapped factories ------------------------------------------------------


def make_db(config: Config, pool: Pool, name: str = "main") -> Database:
    db = Database(f"{name}://{pool.size}")
    db.pool = pool  # type: ignore[attr-defined]
    return db


def logged(f: Any) -> Any:
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return f(*args, **kwargs)

    return wrapper


class Factories:
    def __init__(self, size: int) -> None:
        self.size = size

    def pool(self) -> Pool:
        return Pool(self.size)

    @classmethod
    def config(cls) -> Config:
        return Config()


def test_unwrap_factory_reads_through_partials_wraps_and_bound_methods() -> None:
    factories = Factories(3)
    assert unwrap_factory(make_db) == (make_db, 0, ())
    assert unwrap_factory(functools.partial(make_db, pool=Pool())) == (make_db, 0, ("pool",))
    assert unwrap_factory(functools.partial(make_db, Config(), name="x")) == (make_db, 1, ("name",))
    nested = functools.partial(logged(functools.partial(make_db, name="x")), pool=Pool())
    assert unwrap_factory(nested) == (make_db, 0, ("name", "pool"))
    assert unwrap_factory(factories.pool) == (Factories.pool, 1, ())
    assert unwrap_factory(Factories.config) == (Factories.config.__func__, 1, ())
    assert unwrap_factory(logged(make_db)) == (make_db, 0, ())
    assert unwrap_factory(functools.partial(Pool, size=2)) == (Pool, 0, ("size",))
    assert unwrap_factory(Pool) == (Pool, 0, ())


def test_a_partial_is_read_through_for_its_key_id_source_and_dependencies() -> None:
    the_pool = Pool(5)
    registry = wireplan.Registry()
    registry.provide(Config)
    registry.provide(Pool)  # a Pool in the graph: the partial's own is used all the same
    registry.provide(functools.partial(make_db, pool=the_pool))
    [_, _, d] = registry.descriptors()
    assert d["id"] == f"{__name__}.make_db"
    assert d["provides"] == [f"{__name__}.Database"]
    assert d["deps"] == [f"{__name__}.Config"]  # not `pool` (bound), not `name` (a builtin with a default)
    assert d["source"] == {"file": __file__, "line": line_of(make_db)}
    with registry.compile().start() as app:
        db = app.get(Database)
        assert db.pool is the_pool and db.dsn == "main://5"  # type: ignore[attr-defined]


def test_wraps_bound_methods_classmethods_and_partial_classes() -> None:
    factories = Factories(7)
    registry = wireplan.Registry()
    registry.provide(factories.pool)
    registry.provide(Factories.config)
    registry.provide(logged(make_db))
    registry.provide(Annotated[Pool, "two"], functools.partial(Pool, size=2))
    descriptors = registry.descriptors()
    assert [d["id"] for d in descriptors] == [f"{__name__}.Factories.pool", f"{__name__}.Factories.config",
                                              f"{__name__}.make_db", f"{__name__}.Pool"]
    assert [d["source"]["line"] for d in descriptors] == [line_of(Factories.pool), line_of(Factories.config),
                                                          line_of(make_db), line_of(Pool.__init__)]
    assert descriptors[2]["deps"] == [f"{__name__}.Config", f"{__name__}.Pool"]
    assert "deps" not in descriptors[3]  # `size` is bound
    with registry.compile().start() as app:
        assert app.get(Database).dsn == "main://7"
        assert app.get(Annotated[Pool, "two"]).size == 2


def test_a_wrapped_generator_and_context_manager_keep_their_kind() -> None:
    import contextlib

    def gen(config: Config, label: str = "g") -> Iterator[Pool]:
        yield Pool(1)

    @contextlib.contextmanager
    def cm(config: Config, label: str = "c") -> Iterator[Pool]:
        yield Pool(2)

    registry = wireplan.Registry()
    registry.provide(Config)
    registry.provide(Annotated[Pool, "g"], functools.partial(gen, label="x"))
    registry.provide(Annotated[Pool, "c"], functools.partial(cm, label="y"))
    assert [d["meta"] for d in registry.descriptors()][1:] == ["gen|config:0", "cm|config:0"]
    with registry.compile().start() as app:
        assert (app.get(Annotated[Pool, "g"]).size, app.get(Annotated[Pool, "c"]).size) == (1, 2)


# ---- 6. type hints that cannot be resolved: one report of every problem ----------


def test_every_problem_of_every_provider_with_the_graphs_in_one_plan_error() -> None:
    def first(db: "Nowhere", pool: Pool) -> Server:  # type: ignore[name-defined] # noqa: F821
        raise AssertionError

    def second(x, retries: int) -> Config:  # type: ignore[no-untyped-def]
        raise AssertionError

    def third() -> "AlsoNowhere":  # type: ignore[name-defined] # noqa: F821
        raise AssertionError

    registry = wireplan.Registry()
    registry.provide(Pool)
    registry.provide(first)
    registry.provide(second)
    registry.provide(third)
    registry.provide(Server)  # needs a Database nobody provides: the core's problem
    found = problems(registry)
    me = f"{__name__}.test_every_problem_of_every_provider_with_the_graphs_in_one_plan_error.<locals>"
    assert [(d["code"], d["services"]) for d in found] == [
        ("missing-dependency", [f"{__name__}.Server"]),
        ("unresolved-annotation", [f"{me}.first"]),
        ("unresolved-annotation", [f"{me}.third"]),
        ("missing-annotation", [f"{me}.second"]),
        ("unnamed-builtin", [f"{me}.second"]),
    ]
    unresolved = found[1]
    assert unresolved["message"] == (f"the type hint `Nowhere` of parameter `db` of `{me}.first` cannot be resolved "
                                     "(`NameError: name 'Nowhere' is not defined`)")
    assert unresolved["help"] == (f"define or import `Nowhere` at the top level of module `{__name__}`, "
                                  "where the hint is resolved; or name the dependencies with `deps=`")
    assert unresolved["location"]["line"] == line_of(first)
    assert found[2]["message"].startswith(f"the return type hint `AlsoNowhere` of `{me}.third` cannot be resolved")
    assert found[3]["message"] == f"parameter `x` of `{me}.second` has no type hint"
    # The words are the core's: the text is its rendering, every problem in it.
    with pytest.raises(wireplan.PlanError) as info:
        registry.compile()
    text = str(info.value)
    assert text.count("error[") == 5 and text.endswith("error: 5 errors\n")
    assert f"--> {__file__}:{line_of(first)}" in text
    # descriptors() says the same.
    with pytest.raises(wireplan.PlanError):
        registry.descriptors()


def write_module(tmp_path: Path, name: str, source: str) -> Any:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)


def test_a_name_imported_only_under_type_checking_is_named_with_its_import(tmp_path: Path) -> None:
    module = write_module(tmp_path, "tc_app", """\
        from __future__ import annotations

        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from decimal import Decimal as Money
            import fractions

        class Ledger:
            pass

        def make_ledger(money: Money, ratio: fractions.Fraction, other: Elsewhere) -> Ledger:
            return Ledger()
    """)
    registry = wireplan.Registry()
    registry.provide(module.make_ledger)
    found = problems(registry)
    assert [d["code"] for d in found] == ["unresolved-annotation"] * 3
    other, money, ratio = found  # by message: `Elsewhere`, `Money`, `fractions.Fraction`
    file = str(tmp_path / "tc_app.py")
    assert money["help"] == ("`Money` is imported only for type checkers, so it does not exist when the hints "
                             "are read: import it at run time")
    assert money["related"] == [{"message": "`Money` is imported here, under `TYPE_CHECKING`", "service": None,
                                 "key": None, "location": {"file": file, "line": 6, "column": None, "path": None}}]
    assert money["location"] == {"file": file, "line": 12, "column": None, "path": None}
    assert ratio["related"][0]["location"]["line"] == 7  # `import fractions` binds `fractions`
    assert other["related"] == [] and "at the top level of module `tc_app`" in other["help"]


def test_a_forward_reference_that_resolves_later_is_read() -> None:
    registry = wireplan.Registry()

    @registry.provide
    def server(db: "Database") -> "Server":
        return Server(db)

    registry.provide(Database)
    with registry.compile().start() as app:
        assert app.get(Server).db is app.get(Database)


def test_a_positional_only_builtin_left_out_does_not_shift_the_dependencies_after_it() -> None:
    registry = wireplan.Registry()
    registry.provide(Config)

    @registry.provide
    def make(size: int = 3, config: Config | None = None, /, label: str = "x") -> Pool:
        assert isinstance(config, Config), config
        return Pool(size)

    with registry.compile().start() as app:
        assert app.get(Pool).size == 3


def test_a_builtin_registered_as_a_key_does_not_make_builtin_parameters_dependencies() -> None:
    class NeedsName:
        def __init__(self, name: str) -> None:
            self.name = name

    registry = wireplan.Registry()
    registry.provide(str, lambda: "from the graph")  # an explicit builtin key, read first
    registry.provide(NeedsName)
    registry.provide(Database)
    [d] = problems(registry)
    assert d["code"] == "unnamed-builtin" and d["message"].startswith("parameter `name`")
