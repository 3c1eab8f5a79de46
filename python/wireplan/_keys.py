"""Keys: the strings the planner matches dependencies with, made from types.

A class is keyed by its module-qualified name (``app.db.Database``);
``Annotated[T, "name"]`` is ``app.db.Database#name`` (a named binding); a
string is its own key. Computing a key never evaluates type hints, so the
runtime can look keys up cheaply on every ``get``.

A key is a name, not the class object: two different classes with the same
module and qualified name (classes made inside a function called twice, a
reloaded module) have the same key. The registry reports that as a
``key-collision`` rather than letting one stand in for the other silently;
``Annotated[T, "name"]`` tells them apart. Builtin types have keys too
(``builtins.str``), but the registry does not take a parameter of one as a
dependency unless it is named.
"""

from __future__ import annotations

from _thread import allocate_lock

TYPE_CHECKING = False  # not typing's: `import wireplan` does not import typing (milliseconds)
if TYPE_CHECKING:
    from typing import Any, Callable, Generic, TypeVar

    T = TypeVar("T")
else:
    class Generic:
        """The part of ``typing.Generic`` Lazy needs at run time:
        ``Lazy[Clock]`` as an annotation, which ``typing.get_origin`` and
        ``get_args`` read as they read ``list[int]``. Type checkers see
        ``typing.Generic``."""

        __slots__ = ()

        def __class_getitem__(cls, item: Any) -> Any:
            return _GenericAlias(cls, item)

    _GenericAlias = type(list[int])  # types.GenericAlias, without importing types
    T = None

__all__ = ["Lazy", "key_of", "lazy", "many"]


class _Marker:
    """A parameter default that changes how a dependency is bound."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"wireplan.{self.name}"

    def __reduce__(self) -> str:
        return self.name


many: Any = _Marker("many")
"""Default that binds every provider of the element key, in declaration order:
``plugins: list[Plugin] = wireplan.many``."""

lazy: Any = _Marker("lazy")
"""Default that binds a :class:`Lazy` handle (resolved on first use):
``clock: wireplan.Lazy[Clock] = wireplan.lazy``. The annotation alone suffices."""


class Lazy(Generic[T]):
    """A dependency resolved on first use, not at start-up.

    A lazy dependency imposes no start-up order, so it may close a cycle.
    Call :meth:`get` (or the handle itself) once everything has started.
    """

    __slots__ = ("_resolve", "_value", "_done", "_lock")

    def __init__(self, resolve: Callable[[], T]) -> None:
        self._resolve = resolve
        self._done = False
        self._lock = allocate_lock()  # threading.Lock, without importing threading

    def get(self) -> T:
        """The instance, resolved the first time and remembered after."""
        if not self._done:
            with self._lock:
                if not self._done:
                    self._value = self._resolve()
                    self._done = True
        return self._value

    __call__ = get

    def __repr__(self) -> str:
        return f"<wireplan.Lazy {'resolved' if self._done else 'unresolved'}>"


#: Keys of typing objects (``Annotated[T, "name"]``, ``NewType``...), slow
#: to make. Not of classes: a class's key costs no more to make than to look
#: up, and a cache would keep every class ever keyed alive.
_cache: dict[Any, str] = {}


def key_of(key: Any) -> str:
    """The planner key of a type, an ``Annotated[T, "name"]`` or a string."""
    if type(key) is type:  # a plain class, the common case
        return f"{key.__module__}.{key.__qualname__}"
    if isinstance(key, str):
        return key
    if isinstance(key, type):
        return f"{key.__module__}.{key.__qualname__}"
    try:
        cached = _cache.get(key)
    except TypeError:  # unhashable
        cached = None
    if cached is not None:
        return cached
    from typing import Annotated, get_args, get_origin

    if get_origin(key) is Annotated:
        base = key_of(key.__origin__)
        names = [m for m in key.__metadata__ if isinstance(m, str)]
        text = f"{base}#{names[0]}" if names else base
    elif get_origin(key) is not None:
        origin = get_origin(key)
        args = ", ".join(key_of(a) for a in get_args(key))
        text = f"{key_of(origin)}[{args}]"
    elif hasattr(key, "__module__") and (hasattr(key, "__qualname__") or hasattr(key, "__name__")):
        # NewType, TypeAliasType and other named typing objects.
        text = f"{key.__module__}.{getattr(key, '__qualname__', None) or key.__name__}"
    else:
        raise TypeError(f"cannot make a key of {key!r}: use a class, Annotated[T, \"name\"] or a string")
    try:
        _cache[key] = text
    except TypeError:
        pass
    return text
