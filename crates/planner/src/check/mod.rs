//! The checks, one file per problem. Each takes the resolved graph and
//! returns its diagnostics; together they report every problem at once.
//!
//! A hostile graph can have millions of problems. Each check first gathers
//! its findings in a light form (node and key numbers), keeps the first
//! `max_diagnostics` of them in report order, and builds only those into
//! diagnostics; the others are counted, and the report ends with one
//! `limit-exceeded` diagnostic saying how many were not shown.

mod ambiguous;
mod captive;
pub(crate) mod cycle;
mod duplicate;
mod missing;
pub(crate) mod profile;
mod replacement;
mod root;

pub(crate) use crate::budget::{keep_first, more, LISTED, PATH_SHOWN};

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::graph::Graph;
use crate::limits::{over_limit, what};

/// Runs every check over the planned part of the graph.
///
/// `has_cycle` comes from the ordering pass, which finds out for free
/// whether there is a cycle; the costlier search for every cycle runs only then.
/// Findings past the limit are added to `omitted`.
pub(crate) fn run(graph: &Graph<'_, '_>, has_cycle: bool, omitted: &mut usize) -> Vec<Diagnostic> {
    // Found while the graph was built, reported first (as the room was
    // charged before the graph's own checks).
    let mut out = duplicate::check(graph, omitted);
    out.extend(replacement::check(graph, omitted));
    out.extend(root::check(graph, omitted));
    if has_cycle {
        out.extend(cycle::check(graph, omitted));
    }
    if graph.suspect_missing {
        out.extend(missing::check(graph, omitted));
    }
    if graph.suspect_ambiguous {
        out.extend(ambiguous::check(graph, omitted));
    }
    out.extend(captive::check(graph, omitted));
    out
}

/// Sorts a report and applies the diagnostics limit: at most `cap`
/// diagnostics, then one `limit-exceeded` diagnostic saying how many more
/// were found (`omitted` of them already left out by the checks, past
/// `max_diagnostics` or past `max_report_bytes`, `bytes` here). That one is
/// an error when the report has errors (shown or not), else a warning.
pub(crate) fn finish(diagnostics: &mut Vec<Diagnostic>, cap: usize, bytes: usize, omitted: usize, severity: Severity) {
    sort(diagnostics);
    let total = diagnostics.len().saturating_add(omitted);
    if total <= cap && omitted == 0 {
        return;
    }
    diagnostics.truncate(cap);
    let hidden = total - diagnostics.len();
    let (sentence, option) = if total > cap {
        (over_limit(what::DIAGNOSTICS, Some(total), cap), "max_diagnostics")
    } else {
        (over_limit(what::REPORT_BYTES, None, bytes), "max_report_bytes")
    };
    let message = format!("{sentence}: {hidden} more not shown");
    let help = format!("fix the ones shown first, or raise `{option}` in the planning options' limits to see them all");
    diagnostics.push(Diagnostic {
        code: Code::LimitExceeded,
        severity,
        message,
        help: Some(help),
        services: Vec::new(),
        key: None,
        location: None,
        related: Vec::new(),
    });
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

/// The warnings of a valid graph: services that no root needs (sorted by
/// id, so the first `max_diagnostics` are the report's).
pub(crate) fn unused(graph: &Graph<'_, '_>, omitted: &mut usize) -> Vec<Diagnostic> {
    *omitted += graph.unused.len().saturating_sub(graph.max_diagnostics);
    let shown: Vec<u32> = graph.unused.iter().take(graph.max_diagnostics).copied().collect();
    graph.room.build(shown, omitted, |node| {
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
}

/// Sorts diagnostics into their documented order: errors before warnings,
/// then by code, then by the first service and key, so that the report does
/// not depend on declaration or merge order.
pub(crate) fn sort(diagnostics: &mut [Diagnostic]) {
    crate::sorting::stable(diagnostics, &mut |a, b| {
        (a.severity, a.code, a.services.first(), &a.key, &a.message).cmp(&(b.severity, b.code, b.services.first(), &b.key, &b.message))
    });
}
