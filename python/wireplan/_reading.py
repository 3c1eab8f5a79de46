"""Reading providers' code (signatures, type hints) into specs: the keys a
provider provides, its dependencies, the `meta` that says how to call it,
and its source line.

A parameter of a builtin type (``str``, ``int``, ``dict``...) is not a
dependency unless named (``Annotated[str, "dsn"]``): with a default it keeps
its default, without one it is a problem. Wrapped factories
(``functools.partial``, ``functools.wraps``, bound methods) are read
through to the function whose code runs (:func:`wireplan._spec.unwrap_factory`).

Every problem met (a hint that cannot be resolved, a missing hint, an
unnamed builtin, two classes under one key) is collected as a finding for
the core (``crates/planner/src/reading.rs``), which words it and reports it
with the graph's own problems.

Reading keeps its state in a :class:`_Reading` made per compile, never in
module globals, so threads may compile at once. Imports nothing of
wireplan's but the leaves (``_spec``, ``_keys``), so the registry and the
runtime may both import it.
"""

from __future__ import annotations

import sys

from ._keys import Lazy, key_of, lazy, many
from ._spec import (ACM, AGEN, ASYNC, CALL, CM, GEN, HAS_DEFAULT, LIFECYCLE, POSITIONAL, VALUE, FunctionType, Lifecycle, _Meta, _meta,
                    _MISSING, _Provider, unwrap_factory)

TYPE_CHECKING = False  # not typing's: `import wireplan` does not import typing (milliseconds)
if TYPE_CHECKING:
    from typing import Any


def _wrappers() -> tuple[set[Any], Any, Any]:
    """The return annotations that wrap the provided type (`Iterator[T]`,
    `ContextManager[T]`...), and the two context-manager origins; made on
    first need (collections.abc and contextlib are not cheap to import)."""
    import collections.abc
    import contextlib

    cm, acm = contextlib.AbstractContextManager, contextlib.AbstractAsyncContextManager
    return {collections.abc.Iterator, collections.abc.Iterable, collections.abc.Generator,
            collections.abc.AsyncIterator, collections.abc.AsyncIterable, collections.abc.AsyncGenerator,
            collections.abc.Awaitable, cm, acm}, cm, acm


def _sequences() -> set[Any]:
    """The annotations `wireplan.many` unwraps (`list[T]`...)."""
    import collections.abc

    return {list, tuple, collections.abc.Sequence, collections.abc.Iterable, collections.abc.Collection}


_CO_VARARGS, _CO_VARKEYWORDS, _CO_GENERATOR, _CO_COROUTINE, _CO_ASYNC_GENERATOR = 0x04, 0x08, 0x20, 0x80, 0x200


