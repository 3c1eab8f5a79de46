"""What a cached plan depends on: the cache key, and the source files.

A plan is a function of the descriptors, and the descriptors are a function
of the registrations (order, ids, lifetimes, explicit keys and options) and
of code: the signatures, annotations and defaults of every callable a
provider reaches, and whatever its type hints resolve to. Reading all that
is the cold compile's cost, so the warm path splits it in two:

- the **key** (:func:`cache_key`), computed on every start without reading
  a type hint: the registrations, each provider's identity and the files
  of its code, read through partials, ``functools.wraps`` and bound
  methods; the versions; the profile and roots; ``cache_key=`` and
  ``WIREPLAN_CACHE_KEY``. Code with no file (``exec``) is keyed by its
  bytecode and annotations.
- the **sources** (:func:`sources`), found once, at the cold compile:
  every file the descriptors were read from. The files of the code behind
  each provider (wrappers, the wrapped function, every class of a class's
  MRO and of its metaclass), the module whose globals string annotations
  were evaluated in, the module defining each class in a hint, and every
  module holding a hint (a class, an ``Annotated`` alias, a union) among
  its globals: an alias module that registers nothing, a module that
  re-exports a class. The cache stores each file's content hash with the
  plan and checks them on a warm load (see ``_cache``).

What neither sees (stated in docs/python.md, "Plan cache"): a hint computed at import time
from something other than code (an environment variable, a config file),
an annotation reached through a class attribute of another module
(``Types.Reports``), a signature changed at run time from another module
(``f.__signature__ = ...``). ``cache_key=`` covers what a deploy knows
better (a build id).
"""

from __future__ import annotations

import os
import sys

from . import _core
from ._keys import key_of
from ._spec import FunctionType

try:  # the module hashlib wraps: no OpenSSL to load at start-up
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b

TYPE_CHECKING = False  # not typing's: importing this module stays cheap
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any, Iterable, Sequence

    from ._spec import _Provider

#: Bumped when what the Python side puts in descriptors, or in the key, changes.
_LAYOUT = "wireplan-py-cache-3"

#: Wrappers read through at most (a ``__wrapped__`` that makes a new object
#: each time it is read cannot hang the key).
_MOST_WRAPPERS = 1000

_MethodType = type(_LAYOUT.upper)  # builtin method; bound Python methods below
_ModuleType = type(sys)
#: A module's dict read by its descriptor, not through the module's own
#: ``__getattribute__`` (a lazy module would load on it).
_module_dict: Any = vars(_ModuleType)["__dict__"].__get__


class _Bound:
    def method(self) -> None:
        """Bound, its type is types.MethodType."""


_PyMethodType = type(_Bound().method)


def _stdlib() -> str:
    """The standard library's directory (its files change with the
    interpreter, whose version is in the key), with a trailing separator."""
    return os.path.dirname(os.__file__) + os.sep


_STDLIB = _stdlib()


def in_stdlib(path: str) -> bool:
    """Whether `path` is a file of the standard library (not of a package
    installed in it)."""
    return path.startswith(_STDLIB) and "-packages" + os.sep not in path[len(_STDLIB):]


def _chain(target: Any) -> list[Any]:
    """Every object a factory reaches, outermost first: itself, a partial's
    function, a bound method's function, what ``__wrapped__`` names, a
    callable instance's class. Bounded and cycle-safe.

    # Complexity
    O(depth of wrapping), at most ``_MOST_WRAPPERS`` steps.
    """
    functools = sys.modules.get("functools")
    partial = getattr(functools, "partial", None)
    out: list[Any] = []
    seen: set[int] = set()
    f = target
    while f is not None and id(f) not in seen and len(seen) < _MOST_WRAPPERS:
        seen.add(id(f))
        out.append(f)
        if isinstance(f, type):
            break
        if partial is not None and isinstance(f, partial):
            f = f.func
        elif type(f) is _PyMethodType:
            f = getattr(f, "__func__")  # noqa: B009 - a bound method's function
        elif getattr(f, "__wrapped__", None) is not None:
            f = f.__wrapped__
        elif getattr(f, "__func__", None) is not None:  # staticmethod, classmethod objects
            f = f.__func__
        elif getattr(f, "__code__", None) is None and type(f) is not _MethodType \
                and not type(f).__module__ == "builtins":
            f = type(f)  # a callable instance: its class's __call__ runs
        else:
            break
    return out


