//! The native half of `wireplan.graphlib`: an incremental topological sorter
//! that mirrors CPython's `graphlib.TopologicalSorter` step for step.
//!
//! Python node objects are interned once into a table `node -> position` and
//! a vector `position -> node`; every algorithm below works on positions
//! (`u32`). The table is a Rust hash map with a Python dict's semantics: keyed
//! by the node's Python `hash()`, a key matches when it is the same object or
//! compares equal (`stored == node`), exceptions from `__hash__` and `__eq__`
//! propagate. In front of it, a map keyed by object identity answers the
//! common case (the same object met again) without calling Python at all;
//! it only holds objects the sorter keeps alive, so an address is never
//! reused while it is in the map. (The one difference CPython's code could
//! show: `__hash__` is not called again for an object already added, which
//! only a `__hash__` with side effects, or one whose value changes, notices.)
//!
//! The Python class `wireplan.graphlib.TopologicalSorter` subclasses this
//! pyclass, so `add`, `get_ready`, `done` and `is_active` are called without
//! a Python frame in between; `prepare` (which raises the Python
//! `CycleError`), `static_order` (a generator), `__bool__` and pickling are
//! written in Python on top of the underscore methods here.
//!
//! # Order semantics
//! CPython's sorter is deterministic given insertion order, and so is this
//! one, in exactly the same way:
//! - positions are given in order of first appearance, the node before its
//!   predecessors, as `_get_nodeinfo` creates `_NodeInfo`s;
//! - successors of a node are kept in the order the edges were added,
//!   duplicates included (a CSR built by a stable counting sort in `prepare`);
//! - the first ready group lists the nodes without predecessors in position
//!   order; `done` appends successors whose count falls to zero, in the order
//!   the loop over `nodes` and then over successors meets them;
//! - the cycle reported is the one `_find_cycle` finds: a depth-first search
//!   over positions in order, successors in order, returning the stack from
//!   the first node seen twice on the current path.
//!
//! # Complexity
//! `add` is O(1 + predecessors) dict operations; `prepare` is O(V + E) with
//! no Python calls; `done` is O(nodes + their successors); `get_ready` is
//! O(ready). Every algorithm is iterative, so a chain of any length works.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use pyo3::exceptions::{PyAssertionError, PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pyclass::{PyTraverseError, PyVisit};
use pyo3::types::{PyDict, PyInt, PyList, PyString, PyTuple};

/// Status of a node returned by `get_ready` and not yet marked done.
const NODE_OUT: i64 = -1;
/// Status of a node marked done.
const NODE_DONE: i64 = -2;
/// "Not on the current depth-first path" in `find_cycle`.
const NOT_ON_STACK: usize = usize::MAX;

/// End of a same-hash chain in `GraphlibSorter::next_same_hash`.
const NO_NEXT: u32 = u32::MAX;

/// A hasher for keys that are already integers (addresses, Python hashes):
/// one multiply and a fold, so aligned addresses and small ints spread.
#[derive(Default)]
struct IntHasher(u64);

impl Hasher for IntHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        let x = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 29);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_isize(&mut self, n: isize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type IntMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;

/// What `_getstate` returns: nodes, predecessor counts, flattened edges,
/// the ready list (None before `prepare`), passed-out and finished counts.
type SortState<'py> = (Vec<Bound<'py, PyAny>>, Vec<i64>, Vec<u32>, Option<Vec<u32>>, usize, usize);

/// Position-based incremental topological sorter (CPython `graphlib`
/// semantics); the base class of `wireplan.graphlib.TopologicalSorter`.
#[pyclass(subclass, module = "wireplan._core", name = "TopologicalSorter")]
pub struct GraphlibSorter {
    /// Object address -> position, for nodes held in `nodes`.
    by_ptr: IntMap<usize, u32>,
    /// Python `hash(node)` -> first and last position with that hash; the
    /// ones between follow `next_same_hash`, oldest first (as a dict probes).
    by_hash: IntMap<isize, (u32, u32)>,
    /// Next position with the same Python hash, or `NO_NEXT`.
    next_same_hash: Vec<u32>,
    /// `position -> node`.
    nodes: Vec<Py<PyAny>>,
    /// Predecessors not yet done, or `NODE_OUT` / `NODE_DONE`.
    npred: Vec<i64>,
    /// `(predecessor, successor)` in insertion order; drained by `prepare`.
    edges: Vec<(u32, u32)>,
    /// CSR offsets after `prepare`: successors of `p` are
    /// `succ[succ_start[p]..succ_start[p + 1]]`.
    succ_start: Vec<usize>,
    /// CSR targets after `prepare`.
    succ: Vec<u32>,
    /// `None` before `prepare`; afterwards the nodes ready to be passed out.
    ready: Option<Vec<u32>>,
    /// Nodes returned by `get_ready` so far.
    npassedout: usize,
    /// Nodes marked done so far.
    nfinished: usize,
    /// The group last passed out by `_static_order_step`, to be marked done
    /// on the next step (as `static_order`'s `done(*node_group)`).
    group: Vec<u32>,
}

