//! The report's budget: how much of a hostile graph's millions of problems
//! is built into diagnostics. Shared by the graph's construction (which
//! finds duplicates, bad replacements and unknown roots while it builds)
//! and the checks, so neither needs the other.

use std::cell::Cell;

use crate::diagnostic::{Diagnostic, Related};

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
    pub(crate) fn build<T>(&self, findings: Vec<T>, omitted: &mut usize, mut diagnostic: impl FnMut(T) -> Diagnostic) -> Vec<Diagnostic> {
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
