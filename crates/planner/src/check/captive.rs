//! Captive dependencies: a singleton that holds on to a scoped service.
//!
//! A singleton lives as long as the application, so a scoped instance it
//! receives outlives its scope. The dependency may be direct, or through
//! transient services (a transient built for a singleton is held by it),
//! and lazy or not: a lazy handle held by a singleton is bound to the
//! application, not to a scope, so it would resolve the scoped service
//! outside any scope (the lifecycle contract, `docs/lifecycle.md`, point 4).
//! The cure is to make the holder scoped, or to resolve the scoped service
//! from a scope at call time.

use std::collections::VecDeque;

use super::{more, PATH_SHOWN};
use crate::descriptor::Lifetime;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::graph::{Csr, Graph};

/// One diagnostic per (singleton, scoped service) it captures, through its
/// first dependency that does; the first `max_diagnostics` in report order
/// (by singleton id, then key) are built, the others counted in `omitted`.
///
/// # Complexity
/// O(S + E log E): one backward breadth-first search from every scoped
/// service through transient ones, which also notes the scoped service
/// each transient leads to, then one look at each singleton's edges.
/// Only the paths of the diagnostics built are walked, and those walks
/// stop once they have shown S services in all.
pub(crate) fn check(graph: &Graph<'_, '_>, omitted: &mut usize) -> Vec<Diagnostic> {
    let n = graph.len();
    let planned = |i: u32| graph.planned.get(i as usize).copied().unwrap_or(false);
    let scoped: Vec<u32> = (0..n as u32).filter(|&i| planned(i) && graph.lifetime(i) == Lifetime::Scoped).collect();
    if scoped.is_empty() {
        return Vec::new();
    }
    // Reverse edges among planned services, lazy ones too.
    let mut pairs = Vec::new();
    for node in 0..n as u32 {
        if planned(node) {
            for (p, _, _) in graph.all_edges(node) {
                pairs.push((p, node));
            }
        }
    }
    let dependents = Csr::from_pairs(n, &pairs);
    drop(pairs);
    // toward[t]: for a transient that reaches a scoped service, its next
    // hop; target[t]: the scoped service it reaches (a scoped one: itself).
    let mut toward: Vec<u32> = vec![u32::MAX; n];
    let mut target: Vec<u32> = vec![u32::MAX; n];
    for &x in &scoped {
        if let Some(t) = target.get_mut(x as usize) {
            *t = x;
        }
    }
    // Ties (a transient reaching several scoped services, or several ways)
    // are broken by id, never by declaration order: the report must not
    // change when the document's services are shuffled.
    let mut start: Vec<u32> = scoped.clone();
    crate::sorting::unstable(&mut start, &mut |&a, &b| graph.id(a).cmp(graph.id(b)));
    let mut queue: VecDeque<u32> = start.into_iter().collect();
    let mut row: Vec<u32> = Vec::new();
    while let Some(x) = queue.pop_front() {
        let reached = target.get(x as usize).copied().unwrap_or(u32::MAX);
        row.clear();
        row.extend_from_slice(dependents.row(x));
        crate::sorting::unstable(&mut row, &mut |&a, &b| graph.id(a).cmp(graph.id(b)));
        for &y in &row {
            if graph.lifetime(y) == Lifetime::Transient {
                if let (Some(slot), Some(t)) = (toward.get_mut(y as usize), target.get_mut(y as usize)) {
                    if *slot == u32::MAX {
                        *slot = x;
                        *t = reached;
                        queue.push_back(y);
                    }
                }
            }
        }
    }
    drop(dependents);
    // Findings: (singleton, first hop, key, lazy), one per captured scoped
    // service, through the singleton's first dependency that reaches it.
    let mut found: Vec<(u32, u32, u32, bool)> = Vec::new();
    let mut seen: Vec<u32> = vec![u32::MAX; n];
    for node in 0..n as u32 {
        if !planned(node) || graph.lifetime(node) != Lifetime::Singleton {
            continue;
        }
        for (p, key, lazy) in graph.all_edges(node) {
            let reached = target.get(p as usize).copied().unwrap_or(u32::MAX);
            let Some(mark) = seen.get_mut(reached as usize) else { continue };
            if *mark != node {
                *mark = node;
                found.push((node, p, key, lazy));
            }
        }
    }
    let order = |&(s, p, key, _): &(u32, u32, u32, bool)| {
        (graph.id(s), graph.key(key), graph.id(target.get(p as usize).copied().unwrap_or(0)), graph.id(p))
    };
    *omitted += super::keep_first(&mut found, graph.max_diagnostics, order);
    // In report order, so that the paths' budget below cuts the last ones.
    crate::sorting::unstable(&mut found, &mut |a, b| order(a).cmp(&order(b)));
    let mut shown = 0usize;
    let total = found.len();
    let mut out = Vec::with_capacity(total);
    for (node, p, key, lazy) in found {
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
        shown += path.len();
        let d = diagnostic(graph, &path, graph.key(key), lazy);
        if !graph.room.fits(&d, out.is_empty()) {
            *omitted += total - out.len();
            break;
        }
        out.push(d);
        if shown > n.max(1 << 16) {
            // Long paths shared by many singletons: enough has been shown.
            *omitted += total - out.len();
            break;
        }
    }
    out
}

fn diagnostic(graph: &Graph<'_, '_>, path: &[u32], key: &str, lazy: bool) -> Diagnostic {
    let first = path.first().copied().unwrap_or(0);
    let last = path.last().copied().unwrap_or(0);
    let (s, c) = (graph.id(first), graph.id(last));
    let through = if path.len() > 2 {
        let middle = path.len() - 2;
        let mut mid: Vec<String> = path.iter().skip(1).take(middle.min(PATH_SHOWN)).map(|&m| format!("`{}`", graph.id(m))).collect();
        if middle > PATH_SHOWN {
            mid.push(format!("and {} more", middle - PATH_SHOWN));
        }
        format!(" through transient {}", mid.join(", "))
    } else {
        String::new()
    };
    let cut = path.len() > PATH_SHOWN + 1;
    let mut related: Vec<_> = path
        .iter()
        .take(if cut { PATH_SHOWN } else { path.len() })
        .map(|&n| graph.related(n, format!("`{}` is {}", graph.id(n), graph.lifetime(n).as_str()), None))
        .collect();
    if cut {
        // The scoped service at the end is the point: keep it in view.
        related.push(more(path.len() - PATH_SHOWN - 1, "transient services".to_owned()));
        related.push(graph.related(last, format!("`{c}` is {}", graph.lifetime(last).as_str()), None));
    }
    Diagnostic {
        code: Code::CaptiveDependency,
        severity: Severity::Error,
        message: if lazy {
            format!("singleton `{s}` takes a lazy handle to scoped `{c}`{through}, which would resolve outside any scope")
        } else {
            format!("singleton `{s}` depends on scoped `{c}`{through}, which would outlive its scope")
        },
        help: Some(format!(
            "make `{s}` scoped, or resolve `{c}` from a scope at call time instead of holding it (or make `{c}` a singleton if one instance is right)"
        )),
        services: path.iter().map(|&n| graph.id(n).to_owned()).collect(),
        key: Some(key.to_owned()),
        location: graph.location(first),
        related,
    }
}
