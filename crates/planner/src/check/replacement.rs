//! `replaces` that cannot be honoured: a service that replaces itself, a
//! service replaced twice, an id that names no service, services that
//! replace each other in a cycle. The graph finds them while it folds
//! replacements (`graph::build`); each is an error here.

use crate::diagnostic::{Code, Diagnostic, Location, Severity};
use crate::graph::{Graph, ReplacementFault};

/// One diagnostic per fault the graph kept, in report order.
pub(crate) fn check(graph: &Graph<'_, '_>, omitted: &mut usize) -> Vec<Diagnostic> {
    if graph.replacement_faults.is_empty() {
        return Vec::new();
    }
    let id_of_desc = |di: u32| graph.desc.services.get(di as usize).map_or("", |s| s.id.as_str());
    let mut candidates: Vec<&str> = graph.desc.services.iter().map(|s| s.id.as_str()).collect();
    candidates.sort_unstable();
    candidates.dedup();
    let mut suggester = crate::suggest::Suggester::new();
    let faults = graph.replacement_faults.clone();
    graph.room.build(faults, omitted, |(di, r, fault)| {
        let here = graph.desc_location(di as usize);
        let id = id_of_desc(di);
        match fault {
            ReplacementFault::Itself => replacement_error(id, format!("service `{r}` declares that it replaces itself"), here),
            ReplacementFault::Twice(other) => {
                let other_id = graph.node_desc.get(other as usize).map_or("", |&d| id_of_desc(d));
                replacement_error(id, format!("service `{r}` is replaced by both `{other_id}` and `{id}`"), here)
            }
            ReplacementFault::Cycle(drawn) => {
                let mut d = replacement_error(id, format!("services {drawn} replace each other in a cycle"), here);
                d.help = Some("remove `replaces` from one of these services".to_owned());
                d
            }
            ReplacementFault::Unknown => {
                let mut d = replacement_error(id, format!("service `{id}` replaces `{r}`, which is not declared"), here);
                if let Some(best) = suggester.next(r, &candidates).first() {
                    d.help = Some(format!("did you mean `{best}`?"));
                }
                d
            }
        }
    })
}

fn replacement_error(id: &str, message: String, location: Option<Location>) -> Diagnostic {
    Diagnostic {
        code: Code::InvalidReplacement,
        severity: Severity::Error,
        message,
        help: Some("`replaces` takes the ids of services that this one takes the place of".to_owned()),
        services: vec![id.to_owned()],
        key: None,
        location,
        related: Vec::new(),
    }
}
