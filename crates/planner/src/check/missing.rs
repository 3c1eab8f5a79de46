//! Missing dependencies: a required key that no planned service provides.

use super::{more, LISTED};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::graph::Graph;

/// One diagnostic per missing key, listing the first [`LISTED`] services
/// (by id) that asked for it and counting the others;
/// the first `max_diagnostics` in report order (by first asker, then key)
/// are built, the others counted in `omitted`.
///
/// # Complexity
/// O(D log D) to find and order them, plus the bounded cost of suggestions
/// ([`crate::suggest::Suggester`]).
pub(crate) fn check(graph: &Graph<'_, '_>, omitted: &mut usize) -> Vec<Diagnostic> {
    let askers = super::askers(graph, |d| !d.optional && !d.many && graph.providers_of(d).is_empty());
    if askers.is_empty() {
        return Vec::new();
    }
    let mut missing: Vec<(&str, Vec<u32>)> = askers
        .into_iter()
        .map(|(k, mut nodes)| {
            crate::sorting::unstable(&mut nodes, &mut |&a, &b| graph.id(a).cmp(graph.id(b)));
            (graph.key(k), nodes)
        })
        .collect();
    *omitted += super::keep_first(&mut missing, graph.max_diagnostics, |(key, nodes)| (nodes.first().map(|&n| graph.id(n)), *key));
    crate::sorting::unstable(&mut missing, &mut |a, b| a.0.cmp(b.0));
    let provided_ids: Vec<u32> = (0..graph.names.len() as u32).filter(|&k| !graph.providers.row(k).is_empty()).collect();
    let provided: Vec<&str> = provided_ids.iter().map(|&k| graph.key(k)).collect();
    let mut suggester = crate::suggest::Suggester::new();
    graph.room.build(missing, omitted, |(key, nodes)| {
        // Never the askers themselves: `db` needing a missing `DB` is
        // not helped by "did you mean `db`?" when only `db` provides it.
        let mut suggestions = suggester.next(key, &provided);
        if !suggestions.is_empty() {
            let askers: rustc_hash::FxHashSet<u32> = nodes.iter().copied().collect();
            suggestions.retain(|s| graph.names.get(s).is_none_or(|k| !graph.providers.row(k).iter().all(|p| askers.contains(p))));
        }
        let who = match nodes.as_slice() {
            [one] => format!("`{}`", graph.id(*one)),
            many => format!("{} services", many.len()),
        };
        // `list[Plugin]` asked for where `Plugin` is provided: a
        // forgotten `many`, the usual slip.
        let element =
            crate::suggest::collection_element(key).filter(|e| graph.names.get(e).is_some_and(|k| !graph.providers.row(k).is_empty()));
        let help = match (element, crate::phrase::did_you_mean(&suggestions, false)) {
            (Some(e), _) => format!("`{e}` is provided: to get every provider of `{e}`, ask for `{e}` with `\"many\": true`"),
            (None, None) => format!("register a provider of `{key}`, or mark the dependency optional"),
            (None, Some(clause)) => format!("{clause} otherwise register a provider of `{key}`, or mark the dependency optional"),
        };
        Diagnostic {
            code: Code::MissingDependency,
            severity: Severity::Error,
            message: format!("no service provides `{key}`, needed by {who}"),
            help: Some(help),
            services: nodes.iter().take(LISTED).map(|&n| graph.id(n).to_owned()).collect(),
            key: Some(key.to_owned()),
            location: nodes.first().and_then(|&n| graph.location(n)),
            related: {
                let mut related: Vec<_> =
                    nodes.iter().take(LISTED).map(|&n| graph.related(n, format!("`{}` needs `{key}`", graph.id(n)), Some(key))).collect();
                if nodes.len() > LISTED {
                    related.push(more(nodes.len() - LISTED, format!("services need `{key}`")));
                }
                related
            },
        }
    })
}
