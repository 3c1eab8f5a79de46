//! Sorting with one compiled copy per element type.
//!
//! Each `sort_by` closure is a new type, so the standard library's sort is
//! compiled again for every call site: at the core's `opt-level = 3` that was
//! about a fifth of the wasm module (256 KB of sort networks and quicksorts
//! for 37 call sites). Reports, pictures and diffs sort a few hundred items;
//! they go through these two functions, whose comparator is a trait object,
//! so each element type is compiled once. The hot sorts of planning (the
//! plan's order by id) stay inline.

use std::cmp::Ordering;

/// `v.sort_unstable_by(cmp)`, compiled once per `T`.
pub(crate) fn unstable<T>(v: &mut [T], cmp: &mut dyn FnMut(&T, &T) -> Ordering) {
    v.sort_unstable_by(|a, b| cmp(a, b));
}

/// `v.sort_by(cmp)` (stable: equal items keep their order), compiled once per `T`.
pub(crate) fn stable<T>(v: &mut [T], cmp: &mut dyn FnMut(&T, &T) -> Ordering) {
    v.sort_by(|a, b| cmp(a, b));
}