class _Empty:
    """No default, no annotation (inspect.Parameter.empty, without importing
    inspect: it costs milliseconds at import time)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<empty>"


_EMPTY: Any = _Empty()

#: What `_dependency` gives for a parameter that is not a dependency (a
#: builtin type with a default): it keeps its default.
_SKIP: Any = object()

#: One list per compile with a disk cache running, each collecting what
#: string annotations evaluated to: the cache keeps the modules they
#: resolved through among the plan's sources (see ``_cache_key.sources``).
#: A tuple, replaced whole under the cache's lock, so concurrent compiles
#: each see (at least) their own.
RESOLVED: tuple[list[dict[str, Any]], ...] = ()


class _Reading:
    """What one compile learns while reading its providers, and the problems
    it meets. Made per compile (no module-global state), so two threads
    compiling at once share nothing.

    Attributes:
        class_keys: key of each class met (seeded with the classes
            registered plainly), builtins excepted: each is a dependency of
            several others, and the quick paths take a class found here for
            a dependency.
        seeded: the registry's own `class_keys` (left as they are).
        class_meta: `meta` of plain classes by parameter names and mode.
        parsed: parsed `meta` by its JSON text (a quoted string), handed to
            ``Plan._bind`` so that a plan just made binds without parsing.
        findings: problems met, as the core's ``reading::Finding`` objects.
        met: for each key computed here from a class, the distinct classes
            met under it and the service that met each first (key
            collisions); keys of seeded classes are not in it.
        service: the id of the provider being read.
    """

    __slots__ = ("class_keys", "class_meta", "parsed", "findings", "met", "service", "seeded")

    def __init__(self, class_keys: dict[type, str]) -> None:
        self.class_keys = dict(class_keys)
        self.seeded = class_keys
        self.class_meta: dict[tuple[tuple[str, ...], int], str] = {}
        self.parsed: dict[str, _Meta] = {}
        self.findings: list[dict[str, Any]] = []
        self.met: dict[str, list[tuple[type, str]]] = {}
        self.service = ""

    def remember(self, text: str, parts: list[str]) -> str:
        """`text` (a `meta`), its parse kept for binding."""
        quoted = f'"{text}"'
        if quoted not in self.parsed:
            self.parsed[quoted] = _meta(parts)
        return text

    def class_key(self, cls: type) -> str:
        """The key of a class not met before (``key_of(cls)``), noting
        which service met it, for key collisions."""
        key = self.class_keys[cls] = f"{cls.__module__}.{cls.__qualname__}"
        met = self.met.get(key)
        if met is None:
            self.met[key] = [(cls, self.service)]
        elif all(c is not cls for c, _ in met):
            met.append((cls, self.service))
        return key

    def key(self, obj: Any) -> str:
        """``key_of(obj)``, noting the classes met (a class, or the class of
        a named ``Annotated``) for key collisions."""
        if isinstance(obj, type):
            key = self.class_keys.get(obj)
            if key is None:
                # A builtin is never in `class_keys`: the quick paths take
                # what they find there for a dependency.
                key = key_of(obj) if obj.__module__ == "builtins" else self.class_key(obj)
            return key
        key = key_of(obj)
        base = getattr(obj, "__origin__", None)
        if isinstance(base, type) and getattr(obj, "__metadata__", None) is not None and "#" in key:
            met = self.met.setdefault(key, [])
            if all(c is not base for c, _ in met):
                met.append((base, self.service))
        return key

    def collisions(self) -> None:
        """Adds a finding for each key met with different classes (a seeded
        class counts as met by the provider it registers)."""
        by_key: dict[str, type] | None = None
        for key, met in self.met.items():
            classes = list(met)
            if by_key is None:
                by_key = {k: c for c, k in self.seeded.items()}
            seed = by_key.get(key)
            if seed is not None and all(c is not seed for c, _ in classes):
                classes.insert(0, (seed, key))  # its provider's id is its key
            if len(classes) > 1:
                self.findings.append({"code": "key-collision", "key": key, "classes": [
                    {"service": service, "place": _place(_class_source(cls))} for cls, service in classes]})


def _place(src: tuple[str, int | None] | None) -> dict[str, Any] | None:
    """A source as the core's `Place`."""
    return None if src is None else {"file": src[0], "line": src[1]}


def _plain_function(f: Any) -> Any:
    """`f` itself when it is a plain Python function whose code object tells
    everything (no wrapper, no custom signature), else ``None``."""
    # getattr with a default, not f.__dict__: that would make a dict per function.
    if type(f) is FunctionType and getattr(f, "__wrapped__", None) is None \
            and getattr(f, "__signature__", None) is None:
        return f
    return None


def _source(target: Any) -> tuple[str, int | None] | None:
    """File and line of a provider's code, from its code object (cheap: no
    source file is read). Wrapped factories are read through."""
    obj = unwrap_factory(target)[0]
    if isinstance(obj, type):
        init = obj.__dict__.get("__init__")
        code = getattr(unwrap_factory(init)[0], "__code__", None) if init is not None else None
        # A generated __init__ (dataclasses) has no file: name the module's.
        if code is not None and not code.co_filename.startswith("<"):
            return code.co_filename, code.co_firstlineno
        line = getattr(obj, "__firstlineno__", None)
        module = sys.modules.get(obj.__module__)
        file = getattr(module, "__file__", None)
        return (file, line) if file else None
    code = getattr(obj, "__code__", None)
    if code is None:
        code = getattr(getattr(obj, "__call__", None), "__code__", None)
    return (code.co_filename, code.co_firstlineno) if code is not None else None


def _class_source(cls: type) -> tuple[str, int | None] | None:
    """Where a class is defined, to the line when it can be found (read
    from its source file: only for an error)."""
    src = _source(cls)
    if src is not None and src[1] is None:
        import inspect

        try:
            return src[0], inspect.getsourcelines(cls)[1]
        except (OSError, TypeError):
            pass
    return src


