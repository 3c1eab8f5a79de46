//! Dependency cycles: services that need each other through non-lazy edges.
//!
//! Every strongly connected component with more than one service, and every
//! service that needs itself, is one cycle diagnostic. Listing every simple
//! cycle could take exponential time; one shortest cycle per component is
//! enough to act on and costs linear time.

use std::collections::VecDeque;

use petgraph::graph::{DiGraph, NodeIndex};

use std::fmt::Write as _;

use super::{more, PATH_SHOWN};
use crate::diagnostic::{Code, Diagnostic, Related, Severity};
use crate::graph::Graph;

/// A cycle as a path: `nodes[0] -> nodes[1] -> ... -> nodes[0]`, where
/// `keys[i]` is the key `nodes[i]` asks for to reach the next one.
pub(crate) struct Cycle {
    pub nodes: Vec<u32>,
    pub keys: Vec<u32>,
}

/// The cycles among planned services, one per strongly connected component,
/// each starting at the component's smallest id, sorted by that id: the
/// first `cap` of them, and how many there are in all.
///
/// # Complexity
/// O(S + E): [`components`], plus one breadth-first search inside each
/// component whose cycle is kept.
pub(crate) fn find(graph: &Graph<'_, '_>, cap: usize) -> (Vec<Cycle>, usize) {
    let (component, mut starts) = components(graph);
    let total = starts.len();
    super::keep_first(&mut starts, cap, |&(start, _)| graph.id(start));
    crate::sorting::unstable(&mut starts, &mut |a, b| graph.id(a.0).cmp(graph.id(b.0)));
    let cycles = starts.into_iter().filter_map(|(start, ci)| shortest_cycle(graph, start, ci, &component)).collect();
    (cycles, total)
}

/// The cyclic strongly connected components among planned services, by
/// non-lazy edges: each node's component number (`u32::MAX` outside every
/// cycle), and for each component `(its service with the smallest id, its
/// number)`, in no particular order.
///
/// # Complexity
/// O(S + E): Kosaraju's algorithm (petgraph's, iterative: its depth-first
/// searches keep explicit stacks; petgraph's Tarjan recurses).
pub(crate) fn components(graph: &Graph<'_, '_>) -> (Vec<u32>, Vec<(u32, u32)>) {
    let n = graph.len();
    let planned = |i: u32| graph.planned.get(i as usize).copied().unwrap_or(false);
    let mut g: DiGraph<(), ()> = DiGraph::with_capacity(n, graph.deps.len());
    for _ in 0..n {
        g.add_node(());
    }
    let mut self_loops = vec![false; n];
    for node in 0..n as u32 {
        if !planned(node) {
            continue;
        }
        for (p, _) in graph.edges(node) {
            if p == node {
                if let Some(s) = self_loops.get_mut(node as usize) {
                    *s = true;
                }
            }
            g.add_edge(NodeIndex::new(node as usize), NodeIndex::new(p as usize), ());
        }
    }
    let mut component = vec![u32::MAX; n];
    let mut starts: Vec<(u32, u32)> = Vec::new();
    for (ci, scc) in petgraph::algo::kosaraju_scc(&g).into_iter().enumerate() {
        let is_cycle = scc.len() > 1 || scc.first().is_some_and(|v| self_loops.get(v.index()).copied().unwrap_or(false));
        if !is_cycle {
            continue;
        }
        for v in &scc {
            if let Some(c) = component.get_mut(v.index()) {
                *c = ci as u32;
            }
        }
        let Some(start) = scc.iter().map(|v| v.index() as u32).min_by(|&a, &b| graph.id(a).cmp(graph.id(b))) else {
            continue;
        };
        starts.push((start, ci as u32));
    }
    (component, starts)
}

