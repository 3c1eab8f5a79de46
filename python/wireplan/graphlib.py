"""A drop-in, faster replacement for the standard library's :mod:`graphlib`.

``import wireplan.graphlib as graphlib`` gives a :class:`TopologicalSorter`
and a :class:`CycleError` that behave exactly as CPython 3.11's: the same
methods, the same order of ``get_ready`` groups and of ``static_order``, the
same cycle in :class:`CycleError`, the same exceptions and messages. CPython's
own ``test_graphlib`` runs against this module in wireplan's test suite.

Two things the standard library lacks:

- :meth:`TopologicalSorter.layers` returns the batches at once, as a list of
  tuples: what ``get_ready()`` hands out, each batch marked ``done`` before
  the next, in the same deterministic order as ``static_order()``::

      >>> TopologicalSorter({"b": ["a"], "c": ["a"], "d": ["b", "c"]}).layers()
      [('a',), ('b', 'c'), ('d',)]

- Every cycle at once. The standard library's ``CycleError`` shows one cycle;
  a graph may hold several independent ones, and fixing them one run at a
  time is slow. :class:`CycleError` also carries :attr:`~CycleError.cycles`,
  one cycle per *cycle group* (strongly connected component with a cycle:
  nodes that can all reach each other), and :attr:`~CycleError.cycle_groups`,
  the nodes of each group. ``TopologicalSorter.cycles()`` and
  ``cycle_groups()`` give the same lists without raising, before or after
  ``prepare()``::

      >>> ts = TopologicalSorter({"a": ["b"], "b": ["a"], "x": ["z"], "y": ["x"], "z": ["y"]})
      >>> ts.cycles()
      [['a', 'b', 'a'], ['x', 'y', 'z', 'x']]
      >>> ts.cycle_groups()
      [['a', 'b'], ['x', 'z', 'y']]

  Groups come in the order their first node was added; each group's nodes in
  the order they were added; each cycle is the shortest one from the group's
  first node back to it, written as ``args[1]`` is (each node an immediate
  predecessor of the next, the first repeated at the end). ``args`` stays the
  standard library's ``("nodes are in a cycle", cycle)``, whose one cycle may
  be another path through one of the groups.

The work happens in ``wireplan._core`` (``crates/planner-py/src/graphlib.rs``):
nodes are interned once into a dict ``node -> position`` and every algorithm
runs on positions, iteratively (a chain or a cycle of a million nodes needs no
stack), in O(V + E). Building from a ``dict`` in the constructor and
iterating ``static_order()`` or ``layers()`` make no Python call per node
beyond hashing.

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

    wireplan adds every cycle at once:

    Attributes:
        cycles: one cycle per cycle group (a strongly connected component
            with a cycle), in the order the groups' first nodes were added:
            the shortest cycle from that first node back to it, written as
            ``args[1]`` is.
        cycle_groups: the nodes of each group, in the order they were added;
            ``cycle_groups[i]`` is the group ``cycles[i]`` goes through.

    A ``CycleError`` made with the standard library's arguments only
    (``CycleError("nodes are in a cycle", cycle)``) takes that one cycle as
    its only group.
    """

    def __init__(self, *args, cycles=None, cycle_groups=None):
        super().__init__(*args)
        if cycles is None:
            cycles = [list(args[1])] if len(args) > 1 and args[1] else []
        if cycle_groups is None:
            cycle_groups = [list(dict.fromkeys(cycle[:-1] or cycle)) for cycle in cycles]
        self.cycles = cycles
        self.cycle_groups = cycle_groups


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
            groups, cycles = self._cycle_groups()
            raise CycleError("nodes are in a cycle", cycle, cycles=cycles, cycle_groups=groups)

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

    def layers(self):
        """Return the batches of nodes, in order, as a list of tuples.

        The batches are what ``get_ready()`` returns when every batch is marked
        ``done`` before the next call: each batch holds the nodes whose
        predecessors are all in earlier batches, in the same order as
        ``static_order()``. Like ``static_order()``, it calls ``prepare()``
        (so it raises :exc:`CycleError`, with every cycle, on a cyclic graph,
        and ``ValueError`` if ``prepare()`` was called before) and uses the
        sorter up.
        """
        self.prepare()
        if self._native_paths:
            return self._layers()
        batches = []
        while self.is_active():
            node_group = self.get_ready()
            batches.append(node_group)
            self.done(*node_group)
        return batches

    def cycles(self):
        """Return one cycle per cycle group, ``[]`` when the graph has none.

        A cycle group is a set of nodes that can all reach each other (a
        strongly connected component with a cycle, a node that is its own
        predecessor included). Groups come in the order their first node was
        added; each cycle is the shortest one from that first node back to
        it, as a list whose first and last node are the same, each node an
        immediate predecessor of the next. Works before and after
        ``prepare()`` and changes nothing; :exc:`CycleError` carries the same
        list as ``cycles``.
        """
        return self._cycle_groups()[1]

    def cycle_groups(self):
        """Return the nodes of every cycle group, ``[]`` when there is none.

        In the order of :meth:`cycles` (``cycle_groups()[i]`` is the group
        ``cycles()[i]`` goes through), each group's nodes in the order they
        were added. :exc:`CycleError` carries the same list as
        ``cycle_groups``.
        """
        return self._cycle_groups()[0]

    def __reduce__(self):
        state = (self._getstate(), getattr(self, "__dict__", None) or None)
        return (_copyreg.__newobj__, (type(self),), state)

    def __setstate__(self, state):
        native, attrs = state
        self._setstate(native)
        if attrs:
            self.__dict__.update(attrs)

    __class_getitem__ = classmethod(_GenericAlias)
