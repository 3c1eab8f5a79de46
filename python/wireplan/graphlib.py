"""A drop-in, faster replacement for the standard library's :mod:`graphlib`.

``import wireplan.graphlib as graphlib`` gives a :class:`TopologicalSorter`
and a :class:`CycleError` that behave exactly as CPython 3.11's: the same
methods, the same order of ``get_ready`` groups and of ``static_order``, the
same cycle in :class:`CycleError`, the same exceptions and messages. CPython's
own ``test_graphlib`` runs against this module in wireplan's test suite.

The work happens in ``wireplan._core`` (``crates/planner-py/src/graphlib.rs``):
nodes are interned once into a dict ``node -> position`` and every algorithm
runs on positions, iteratively. Building from a ``dict`` in the constructor
and iterating ``static_order()`` make no Python call per node beyond hashing.

:class:`CycleError` subclasses the standard library's, so ``except
graphlib.CycleError`` catches it whichever ``graphlib`` the caller imported.
"""

from __future__ import annotations

import copyreg as _copyreg
import graphlib as _std_graphlib
from types import GenericAlias as _GenericAlias

from wireplan._core import TopologicalSorter as _NativeSorter

__all__ = ["TopologicalSorter", "CycleError"]


class CycleError(_std_graphlib.CycleError):
    """Subclass of ValueError raised by TopologicalSorter.prepare if cycles
    exist in the working graph.

    If multiple cycles exist, only one undefined choice among them will be reported
    and included in the exception. The detected cycle can be accessed via the second
    element in the *args* attribute of the exception instance and consists in a list
    of nodes, such that each node is, in the graph, an immediate predecessor of the
    next node in the list. In the reported list, the first and the last node will be
    the same, to make it clear that it is cyclic.
    """


# The methods whose overriding in a subclass must be seen by the constructor
# and by static_order, as the standard library calls them through `self`.
_HOOKS = ("add", "prepare", "is_active", "get_ready", "done")


class TopologicalSorter(_NativeSorter):
    """Provides functionality to topologically sort a graph of hashable nodes"""

    # True when no hook above is overridden, so the native fast paths are
    # indistinguishable from calling the hooks one by one.
    _native_paths = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._native_paths = all(
            getattr(cls, name) is getattr(TopologicalSorter, name) for name in _HOOKS
        )

    def __init__(self, graph=None):
        self._reset()
        if graph is not None:
            if type(graph) is dict and self._native_paths:
                self._add_graph(graph)
            else:
                for node, predecessors in graph.items():
                    self.add(node, *predecessors)

    def prepare(self):
        """Mark the graph as finished and check for cycles in the graph.

        If any cycle is detected, "CycleError" will be raised, but "get_ready" can
        still be used to obtain as many nodes as possible until cycles block more
        progress. After a call to this function, the graph cannot be modified and
        therefore no more nodes can be added using "add".
        """
        cycle = self._prepare()
        if cycle:
            raise CycleError("nodes are in a cycle", cycle)

    def __bool__(self):
        return self.is_active()

    def static_order(self):
        """Returns an iterable of nodes in a topological order.

        The particular order that is returned may depend on the specific
        order in which the items were inserted in the graph.

        Using this method does not require to call "prepare" or "done". If any
        cycle is detected, :exc:`CycleError` will be raised.
        """
        self.prepare()
        if self._native_paths:
            # One native call per group does done(*previous), is_active()
            # and get_ready(), in that order.
            step = self._static_order_step
            while (node_group := step()) is not None:
                yield from node_group
        else:
            while self.is_active():
                node_group = self.get_ready()
                yield from node_group
                self.done(*node_group)

    def __reduce__(self):
        state = (self._getstate(), getattr(self, "__dict__", None) or None)
        return (_copyreg.__newobj__, (type(self),), state)

    def __setstate__(self, state):
        native, attrs = state
        self._setstate(native)
        if attrs:
            self.__dict__.update(attrs)

    __class_getitem__ = classmethod(_GenericAlias)
