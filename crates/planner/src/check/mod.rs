//! The checks, one file per problem. Each takes the resolved graph and
//! returns its diagnostics; together they report every problem at once.

mod ambiguous;
mod captive;
pub(crate) mod cycle;
mod missing;

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::graph::Graph;

/// Runs every check over the planned part of the graph.
///
/// `has_cycle` comes from the ordering pass, which finds out for free
/// whether there is a cycle; the costlier search for every cycle runs only then.
pub(crate) fn run(graph: &Graph<'_, '_>, has_cycle: bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if has_cycle {
        out.extend(cycle::check(graph));
    }
    if graph.suspect_missing {
        out.extend(missing::check(graph));
    }
    if graph.suspect_ambiguous {
        out.extend(ambiguous::check(graph));
    }
    out.extend(captive::check(graph));
    out
}

/// For each key, the planned services with a dependency on it that `pick`
/// selects, in declaration order, each service once.
pub(crate) fn askers(graph: &Graph<'_, '_>, pick: impl Fn(&crate::graph::Dep) -> bool) -> rustc_hash::FxHashMap<u32, Vec<u32>> {
    let mut askers: rustc_hash::FxHashMap<u32, Vec<u32>> = rustc_hash::FxHashMap::default();
    for node in 0..graph.len() as u32 {
        if !graph.planned.get(node as usize).copied().unwrap_or(false) {
            continue;
        }
        for d in graph.deps_of(node) {
            if pick(d) {
                let list = askers.entry(d.key).or_default();
                if list.last() != Some(&node) {
                    list.push(node);
                }
            }
        }
    }
    askers
}

/// The warnings of a valid graph: services that no root needs.
pub(crate) fn unused(graph: &Graph<'_, '_>) -> Vec<Diagnostic> {
    graph
        .unused
        .iter()
        .map(|&node| {
            let id = graph.id(node);
            Diagnostic {
                code: Code::UnusedService,
                severity: Severity::Warning,
                message: format!("service `{id}` is not needed by any root"),
                help: Some("remove it, add it to the roots, or give it a profile".to_owned()),
                services: vec![id.to_owned()],
                key: None,
                location: graph.location(node),
                related: Vec::new(),
            }
        })
        .collect()
}

/// Sorts diagnostics into their documented order: errors before warnings,
/// then by code, then by the first service and key, so that the report does
/// not depend on declaration or merge order.
pub(crate) fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.severity, a.code, a.services.first(), &a.key, &a.message).cmp(&(
            b.severity,
            b.code,
            b.services.first(),
            &b.key,
            &b.message,
        ))
    });
}
