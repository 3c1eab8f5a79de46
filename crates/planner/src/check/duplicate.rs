//! Duplicate ids: two services of the active profile with one id. The
//! graph keeps the first (see `graph::build`, which finds them while it
//! interns ids); each later one is an error naming both places.

use crate::diagnostic::{Code, Diagnostic, Related, Severity};
use crate::graph::Graph;

/// One diagnostic per duplicate the graph kept, in report order.
pub(crate) fn check(graph: &Graph<'_, '_>, omitted: &mut usize) -> Vec<Diagnostic> {
    let duplicates = graph.duplicates.clone();
    graph.room.build(duplicates, omitted, |(first, dup)| {
        let first_desc = graph.node_desc.get(first as usize).copied().unwrap_or(0);
        let id = graph.desc.services.get(dup).map_or("", |s| s.id.as_str());
        Diagnostic {
            code: Code::DuplicateId,
            severity: Severity::Error,
            message: format!("service id `{id}` is declared more than once"),
            help: Some(
                "give each service a unique id; to swap a provider on purpose (in tests), declare `replaces` on the new one".to_owned(),
            ),
            services: vec![id.to_owned()],
            key: None,
            location: graph.desc_location(dup),
            related: vec![
                Related {
                    message: format!("`{id}` first declared here"),
                    service: Some(id.to_owned()),
                    key: None,
                    location: graph.desc_location(first_desc as usize),
                },
                Related {
                    message: format!("`{id}` declared again here"),
                    service: Some(id.to_owned()),
                    key: None,
                    location: graph.desc_location(dup),
                },
            ],
        }
    })
}
