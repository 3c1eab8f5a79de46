"""The public planning API: wireplan.plan / check / fingerprint and the
DescriptorPlan and Report they return (JS's plan() / check() / fingerprint()
in Python style). The shared vectors run through it too (test_vectors.py)."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import pytest

import wireplan

# The JS docs' example graph (docs/javascript.md), with a scoped service and a warning-free shape.
SERVICES = {
    "version": 1,
    "services": [
        {"id": "config"},
        {"id": "db", "provides": ["Database"], "deps": ["config"], "source": {"file": "app/db.py", "line": 12}},
        {"id": "metrics", "provides": ["Plugin"]},
        {"id": "server", "deps": ["Database", {"key": "Plugin", "many": True}]},
        {"id": "request", "lifetime": "scoped", "deps": ["Database"]},
    ],
}
CYCLE = {"version": 1, "services": [{"id": "a", "deps": ["b"]}, {"id": "b", "deps": ["a"]}]}


def _chain(n: int) -> dict[str, object]:
    return {"version": 1, "services": [{"id": f"s{i}", **({"deps": [f"s{i - 1}"]} if i else {})} for i in range(n)]}


# --- plan -----------------------------------------------------------------


def test_plan_gives_order_layers_bindings_and_recipes_by_id() -> None:
    p = wireplan.plan(SERVICES)
    assert isinstance(p, wireplan.DescriptorPlan)
    assert p.startup_order == ["config", "metrics", "db", "server"]
    assert p.shutdown_order == ["server", "db", "metrics", "config"]
    assert p.layers == [["config", "metrics"], ["db"], ["server"]]
    assert p.shutdown_layers == [["server"], ["db"], ["config", "metrics"]]
    assert p.ids == ["config", "metrics", "db", "server", "request"] and len(p) == 5
    assert p.bindings["server"] == [
        {"key": "Database", "optional": False, "many": False, "lazy": False, "providers": ["db"]},
        {"key": "Plugin", "optional": False, "many": True, "lazy": False, "providers": ["metrics"]},
    ]
    assert p.recipes == {"request": ["request"]}
    assert [s["id"] for s in p.services] == p.ids
    assert p.services[2]["source"] == {"file": "app/db.py", "line": 12, "column": None}
    assert p.unused == [] and p.warnings == [] and p.profile is None
    assert p.dependencies("server") == sorted(p.dependencies("server"), key=p.ids.index)
    assert set(p.dependencies("server")) == {"config", "db", "metrics"}
    assert set(p.dependents("config")) == {"db", "server", "request"}
    assert p.why("server", "config") == ["server", "db", "config"]
    assert p.why("config", "server") is None
    assert repr(p) == f"<wireplan.DescriptorPlan 5 services, fingerprint {p.fingerprint}>"


def test_plan_json_is_the_cores_byte_for_byte() -> None:
    text = json.dumps(SERVICES)
    p = wireplan.plan(text, name="services.json")
    assert p.to_json() == wireplan._core.plan([("services.json", text)]).to_json()
    assert json.loads(p.to_json())["startup"] == p.startup_order


def test_every_input_form_gives_the_same_plan() -> None:
    text = json.dumps(SERVICES)
    first, rest = dict(SERVICES, services=SERVICES["services"][:2]), dict(SERVICES, services=SERVICES["services"][2:])
    forms = [
        SERVICES,
        text,
        text.encode(),
        bytearray(text.encode()),
        [SERVICES],
        [("services.json", text)],
        [("a.json", first), ("b.json", json.dumps(rest))],  # merged in order
        [first, json.dumps(rest).encode()],
    ]
    fingerprints = {wireplan.plan(f).fingerprint for f in forms}
    assert len(fingerprints) == 1
    assert fingerprints == {wireplan.fingerprint(f) for f in forms}


def test_profile_and_roots_are_applied() -> None:
    doc = {"version": 1, "services": [
        {"id": "db"}, {"id": "fake", "profiles": ["test"]}, {"id": "app", "deps": ["db"]}, {"id": "admin"}]}
    p = wireplan.plan(doc, profile="test", roots=["app"])
    assert p.profile == "test"
    assert p.startup_order == ["db", "app"]
    assert p.unused == ["admin", "fake"]
    assert [(w["code"], w["severity"]) for w in p.warnings] == [("unused-service", "warning")] * 2
    assert p.fingerprint != wireplan.plan(doc).fingerprint
    assert p.fingerprint == wireplan.fingerprint(doc, profile="test", roots=["app"])
    with pytest.raises(TypeError, match=r"roots=\['app'\]"):
        wireplan.plan(doc, roots="app")  # type: ignore[arg-type]


def test_a_broken_graph_raises_the_plan_error_subclass_with_every_problem() -> None:
    with pytest.raises(wireplan.CycleError) as info:
        wireplan.plan(CYCLE, name="cycle.json")
    err = info.value
    assert err.code == "dependency-cycle"
    assert err.diagnostics[0]["services"] == ["a", "b", "a"]
    assert str(err) == str(wireplan.check(CYCLE, name="cycle.json"))
    with pytest.raises(wireplan.MissingDependencyError):
        wireplan.plan({"version": 1, "services": [{"id": "a", "deps": ["nothing"]}]})
    with pytest.raises(wireplan.PlanError) as unreadable:
        wireplan.plan("{not json", name="bad.json")
    assert unreadable.value.code == "invalid-descriptor"
    assert "--> bad.json:1:2" in str(unreadable.value)


def test_queries_name_unknown_ids_with_the_cores_words() -> None:
    p = wireplan.plan(SERVICES)
    with pytest.raises(wireplan.UnknownIdError) as info:
        p.dependencies("sever")
    assert info.value.suggestions == ["server"]
    assert "`sever`" in str(info.value)
    with pytest.raises(wireplan.UnknownIdError):
        p.why("server", "nope")


def test_encode_and_decode_round_trip_and_refuse_a_foreign_fingerprint() -> None:
    p = wireplan.plan(SERVICES)
    data = p.encode()
    assert isinstance(data, bytes)
    again = wireplan.DescriptorPlan.decode(data, fingerprint=wireplan.fingerprint(SERVICES))
    assert again.to_json() == p.to_json() and again.layers == p.layers
    assert wireplan.DescriptorPlan.decode(memoryview(data)).fingerprint == p.fingerprint
    with pytest.raises(wireplan.PlanError) as info:
        wireplan.DescriptorPlan.decode(data, fingerprint=wireplan.fingerprint(CYCLE))
    assert info.value.code == "invalid-plan"
    with pytest.raises(wireplan.PlanError):
        wireplan.DescriptorPlan.decode(data[:-3])


def test_a_chain_of_100k_plans() -> None:
    p = wireplan.plan(_chain(100_000))
    assert len(p.layers) == 100_000 and p.startup_order[-1] == "s99999"
    assert wireplan.check(_chain(100_000)).ok


# --- values JSON cannot hold ------------------------------------------------


@pytest.mark.parametrize(("meta", "path", "words"), [
    ({"tags": {"a"}}, "services[0].meta.tags", "cannot be written as JSON"),
    ({"ratio": float("nan")}, "services[0].meta.ratio", "cannot be written as JSON"),
    ({"when": object()}, "services[0].meta.when", "cannot be written as JSON"),
])
def test_a_value_json_cannot_hold_is_an_invalid_descriptor(meta: dict[str, object], path: str, words: str) -> None:
    doc = {"version": 1, "services": [{"id": "a", "meta": meta}]}
    with pytest.raises(wireplan.PlanError) as info:
        wireplan.plan(doc, name="app.json")
    assert info.value.code == "invalid-descriptor"
    assert f"`{path}` {words}" in str(info.value)
    assert "--> app.json" in str(info.value)
    report = wireplan.check(doc, name="app.json")  # a report, never raised
    assert not report.ok and str(report) == str(info.value)
    with pytest.raises(wireplan.PlanError):
        wireplan.fingerprint(doc)


def test_a_self_containing_or_too_deep_value_is_named_not_a_recursion_error() -> None:
    loop: list[object] = []
    loop.append(loop)
    report = wireplan.check({"version": 1, "services": [{"id": "a", "meta": {"l": loop}}]})
    assert report.errors[0]["code"] == "invalid-descriptor"
    assert "`services[0].meta.l[0]` refers back to an object that contains it" in str(report)
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    report = wireplan.check({"version": 1, "services": [{"id": "a", "meta": {"d": deep}}]})
    assert report.errors[0]["code"] == "invalid-descriptor"
    assert "nests deeper than 127 levels" in str(report)


def test_wrong_argument_types_are_type_errors() -> None:
    with pytest.raises(TypeError, match="not int"):
        wireplan.plan(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="are a list"):
        wireplan.plan(("a.json", "{}"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"documents\[0\]"):
        wireplan.check([("a.json", "{}", "extra")])  # type: ignore[list-item]
    with pytest.raises(UnicodeDecodeError):
        wireplan.plan(b'{"version": 1, "services": [{"id": "\xff"}]}')


# --- check ------------------------------------------------------------------


def test_check_reports_every_problem_as_data_and_the_cores_words() -> None:
    doc = {"version": 1, "services": [
        {"id": "a", "deps": ["b"]}, {"id": "b", "deps": ["a"]}, {"id": "c", "deps": ["missing"]}]}
    report = wireplan.check(doc, name="app.json")
    assert isinstance(report, wireplan.Report)
    assert not report.ok
    assert [d["code"] for d in report.errors] == ["dependency-cycle", "missing-dependency"]
    assert report.warnings == []
    # A dict is written as compact JSON (as JS writes it), then the core's report and words, unchanged.
    core_json, text = wireplan._core.check([("app.json", json.dumps(doc, separators=(",", ":")))])
    report_json = report.to_json()
    assert report_json == core_json and str(report) == text
    assert json.loads(report_json)["diagnostics"] == report.diagnostics
    assert repr(report) == "<wireplan.Report 2 errors, 0 warnings>"
    with pytest.raises(wireplan.CycleError) as info:
        report.raise_for_errors()
    assert info.value.report_json == report_json
    clone = pickle.loads(pickle.dumps(report))
    assert str(clone) == str(report) and clone.diagnostics == report.diagnostics


def test_check_of_a_clean_graph_and_of_warnings_only_is_ok() -> None:
    clean = wireplan.check(SERVICES)
    assert clean.ok and clean.diagnostics == [] and str(clean) == "ok: no problems\n"
    clean.raise_for_errors()
    warned = wireplan.check({"version": 1, "services": [{"id": "app"}, {"id": "admin"}]}, roots=["app"])
    assert warned.ok and warned.errors == [] and warned.warnings
    warned.raise_for_errors()


# --- limits: the caller's, everywhere ---------------------------------------


def test_limits_apply_to_plan_check_and_fingerprint() -> None:
    doc = _chain(5)
    limits = {"max_services": 2}
    with pytest.raises(wireplan.PlanError) as planned:
        wireplan.plan(doc, limits=limits, name="big.json")
    assert planned.value.code == "limit-exceeded"
    report = wireplan.check(doc, limits=limits, name="big.json")
    assert [d["code"] for d in report.errors] == ["limit-exceeded"]
    assert str(report) == str(planned.value)
    with pytest.raises(wireplan.PlanError) as fingerprinted:
        wireplan.fingerprint(doc, limits=limits, name="big.json")
    assert str(fingerprinted.value) == str(planned.value)
    # Within the limits, limits change nothing: not the plan, not its fingerprint.
    assert wireplan.fingerprint(doc, limits={"max_services": 5}) == wireplan.fingerprint(doc)
    assert wireplan.check(doc, limits={"max_services": 5}).ok


def test_limits_apply_to_the_private_core_calls_too() -> None:
    # What the `wireplan check` command and the cache call.
    docs = [("big.json", json.dumps(_chain(5)))]
    report_json, _ = wireplan._core.check(docs, limits={"max_services": 2})
    assert [d["code"] for d in json.loads(report_json)["diagnostics"]] == ["limit-exceeded"]
    with pytest.raises(wireplan.PlanError, match="limit-exceeded"):
        wireplan._core.fingerprint(docs, limits={"max_input_bytes": 16})


def test_an_unknown_limit_name_is_a_value_error() -> None:
    for call in (wireplan.plan, wireplan.check, wireplan.fingerprint):
        with pytest.raises(ValueError, match="max_servics"):
            call(SERVICES, limits={"max_servics": 1})  # type: ignore[operator]


# --- import cost --------------------------------------------------------------


def test_planning_imports_json_only_when_it_runs() -> None:
    code = "import sys, wireplan; print('json' in sys.modules); wireplan.plan('{\"version\": 1, \"services\": []}')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_wrong_limit_is_refused_in_the_cores_words_not_serdes() -> None:
    with pytest.raises(ValueError) as info:
        wireplan.plan({"version": 1, "services": []}, limits={"max_servics": 3})
    message = str(info.value)
    assert message.startswith("invalid planning options: unknown field `max_servics` in `limits`; did you mean `max_services`?")
    assert "expected one of" not in message
    with pytest.raises(ValueError, match="did you mean `max_services`"):
        wireplan.check({"version": 1, "services": []}, limits={"max_servics": 3})
