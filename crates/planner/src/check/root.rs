//! Roots that name no service of the graph (planning options' `roots`),
//! with did-you-mean among the live ids.

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::graph::Graph;

/// One diagnostic per unknown root the graph kept, sorted.
pub(crate) fn check(graph: &Graph<'_, '_>, omitted: &mut usize) -> Vec<Diagnostic> {
    if graph.unknown_roots.is_empty() {
        return Vec::new();
    }
    let mut ids: Vec<&str> =
        (0..graph.len() as u32).filter(|&i| graph.live.get(i as usize).copied().unwrap_or(false)).map(|i| graph.id(i)).collect();
    ids.sort_unstable();
    let mut suggester = crate::suggest::Suggester::new();
    graph.room.build(graph.unknown_roots.clone(), omitted, |root| {
        let best = suggester.next(&root, &ids).first().copied();
        let help = match best {
            Some(best) => format!("did you mean `{best}`?"),
            None => "roots name services by id".to_owned(),
        };
        Diagnostic {
            code: Code::UnknownRoot,
            severity: Severity::Error,
            message: format!("root `{root}` is not a service of this graph"),
            help: Some(help),
            services: vec![root.clone()],
            key: None,
            location: None,
            related: Vec::new(),
        }
    })
}
