//! Ambiguous dependencies: a single dependency with more than one provider.

use super::{more, LISTED};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::graph::Graph;

/// The most providers the message names; `related` lists up to [`LISTED`].
const NAMED: usize = 3;

/// One diagnostic per ambiguous key, listing the first [`LISTED`]
/// providers (in declaration order) and services that asked for the key as
/// a single value (by id), and counting the others.
///
/// The first `max_diagnostics` in report order (by first asker, then key)
/// are built, the others counted in `omitted`.
///
/// # Complexity
/// O(D log D + P).
pub(crate) fn check(graph: &Graph<'_, '_>, omitted: &mut usize) -> Vec<Diagnostic> {
    let askers = super::askers(graph, |d| !d.many && graph.providers_of(d).len() > 1);
    let mut keys: Vec<(u32, Vec<u32>)> = askers
        .into_iter()
        .map(|(k, mut nodes)| {
            crate::sorting::unstable(&mut nodes, &mut |&a, &b| graph.id(a).cmp(graph.id(b)));
            (k, nodes)
        })
        .collect();
    *omitted += super::keep_first(&mut keys, graph.max_diagnostics, |(k, nodes)| (nodes.first().map(|&n| graph.id(n)), graph.key(*k)));
    crate::sorting::unstable(&mut keys, &mut |a, b| graph.key(a.0).cmp(graph.key(b.0)));
    graph.room.build(keys, omitted, |(key_id, nodes)| {
            let key = graph.key(key_id);
            let providers = graph.providers.row(key_id);
            let mut names: Vec<String> = providers.iter().take(NAMED).map(|&p| format!("`{}`", graph.id(p))).collect();
            if providers.len() > NAMED {
                names.push(format!("and {} more", providers.len() - NAMED));
            }
            let mut related: Vec<_> = providers
                .iter()
                .take(LISTED)
                .map(|&p| graph.related(p, format!("`{}` provides `{key}`", graph.id(p)), Some(key)))
                .collect();
            if providers.len() > LISTED {
                related.push(more(providers.len() - LISTED, format!("providers of `{key}`")));
            }
            related.extend(nodes.iter().take(LISTED).map(|&n| graph.related(n, format!("`{}` needs one `{key}`", graph.id(n)), Some(key))));
            if nodes.len() > LISTED {
                related.push(more(nodes.len() - LISTED, format!("services need one `{key}`")));
            }
            Diagnostic {
                code: Code::AmbiguousDependency,
                severity: Severity::Error,
                message: format!("`{key}` has {} providers ({}), but `{}` needs exactly one", providers.len(), names.join(", "), graph.id(nodes.first().copied().unwrap_or(0))),
                help: Some(format!(
                    "keep one provider of `{key}`, ask for every one with `\"many\": true`, or mark the one that should win with `\"replaces\"`"
                )),
                services: nodes.iter().take(LISTED).map(|&n| graph.id(n).to_owned()).collect(),
                key: Some(key.to_owned()),
                location: nodes.first().and_then(|&n| graph.location(n)),
                related,
            }
    })
}
