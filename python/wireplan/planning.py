"""Planning descriptor documents: :func:`plan`, :func:`check` and :func:`fingerprint`.

The same calls as JS's ``plan()``, ``check()`` and ``fingerprint()``, for
descriptors written as JSON (docs/descriptors.md) rather than read from a
:class:`~wireplan.Registry`: a CI job checking a services file, a tool that
generates descriptors, a plan made here and run elsewhere. Everything is the
core's: the plan, the report, and every word of ``str(report)`` and
``str(err)``, byte for byte what the CLI and JS print::

    plan = wireplan.plan({"version": 1, "services": [{"id": "config"}, {"id": "db", "deps": ["config"]}]})
    plan.startup_order  # ['config', 'db']

Descriptors are given as JSON text (``str``, or UTF-8 ``bytes``), as one
document (a ``dict``, written as JSON here), or as a list of documents merged
in order, each a ``(name, text_or_dict)`` pair or a bare text or dict (named
``<name>#<i>``). A ``dict`` holding what JSON cannot (a ``set``, an object,
``nan``, a list that contains itself) is reported as the core's
``invalid-descriptor`` diagnostic naming where, like any other fault of a
document.
"""

from __future__ import annotations

from . import _core
from .errors import UnknownIdError, _from_core

TYPE_CHECKING = False  # not typing's: `import wireplan` does not import typing (milliseconds)
if TYPE_CHECKING:
    from typing import Any, Iterable, Union

    #: One document: JSON text (``str``, UTF-8 ``bytes``) or a descriptor document.
    Document = Union[str, bytes, bytearray, memoryview, dict[str, Any]]
    #: What :func:`plan`, :func:`check` and :func:`fingerprint` take.
    Descriptors = Union[Document, list[Union[Document, tuple[str, Document]]]]

__all__ = ["Analysis", "DescriptorPlan", "Inspection", "Report", "analyze", "check", "fingerprint", "inspect", "plan", "render_timeline"]

_DEFAULT_NAME = "<input>"
#: The nesting the core's JSON parser accepts (the core's `MAX_NESTING`).
_MAX_NESTING = 127


class _Unrepresentable(Exception):
    """A document value JSON cannot hold: the core's report for it."""

    def __init__(self, report: tuple[str, str]) -> None:
        super().__init__(report[1])
        self.report = report


