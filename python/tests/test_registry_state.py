"""A compile keeps its state to itself: threads compiling different
registries at once get what they get one at a time, no module of wireplan
holds anything new afterwards, and the garbage collector is left alone.
And wireplan's modules import one another without a circle."""

import ast
import gc
import graphlib
import sys
import threading
from pathlib import Path
from typing import Annotated, Any, Callable

import pytest

import wireplan

PACKAGE = Path(wireplan.__file__).resolve().parent


def make_registry(seed: int) -> wireplan.Registry:
    """A registry of its own per seed: local classes (named by the seed, so
    keys differ between registries), named builtins, optional and many
    dependencies, a partial, and an error-free graph of 60 services."""
    import functools

    registry = wireplan.Registry()
    classes: list[type] = []
    for i in range(40):
        deps = [classes[j] for j in sorted({i - 1, i // 2, i - 5}) if 0 <= j < i]
        # A plain __init__ with these parameters, as the quick reader sees it.
        params = ", ".join(f"d{k}" for k in range(len(deps)))
        namespace: dict[str, Any] = {}
        exec(f"def __init__(self{', ' if params else ''}{params}):\n    self.args = ({params}{',' if params else ''})",
             namespace)
        namespace["__init__"].__annotations__ = {f"d{k}": d for k, d in enumerate(deps)}
        cls = type(f"S{seed}C{i}", (), {"__init__": namespace["__init__"], "__module__": __name__,
                                         "__qualname__": f"S{seed}C{i}"})
        classes.append(cls)
        registry.provide(cls)
    registry.provide(classes[-1], id=f"scoped{seed}", lifetime="scoped")

    def make_value(first: Any, label: Annotated[str, f"label{seed}"] = "none", retries: int = 3,
                   rest: Any = wireplan.many) -> Annotated[str, f"value{seed}"]:
        return f"{seed}:{label}:{retries}"

    make_value.__annotations__.update(first=classes[0], rest=list[classes[1]])  # type: ignore[valid-type]
    registry.provide(functools.partial(make_value, retries=seed))
    registry.supply(f"label-{seed}", key=Annotated[str, f"label{seed}"])
    return registry


def snapshot(registries: list[wireplan.Registry]) -> list[tuple[str, str, list[str]]]:
    out = []
    for r in registries:
        plan = r.compile()
        out.append((r.document(), plan.to_json(), plan.startup_order))
    return out


def test_threads_compiling_at_once_get_what_they_get_one_at_a_time() -> None:
    registries = [make_registry(seed) for seed in range(8)]
    expected = snapshot(registries)
    assert len({doc for doc, _, _ in expected}) == 8  # eight different graphs
    results: dict[int, list[Any]] = {i: [] for i in range(8)}
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(i: int) -> None:
        try:
            barrier.wait()
            for _ in range(25):
                plan = registries[i].compile()
                results[i].append((registries[i].document(), plan.to_json(), plan.startup_order))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert not errors, errors
    for i in range(8):
        assert len(results[i]) == 25
        assert all(r == expected[i] for r in results[i])
    with registries[3].compile().start() as app:
        assert app.get(Annotated[str, "value3"]) == "3:label-3:3"


def test_threads_reporting_problems_at_once_report_their_own() -> None:
    def registry_with_problem(i: int) -> wireplan.Registry:
        registry = make_registry(100 + i)

        def broken(x: int) -> Annotated[str, f"broken{i}"]:
            raise AssertionError

        registry.provide(broken)
        return registry

    registries = [registry_with_problem(i) for i in range(6)]
    messages: dict[int, set[str]] = {i: set() for i in range(6)}

    def work(i: int) -> None:
        for _ in range(20):
            with pytest.raises(wireplan.PlanError) as info:
                registries[i].compile()
            messages[i].add(str(info.value))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(6):
        [text] = messages[i]  # the same every time
        assert "parameter `x`" in text and f"registry_with_problem.<locals>.broken" in text and text.count("error[") == 1


def module_state() -> dict[tuple[str, str], int]:
    """Every dict, list and set held by a module of wireplan, by size."""
    out = {}
    for name, module in list(sys.modules.items()):
        if name == "wireplan" or name.startswith("wireplan."):
            for attr, value in vars(module).items():
                if type(value) in (dict, list, set, tuple) and not attr.startswith("__"):
                    out[name, attr] = len(value)
    return out


def test_a_compile_leaves_no_state_in_modules_and_the_gc_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    make_registry(900).compile()  # imports whatever a compile imports
    calls: list[str] = []
    for name in ("disable", "enable", "freeze", "set_threshold"):
        original: Callable[..., Any] = getattr(gc, name)
        monkeypatch.setattr(gc, name, lambda *a, _n=name, _o=original: (calls.append(_n), _o(*a))[1])
    # Looked at after the compile, and in its middle: when the providers are
    # read and the core plans them.
    during: list[dict[tuple[str, str], int]] = []
    plan_with_core = wireplan._core.plan

    def plan_and_look(*args: Any) -> Any:
        during.append(module_state())
        return plan_with_core(*args)

    monkeypatch.setattr(wireplan._core, "plan", plan_and_look)
    before = module_state()
    registry = make_registry(901)
    plan = registry.compile()
    after = module_state()
    assert len(during) == 1
    for state in (during[0], after):
        # `_keys._cache` memoises key_of of typing objects (Annotated...): a
        # pure function's results, the same for every thread, read by `get`.
        changed = {k: (before.get(k), v) for k, v in state.items()
                   if before.get(k) != v and k != ("wireplan._keys", "_cache")}
        assert changed == {}
    assert calls == []
    # 40 classes, the partial and the supplied label; the scoped one waits.
    assert len(plan.startup_order) == 42


def imports_of(path: Path) -> set[str]:
    """The wireplan modules a file imports, anywhere in it (at the top, in
    functions, under TYPE_CHECKING): `from . import _core` imports
    `wireplan._core`, not the package."""
    tree = ast.parse(path.read_text(), str(path))
    package = "wireplan"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name == package or a.name.startswith(package + "."))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = package + ("." + base if base else "")
            elif not (base == package or base.startswith(package + ".")):
                continue
            if base == package:
                out.update(f"{package}.{a.name}" for a in node.names)
            else:
                out.add(base)
    return out


def test_the_import_graph_of_wireplan_has_no_circle() -> None:
    files = {f"wireplan.{p.stem}" if p.stem != "__init__" else "wireplan": p for p in PACKAGE.glob("*.py")}
    graph = {name: imports_of(path) & set(files) for name, path in files.items()}
    # The leaves really are leaves, and the three that shared a circle no
    # longer import one another.
    assert graph["wireplan._spec"] == set()
    assert "wireplan.registry" not in graph["wireplan.runtime"] | graph["wireplan._cache"] | graph["wireplan._reading"]
    assert "wireplan.runtime" not in graph["wireplan._cache"] | graph["wireplan._reading"]
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as e:
        pytest.fail(f"import circle: {' -> '.join(e.args[1])}")
    # The test sees a circle when there is one.
    with pytest.raises(graphlib.CycleError):
        list(graphlib.TopologicalSorter({**graph, "wireplan._spec": {"wireplan.registry"}}).static_order())