def _hash_code(blobs: list[Any], code: CodeType) -> None:
    """Bytecode, constants and names (nested code objects included)."""
    code_type = type(code)
    stack = [code]
    while stack:
        c = stack.pop()
        blobs.append(c.co_code)
        blobs.append(repr((c.co_names, c.co_varnames, c.co_argcount, c.co_kwonlyargcount, c.co_flags)).encode())
        for k in c.co_consts:
            if isinstance(k, code_type):
                stack.append(k)
            else:
                blobs.append(repr(k).encode())


class Uncacheable(Exception):
    """A provider whose plan the cache cannot vouch for (its reason)."""


def _fileless(obj: Any, code: CodeType, blobs: list[Any]) -> None:
    """Code with no file (``exec``, a generated ``__init__``): keyed by its
    bytecode, and by its annotations, which the bytecode does not hold.
    String annotations resolve in the function's globals: fine when those
    are a module's with a file (a dataclass's ``__init__``: the sources
    hold that file), not otherwise."""
    _hash_code(blobs, code)
    ann = getattr(obj, "__annotations__", None) or {}
    blobs.append(repr(sorted((k, repr(v)) for k, v in ann.items())).encode())
    blobs.append(repr((getattr(obj, "__defaults__", None) is not None, sorted(getattr(obj, "__kwdefaults__", None) or ()))).encode())
    if any(type(v) is str for v in ann.values()):
        globals_ = getattr(obj, "__globals__", None) or {}
        file = globals_.get("__file__")
        if not (isinstance(file, str) and os.path.isabs(file)):
            raise Uncacheable(f"`{getattr(obj, '__qualname__', obj)!r}` has string annotations and no source file")


def _describe(target: Any, out: list[str], blobs: list[Any]) -> None:
    """A provider's code, for the key: each object of its chain by identity
    and file (what a partial binds, by count and names)."""
    for obj in _chain(target):
        if isinstance(obj, type):
            init = getattr(obj, "__init__")  # noqa: B009 - the class attribute, inherited or not
            code = getattr(init, "__code__", None)
            file = getattr(sys.modules.get(obj.__module__), "__file__", None)
            out.append(f"c {obj.__module__}.{obj.__qualname__} {file}")
            if code is not None:
                out.append(code.co_filename)
                if code.co_filename.startswith("<"):
                    _fileless(init, code, blobs)
            continue
        func = getattr(obj, "func", None)
        if func is not None and isinstance(getattr(obj, "args", None), tuple):  # a partial
            out.append(f"p {len(obj.args)} {sorted(getattr(obj, 'keywords', None) or ())}")
            continue
        code = getattr(obj, "__code__", None)
        out.append(f"f {type(obj).__qualname__} {getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}")
        if code is not None:
            out.append(code.co_filename)
            if code.co_filename.startswith("<"):
                _fileless(obj, code, blobs)


def extra_key(explicit: str | None) -> str:
    """The deploy's own part of the key: ``cache_key=``, else ``WIREPLAN_CACHE_KEY``."""
    return explicit if explicit is not None else os.environ.get("WIREPLAN_CACHE_KEY", "")