def _kind(target: Any, inner: Any) -> str:
    """How the factory hands over its instance (`inner` is what it wraps,
    see unwrap_factory)."""
    if isinstance(target, type):
        return CALL
    if _plain_function(target) is not None:
        flags = target.__code__.co_flags
        return GEN if flags & _CO_GENERATOR else ASYNC if flags & _CO_COROUTINE else AGEN if flags & _CO_ASYNC_GENERATOR else CALL
    import inspect

    # inspect reads through partials and bound methods by itself.
    if inspect.isgeneratorfunction(target):
        return GEN
    if inspect.isasyncgenfunction(target):
        return AGEN
    if inspect.iscoroutinefunction(target):
        return ASYNC
    # `@contextmanager` wraps a generator function: calling it gives a manager.
    if inspect.isgeneratorfunction(inner):
        return CM
    if inspect.isasyncgenfunction(inner):
        return ACM
    if inspect.iscoroutinefunction(inner):
        return ASYNC
    return CALL


class _Unresolved:
    """A type hint that could not be evaluated, in place of its value."""

    __slots__ = ("text", "error", "name", "module", "file")

    def __init__(self, text: str, error: BaseException, module: str | None, file: str | None) -> None:
        self.text = text
        self.error = f"{type(error).__name__}: {error}"
        # The name that is not defined (NameError.name), when that is why.
        self.name: str | None = getattr(error, "name", None) if isinstance(error, NameError) else None
        self.module = module
        self.file = file

    def finding(self, service: str, parameter: str | None, source: tuple[str, int | None] | None) -> dict[str, Any]:
        """The core's `unresolved-annotation` finding for this hint."""
        guarded = _guarded_import(self.file, self.name) if self.name else None
        return {"code": "unresolved-annotation", "service": service, "parameter": parameter, "annotation": self.text,
                "error": self.error, "name": self.name, "module": self.module, "guarded": _place(guarded),
                "source": _place(source)}