/// Breadth-first search from `start` back to itself, inside one component.
/// Edges are followed in declaration order, so the result is deterministic.
fn shortest_cycle(graph: &Graph<'_, '_>, start: u32, comp: u32, component: &[u32]) -> Option<Cycle> {
    let mut parent: rustc_hash::FxHashMap<u32, (u32, u32)> = rustc_hash::FxHashMap::default();
    let mut queue = VecDeque::from([start]);
    let mut closing: Option<(u32, u32)> = None;
    'search: while let Some(u) = queue.pop_front() {
        for (p, key) in graph.edges(u) {
            if component.get(p as usize) != Some(&comp) {
                continue;
            }
            if p == start {
                closing = Some((u, key));
                break 'search;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(p) {
                e.insert((u, key));
                queue.push_back(p);
            }
        }
    }
    let (last, last_key) = closing?;
    // Walk back from `last` to `start`.
    let mut nodes = vec![start];
    let mut keys = vec![last_key];
    let mut cur = last;
    while cur != start {
        let &(prev, key) = parent.get(&cur)?;
        nodes.push(cur);
        keys.push(key);
        cur = prev;
    }
    // nodes = [start, last, ..., first-hop]; keys aligned as "key asked by the
    // node before"; reverse into dependency order.
    let mut path: Vec<u32> = nodes.into_iter().skip(1).collect();
    path.reverse();
    let mut hop_keys: Vec<u32> = keys.into_iter().skip(1).collect();
    hop_keys.reverse();
    let mut out_nodes = vec![start];
    out_nodes.extend(path);
    hop_keys.push(last_key);
    Some(Cycle { nodes: out_nodes, keys: hop_keys })
}

/// One diagnostic per cycle, for the first `max_diagnostics` cycles by id;
/// the others are counted in `omitted`.
///
/// # Complexity
/// O(S + E) with the search; the paths of all cycles together are at most
/// S long, since the components are disjoint.
pub(crate) fn check(graph: &Graph<'_, '_>, omitted: &mut usize) -> Vec<Diagnostic> {
    let (cycles, total) = find(graph, graph.max_diagnostics);
    *omitted += total - cycles.len();
    graph.room.build(cycles, omitted, |c| {
        let mut services: Vec<String> = c.nodes.iter().map(|&x| graph.id(x).to_owned()).collect();
        if let Some(first) = services.first().cloned() {
            services.push(first);
        }
        let next = c.nodes.iter().skip(1).chain(c.nodes.first());
        let hops = c.nodes.len();
        let mut related: Vec<Related> = c
            .nodes
            .iter()
            .zip(&c.keys)
            .zip(next)
            .take(PATH_SHOWN)
            .map(|((&x, &k), &to)| {
                let key = graph.key(k);
                let message = if key == graph.id(to) {
                    format!("`{}` needs `{key}`", graph.id(x))
                } else {
                    format!("`{}` needs `{key}`, provided by `{}`", graph.id(x), graph.id(to))
                };
                graph.related(x, message, Some(key))
            })
            .collect();
        if hops > PATH_SHOWN {
            related.push(more(hops - PATH_SHOWN, "hops".to_owned()));
        }
        if let Some(&first) = c.nodes.first() {
            related.push(graph.related(first, format!("which is `{}` again", graph.id(first)), None));
        }
        // `a` -> `b` -> `a`; a long cycle: its first hops, then how many more.
        let mut drawn = services.iter().take(hops.min(PATH_SHOWN)).map(|s| format!("`{s}`")).collect::<Vec<_>>().join(" -> ");
        if hops > PATH_SHOWN {
            let _ = write!(drawn, " -> ... ({} more)", hops - PATH_SHOWN);
        }
        let _ = write!(drawn, " -> `{}`", services.first().map_or("", String::as_str));
        let message = if c.nodes.len() == 1 {
            format!("service `{}` depends on itself", services.first().map_or("", String::as_str))
        } else {
            format!("dependency cycle: {drawn}")
        };
        Diagnostic {
            code: Code::DependencyCycle,
            severity: Severity::Error,
            message,
            help: Some("break the cycle: make one of these dependencies lazy (`\"lazy\": true`), or remove it".to_owned()),
            services,
            key: c.keys.first().map(|&k| graph.key(k).to_owned()),
            location: c.nodes.first().and_then(|&x| graph.location(x)),
            related,
        }
    })
}