fn not_prepared() -> PyErr {
    PyValueError::new_err("prepare() must be called first")
}

fn internal(what: &str) -> PyErr {
    PyAssertionError::new_err(format!("wireplan.graphlib internal error: {what}"))
}

impl GraphlibSorter {
    fn empty() -> Self {
        Self {
            by_ptr: IntMap::default(),
            by_hash: IntMap::default(),
            next_same_hash: Vec::new(),
            nodes: Vec::new(),
            npred: Vec::new(),
            edges: Vec::new(),
            succ_start: Vec::new(),
            succ: Vec::new(),
            ready: None,
            npassedout: 0,
            nfinished: 0,
            group: Vec::new(),
        }
    }

    /// The position of `node` if it was added, with dict semantics: the same
    /// object, or a node of equal hash that compares equal.
    fn find(&self, node: &Bound<'_, PyAny>) -> PyResult<Option<u32>> {
        if let Some(&pos) = self.by_ptr.get(&(node.as_ptr() as usize)) {
            return Ok(Some(pos));
        }
        let hash = node.hash()?;
        self.find_hashed(node, hash)
    }

    fn find_hashed(&self, node: &Bound<'_, PyAny>, hash: isize) -> PyResult<Option<u32>> {
        let mut at = self.by_hash.get(&hash).map_or(NO_NEXT, |&(head, _)| head);
        while at != NO_NEXT {
            let stored = self.nodes.get(at as usize).ok_or_else(|| internal("position"))?;
            // As a dict: identity first, then `stored == node`.
            if stored.as_ptr() == node.as_ptr() || stored.bind(node.py()).eq(node)? {
                return Ok(Some(at));
            }
            at = self.next_same_hash.get(at as usize).copied().unwrap_or(NO_NEXT);
        }
        Ok(None)
    }

    /// The position of `node`, adding it first if it is new (`_get_nodeinfo`).
    fn intern(&mut self, node: &Bound<'_, PyAny>) -> PyResult<u32> {
        if let Some(&pos) = self.by_ptr.get(&(node.as_ptr() as usize)) {
            return Ok(pos);
        }
        let hash = node.hash()?;
        if let Some(pos) = self.find_hashed(node, hash)? {
            return Ok(pos);
        }
        let pos = u32::try_from(self.nodes.len())
            .ok()
            .filter(|&p| p != NO_NEXT)
            .ok_or_else(|| PyOverflowError::new_err("too many nodes for one TopologicalSorter"))?;
        // Appended at the tail: walks go oldest first, so the sequence of
        // `__eq__` calls, and the match a non-transitive `==` finds, are a
        // dict's.
        match self.by_hash.get_mut(&hash) {
            Some((_, tail)) => {
                let old_tail = std::mem::replace(tail, pos);
                if let Some(link) = self.next_same_hash.get_mut(old_tail as usize) {
                    *link = pos;
                }
            }
            None => {
                self.by_hash.insert(hash, (pos, pos));
            }
        }
        self.next_same_hash.push(NO_NEXT);
        self.by_ptr.insert(node.as_ptr() as usize, pos);
        self.nodes.push(node.clone().unbind());
        self.npred.push(0);
        Ok(pos)
    }

