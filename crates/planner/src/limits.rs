//! Resource limits: how much input the planner accepts before it says no.
//!
//! Descriptors may come from places a service does not control (a plugin
//! directory, a pull request, a cache). Every limit is checked before the
//! work it guards: the document size before parsing, the number of services
//! and the length of lists and keys while parsing, the number of
//! dependency bindings before any graph algorithm runs. Going over one is an
//! [`Error::LimitExceeded`](crate::Error::LimitExceeded) naming the limit,
//! never an exhausted memory or a hung process.
//!
//! The defaults are far above any real graph and low enough that the worst
//! input they let through plans in seconds on one core (measured figures
//! are in docs/limits.md).
//!
//! Limits are not part of the plan's fingerprint: they cannot change a plan,
//! only whether one is made at all (a plan or a `limit-exceeded` error).

use serde::{Deserialize, Serialize};

/// How deeply JSON arrays and objects may nest in a descriptor document:
/// 127 levels in the whole document, so 124 inside a service's `meta` (the
/// document, the `services` array and the service object take three).
///
/// This is serde_json's own recursion limit (it counts down from 128 and
/// stops at 0), which keeps parsing far from the call stack's end; it is
/// fixed, not a field of [`Limits`].
pub const MAX_NESTING: usize = 127;

/// Resource limits of the planner, part of [`crate::Options`].
///
/// The JSON form is `{"limits": {"max_services": 2000000}}`; every field is
/// optional and defaults to the value shown in its documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest descriptor document, in bytes of JSON text, checked before
    /// parsing. Default 256 MiB.
    pub max_input_bytes: usize,
    /// Most services in all documents together, counted while parsing.
    /// Each takes about 200 bytes once parsed, and several hundred more in
    /// the graph and the plan. Default 2,000,000.
    pub max_services: usize,
    /// Longest list in one service, counted while parsing: its `deps`, and
    /// also its `provides`, `profiles` and `replaces`. Default 10,000.
    pub max_deps_per_service: usize,
    /// Most entries in all services together, counted while parsing: each
    /// dependency, provided key, profile and replaced id counts one, and so
    /// does each JSON value inside `meta`. Each takes 24 to 32 bytes once
    /// parsed, from as little as 2 bytes of JSON. Default 10,000,000.
    pub max_entries: usize,
    /// Longest id, key, profile, replaced id or `source` file name, in
    /// bytes. Default 4,096.
    pub max_key_bytes: usize,
    /// Most dependency bindings (a dependency bound to each of its
    /// providers counts once per provider), checked before any graph
    /// algorithm runs. A key with many providers asked for with `many` by
    /// many services is the one way a small document makes a large graph.
    /// Default 20,000,000.
    pub max_bindings: usize,
    /// Most entries in all scoped and transient recipes together (each
    /// recipe lists what one instance needs). A long chain of scoped
    /// services needs a number quadratic in its length. Default 16,777,216.
    pub max_recipe_entries: usize,
    /// Most dependency bindings, and most recipe entries, per byte of
    /// input (all documents together), beyond the first [`GROWTH_FLOOR`]
    /// of each. `max_bindings` and `max_recipe_entries` bound a plan
    /// absolutely; this bounds it relative to the input, so that no small
    /// document makes a plan (and its JSON) of a far larger size: a key
    /// provided by P services and asked for with `many` by A services is
    /// P x A bindings from P + A lines. Real graphs have a few bindings per
    /// hundred bytes. Default 1.
    pub max_growth_per_byte: usize,
    /// Most diagnostics in a report. Past it, the report keeps the first
    /// ones in its usual order and ends with one `limit-exceeded`
    /// diagnostic saying how many more were found. Default 1,000.
    pub max_diagnostics: usize,
    /// Most bytes of text in a report's diagnostics (messages, help, ids,
    /// keys, places), counted as each is built. Past it, the checks stop
    /// building diagnostics and count the rest, as for `max_diagnostics`:
    /// a thousand diagnostics about 4 KiB ids would otherwise be hundreds
    /// of megabytes from a document of a few kilobytes. Default 16 MiB.
    pub max_report_bytes: usize,
}

/// The bindings and recipe entries any input may have, whatever its size:
/// `max_growth_per_byte` counts only beyond these (1,048,576 of each).
pub const GROWTH_FLOOR: usize = 1 << 20;

impl Limits {
    /// The default limits (the same as [`Limits::default`]), as a constant.
    pub const DEFAULT: Limits = Limits {
        max_input_bytes: 256 << 20,
        max_services: 2_000_000,
        max_deps_per_service: 10_000,
        max_entries: 10_000_000,
        max_key_bytes: 4_096,
        max_bindings: 20_000_000,
        max_recipe_entries: 1 << 24,
        max_growth_per_byte: 1,
        max_diagnostics: 1_000,
        max_report_bytes: 16 << 20,
    };