def _text(doc: Document, name: str) -> str:
    """One document as JSON text."""
    if isinstance(doc, str):
        return doc
    if isinstance(doc, (bytes, bytearray, memoryview)):
        return bytes(doc).decode("utf-8")  # strict: descriptors are UTF-8 text
    if isinstance(doc, dict):
        import json  # here: `import wireplan` stays cheap

        try:
            return json.dumps(doc, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            path, tag = _find_unrepresentable(doc)
            raise _Unrepresentable(_core.unrepresentable(name, path, tag)) from None
    raise TypeError(f"wireplan: a descriptor document is JSON text, bytes or a dict, not {type(doc).__name__}")


def _documents(descriptors: Descriptors, name: str) -> list[tuple[str, str]]:
    """The accepted inputs as ``[(name, text)]``, merged in order by the core."""
    if not isinstance(name, str):
        raise TypeError(f"wireplan: `name` must be a str, not {type(name).__name__}")
    if isinstance(descriptors, tuple):
        raise TypeError("wireplan: several documents are a list, of (name, text or dict) pairs, texts or dicts")
    if isinstance(descriptors, list):
        out = []
        for i, item in enumerate(descriptors):
            if isinstance(item, tuple):
                if len(item) != 2 or not isinstance(item[0], str):
                    raise TypeError(f"wireplan: documents[{i}] must be (name, text or dict), a text or a dict")
                out.append((item[0], _text(item[1], item[0])))
            else:
                doc_name = f"{name}#{i}"
                out.append((doc_name, _text(item, doc_name)))
        return out
    return [(name, _text(descriptors, name))]


def _find_unrepresentable(value: Any) -> tuple[str, str]:
    """Where ``value`` stops being JSON, as ``(path, tag)`` for the core's
    words (``services[0].meta.n``; tag ``cycle``, ``nesting`` or ``other``).

    # Complexity
    O(size of the value); iterative (an explicit stack), since the value may
    nest deeper than Python's recursion limit.
    """
    on_path: set[int] = set()
    # (value, path, depth, leaving?)
    stack: list[tuple[Any, str, int, bool]] = [(value, "", 0, False)]
    while stack:
        v, path, depth, leaving = stack.pop()
        if leaving:
            on_path.discard(id(v))
            continue
        where = path or "(document)"
        if v is None or isinstance(v, (str, bool, int)):
            continue
        if isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                return where, "other"
            continue
        if not isinstance(v, (dict, list, tuple)):
            return where, "other"
        if id(v) in on_path:
            return where, "cycle"
        if depth >= _MAX_NESTING:
            return where, "nesting"
        on_path.add(id(v))
        stack.append((v, path, depth, True))
        if isinstance(v, dict):
            entries = []
            for k, x in v.items():
                if not (k is None or isinstance(k, (str, int, float, bool))):
                    return where, "other"
                entries.append((f"{path}.{k}" if path else str(k), x))
        else:
            entries = [(f"{path}[{i}]", x) for i, x in enumerate(v)]
        for p, x in reversed(entries):
            stack.append((x, p, depth + 1, False))
    return "(document)", "other"


def _roots(roots: Iterable[str]) -> list[str] | None:
    if isinstance(roots, str):
        raise TypeError(f"wireplan: `roots` is a list of service ids, not the str {roots!r} (write roots=[{roots!r}])")
    out = list(roots)
    return out or None


def plan(descriptors: Descriptors, *, profile: str | None = None, roots: Iterable[str] = (),
         limits: dict[str, int] | None = None, name: str = _DEFAULT_NAME) -> DescriptorPlan:
    """Plans descriptor documents (merged in order) for ``profile``.

    With ``roots``, only the services those ids need are planned (the others
    are ``unused``, with a warning). ``limits`` maps the core's limit names
    (``max_services``...; docs/limits.md) to values; an unknown name is a
    ``ValueError``. ``name`` names a single document (or prefixes unnamed
    ones) in diagnostics.

    Raises :class:`~wireplan.PlanError` (:class:`~wireplan.CycleError`,
    :class:`~wireplan.MissingDependencyError`... chosen by the first error's
    code) holding every problem, for a graph that cannot be planned or a
    document that cannot be read.
    """
    try:
        docs = _documents(descriptors, name)
    except _Unrepresentable as e:
        raise _from_core(*e.report) from None
    return DescriptorPlan(_core.plan(docs, profile, _roots(roots), limits))


def check(descriptors: Descriptors, *, profile: str | None = None, roots: Iterable[str] = (),
          limits: dict[str, int] | None = None, name: str = _DEFAULT_NAME) -> Report:
    """Checks descriptor documents: a :class:`Report` of every problem,
    errors and warnings. Never raises for a broken graph or an unreadable
    document (they are in the report); arguments of the wrong type or an
    unknown limit name raise ``TypeError`` or ``ValueError``."""
    try:
        docs = _documents(descriptors, name)
    except _Unrepresentable as e:
        return Report(*e.report)
    return Report(*_core.check(docs, profile, _roots(roots), limits))


def fingerprint(descriptors: Descriptors, *, profile: str | None = None, roots: Iterable[str] = (),
                limits: dict[str, int] | None = None, name: str = _DEFAULT_NAME) -> str:
    """The fingerprint (32 hex digits) a plan of these descriptors and options
    would carry, without planning: what a stored plan is checked against
    (:meth:`DescriptorPlan.decode`). Limits do not change it, but a document
    over them has none: raises :class:`~wireplan.PlanError` for a document
    that cannot be read under them."""
    try:
        docs = _documents(descriptors, name)
    except _Unrepresentable as e:
        raise _from_core(*e.report) from None
    return _core.fingerprint(docs, profile, _roots(roots), limits)


def analyze(descriptors: Descriptors, *, profile: str | None = None, roots: Iterable[str] = (),
            limits: dict[str, int] | None = None, name: str = _DEFAULT_NAME) -> Analysis:
    """The graph as the core resolved it, valid or broken (that is when
    people need to see it): draw it, explain a service or key, diff it with
    another. Raises :class:`~wireplan.PlanError` only for a document that
    cannot be read (or is over a limit); a broken graph's problems are in
    :attr:`Analysis.report`."""
    try:
        docs = _documents(descriptors, name)
    except _Unrepresentable as e:
        raise _from_core(*e.report) from None
    return Analysis(_core.analyze(docs, profile, _roots(roots), limits))


def _name(x: Any) -> str:
    """A service named by id or key, or by the class or function whose key it is."""
    if isinstance(x, str):
        return x
    from ._keys import key_of

    return key_of(x)


def _explain(core: _core.Analysis, name: Any, why: Any, format: str) -> str:
    if format not in ("text", "json"):
        raise ValueError(f"wireplan: format is 'text' or 'json', not {format!r}")
    try:
        return core.explain(_name(name), None if why is None else _name(why), format == "json")
    except LookupError as e:
        raise UnknownIdError(_name(name), str(e), []) from None


class Analysis:
    """A graph, valid or broken, as the core resolved it (made by
    :func:`analyze`, :meth:`DescriptorPlan.analysis` or
    :meth:`wireplan.Plan.analysis`). Every text is the core's, byte for byte
    what the CLI prints (``wireplan graph``, ``explain``, ``diff``)."""

    __slots__ = ("_core",)

    def __init__(self, core: _core.Analysis) -> None:
        """Wraps a core analysis (use :func:`analyze`)."""
        self._core = core

    @property
    def valid(self) -> bool:
        """Whether the graph can be planned."""
        return self._core.valid

    @property
    def report(self) -> Report:
        """Every problem, errors and warnings."""
        return Report(self._core.report_json(), self._core.report_text())

    def to_dot(self, focus: Any = None) -> str:
        """Graphviz DOT: every edge of every cycle, missing keys, captive and
        ambiguous edges marked. With ``focus`` (an id, a key or a class), only
        that service, what it needs and what needs it."""
        try:
            return self._core.dot(None if focus is None else _name(focus))
        except LookupError as e:
            raise UnknownIdError(_name(focus), str(e), []) from None

    def to_mermaid(self, focus: Any = None) -> str:
        """A Mermaid flowchart, as :meth:`to_dot`."""
        try:
            return self._core.mermaid(None if focus is None else _name(focus))
        except LookupError as e:
            raise UnknownIdError(_name(focus), str(e), []) from None

    def explain(self, name: Any, *, why: Any = None, format: str = "text") -> str:
        """What ``name`` (an id, a key, or a class or function) is, needs, and
        is needed by, its layer and its problems; with ``why``, the chain of
        dependencies that orders the two. ``format="json"`` for a tool.
        Raises :class:`~wireplan.UnknownIdError`, with did-you-mean, for a
        name the graph does not have."""
        return _explain(self._core, name, why, format)

    def why(self, a: Any, b: Any) -> str:
        """Why ``a`` and ``b`` start in the order they do, in words."""
        return _explain(self._core, a, b, "text")

    def diff(self, new: Analysis, *, format: str = "text") -> str:
        """What changes from this graph to ``new``: services, dependencies,
        lifetimes, provided keys, profiles, bindings, recipes, order, layers,
        and errors new and fixed."""
        if format not in ("text", "json"):
            raise ValueError(f"wireplan: format is 'text' or 'json', not {format!r}")
        return self._core.diff(new._core, format == "json")

    def __repr__(self) -> str:
        return f"<wireplan.Analysis {'valid' if self.valid else 'broken'}>"


class Inspection:
    """What a binary plan holds (:func:`inspect`): ``str()`` for a person,
    :meth:`to_json` for a tool, :attr:`usable` whether a cache would use it."""

    __slots__ = ("usable", "_text", "_json")

    def __init__(self, usable: bool, text: str, json_text: str) -> None:
        self.usable = usable
        self._text = text
        self._json = json_text

    def to_json(self) -> str:
        """The core's JSON: header fields and the verdict."""
        return self._json

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"<wireplan.Inspection {'usable' if self.usable else 'refused'}>"


def inspect(plan: bytes | str, *, fingerprint: str | None = None) -> Inspection:
    """Looks into a binary plan (its bytes, or a file's path): its header,
    and whether a cache would use it or why not. With ``fingerprint``, the
    plan must carry it, as a cache for given descriptors requires."""
    if isinstance(plan, str):
        import os

        with open(plan, "rb") as f:
            return Inspection(*_core.inspect(f.read(), os.fspath(plan), fingerprint))
    return Inspection(*_core.inspect(bytes(plan), "<plan>", fingerprint))


def render_timeline(record: str | dict[str, Any], format: str = "chain") -> str:
    """A start-up record (:meth:`wireplan.App.timeline`, or its JSON text)
    drawn by the core: ``chain`` (the critical chain, as ``systemd-analyze
    critical-chain``), ``blame``, ``svg`` (as ``systemd-analyze plot``) or
    ``trace`` (Chrome trace-event JSON, for Perfetto)."""
    if not isinstance(record, str):
        import json

        record = json.dumps(record)
    return _core.render_timeline(record, format)


class DescriptorPlan:
    """A validated plan of descriptor documents, made by :func:`plan` or
    :meth:`decode`: the order, the layers and every binding, as data.

    Services are named by id. Singletons start in :attr:`startup_order`, in
    :attr:`layers` (each needs only earlier layers), and stop in reverse;
    scoped and transient services are built by their :attr:`recipes`. To run
    factories, register them on a :class:`~wireplan.Registry` instead.
    """

    __slots__ = ("_core", "_ids", "_layers", "_singletons", "_json", "_index")

    def __init__(self, core: _core.Plan) -> None:
        """Wraps a core plan (use :func:`plan` or :meth:`decode`)."""
        if not isinstance(core, _core.Plan):
            raise TypeError("wireplan: a DescriptorPlan is made by wireplan.plan() or DescriptorPlan.decode()")
        self._core = core
        tables = core.tables()
        ids, singletons, ends = tables[0], tables[9], tables[10]
        self._ids: list[str] = ids
        self._singletons: int = singletons
        self._layers: list[list[int]] = [list(range(a, b)) for a, b in zip([0, *ends[:-1]], ends)]
        self._json: dict[str, Any] | None = None
        self._index: dict[str, int] | None = None

    @classmethod
    def decode(cls, data: bytes, *, fingerprint: str | None = None) -> DescriptorPlan:
        """Decodes a plan's binary form (:meth:`encode`). With ``fingerprint``
        (from :func:`fingerprint` of the descriptors), the plan must have been
        made from exactly those descriptors and options. Raises
        :class:`~wireplan.PlanError` (code ``invalid-plan``) for anything
        untrustworthy: corrupt, truncated, stale or another version's."""
        return cls(_core.Plan.decode(bytes(data), fingerprint))

    def encode(self) -> bytes:
        """The binary form, for a file or a cache (versioned and checksummed)."""
        return self._core.encode()

    @property
    def fingerprint(self) -> str:
        """32 hex digits identifying the descriptors and options planned."""
        return self._core.fingerprint

    @property
    def profile(self) -> str | None:
        """The profile planned for."""
        return self._core.profile

    def __len__(self) -> int:
        """The number of planned services."""
        return len(self._ids)

    @property
    def ids(self) -> list[str]:
        """Every planned service's id: singletons in start-up order, then scoped and transient ones."""
        return list(self._ids)

    @property
    def startup_order(self) -> list[str]:
        """Singleton ids in start-up order."""
        return self._ids[: self._singletons]

    @property
    def shutdown_order(self) -> list[str]:
        """Singleton ids in shutdown order: the reverse of start-up."""
        return self._ids[self._singletons - 1 :: -1] if self._singletons else []

    @property
    def layers(self) -> list[list[str]]:
        """Start-up layers of singleton ids: each needs only earlier layers, so
        a layer's services may start concurrently."""
        ids = self._ids
        return [[ids[i] for i in layer] for layer in self._layers]

    @property
    def shutdown_layers(self) -> list[list[str]]:
        """The layers in reverse, for a concurrent stop."""
        return self.layers[::-1]

    def _plan_json(self) -> dict[str, Any]:
        if self._json is None:
            import json

            self._json = json.loads(self._core.to_json())
        return self._json

    @property
    def services(self) -> list[dict[str, Any]]:
        """Every planned service, by number: ``{id, lifetime, provides, layer, source, meta}``."""
        services: list[dict[str, Any]] = self._plan_json()["services"]
        return [dict(s) for s in services]

    @property
    def bindings(self) -> dict[str, list[dict[str, Any]]]:
        """For every service id, each dependency resolved:
        ``{key, optional, many, lazy, providers}``, providers by id, in the
        order a ``many`` dependency receives them."""
        ids = self._ids
        bindings: dict[str, list[dict[str, Any]]] = self._plan_json()["bindings"]
        return {
            service: [{**b, "providers": [ids[n] for n in b["providers"]]} for b in deps]
            for service, deps in bindings.items()
        }

    @property
    def recipes(self) -> dict[str, list[str]]:
        """For each scoped and transient service id, what one instance builds, dependencies first."""
        ids = self._ids
        recipes: dict[str, list[int]] = self._plan_json()["recipes"]
        return {service: [ids[n] for n in recipe] for service, recipe in recipes.items()}

    @property
    def unused(self) -> list[str]:
        """Ids no root needs (planned with ``roots``)."""
        return list(self._plan_json()["unused"])

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """Warnings found while planning, as diagnostics (the shape of ``PlanError.diagnostics``)."""
        import json

        warnings: list[dict[str, Any]] = json.loads(self._core.warnings_json())["diagnostics"]
        return warnings

    def to_json(self) -> str:
        """The core's plan JSON text (pretty, services by id): what the CLI's
        ``plan`` prints and JS's ``toJSONString()`` returns, byte for byte."""
        return self._core.to_json()

    def _require(self, id: str) -> int:
        if self._index is None:
            self._index = {s: i for i, s in enumerate(self._ids)}
        i = self._index.get(id)
        if i is None:
            message, suggestions = _core.unknown_id(str(id), self._ids)
            raise UnknownIdError(str(id), message, suggestions)
        return i

    def dependencies(self, id: str) -> list[str]:
        """Every service ``id`` needs, directly or not (lazy ones too).
        Raises :class:`~wireplan.UnknownIdError` for an id not in the plan."""
        return [self._ids[i] for i in self._core.dependencies(self._require(id))]

    def dependents(self, id: str) -> list[str]:
        """Every service that needs ``id``, directly or not: what restarts when it changes."""
        return [self._ids[i] for i in self._core.dependents(self._require(id))]

    def why(self, source: str, target: str) -> list[str] | None:
        """One shortest chain of non-lazy dependencies from ``source`` down to
        ``target`` (``[source, ..., target]``): why ``target`` starts before
        ``source``. ``None`` when there is none."""
        path = self._core.path(self._require(source), self._require(target))
        return None if path is None else [self._ids[i] for i in path]

    def analysis(self) -> Analysis:
        """This plan as an :class:`Analysis`: to draw and explain it."""
        return Analysis(self._core.analysis())

    def explain(self, name: str, *, why: str | None = None, format: str = "text") -> str:
        """As :meth:`Analysis.explain`."""
        return _explain(self._core.analysis(), name, why, format)

    def to_dot(self, focus: str | None = None) -> str:
        """As :meth:`Analysis.to_dot`."""
        return self.analysis().to_dot(focus)

    def to_mermaid(self, focus: str | None = None) -> str:
        """As :meth:`Analysis.to_mermaid`."""
        return self.analysis().to_mermaid(focus)

    def __repr__(self) -> str:
        return f"<wireplan.DescriptorPlan {len(self)} services, fingerprint {self.fingerprint}>"


class Report:
    """What :func:`check` found: every problem, as data and as the core's words.

    ``str(report)`` is the core's rendering (what the CLI prints; ``ok: no
    problems`` for a clean graph), :meth:`to_json` its JSON report, and
    :attr:`diagnostics` that report's diagnostics as dicts, each
    ``{code, severity, message, help, services, key, location, related}``
    (docs/report.md), the same as ``PlanError.diagnostics``.
    """

    __slots__ = ("diagnostics", "_json", "_text")

    diagnostics: list[dict[str, Any]]

    def __init__(self, report_json: str, rendering: str) -> None:
        """A report from the core's two texts (use :func:`check`)."""
        import json

        self._json = report_json
        self._text = rendering
        self.diagnostics = json.loads(report_json)["diagnostics"]

    @property
    def ok(self) -> bool:
        """No error (warnings allowed): the descriptors can be planned."""
        return not any(d.get("severity") == "error" for d in self.diagnostics)

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The diagnostics of severity ``error``."""
        return [d for d in self.diagnostics if d.get("severity") == "error"]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """The diagnostics of severity ``warning``."""
        return [d for d in self.diagnostics if d.get("severity") == "warning"]

    def to_json(self) -> str:
        """The core's JSON report text, byte for byte the CLI's ``--format json``."""
        return self._json

    def raise_for_errors(self) -> None:
        """Raises the :class:`~wireplan.PlanError` that :func:`plan` would
        (its subclass chosen by the first error's code) when the report holds
        an error; returns ``None`` otherwise."""
        if not self.ok:
            raise _from_core(self._json, self._text)

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"<wireplan.Report {len(self.errors)} errors, {len(self.warnings)} warnings>"

    def __reduce__(self) -> tuple[type[Report], tuple[str, str]]:
        return (Report, (self._json, self._text))


del TYPE_CHECKING  # not part of the API