def cache_key(providers: Sequence[_Provider], profile: str | None, roots: Sequence[Any] | None,
              extra: str = "") -> str:
    """The cache key of a registry and options (32 hex digits). Raises
    :class:`Uncacheable` for code the cache cannot vouch for.

    # Complexity
    O(P) for P providers; no type hint is read, no file is touched.
    """
    out: list[str] = [_LAYOUT, _core.VERSION, sys.version, repr(profile),
                      repr([key_of(r) for r in roots or ()]), repr(extra)]
    blobs: list[Any] = []
    # Source files by number, in order of first use: each file's name goes
    # in the key once, at the end.
    files: dict[str, int] = {}
    modules: dict[str, str] = {}
    tags: dict[str, str] = {}
    get_module = sys.modules.get
    for p in providers:
        target = p.target
        if type(target) is type and p.keys is None and p.deps is None and p.profiles is None and not p.is_value:
            # A plain class registered plainly, the common case, in one
            # string: what _describe appends for it, fewer steps.
            # The numbers of the module's file and of the code's, as text
            # made once per file (`tags`).
            module = target.__module__
            mtag = modules.get(module)
            if mtag is None:
                file = getattr(get_module(module), "__file__", None)
                mtag = modules[module] = f"\0{files.setdefault(file, len(files)) if file else -1}"
            try:
                file = target.__init__.__code__.co_filename  # type: ignore[misc] # the class attribute, inherited or not
            except AttributeError:  # object's __init__, or one written in C
                out.append(f"\0{p.id}\0{p.lifetime}\0{module}\0{target.__qualname__}{mtag}")
                continue
            ftag = tags.get(file)
            if ftag is None and not file.startswith("<"):
                ftag = tags[file] = f"\0{files.setdefault(file, len(files))}"
            if ftag is not None:
                out.append(f"\0{p.id}\0{p.lifetime}\0{module}\0{target.__qualname__}{mtag}{ftag}")
                continue
        out.append(f"\0{p.id}\0{p.lifetime}\0{p.is_value}")
        if p.profiles is not None:
            out.append(repr(p.profiles))
        if p.keys:
            out.append(repr([key_of(k) for k in p.keys]))
        if p.deps is not None:
            out.append(repr([key_of(k) for k in p.deps]))
        try:
            _describe(type(target) if p.is_value else target, out, blobs)
        except Uncacheable as e:
            raise Uncacheable(f"provider `{p.id}`: {e}") from None
    out.append(repr(list(files)))
    h = blake2b("\x1f".join(out).encode("utf-8", "surrogateescape"), digest_size=16)
    for b in blobs:
        h.update(b)
    return h.hexdigest()


# ---- the sources, found at a cold compile ------------------------------------------


def _module_file(name: str | None) -> str | None:
    file = getattr(sys.modules.get(name or ""), "__file__", None) if name else None
    return file if isinstance(file, str) else None


def _code_of(obj: Any) -> Any:
    return getattr(obj, "__code__", None) or getattr(getattr(obj, "__func__", None), "__code__", None)


def sources(providers: Sequence[_Provider], resolved: Iterable[dict[str, Any]]) -> list[str]:
    """Every file the descriptors of `providers` were read from (sorted;
    the standard library's left out). `resolved`: what string annotations
    evaluated to during the compile (recorded by the registry). Raises
    :class:`Uncacheable` when a provider's code file is not on disk.

    # Complexity
    O(P + H + G) for P providers, H hints and G globals of loaded modules:
    one pass over every loaded module's globals, at a cold compile only.
    """
    files: set[str] = set()
    code_files: set[str] = set()
    hints: list[Any] = []
    known: dict[str, str | None] = {}  # module name -> file

    def module_file(name: Any) -> None:
        if name not in known:
            known[name] = _module_file(name if isinstance(name, str) else None)
        file = known[name]
        if file:
            files.add(file)

    def function(f: Any) -> None:
        code = _code_of(f)
        if code is not None and not code.co_filename.startswith("<"):
            code_files.add(code.co_filename)
        module_file(getattr(f, "__module__", None))
        globals_ = getattr(f, "__globals__", None)
        if type(globals_) is dict and isinstance(globals_.get("__file__"), str):
            files.add(globals_["__file__"])
        ann = getattr(f, "__annotations__", None)
        if type(ann) is dict:
            hints.extend(ann.values())

    for p in providers:
        target = type(p.target) if p.is_value else p.target
        if p.keys:
            hints.extend(p.keys)
        if p.deps:
            hints.extend(p.deps)
        if type(target) is type and len(target.__mro__) == 2:
            # A plain class (no base, no metaclass), the common case: what
            # the loop below gathers for it, fewer steps.
            own = target.__dict__
            name = target.__module__
            if name not in known:
                module_file(name)
            init = own.get("__init__")
            if type(init) is FunctionType and getattr(init, "__wrapped__", None) is None \
                    and "__new__" not in own and "__call__" not in own:
                filename = init.__code__.co_filename
                if filename not in code_files and not filename.startswith("<"):
                    code_files.add(filename)
                name = init.__module__
                if name not in known:
                    module_file(name)
                hints.extend(init.__annotations__.values())
                ann = own.get("__annotations__")
                if type(ann) is dict:
                    hints.extend(ann.values())
                continue
        for obj in _chain(target):
            if not isinstance(obj, type):
                function(obj)
                continue
            classes: list[Any] = [*obj.__mro__, *getattr(type(obj), "__mro__")]  # noqa: B009 - the metaclass's
            for c in classes:
                if c is object or c is type:
                    continue
                module_file(c.__module__)
                own = c.__dict__
                for name in ("__init__", "__new__", "__call__"):
                    f = own.get(name)
                    if f is not None:
                        for g in _chain(f):
                            if not isinstance(g, type):
                                function(g)
                ann = own.get("__annotations__")
                if type(ann) is dict:
                    hints.extend(ann.values())
    for evaluated in resolved:
        hints.extend(evaluated.values())
    _hint_modules(hints, files)
    for file in code_files:
        if not os.path.isfile(file):
            raise Uncacheable(f"code in `{file}`, which is not a file")
    files |= code_files
    return sorted(f for f in files if os.path.isabs(f) and not in_stdlib(f))