    /// Interns `node` only if that runs no Python code: the same object met
    /// before, or an exact `str` or `int` (built-in hash) whose equal-hash
    /// nodes are all exact `str` or `int` too (built-in `==`). `Ok(None)`
    /// means "would run Python code", and nothing was done.
    fn intern_quiet(&mut self, node: &Bound<'_, PyAny>) -> PyResult<Option<u32>> {
        if let Some(&pos) = self.by_ptr.get(&(node.as_ptr() as usize)) {
            return Ok(Some(pos));
        }
        if !is_plain(node) {
            return Ok(None);
        }
        let hash = node.hash()?;
        let mut at = self.by_hash.get(&hash).map_or(NO_NEXT, |&(head, _)| head);
        while at != NO_NEXT {
            let stored = self.nodes.get(at as usize).ok_or_else(|| internal("position"))?;
            if !is_plain(stored.bind(node.py())) {
                return Ok(None);
            }
            at = self.next_same_hash.get(at as usize).copied().unwrap_or(NO_NEXT);
        }
        self.intern(node).map(Some)
    }

    /// `add(node, *predecessors)` for a list of predecessors, read in place
    /// instead of copied into a tuple as long as no Python code runs (so the
    /// list cannot change under us, and reading it equals reading the tuple
    /// `*predecessors` would have made first); from the first node that may
    /// run code, what is left of the list is copied first.
    fn add_list(&mut self, node: &Bound<'_, PyAny>, preds: &Bound<'_, PyList>) -> PyResult<()> {
        if self.ready.is_some() {
            return Err(PyValueError::new_err("Nodes cannot be added after a call to prepare()"));
        }
        let Some(n) = self.intern_quiet(node)? else {
            return self.add_tuple(node, &preds.to_tuple());
        };
        let len = preds.len();
        let count = i64::try_from(len).map_err(|_| internal("predecessor count"))?;
        if let Some(slot) = self.npred.get_mut(n as usize) {
            *slot += count;
        }
        for i in 0..len {
            let pred = preds.get_item(i)?;
            let p = match self.intern_quiet(&pred)? {
                Some(p) => p,
                None => {
                    // INVARIANT: no Python code has run since this call
                    // began, so `preds[i..]` is what `*predecessors` held.
                    let rest = preds.get_slice(i, len);
                    for pred in rest.iter() {
                        let p = self.intern(&pred)?;
                        self.edges.push((p, n));
                    }
                    return Ok(());
                }
            };
            self.edges.push((p, n));
        }
        Ok(())
    }

    /// `add(node, *predecessors)` with the predecessors already a tuple.
    /// Mirrors CPython's partial effects when hashing fails half-way.
    fn add_tuple(&mut self, node: &Bound<'_, PyAny>, preds: &Bound<'_, PyTuple>) -> PyResult<()> {
        if self.ready.is_some() {
            return Err(PyValueError::new_err("Nodes cannot be added after a call to prepare()"));
        }
        let n = self.intern(node)?;
        let count = i64::try_from(preds.len()).map_err(|_| internal("predecessor count"))?;
        if let Some(slot) = self.npred.get_mut(n as usize) {
            *slot += count;
        }
        for pred in preds.iter() {
            let p = self.intern(&pred)?;
            self.edges.push((p, n));
        }
        Ok(())
    }

    /// Builds the successor CSR from `edges` (see [`successor_csr`]).
    fn build_successors(&mut self) {
        let (start, succ) = successor_csr(self.nodes.len(), &self.edges);
        self.succ_start = start;
        self.succ = succ;
        self.edges = Vec::new();
    }

