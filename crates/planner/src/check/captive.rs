//! Captive dependencies: a singleton that holds on to a scoped service.
//!
//! A singleton lives as long as the application, so a scoped instance it
//! receives outlives its scope. The dependency may be direct, or through
//! transient services (a transient built for a singleton is held by it).
//! A lazy dependency is allowed: the handle resolves inside a scope.

use std::collections::VecDeque;

use crate::descriptor::Lifetime;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::graph::{Csr, Graph};

/// One diagnostic per (singleton, dependency) that captures a scoped service.
///
/// # Complexity
/// O(S + E): one backward breadth-first search from every scoped service
/// through transient ones, then one look at each singleton's edges.
pub(crate) fn check(graph: &Graph<'_, '_>) -> Vec<Diagnostic> {
    let n = graph.len();
    let planned = |i: u32| graph.planned.get(i as usize).copied().unwrap_or(false);
    let scoped: Vec<u32> = (0..n as u32).filter(|&i| planned(i) && graph.lifetime(i) == Lifetime::Scoped).collect();
    if scoped.is_empty() {
        return Vec::new();
    }
    // Reverse non-lazy edges among planned services.
    let mut pairs = Vec::new();
    for node in 0..n as u32 {
        if planned(node) {
            for (p, _) in graph.edges(node) {
                pairs.push((p, node));
            }
        }
    }
    let dependents = Csr::from_pairs(n, &pairs);
    // toward[t]: for a transient that reaches a scoped service, its next hop.
    let mut toward: Vec<u32> = vec![u32::MAX; n];
    let mut queue: VecDeque<u32> = scoped.iter().copied().collect();
    while let Some(x) = queue.pop_front() {
        for &y in dependents.row(x) {
            if graph.lifetime(y) == Lifetime::Transient {
                if let Some(slot) = toward.get_mut(y as usize) {
                    if *slot == u32::MAX {
                        *slot = x;
                        queue.push_back(y);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for node in 0..n as u32 {
        if !planned(node) || graph.lifetime(node) != Lifetime::Singleton {
            continue;
        }
        let mut seen_targets: Vec<u32> = Vec::new();
        for (p, key) in graph.edges(node) {
            let mut path = vec![node, p];
            let mut cur = p;
            while graph.lifetime(cur) == Lifetime::Transient {
                match toward.get(cur as usize) {
                    Some(&next) if next != u32::MAX && path.len() <= n => {
                        path.push(next);
                        cur = next;
                    }
                    _ => break,
                }
            }
            if graph.lifetime(cur) != Lifetime::Scoped || seen_targets.contains(&cur) {
                continue;
            }
            seen_targets.push(cur);
            out.push(diagnostic(graph, &path, graph.key(key)));
        }
    }
    out
}

fn diagnostic(graph: &Graph<'_, '_>, path: &[u32], key: &str) -> Diagnostic {
    let first = path.first().copied().unwrap_or(0);
    let last = path.last().copied().unwrap_or(0);
    let (s, c) = (graph.id(first), graph.id(last));
    let through = if path.len() > 2 {
        let mid: Vec<String> = path.iter().skip(1).take(path.len() - 2).map(|&m| format!("`{}`", graph.id(m))).collect();
        format!(" through transient {}", mid.join(", "))
    } else {
        String::new()
    };
    Diagnostic {
        code: Code::CaptiveDependency,
        severity: Severity::Error,
        message: format!("singleton `{s}` depends on scoped `{c}`{through}, which would outlive its scope"),
        help: Some(format!(
            "make the dependency on `{key}` lazy, make `{s}` scoped, or make `{c}` a singleton"
        )),
        services: path.iter().map(|&n| graph.id(n).to_owned()).collect(),
        key: Some(key.to_owned()),
        location: graph.location(first),
        related: path
            .iter()
            .map(|&n| graph.related(n, format!("`{}` is {}", graph.id(n), graph.lifetime(n).as_str()), None))
            .collect(),
    }
}