def _hint_modules(hints: list[Any], files: set[str]) -> None:
    """Adds the modules hints resolve through: where each class in a hint is
    defined (a NewType, a TypeAliasType: where it was made), and every
    module that holds a hint, or a part of one, among its globals."""
    wanted: dict[int, Any] = {}  # by identity: classes, and every part
    alike: set[Any] = set()  # typing aliases, by equality (typing caches equal ones)
    alias_types: set[type] = set()
    modules: dict[str, str | None] = {}  # module name -> file, of the classes met
    # A builtin class (`int`, `NoneType` of `X | None`) is the same object
    # in every module: one holding it among its globals re-exports nothing
    # (without this, every loaded library that keeps `NoneType` around, as
    # pydantic does, would be a source). `ids`: the rest of `wanted`.
    ids: set[int] = set()
    # Each hint once, by identity (in C): a class is the hint of every
    # service that needs it.
    stack = list(dict(zip(map(id, hints), hints)).values())
    while stack:
        h = stack.pop()
        i = id(h)
        if i in wanted:
            continue
        if type(h) is not type:  # a plain class, the common hint, goes straight on
            if h is None or isinstance(h, (str, int, float, bytes)):
                continue
            if not isinstance(h, type):
                wanted[i] = h
                ids.add(i)
                module = getattr(h, "__module__", None)
                if isinstance(module, str) and module != "typing":
                    m = _module_file(module)
                    if m:
                        files.add(m)
                try:
                    hash(h)
                except TypeError:
                    pass
                else:
                    alike.add(h)
                    alias_types.add(type(h))
                for attr in ("__origin__", "__args__", "__value__", "__supertype__"):
                    try:
                        part = getattr(h, attr, None)
                    except Exception:  # noqa: BLE001 - a lazily evaluated alias that fails: nothing to follow
                        continue
                    if isinstance(part, tuple):
                        stack.extend(part)
                    elif part is not None:
                        stack.append(part)
                continue
        # A class: where it is defined.
        wanted[i] = h
        name = h.__module__
        if name == "builtins":
            continue
        ids.add(i)
        module = modules.get(name, "")
        if module == "":
            module = modules[name] = _module_file(name)
        if module:
            files.add(module)
    for mod in list(sys.modules.values()):
        if not isinstance(mod, _ModuleType):
            continue
        try:
            d = _module_dict(mod)
        except Exception:  # noqa: BLE001 - a module object with no dict
            continue
        file = d.get("__file__")
        if not isinstance(file, str) or file in files or in_stdlib(file):
            continue
        for v in list(d.values()):
            if id(v) in ids:
                files.add(file)
                break
            if type(v) in alias_types:
                try:
                    if v in alike:
                        files.add(file)
                        break
                except Exception:  # noqa: BLE001 - an alias whose __eq__ fails
                    continue
