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
mod missing;
pub(crate) mod profile;

use std::cell::Cell;

use crate::diagnostic::{Code, Diagnostic, Related, Severity};
use crate::graph::Graph;
use crate::limits::{over_limit, what};

/// The most entries of one list a diagnostic shows (providers, services
/// that asked, hops of a path): past it, one more related entry says how
/// many were left out. Enough to act on; a hostile graph's thousands would
/// only multiply the report.
pub(crate) const LISTED: usize = 10;

/// The most hops of a path (a cycle, a captive chain through transients)
/// that a diagnostic's message and related entries show; `services` keeps
/// the whole path, whose length all paths of a report together bound by
/// the number of services.
pub(crate) const PATH_SHOWN: usize = 32;

/// The related entry that stands for the `count` entries of a list not
/// shown: `and 4462 more providers of `K``.
pub(crate) fn more(count: usize, what: String) -> Related {
    Related { message: format!("and {count} more {what}"), service: None, key: None, location: None }
}

/// The room left for diagnostics' text in a report (`max_report_bytes`),
/// shared by every check. Each check builds its findings in report order
/// while they fit, and counts the rest as not shown; its first one is
/// always shown (every list in it is capped at [`LISTED`], but a cycle's
/// path, which is at most the input's size, so at least one problem of
/// each kind is there to act on).
pub(crate) struct Room(Cell<usize>);

impl Room {
    pub(crate) fn new(bytes: usize) -> Self {
        Room(Cell::new(bytes))
    }

    /// Charges `d` to the room; whether it is to be shown.
    pub(crate) fn fits(&self, d: &Diagnostic, first: bool) -> bool {
        let weight = d.weight();
        match self.0.get().checked_sub(weight) {
            Some(left) => {
                self.0.set(left);
                true
            }
            None => {
                // Once one does not fit, no later one may: what is shown
                // stays the first ones of each check.
                self.0.set(0);
                first
            }
        }
    }

    /// Builds the diagnostics of `findings` (in report order) while they
    /// fit; the others are added to `omitted`.
    pub(crate) fn build<T>(
        &self,
        findings: Vec<T>,
        omitted: &mut usize,
        mut diagnostic: impl FnMut(T) -> Diagnostic,
    ) -> Vec<Diagnostic> {
        let total = findings.len();
        let mut out = Vec::with_capacity(total);
        for f in findings {
            let d = diagnostic(f);
            if !self.fits(&d, out.is_empty()) {
                *omitted += total - out.len();
                break;
            }
            out.push(d);
        }
        out
    }
}

/// Runs every check over the planned part of the graph.
///
/// `has_cycle` comes from the ordering pass, which finds out for free
/// whether there is a cycle; the costlier search for every cycle runs only then.
/// Findings past the limit are added to `omitted`.
pub(crate) fn run(graph: &Graph<'_, '_>, has_cycle: bool, omitted: &mut usize) -> Vec<Diagnostic> {
    let mut out = Vec::new();
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

/// Keeps the `cap` smallest `items` by `key`, in no particular order, and
/// returns how many were dropped. Callers make keys unique, or equal only
/// for findings that would give the same diagnostic, so which of equal
/// items are kept does not show.
///
/// # Complexity
/// O(n) comparisons on average (a selection, not a sort).
pub(crate) fn keep_first<T, K: Ord>(items: &mut Vec<T>, cap: usize, mut key: impl FnMut(&T) -> K) -> usize {
    let dropped = items.len().saturating_sub(cap);
    if dropped > 0 && cap > 0 {
        items.select_nth_unstable_by(cap - 1, |a, b| key(a).cmp(&key(b)));
    }
    items.truncate(cap);
    dropped
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
