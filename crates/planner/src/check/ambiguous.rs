//! Ambiguous dependencies: a single dependency with more than one provider.

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::graph::Graph;

/// One diagnostic per ambiguous key, naming every provider (in declaration
/// order) and every service that asked for the key as a single value.
///
/// # Complexity
/// O(D + P).
pub(crate) fn check(graph: &Graph<'_, '_>) -> Vec<Diagnostic> {
    let askers = super::askers(graph, |d| !d.many && graph.providers_of(d).len() > 1);
    let mut keys: Vec<(u32, Vec<u32>)> = askers.into_iter().collect();
    keys.sort_unstable_by(|a, b| graph.key(a.0).cmp(graph.key(b.0)));
    keys.into_iter()
        .map(|(key_id, mut nodes)| {
            let key = graph.key(key_id);
            nodes.sort_unstable_by(|&a, &b| graph.id(a).cmp(graph.id(b)));
            let providers = graph.providers.row(key_id);
            let names: Vec<String> = providers.iter().map(|&p| format!("`{}`", graph.id(p))).collect();
            let mut related: Vec<_> = providers
                .iter()
                .map(|&p| graph.related(p, format!("`{}` provides `{key}`", graph.id(p)), Some(key)))
                .collect();
            related.extend(nodes.iter().map(|&n| graph.related(n, format!("`{}` needs one `{key}`", graph.id(n)), Some(key))));
            Diagnostic {
                code: Code::AmbiguousDependency,
                severity: Severity::Error,
                message: format!("`{key}` has {} providers ({}), but `{}` needs exactly one", providers.len(), names.join(", "), graph.id(nodes.first().copied().unwrap_or(0))),
                help: Some(format!(
                    "keep one provider of `{key}`, ask for every one with `\"many\": true`, or mark the one that should win with `\"replaces\"`"
                )),
                services: nodes.iter().map(|&n| graph.id(n).to_owned()).collect(),
                key: Some(key.to_owned()),
                location: nodes.first().and_then(|&n| graph.location(n)),
                related,
            }
        })
        .collect()
}
