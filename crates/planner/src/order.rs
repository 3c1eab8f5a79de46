//! Start-up order and layers.
//!
//! # The rule
//! A singleton's *layer* is the length of the longest chain of non-lazy
//! dependencies below it, counting singletons only: a singleton that needs
//! no other singleton is in layer 0, and every singleton is in a higher
//! layer than every singleton it needs (directly, or through the transient
//! services built for it). The start-up order is layer 0, then layer 1, and
//! so on; inside a layer, services are sorted by id (byte order). Both
//! depend only on the graph, never on declaration or merge order, nor on a
//! hash seed. Shutdown is the exact reverse.

use crate::descriptor::Lifetime;
use crate::graph::Graph;

/// What the ordering pass found.
pub(crate) struct Order {
    /// `level[n]`: singletons count 1 plus the highest level they need;
    /// other services the highest level they need. 0 for unplanned nodes.
    pub level: Vec<u32>,
    /// Whether a cycle was seen (then `level` is meaningless).
    pub has_cycle: bool,
}

/// Computes levels by one iterative depth-first search over non-lazy edges.
///
/// # Complexity
/// O(S + E) time, O(S) extra space; iterative, so a chain of a million
/// services uses no call stack.
pub(crate) fn levels(graph: &Graph<'_, '_>) -> Order {
    const WHITE: u8 = 0;
    const GRAY: u8 = 1;
    const BLACK: u8 = 2;
    let n = graph.len();
    let mut color = vec![WHITE; n];
    let mut level = vec![0u32; n];
    let mut has_cycle = false;
    // Stack of (node, next dependency, next provider of that dependency).
    let mut stack: Vec<(u32, u32, u32)> = Vec::new();
    for root in 0..n as u32 {
        if color.get(root as usize) != Some(&WHITE) || !graph.planned.get(root as usize).copied().unwrap_or(false) {
            continue;
        }
        stack.push((root, 0, 0));
        if let Some(c) = color.get_mut(root as usize) {
            *c = GRAY;
        }
        while let Some(top) = stack.last_mut() {
            let (node, mut di, mut pi) = *top;
            let deps = graph.deps_of(node);
            // Find the next unvisited provider of a non-lazy dependency.
            let mut advanced = false;
            'deps: while let Some(d) = deps.get(di as usize) {
                if !d.lazy {
                    let providers = graph.providers_of(d);
                    while let Some(&p) = providers.get(pi as usize) {
                        pi += 1;
                        match color.get(p as usize).copied() {
                            Some(WHITE) => {
                                *top = (node, di, pi);
                                if let Some(c) = color.get_mut(p as usize) {
                                    *c = GRAY;
                                }
                                stack.push((p, 0, 0));
                                advanced = true;
                                break 'deps;
                            }
                            Some(GRAY) => has_cycle = true,
                            _ => {}
                        }
                    }
                }
                di += 1;
                pi = 0;
            }
            if advanced {
                continue;
            }
            // Every provider is finished: compute this node's level.
            let mut highest = 0u32;
            for d in deps.iter().filter(|d| !d.lazy) {
                for &p in graph.providers_of(d) {
                    highest = highest.max(level.get(p as usize).copied().unwrap_or(0));
                }
            }
            let own = u32::from(graph.lifetime(node) == Lifetime::Singleton);
            if let Some(l) = level.get_mut(node as usize) {
                *l = highest.saturating_add(own);
            }
            if let Some(c) = color.get_mut(node as usize) {
                *c = BLACK;
            }
            stack.pop();
        }
    }
    Order { level, has_cycle }
}