    /// Successors of `p` (empty before `prepare`).
    fn successors(&self, p: u32) -> &[u32] {
        let p = p as usize;
        match (self.succ_start.get(p), self.succ_start.get(p + 1)) {
            (Some(&a), Some(&b)) => self.succ.get(a..b).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// `_find_cycle`, on positions: the first cycle met by a depth-first
    /// search from each unseen node in order, as `[n0, n1, ..., n0]`.
    ///
    /// # Complexity
    /// O(V + E), iterative (explicit stack of successor cursors).
    fn find_cycle(&self) -> Option<Vec<u32>> {
        let n = self.nodes.len();
        let mut seen = vec![false; n];
        let mut stack_at = vec![NOT_ON_STACK; n];
        let mut stack: Vec<u32> = Vec::new();
        // Cursor into `succ` for each stack entry, and the end of its range.
        let mut cursors: Vec<(usize, usize)> = Vec::new();
        for start in 0..n {
            if seen.get(start).copied().unwrap_or(true) {
                continue;
            }
            let mut node = start as u32;
            loop {
                let u = node as usize;
                if seen.get(u).copied().unwrap_or(false) {
                    let at = stack_at.get(u).copied().unwrap_or(NOT_ON_STACK);
                    if at != NOT_ON_STACK {
                        let mut cycle: Vec<u32> = stack.get(at..).unwrap_or(&[]).to_vec();
                        cycle.push(node);
                        return Some(cycle);
                    }
                } else {
                    if let Some(s) = seen.get_mut(u) {
                        *s = true;
                    }
                    let a = self.succ_start.get(u).copied().unwrap_or(0);
                    let b = self.succ_start.get(u + 1).copied().unwrap_or(a);
                    cursors.push((a, b));
                    if let Some(s) = stack_at.get_mut(u) {
                        *s = stack.len();
                    }
                    stack.push(node);
                }
                // Backtrack to the topmost entry with another successor.
                let mut advanced = false;
                while let Some(cursor) = cursors.last_mut() {
                    if cursor.0 < cursor.1 {
                        node = self.succ.get(cursor.0).copied().unwrap_or(0);
                        cursor.0 += 1;
                        advanced = true;
                        break;
                    }
                    cursors.pop();
                    if let Some(top) = stack.pop() {
                        if let Some(s) = stack_at.get_mut(top as usize) {
                            *s = NOT_ON_STACK;
                        }
                    }
                }
                if !advanced {
                    break;
                }
            }
        }
        None
    }

    /// `get_ready` on positions: hands out the ready list and marks it out.
    fn pass_out(&mut self) -> PyResult<Vec<u32>> {
        let ready = self.ready.as_mut().ok_or_else(not_prepared)?;
        let result = std::mem::take(ready);
        for &i in &result {
            if let Some(s) = self.npred.get_mut(i as usize) {
                *s = NODE_OUT;
            }
        }
        self.npassedout += result.len();
        Ok(result)
    }

    /// `done` for one node already resolved to its position. Messages show
    /// `given` (the argument, as CPython does: `True` for a node added as `1`),
    /// or the stored node.
    fn done_one(&mut self, py: Python<'_>, pos: u32, given: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let stat = self.npred.get(pos as usize).copied().ok_or_else(|| internal("position"))?;
        if stat != NODE_OUT {
            let repr = match given {
                Some(node) => node.repr()?,
                None => {
                    let node = self.nodes.get(pos as usize).ok_or_else(|| internal("position"))?;
                    node.bind(py).repr()?
                }
            };
            let repr = repr.to_string_lossy();
            return Err(if stat >= 0 {
                PyValueError::new_err(format!("node {repr} was not passed out (still not ready)"))
            } else if stat == NODE_DONE {
                PyValueError::new_err(format!("node {repr} was already marked done"))
            } else {
                PyAssertionError::new_err(format!("node {repr}: unknown status {stat}"))
            });
        }
        if let Some(s) = self.npred.get_mut(pos as usize) {
            *s = NODE_DONE;
        }
        let p = pos as usize;
        let a = self.succ_start.get(p).copied().unwrap_or(0);
        let b = self.succ_start.get(p + 1).copied().unwrap_or(a);
        let ready = self.ready.as_mut().ok_or_else(not_prepared)?;
        for &s in self.succ.get(a..b).unwrap_or(&[]) {
            if let Some(count) = self.npred.get_mut(s as usize) {
                *count -= 1;
                if *count == 0 {
                    ready.push(s);
                }
            }
        }
        self.nfinished += 1;
        Ok(())
    }

    fn nodes_tuple<'py>(&self, py: Python<'py>, positions: &[u32]) -> PyResult<Bound<'py, PyTuple>> {
        let mut objs = Vec::with_capacity(positions.len());
        for &i in positions {
            let node = self.nodes.get(i as usize).ok_or_else(|| internal("position"))?;
            objs.push(node.bind(py).clone());
        }
        PyTuple::new(py, objs)
    }

    fn is_active_impl(&self) -> PyResult<bool> {
        let ready = self.ready.as_ref().ok_or_else(not_prepared)?;
        Ok(self.nfinished < self.npassedout || !ready.is_empty())
    }
}