def _guarded_import(file: str | None, name: str) -> tuple[str, int] | None:
    """Where `file` imports `name` under ``if TYPE_CHECKING:`` (for type
    checkers only), if it does. Parses the file: only for an error."""
    if not file or file.startswith("<"):
        return None
    import ast

    try:
        with open(file, "rb") as f:
            tree = ast.parse(f.read(), file)
    except (OSError, SyntaxError, ValueError):
        return None
    head = name.partition(".")[0]
    for node in ast.walk(tree):
        test = getattr(node, "test", None)
        if not isinstance(node, ast.If) or not (
                (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
                or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")):
            continue
        for inner in node.body:
            for stmt in ast.walk(inner):
                if isinstance(stmt, ast.Import):
                    bound = [a.asname or a.name.partition(".")[0] for a in stmt.names]
                elif isinstance(stmt, ast.ImportFrom):
                    bound = [a.asname or a.name for a in stmt.names]
                else:
                    continue
                if head in bound:
                    return file, stmt.lineno
    return None


def _hints(obj: Any) -> dict[str, Any]:
    """Evaluated annotations: the raw ones when none is a string (no
    evaluation needed), else typing.get_type_hints; a hint that cannot be
    evaluated is an :class:`_Unresolved` in place of its value (the others
    are still evaluated, one by one)."""
    try:
        raw = getattr(obj, "__annotations__", None) or {}
    except Exception:  # deferred annotations (3.14) naming what does not exist
        raw = _annotation_strings(obj)
    if str not in map(type, raw.values()):
        return raw
    import typing

    try:
        hints = typing.get_type_hints(obj, include_extras=True)
    except Exception:
        hints = _hints_one_by_one(obj, raw)
    for recorder in RESOLVED:
        recorder.append(hints)
    return hints


def _annotation_strings(obj: Any) -> dict[str, Any]:
    """The annotations as written, where reading them evaluates them and
    fails (Python 3.14's deferred annotations)."""
    try:
        import annotationlib  # type: ignore[import-not-found, unused-ignore]

        return dict(annotationlib.get_annotations(obj, format=annotationlib.Format.STRING))
    except Exception:
        return {}


class _OneHint:
    """One annotation with the globals it is resolved in, for
    typing.get_type_hints (which takes any object with both)."""

    def __init__(self, name: str, value: Any, globalns: dict[str, Any]) -> None:
        self.__annotations__ = {name: value}
        self.__globals__ = globalns


def _hints_one_by_one(obj: Any, raw: dict[str, Any]) -> dict[str, Any]:
    """Each annotation evaluated alone: those that fail become
    :class:`_Unresolved`, so one bad hint costs one problem, not the rest."""
    import typing

    nsobj = obj
    while hasattr(nsobj, "__wrapped__"):
        nsobj = nsobj.__wrapped__
    globalns = getattr(nsobj, "__globals__", None) or {}
    module = getattr(obj, "__module__", None) or globalns.get("__name__")
    file = globalns.get("__file__")
    code = getattr(nsobj, "__code__", None)
    if file is None and code is not None:
        file = code.co_filename
    out: dict[str, Any] = {}
    for name, value in raw.items():
        try:
            out[name] = typing.get_type_hints(_OneHint(name, value, globalns), include_extras=True)[name]
        except Exception as e:
            out[name] = _Unresolved(value if isinstance(value, str) else repr(value), e, module, file)
    return out


def _hint_object(f: Any) -> Any:
    """The function whose annotations are the hints of `f` (a factory read
    through, see unwrap_factory): a class's ``__init__``, a callable
    instance's ``__call__``, else `f` itself."""
    if isinstance(f, type):
        init = unwrap_factory(getattr(f, "__init__"))[0]  # noqa: B009 - inherited or not
        return init if hasattr(init, "__code__") else f
    if not hasattr(f, "__code__") and hasattr(type(f), "__call__"):
        call = unwrap_factory(type(f).__call__)[0]
        return call if hasattr(call, "__code__") else f
    return f


if TYPE_CHECKING:
    # (name, positional only, default, annotation)
    _Param = tuple[str, bool, Any, Any]


def _params(f: Any, skip_first: bool, hint_source: Any = None, bound: tuple[str, ...] = ()) -> list[_Param]:
    """A callable's parameters, read from its code object when it is a plain
    function (ten times cheaper than inspect.signature), else from
    inspect.signature with the hints of `hint_source` (what `f` wraps).
    Star parameters, and the `bound` ones (bound by a partial), are left out."""
    plain = _plain_function(f)
    if plain is None:
        import inspect

        try:
            sig = inspect.signature(f)
        except (TypeError, ValueError):
            return []
        hints = _hints(hint_source if hint_source is not None else _hint_object(unwrap_factory(f)[0]))
        empty = inspect.Parameter.empty
        return [(q.name, q.kind == q.POSITIONAL_ONLY, _EMPTY if q.default is empty else q.default,
                 hints.get(q.name, _EMPTY if q.annotation is empty else q.annotation))
                for q in sig.parameters.values()
                if q.kind not in (q.VAR_POSITIONAL, q.VAR_KEYWORD) and q.name not in bound]
    code = plain.__code__
    hints = _hints(plain)
    names = code.co_varnames
    npos, nkw, nposonly = code.co_argcount, code.co_kwonlyargcount, code.co_posonlyargcount
    defaults = plain.__defaults__ or ()
    kwdefaults = plain.__kwdefaults__ or {}
    first_default = npos - len(defaults)
    out: list[_Param] = []
    for j in range(1 if skip_first else 0, npos):
        name = names[j]
        out.append((name, j < nposonly, defaults[j - first_default] if j >= first_default else _EMPTY, hints.get(name, _EMPTY)))
    for j in range(npos, npos + nkw):
        name = names[j]
        out.append((name, False, kwdefaults.get(name, _EMPTY), hints.get(name, _EMPTY)))
    return out


def _unwrap_return(hint: Any) -> tuple[Any, str | None]:
    """The provided type inside `Iterator[T]`, `ContextManager[T]`... and the
    kind the wrapper implies (a context manager), if any."""
    if type(hint) is type:
        return hint, None  # a plain class: no need of typing
    from typing import Any, get_args, get_origin

    origin = get_origin(hint)
    if origin is None:
        return hint, None
    wrappers, cm, acm = _wrappers()
    if origin in wrappers:
        args = get_args(hint)
        kind = CM if origin is cm else ACM if origin is acm else None
        return (args[0] if args else Any), kind
    import collections.abc

    if origin is collections.abc.Coroutine:
        args = get_args(hint)
        return (args[-1] if args else Any), None
    return hint, None


def _is_builtin(hint: Any) -> bool:
    """Whether a type hint is a builtin type that names no key: ``str``,
    ``int``, ``None``, ``list[str]``, ``dict[str, int]``, ``type[X]``,
    ``int | str``, an ``Annotated`` builtin without a name. Not
    ``Annotated[str, "dsn"]`` (named)."""
    if hint is None:
        return True
    if isinstance(hint, type):
        return hint.__module__ == "builtins"
    if type(hint) is str or hint is _EMPTY or type(hint) is _Unresolved:
        return False
    from typing import Annotated, Union, get_args, get_origin

    origin = get_origin(hint)
    if origin is Annotated:
        return not any(isinstance(m, str) for m in hint.__metadata__) and _is_builtin(get_args(hint)[0])
    if origin is Union or type(hint).__name__ == "UnionType":
        return all(_is_builtin(a) for a in get_args(hint))
    return isinstance(origin, type) and origin.__module__ == "builtins"


def _hint_text(hint: Any) -> str:
    """A type hint as the user wrote it, near enough: ``str``,
    ``dict[str, int]``, ``Any``."""
    if hint is None or hint is type(None):
        return "None"
    if isinstance(hint, type):
        return hint.__qualname__ if hint.__module__ == "builtins" else f"{hint.__module__}.{hint.__qualname__}"
    text = repr(hint)
    return text[len("typing."):] if text.startswith("typing.") else text


class _Problem(Exception):
    """A parameter that cannot be a dependency: `code` is the core's
    finding code, `annotation` the hint as text (or ``None``)."""

    def __init__(self, code: str, annotation: str | None) -> None:
        super().__init__(code, annotation)
        self.code = code
        self.annotation = annotation


def _dependency(r: _Reading, name: str, hint: Any, default: Any) -> Any:
    """A parameter as a descriptor dependency (a bare key string when
    plain); `_SKIP` when it is not one (a builtin with a default); raises
    :class:`_Problem` (or returns an :class:`_Unresolved`) when it cannot be."""
    if default is _EMPTY and type(hint) is type:
        key = r.class_keys.get(hint)
        if key is not None:
            return key
        if hint.__module__ != "builtins":
            return r.class_key(hint)
    if type(hint) is _Unresolved:
        return hint
    optional = many_ = lazy_ = False
    if default is many:
        many_ = True
    elif default is lazy:
        lazy_ = True
    elif default is not _EMPTY:
        optional = True
    has_default = optional
    from types import UnionType
    from typing import Any, Union, get_args, get_origin

    origin = get_origin(hint)
    if origin is not None:
        if origin is Union or origin is UnionType:
            args = [a for a in get_args(hint) if a is not type(None)]
            if len(args) != len(get_args(hint)):
                optional = True
            if len(args) == 1:
                hint = args[0]
                origin = get_origin(hint)
        if origin is Lazy:
            lazy_ = True
            hint = get_args(hint)[0]
            origin = get_origin(hint)
        if many_ and origin in _sequences() and get_args(hint):
            hint = get_args(hint)[0]
    elif hint is Lazy:
        hint = _EMPTY
    if hint is _EMPTY or hint is Any:
        raise _Problem("missing-annotation", None if hint is _EMPTY else "Any")
    if type(hint) is _Unresolved:
        return hint
    if _is_builtin(hint):
        if has_default:
            return _SKIP
        raise _Problem("unnamed-builtin", _hint_text(hint))
    key = r.key(hint)
    if not (optional or many_ or lazy_):
        return key
    dep: dict[str, Any] = {"key": key}
    if optional:
        dep["optional"] = True
    if many_:
        dep["many"] = True
    if lazy_:
        dep["lazy"] = True
    return dep


if TYPE_CHECKING:
    #: What reading a provider gives: keys, dependencies, `meta` and source.
    _Spec = tuple[list[str], list[Any], str, "tuple[str, int | None] | None"]


def _introspect(p: _Provider) -> _Spec:
    """One provider's spec, read on its own (for an error's words: the keys
    a provider that is not in the plan was registered under). Raises
    ``LookupError`` when its keys cannot be read."""
    spec = read_provider(_Reading({}), p)
    if spec is None:
        raise LookupError(f"the keys of provider `{p.id}` cannot be read")
    return spec


def read_provider(r: _Reading, p: _Provider) -> _Spec | None:
    """A provider's spec, or ``None`` when its keys cannot be read (the
    problem is in `r.findings`)."""
    target = p.target
    r.service = p.id
    if not p.keys and p.deps is None and not p.is_value and isinstance(target, type):
        spec = _read_class(r, target)
        if spec is not None:
            return spec
    return _read(r, p)


def _read_class(r: _Reading, cls: type) -> _Spec | None:
    """The common case, read quickly: a class whose ``__init__`` is a plain
    function taking positional-or-keyword parameters, each annotated with a
    class that is not a builtin (not a string) and without a default.
    ``None`` for anything else, which :func:`_read` reads the general way
    (and gives the same result for these classes, slower)."""
    init = getattr(cls, "__init__")  # noqa: B009 - inherited or not
    class_keys = r.class_keys
    if type(init) is not FunctionType:
        if init is not object.__init__:
            return None
        names: tuple[str, ...] = ()
        deps: list[Any] = []
        code = None
    else:
        code = init.__code__
        if init.__defaults__ is not None or code.co_kwonlyargcount or code.co_posonlyargcount \
                or getattr(init, "__wrapped__", None) is not None or getattr(init, "__signature__", None) is not None:
            return None
        ann = init.__annotations__
        names = code.co_varnames[1:code.co_argcount]
        deps = []
        for name in names:
            hint = ann.get(name)
            if type(hint) is not type or hint is Lifecycle:
                return None  # no hint, or not a plain class (or the lifecycle: _read passes it)
            key = class_keys.get(hint)
            if key is None:
                if hint.__module__ == "builtins":
                    return None  # not a dependency: _read says so
                key = r.class_key(hint)
            deps.append(key)
        # Any other annotation (the return, *args) that is a string sends the
        # whole function to typing.get_type_hints, as in _hints.
        extra = len(ann) - len(names)
        if extra and (extra > 1 or type(ann.get("return", "")) is str) and str in map(type, ann.values()):
            return None
    # No metaclass, no __new__: calling the class calls __init__ with the
    # same arguments, so they may go by position.
    mode = POSITIONAL if type(cls) is type and getattr(cls, "__new__") is object.__new__ else 0  # noqa: B009
    meta = r.class_meta.get((names, mode))
    if meta is None:
        parts = [CALL, *[f"{name}:{mode}" for name in names]]
        meta = r.class_meta[names, mode] = r.remember("|".join(parts), parts)
    own = cls.__dict__
    if code is not None and own.get("__init__") is init and "__wrapped__" not in own \
            and not code.co_filename.startswith("<"):
        src: tuple[str, int | None] | None = (code.co_filename, code.co_firstlineno)
    else:
        src = _source(cls)
    key = class_keys.get(cls)
    if key is None:
        # A class met before is never a builtin (nor is one registered
        # plainly): only one not met yet is asked, its module read last.
        if cls.__module__ == "builtins":
            return None
        key = r.class_key(cls)
    return [key], deps, meta, src


def _read(r: _Reading, p: _Provider) -> _Spec | None:
    """Keys, dependencies, `meta` and source of a provider: the expensive
    part (type hints), which a cache hit skips. `meta` is
    ``kind|param:mode|param:mode...``, one parameter per dependency.
    ``None`` when the keys cannot be read; every problem goes to
    `r.findings`, and a parameter with a problem is left out."""
    if p.is_value:
        keys = [r.key(k) for k in p.keys] if p.keys else [r.key(type(p.target))]
        return keys, [], VALUE, None if isinstance(p.target, type) else _source(type(p.target))
    target = p.target
    inner, _, bound = unwrap_factory(target)
    source = _source(inner)
    kind = _kind(target, inner)
    provided: Any = _MISSING
    # Whether every parameter may go by position (see POSITIONAL): known for
    # code read from its code object only.
    by_position = False
    if target is not inner:
        # A partial, a bound method, a wrapper: its signature says what is
        # left to pass; the hints are the wrapped code's.
        params = _params(target, False, _hint_object(inner), bound)
        if isinstance(inner, type):
            provided = inner
    elif isinstance(target, type):
        provided = target
        init = getattr(target, "__init__")  # noqa: B009 - inherited or not
        if init is object.__init__:
            params = []
        elif _plain_function(init) is not None:
            params = _params(init, True)
            by_position = type(target) is type and getattr(target, "__new__") is object.__new__ \
                and not init.__code__.co_kwonlyargcount  # noqa: B009
        else:
            params = _params(target, False)
    else:
        params = _params(target, False)
        by_position = _plain_function(target) is not None and not target.__code__.co_kwonlyargcount
    if not p.keys and provided is _MISSING:
        ret = _hints(_hint_object(inner)).get("return", _MISSING)
        if type(ret) is _Unresolved:
            r.findings.append(ret.finding(p.id, None, source))
            return None
        provided, implied = _unwrap_return(ret)
        if implied is not None and kind == CALL:
            kind = implied
    if p.keys:
        keys = [r.key(k) for k in p.keys]
    elif provided is _MISSING or provided is None or _is_any(provided):
        annotation = None if provided is _MISSING else _hint_text(provided) if provided is not None else "None"
        r.findings.append({"code": "missing-annotation", "service": p.id, "parameter": None,
                           "annotation": annotation, "source": _place(source)})
        return None
    else:
        keys = [r.key(provided)]
    deps: list[Any] = []
    meta = [kind]
    if p.deps is not None:
        # Explicit dependencies fill the first parameters, positionally.
        if len(p.deps) > len(params):
            raise TypeError(f"provider `{p.id}`{_where(source)} takes fewer parameters than the "
                            f"{len(p.deps)} dependencies given")
        for j, k in enumerate(p.deps):
            deps.append(r.key(k))
            meta.append(f"{params[j][0]}:{POSITIONAL}")
        return keys, deps, r.remember("|".join(meta), meta), source
    if by_position and any(default is not _EMPTY for _, _, default, _ in params):
        by_position = False  # a missing optional dependency is left out: by keyword
    # Positional-only parameters left out (builtins keeping their default),
    # not yet followed by a positional-only dependency.
    skipped: list[str] = []
    for name, positional, default, hint in params:
        if hint is Lifecycle:
            # Filled by the runtime, not planned: a parameter in `meta`
            # with no dependency behind it.
            if positional and skipped:
                for skip in skipped:
                    deps.append({"key": f"wireplan.default#{p.id}.{skip}", "optional": True})
                    meta.append(f"{skip}:{POSITIONAL | HAS_DEFAULT}")
                skipped.clear()
            meta.append(f"{name}:{(POSITIONAL if positional or by_position else 0) | LIFECYCLE}")
            continue
        try:
            dep = _dependency(r, name, hint, default)
        except _Problem as e:
            r.findings.append({"code": e.code, "service": p.id, "parameter": name, "annotation": e.annotation,
                               "source": _place(source)})
            continue
        if dep is _SKIP:
            if positional:
                skipped.append(name)
            continue
        if type(dep) is _Unresolved:
            r.findings.append(dep.finding(p.id, name, source))
            continue
        if positional and skipped:
            # Passed by position, this dependency would land in a skipped
            # parameter: each of those gets an optional dependency nothing
            # provides, for which the runtime passes the default in place.
            for skip in skipped:
                deps.append({"key": f"wireplan.default#{p.id}.{skip}", "optional": True})
                meta.append(f"{skip}:{POSITIONAL | HAS_DEFAULT}")
            skipped.clear()
        deps.append(dep)
        meta.append(f"{name}:{(POSITIONAL if positional or by_position else 0) | (HAS_DEFAULT if default is not _EMPTY else 0)}")
    return keys, deps, r.remember("|".join(meta), meta), source


def _where(src: tuple[str, int | None] | None) -> str:
    return f" ({src[0]}:{src[1]})" if src and src[1] else (f" ({src[0]})" if src else "")


def _is_any(x: Any) -> bool:
    """``x is typing.Any``, without importing typing (if nothing imported
    it, nothing can be Any)."""
    typing = sys.modules.get("typing")
    return typing is not None and x is typing.Any


def _identity(target: Any) -> str:
    """A provider's default id: the module-qualified name of the code it
    runs (a partial or wrapper is read through)."""
    obj = unwrap_factory(target)[0]
    module = getattr(obj, "__module__", None) or "<unknown>"
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__qualname__
    return f"{module}.{name}"