    /// No limits but the fixed JSON nesting depth: for trusted input only.
    pub const UNLIMITED: Limits = Limits {
        max_input_bytes: usize::MAX,
        max_services: usize::MAX,
        max_deps_per_service: usize::MAX,
        max_entries: usize::MAX,
        max_key_bytes: usize::MAX,
        max_bindings: usize::MAX,
        max_recipe_entries: usize::MAX,
        max_growth_per_byte: usize::MAX,
        max_diagnostics: usize::MAX,
        max_report_bytes: usize::MAX,
    };

    /// The names of the fields, as the JSON form spells them.
    pub(crate) const FIELDS: &'static [&'static str] = &[
        "max_input_bytes",
        "max_services",
        "max_deps_per_service",
        "max_entries",
        "max_key_bytes",
        "max_bindings",
        "max_recipe_entries",
        "max_growth_per_byte",
        "max_diagnostics",
        "max_report_bytes",
    ];

    /// The field named `name` in the JSON form, if there is one.
    pub(crate) fn field_mut(&mut self, name: &str) -> Option<&mut usize> {
        Some(match name {
            "max_input_bytes" => &mut self.max_input_bytes,
            "max_services" => &mut self.max_services,
            "max_deps_per_service" => &mut self.max_deps_per_service,
            "max_entries" => &mut self.max_entries,
            "max_key_bytes" => &mut self.max_key_bytes,
            "max_bindings" => &mut self.max_bindings,
            "max_recipe_entries" => &mut self.max_recipe_entries,
            "max_growth_per_byte" => &mut self.max_growth_per_byte,
            "max_diagnostics" => &mut self.max_diagnostics,
            "max_report_bytes" => &mut self.max_report_bytes,
            _ => return None,
        })
    }

    /// How many bindings (or recipe entries) an input of `input_bytes`
    /// may have under `max_growth_per_byte`.
    pub fn growth(&self, input_bytes: usize) -> usize {
        GROWTH_FLOOR.max(input_bytes.saturating_mul(self.max_growth_per_byte))
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// The limit sentence, written once for every limit of every front end:
/// `the number of services is 2000001, over the limit of 2000000`, or,
/// when what the input has is not known (the checks stop counting the
/// report's bytes once it is full), `the size of the report in bytes is
/// over the limit of 16777216`.
pub(crate) fn over_limit(what: &str, found: Option<usize>, limit: usize) -> String {
    match found {
        Some(found) => format!("{what} is {found}, over the limit of {limit}"),
        None => format!("{what} is over the limit of {limit}"),
    }
}

/// The `what` of each limit, as [`crate::Error::LimitExceeded`] names it.
/// These words are part of the report's contract.
pub(crate) mod what {
    pub const INPUT_BYTES: &str = "the size of the document in bytes";
    pub const SERVICES: &str = "the number of services";
    pub const DEPS: &str = "the number of dependencies of a service";
    pub const PROVIDES: &str = "the number of keys a service provides";
    pub const PROFILES: &str = "the number of profiles of a service";
    pub const REPLACES: &str = "the number of services a service replaces";
    pub const ENTRIES: &str = "the number of list entries and meta values";
    pub const KEY_BYTES: &str = "the length of an id or key in bytes";
    pub const FILE_BYTES: &str = "the length of a source file name in bytes";
    pub const NESTING: &str = "the nesting depth of JSON arrays and objects";
    pub const BINDINGS: &str = "the number of dependency bindings";
    pub const BINDINGS_GROWTH: &str = "the number of dependency bindings for an input of this size";
    pub const RECIPES: &str = "the total size of scoped and transient recipes";
    pub const RECIPES_GROWTH: &str = "the total size of scoped and transient recipes for an input of this size";
    pub const RECIPE_WORK: &str = "the work to find scoped and transient recipes";
    pub const DIAGNOSTICS: &str = "the number of diagnostics";
    pub const REPORT_BYTES: &str = "the size of the report in bytes";
}

#[cfg(test)]
mod tests {
    use super::Limits;

    #[test]
    fn the_field_names_are_the_json_forms_and_each_is_settable() {
        let json = serde_json::to_value(Limits::DEFAULT).unwrap_or_default();
        let names: Vec<&str> = json.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
        let mut fields = Limits::FIELDS.to_vec();
        fields.sort_unstable();
        assert_eq!(names, fields);
        let mut limits = Limits::DEFAULT;
        for (i, name) in Limits::FIELDS.iter().enumerate() {
            if let Some(slot) = limits.field_mut(name) {
                *slot = i;
            }
        }
        assert_eq!(limits.max_report_bytes, 9);
        assert_eq!(limits.max_input_bytes, 0);
    }
}