/// The successor CSR of `edges` over `n` nodes: the successors of `p` are
/// `succ[start[p]..start[p + 1]]`, in the order the edges were added
/// (duplicates kept), by a stable counting sort.
///
/// # Complexity
/// O(V + E).
fn successor_csr(n: usize, edges: &[(u32, u32)]) -> (Vec<usize>, Vec<u32>) {
    let mut start = vec![0usize; n + 1];
    for &(p, _) in edges {
        if let Some(c) = start.get_mut(p as usize + 1) {
            *c += 1;
        }
    }
    for i in 0..n {
        let before = start.get(i).copied().unwrap_or(0);
        if let Some(c) = start.get_mut(i + 1) {
            *c += before;
        }
    }
    let mut fill: Vec<usize> = start.iter().take(n).copied().collect();
    let mut succ = vec![0u32; edges.len()];
    for &(p, s) in edges {
        if let Some(at) = fill.get_mut(p as usize) {
            if let Some(slot) = succ.get_mut(*at) {
                *slot = s;
            }
            *at += 1;
        }
    }
    (start, succ)
}

/// "Not numbered yet" in [`cycle_groups`].
const UNSEEN: u32 = u32::MAX;

/// One cyclic strongly connected component: its nodes, and one cycle
/// through them.
struct CycleGroup {
    /// The component's positions, ascending (the order they were added).
    members: Vec<u32>,
    /// The shortest cycle from the component's first member back to it,
    /// closed (`[m, ..., m]`); successors are tried in insertion order, so
    /// among equally short cycles the one found first is the same every time.
    cycle: Vec<u32>,
}

/// Every cyclic strongly connected component of the graph `(start, succ)`
/// (a component of two or more nodes, or one node with an edge to itself),
/// ordered by their first member's position, each with its members and
/// one cycle through its first member.
///
/// Components are found by Tarjan's algorithm, run with an explicit stack of
/// `(node, successor cursor)` frames instead of recursion, so a chain or a
/// cycle of any length works; each cycle is then a breadth-first search from
/// the component's first member that never leaves the component.
///
/// # Complexity
/// O(V + E) time and O(V) memory besides the graph: every node and edge is
/// visited once by Tarjan's pass and at most once more by the search of
/// its own component (components are disjoint).
fn cycle_groups(start: &[usize], succ: &[u32]) -> Vec<CycleGroup> {
    let n = start.len().saturating_sub(1);
    let range = |v: u32| -> &[u32] {
        let v = v as usize;
        match (start.get(v), start.get(v + 1)) {
            (Some(&a), Some(&b)) => succ.get(a..b).unwrap_or(&[]),
            _ => &[],
        }
    };

    // Tarjan: `index` is the discovery number, `low` the lowest one reachable
    // through the DFS subtree and one back edge; `component` of a finished
    // node is its component's number, or UNSEEN when it is not cyclic.
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut component = vec![UNSEEN; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut frames: Vec<(u32, usize)> = Vec::new();
    let mut counter = 0u32;
    let mut components = 0u32;
    for root in 0..n as u32 {
        if index.get(root as usize).copied() != Some(UNSEEN) {
            continue;
        }
        let mut enter = Some(root);
        loop {
            if let Some(v) = enter.take() {
                if let (Some(i), Some(l), Some(o)) = (index.get_mut(v as usize), low.get_mut(v as usize), on_stack.get_mut(v as usize)) {
                    (*i, *l, *o) = (counter, counter, true);
                }
                counter += 1;
                stack.push(v);
                frames.push((v, 0));
            }
            let Some(frame) = frames.last_mut() else {
                break;
            };
            let v = frame.0;
            if let Some(&w) = range(v).get(frame.1) {
                frame.1 += 1;
                let w_index = index.get(w as usize).copied().unwrap_or(UNSEEN);
                if w_index == UNSEEN {
                    enter = Some(w);
                } else if on_stack.get(w as usize).copied().unwrap_or(false) {
                    if let Some(l) = low.get_mut(v as usize) {
                        *l = (*l).min(w_index);
                    }
                }
                continue;
            }
            // `v` is finished: pass its low number up, and close its
            // component if it is the component's root.
            frames.pop();
            let v_low = low.get(v as usize).copied().unwrap_or(0);
            if let Some(&(parent, _)) = frames.last() {
                if let Some(l) = low.get_mut(parent as usize) {
                    *l = (*l).min(v_low);
                }
            }
            if v_low != index.get(v as usize).copied().unwrap_or(UNSEEN) {
                continue;
            }
            let from = stack.iter().rposition(|&x| x == v).unwrap_or(0);
            let cyclic = stack.len() - from > 1 || range(v).contains(&v);
            for x in stack.drain(from..) {
                if let Some(o) = on_stack.get_mut(x as usize) {
                    *o = false;
                }
                if cyclic {
                    if let Some(c) = component.get_mut(x as usize) {
                        *c = components;
                    }
                }
            }
            if cyclic {
                components += 1;
            }
        }
    }

    // Group the members by a scan in position order: each group's members
    // come out ascending, and the groups in order of their first member.
    let mut slot = vec![UNSEEN; components as usize];
    let mut groups: Vec<CycleGroup> = Vec::new();
    for p in 0..n as u32 {
        let c = component.get(p as usize).copied().unwrap_or(UNSEEN);
        let Some(s) = slot.get_mut(c as usize) else {
            continue;
        };
        if *s == UNSEEN {
            *s = groups.len() as u32;
            groups.push(CycleGroup { members: Vec::new(), cycle: Vec::new() });
        }
        if let Some(g) = groups.get_mut(*s as usize) {
            g.members.push(p);
        }
    }

    // The shortest cycle through each group's first member: a breadth-first
    // search inside the component until an edge leads back to it.
    let mut parent = vec![UNSEEN; n];
    for g in &mut groups {
        let Some(&first) = g.members.first() else {
            continue;
        };
        let c = component.get(first as usize).copied().unwrap_or(UNSEEN);
        let mut queue = std::collections::VecDeque::from([first]);
        let mut last = None;
        'search: while let Some(u) = queue.pop_front() {
            for &w in range(u) {
                if w == first {
                    last = Some(u);
                    break 'search;
                }
                let inside = component.get(w as usize).copied() == Some(c);
                if let Some(pw) = parent.get_mut(w as usize) {
                    if inside && *pw == UNSEEN {
                        *pw = u;
                        queue.push_back(w);
                    }
                }
            }
        }
        // INVARIANT: `first` is on a cycle inside its component, so the
        // search ends at an edge back to it; walking the parents from there
        // reaches `first` in fewer steps than the component has members.
        let mut cycle = vec![first];
        let mut at = last.unwrap_or(first);
        while at != first && cycle.len() <= g.members.len() {
            cycle.push(at);
            at = parent.get(at as usize).copied().unwrap_or(first);
        }
        cycle.push(first);
        // Walked backwards from the end: reverse to follow the edges.
        cycle.reverse();
        g.cycle = cycle;
    }
    groups
}

/// An exact `str` or `int`: hashing and comparing it with another such
/// object runs no Python code.
fn is_plain(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_exact_instance_of::<PyString>() || obj.is_exact_instance_of::<PyInt>()
}

/// `tuple(predecessors)` as `f(*predecessors)` makes it, with CPython's
/// message for a value that is not iterable.
fn star_args<'py>(preds: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    if let Ok(t) = preds.cast_exact::<PyTuple>() {
        return Ok(t.clone());
    }
    if let Ok(l) = preds.cast::<PyList>() {
        return Ok(l.to_tuple());
    }
    let iter = match preds.try_iter() {
        Ok(it) => it,
        Err(err) => {
            let py = preds.py();
            let ty = preds.get_type();
            if err.is_instance_of::<PyTypeError>(py) && !ty.hasattr("__iter__")? && !ty.hasattr("__getitem__")? {
                return Err(PyTypeError::new_err(format!("Value after * must be an iterable, not {}", ty.name()?)));
            }
            return Err(err);
        }
    };
    let items = iter.collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(preds.py(), items)
}

#[pymethods]
impl GraphlibSorter {
    /// Accepts and ignores any arguments: `__init__` (in Python) reads them.
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        Self::empty()
    }

    /// Forgets every node (what `__init__` starts with).
    fn _reset(&mut self) {
        *self = Self::empty();
    }

    /// Add a new node and its predecessors to the graph.
    ///
    /// Both the *node* and all elements in *predecessors* must be hashable.
    ///
    /// If called multiple times with the same node argument, the set of dependencies
    /// will be the union of all dependencies passed in.
    ///
    /// It is possible to add a node with no dependencies (*predecessors* is not provided)
    /// as well as provide a dependency twice. If a node that has not been provided before
    /// is included among *predecessors* it will be automatically added to the graph with
    /// no predecessors of its own.
    ///
    /// Raises ValueError if called after "prepare".
    #[pyo3(signature = (node, *predecessors))]
    fn add(&mut self, node: &Bound<'_, PyAny>, predecessors: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.add_tuple(node, predecessors)
    }

    /// `for node, preds in graph.items(): self.add(node, *preds)` in one call.
    ///
    /// # Complexity
    /// O(V + E) dict operations and no Python frames.
    fn _add_graph(&mut self, graph: &Bound<'_, PyDict>) -> PyResult<()> {
        let items = graph.call_method0("items")?;
        for item in items.try_iter()? {
            let item = item?;
            let pair = item.cast::<PyTuple>()?;
            if pair.len() != 2 {
                return Err(internal("dict item is not a pair"));
            }
            let node = pair.get_item(0)?;
            let preds = pair.get_item(1)?;
            if let Ok(list) = preds.cast_exact::<PyList>() {
                self.add_list(&node, list)?;
            } else {
                self.add_tuple(&node, &star_args(&preds)?)?;
            }
        }
        Ok(())
    }

    /// Marks the graph finished and returns the cycle found (as a list of
    /// nodes, first and last equal) or None; Python raises `CycleError`.
    fn _prepare<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        if self.ready.is_some() {
            return Err(PyValueError::new_err("cannot prepare() more than once"));
        }
        self.build_successors();
        let ready: Vec<u32> = self.npred.iter().enumerate().filter(|(_, &c)| c == 0).map(|(i, _)| i as u32).collect();
        // INVARIANT: `ready` is set before looking for cycles, as in CPython,
        // so callers that catch CycleError can still drain what is ready.
        self.ready = Some(ready);
        match self.find_cycle() {
            None => Ok(None),
            Some(cycle) => {
                let mut objs = Vec::with_capacity(cycle.len());
                for i in cycle {
                    let node = self.nodes.get(i as usize).ok_or_else(|| internal("position"))?;
                    objs.push(node.bind(py).clone());
                }
                Ok(Some(PyList::new(py, objs)?))
            }
        }
    }

    /// Return a tuple of all the nodes that are ready.
    ///
    /// Initially it returns all nodes with no predecessors; once those are marked
    /// as processed by calling "done", further calls will return all new nodes that
    /// have all their predecessors already processed. Once no more progress can be made,
    /// empty tuples are returned.
    ///
    /// Raises ValueError if called without calling "prepare" previously.
    fn get_ready<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let out = self.pass_out()?;
        self.nodes_tuple(py, &out)
    }

    /// Return ``True`` if more progress can be made and ``False`` otherwise.
    ///
    /// Progress can be made if cycles do not block the resolution and either there
    /// are still nodes ready that haven't yet been returned by "get_ready" or the
    /// number of nodes marked "done" is less than the number that have been returned
    /// by "get_ready".
    ///
    /// Raises ValueError if called without calling "prepare" previously.
    fn is_active(&self) -> PyResult<bool> {
        self.is_active_impl()
    }

    /// Marks a set of nodes returned by "get_ready" as processed.
    ///
    /// This method unblocks any successor of each node in *nodes* for being returned
    /// in the future by a call to "get_ready".
    ///
    /// Raises ValueError if any node in *nodes* has already been marked as
    /// processed by a previous call to this method, if a node was not added to the
    /// graph by using "add" or if called without calling "prepare" previously or if
    /// node has not yet been returned by "get_ready".
    #[pyo3(signature = (*nodes))]
    fn done(&mut self, py: Python<'_>, nodes: &Bound<'_, PyTuple>) -> PyResult<()> {
        if self.ready.is_none() {
            return Err(not_prepared());
        }
        for node in nodes.iter() {
            let Some(pos) = self.find(&node)? else {
                let repr = node.repr()?;
                return Err(PyValueError::new_err(format!("node {} was not added using add()", repr.to_string_lossy())));
            };
            self.done_one(py, pos, Some(&node))?;
        }
        Ok(())
    }

    /// One step of `static_order` after `prepare`: `done(*previous_group)`,
    /// then `get_ready()` if still active, else None.
    fn _static_order_step<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let previous = std::mem::take(&mut self.group);
        for pos in previous {
            self.done_one(py, pos, None)?;
        }
        if !self.is_active_impl()? {
            return Ok(None);
        }
        let out = self.pass_out()?;
        let tuple = self.nodes_tuple(py, &out)?;
        self.group = out;
        Ok(Some(tuple))
    }

    /// `static_order`'s groups as a list, in one call after `prepare`: the
    /// groups repeated `get_ready()` and `done(*group)` hand out.
    ///
    /// # Complexity
    /// O(V + E), no Python call but the tuples' and the list's.
    fn _layers<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let mut layers = Vec::new();
        let mut previous: Vec<u32> = Vec::new();
        loop {
            for pos in std::mem::take(&mut previous) {
                self.done_one(py, pos, None)?;
            }
            if !self.is_active_impl()? {
                break;
            }
            previous = self.pass_out()?;
            layers.push(self.nodes_tuple(py, &previous)?);
        }
        PyList::new(py, layers)
    }

    /// Every cyclic strongly connected component, before or after `prepare`:
    /// `(groups, cycles)`, two lists in the same order (by first-added
    /// node): each group's nodes in the order they were added, and the
    /// shortest cycle from its first node back to it (`[n, ..., n]`).
    ///
    /// # Complexity
    /// O(V + E) (see [`cycle_groups`]), plus building the successor table
    /// (O(V + E)) when called before `prepare`.
    fn _cycle_groups<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
        let groups = if self.ready.is_some() {
            cycle_groups(&self.succ_start, &self.succ)
        } else {
            let (start, succ) = successor_csr(self.nodes.len(), &self.edges);
            cycle_groups(&start, &succ)
        };
        let mut members = Vec::with_capacity(groups.len());
        let mut cycles = Vec::with_capacity(groups.len());
        for g in &groups {
            members.push(PyList::new(py, self.nodes_tuple(py, &g.members)?)?);
            cycles.push(PyList::new(py, self.nodes_tuple(py, &g.cycle)?)?);
        }
        Ok((PyList::new(py, members)?, PyList::new(py, cycles)?))
    }

    /// State for pickling and copying: `(nodes, npred, edges, ready,
    /// npassedout, nfinished)`, edges flattened as `[pred, succ, ...]`.
    fn _getstate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let nodes = PyList::new(py, self.nodes.iter().map(|n| n.bind(py)))?;
        let npred = PyList::new(py, &self.npred)?;
        let mut flat: Vec<u32> = Vec::with_capacity(2 * (self.edges.len() + self.succ.len()));
        if self.ready.is_some() {
            for p in 0..self.nodes.len() {
                let p = p as u32;
                for &s in self.successors(p) {
                    flat.push(p);
                    flat.push(s);
                }
            }
        } else {
            for &(p, s) in &self.edges {
                flat.push(p);
                flat.push(s);
            }
        }
        let edges = PyList::new(py, flat)?;
        let ready = match &self.ready {
            Some(r) => PyList::new(py, r)?.into_any(),
            None => py.None().into_bound(py),
        };
        PyTuple::new(
            py,
            [
                nodes.into_any(),
                npred.into_any(),
                edges.into_any(),
                ready,
                self.npassedout.into_pyobject(py)?.into_any(),
                self.nfinished.into_pyobject(py)?.into_any(),
            ],
        )
    }

    /// Restores what `_getstate` returned.
    fn _setstate(&mut self, state: &Bound<'_, PyTuple>) -> PyResult<()> {
        let (nodes, npred, edges, ready, npassedout, nfinished): SortState<'_> = state.extract()?;
        let bad = || PyValueError::new_err("invalid TopologicalSorter state");
        if nodes.len() != npred.len() || edges.len() % 2 != 0 {
            return Err(bad());
        }
        let n = nodes.len();
        let in_range = |i: &u32| (*i as usize) < n;
        if !edges.iter().all(in_range) || !ready.iter().flatten().all(in_range) {
            return Err(bad());
        }
        let mut fresh = Self::empty();
        for node in &nodes {
            let pos = fresh.intern(node)?;
            if pos as usize + 1 != fresh.nodes.len() {
                return Err(bad());
            }
        }
        fresh.npred = npred;
        fresh.edges = edges.chunks_exact(2).map(|c| (c.first().copied().unwrap_or(0), c.get(1).copied().unwrap_or(0))).collect();
        if ready.is_some() {
            fresh.build_successors();
        }
        fresh.ready = ready;
        fresh.npassedout = npassedout;
        fresh.nfinished = nfinished;
        *self = fresh;
        Ok(())
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        for node in &self.nodes {
            visit.call(node)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.by_ptr.clear();
        self.by_hash.clear();
        self.next_same_hash.clear();
        self.nodes.clear();
        self.npred.clear();
        self.edges.clear();
        self.succ_start.clear();
        self.succ.clear();
        self.group.clear();
        self.ready = None;
    }
}

/// Adds the graphlib sorter to the `wireplan._core` module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<GraphlibSorter>()
}
